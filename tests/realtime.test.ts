import { afterAll, beforeAll, expect, test } from "bun:test";
import { io, type Socket } from "socket.io-client";
import type { HubNode } from "../hub-node.ts";
import { UserStore } from "../storage/users.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("realtime");
let nodeA: HubNode;
let nodeB: HubNode;
let apiA: ApiClient;
let token: string;
const sockets: Socket[] = [];
const address = { region: "Shanghai", detail: "1 Road", phone: "13800000000", name: "Han" };

beforeAll(async () => {
  await requireServices();
  // Node A takes the writes; node B only serves sockets: events must reach B's browsers through the log.
  nodeA = await startTestNode(ns, { ROLES: "gateway,actors,projector" }, { listen: true });
  nodeB = await startTestNode(
    ns,
    { ROLES: "gateway,realtime", REALTIME_COALESCE: "100" },
    { listen: true, waitForShards: false },
  );
  apiA = new ApiClient(`http://127.0.0.1:${nodeA.server!.port}`);
  token = await apiA.login();
  await apiA.call("PUT", "/v1/warehouses/WH-RT", { name: "RT", region: "east" });
  for (const sku of ["RT-1", "RT-HOT"]) {
    await apiA.call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse: "WH-RT", qty: 1_000 },
      { "idempotency-key": `s-${sku}` },
    );
    await apiA.call("PUT", `/v1/skus/${sku}/price`, { listPrice: 1_000 });
  }
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await nodeB?.stop();
  await nodeA?.stop();
  await cleanupNamespace(ns);
});

function connect(node: HubNode, auth: Record<string, unknown> = { token }): Socket {
  const socket = io(`http://127.0.0.1:${node.server!.port}`, {
    auth,
    transports: ["websocket"],
    reconnection: false,
  });
  sockets.push(socket);
  return socket;
}

const connected = (socket: Socket) => new Promise<void>((resolve) => socket.on("connect", () => resolve()));

const subscribe = (socket: Socket, request: Record<string, unknown>) =>
  new Promise<{
    ok: boolean;
    error?: string;
    snapshot?: { asOf: number; data: unknown };
    resumedFrom?: number;
  }>((resolve) => socket.emit("subscribe", request, resolve));

test("realtime - a socket without a valid token is refused", async () => {
  const socket = connect(nodeB, { token: "garbage" });
  const error = await new Promise<Error>((resolve) => socket.on("connect_error", resolve));
  expect(error.message).toContain("unauthorized");
});

test("realtime - permissions are checked on join", async () => {
  await new UserStore(nodeA.sql).create("rt-viewer", "viewer-password", ["viewer"]);
  const viewer = new ApiClient(`http://127.0.0.1:${nodeA.server!.port}`);
  const socket = connect(nodeB, { token: await viewer.login("rt-viewer", "viewer-password") });
  await connected(socket);
  expect((await subscribe(socket, { dashboard: "orders" })).error).toContain("forbidden");
  expect((await subscribe(socket, { dashboard: "inventory" })).ok).toBe(true);
});

test("realtime - a client on node B sees events caused on node A, in order, exactly once", async () => {
  const socket = connect(nodeB);
  const ids: number[] = [];
  const placed: string[] = [];
  socket.on("event", (m: { id: number; kind: string; entityId: string; events: Array<{ type: string }> }) => {
    ids.push(m.id);
    if (m.kind === "order" && m.events.some((e) => e.type === "placed")) placed.push(m.entityId);
  });
  await connected(socket);
  const ack = await subscribe(socket, { dashboard: "orders" });
  expect(ack.ok).toBe(true);
  expect(ack.snapshot).toBeDefined();
  const orders: string[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await apiA.call(
      "POST",
      "/v1/orders",
      { userId: `rt-u${i}`, lines: [{ sku: "RT-1", qty: 1 }], address },
      { "idempotency-key": `rt-${i}` },
    );
    orders.push((res.body as { orderId: string }).orderId);
  }
  await waitFor(() => orders.every((o) => placed.includes(o)), 5_000, "every order on node B");
  expect(placed.filter((o) => orders.includes(o))).toEqual(orders);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort((a, b) => a - b)).toEqual(ids);
});

test("realtime - a reconnecting client resumes from its last id without a gap or a duplicate", async () => {
  const control = connect(nodeB);
  const controlIds: number[] = [];
  control.on("event", (m: { id: number }) => controlIds.push(m.id));
  await connected(control);
  await subscribe(control, { dashboard: "orders" });

  let client = connect(nodeB);
  const clientIds: number[] = [];
  const track = (s: Socket) => s.on("event", (m: { id: number }) => clientIds.push(m.id));
  track(client);
  await connected(client);
  await subscribe(client, { dashboard: "orders" });
  const firstBatch = Array.from({ length: 3 }, (_, i) =>
    apiA.call(
      "POST",
      "/v1/orders",
      { userId: "rt-r", lines: [{ sku: "RT-1", qty: 1 }], address },
      { "idempotency-key": `rr-a${i}` },
    ),
  );
  await Promise.all(firstBatch);
  await waitFor(() => clientIds.length > 0, 5_000, "first events");
  client.close(); // the socket dies mid-stream
  const lastId = clientIds.at(-1)!;
  for (let i = 0; i < 3; i++) {
    await apiA.call(
      "POST",
      "/v1/orders",
      { userId: "rt-r", lines: [{ sku: "RT-1", qty: 1 }], address },
      { "idempotency-key": `rr-b${i}` },
    );
  }
  await Bun.sleep(300);
  client = connect(nodeB);
  track(client);
  await connected(client);
  const ack = await subscribe(client, { dashboard: "orders", lastEventId: lastId });
  expect(ack.resumedFrom).toBe(lastId + 1);
  await waitFor(() => clientIds.at(-1) === controlIds.at(-1), 5_000, "the resumed client to catch up");
  const fromFirst = controlIds.slice(controlIds.indexOf(clientIds[0]!));
  expect(clientIds).toEqual(fromFirst);
});

test("realtime - a hot SKU's stock is coalesced per client, and the deltas add up exactly", async () => {
  const socket = connect(nodeB);
  const updates: Array<{ deltas: Array<{ sku: string; reserved: number }> }> = [];
  socket.on("stock", (u) => updates.push(u));
  await connected(socket);
  await subscribe(socket, { dashboard: "inventory" });
  const before = ((await apiA.call("GET", "/v1/inventory/RT-HOT")).body as { reserved: number }).reserved;
  const N = 300;
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      apiA.call("POST", "/v1/inventory/RT-HOT/reservations", { orderId: `hot-${i}`, qty: 1 }),
    ),
  );
  const sum = () =>
    updates
      .flatMap((u) => u.deltas)
      .filter((d) => d.sku === "RT-HOT")
      .reduce((n, d) => n + d.reserved, 0);
  await waitFor(() => sum() === N, 5_000, "all reservations reflected");
  const after = ((await apiA.call("GET", "/v1/inventory/RT-HOT")).body as { reserved: number }).reserved;
  expect(after - before).toBe(N);
  console.log(`realtime: ${N} reservations reached the client as ${updates.length} coalesced stock updates`);
  expect(updates.length).toBeLessThan(N / 5);
});

test("realtime - a room per entity: watch one order, and resume it from the last id", async () => {
  const placed = (
    await apiA.call(
      "POST",
      "/v1/orders",
      { userId: "rt-w", lines: [{ sku: "RT-1", qty: 1 }], address },
      { "idempotency-key": "rt-watch" },
    )
  ).body as { orderId: string };
  const watch = (socket: Socket, request: Record<string, unknown>) =>
    new Promise<{ ok: boolean; error?: string }>((resolve) => socket.emit("watch", request, resolve));
  let socket = connect(nodeB);
  const seen: Array<{ id: number; entityId: string; events: Array<{ type: string }> }> = [];
  socket.on("entity", (m) => seen.push(m));
  await connected(socket);
  expect((await watch(socket, { entity: "nonsense" })).ok).toBe(false);
  expect((await watch(socket, { entity: `order/${placed.orderId}` })).ok).toBe(true);
  await apiA.call("POST", `/v1/orders/${placed.orderId}/cancel`, { reason: "changed my mind" });
  await waitFor(
    () => seen.some((m) => m.events.some((e) => e.type === "cancelled")),
    5_000,
    "the order's cancel event",
  );
  expect(seen.every((m) => m.entityId === placed.orderId)).toBe(true);
  const lastId = seen.at(-1)!.id;
  socket.close();
  // While away, the order's releases finish; on resume the client gets exactly what it missed.
  await Bun.sleep(300);
  socket = connect(nodeB);
  const resumed: Array<{ id: number; entityId: string }> = [];
  socket.on("entity", (m) => resumed.push(m));
  await connected(socket);
  expect((await watch(socket, { entity: `order/${placed.orderId}`, lastEventId: lastId - 1 })).ok).toBe(true);
  await waitFor(() => resumed.length > 0, 5_000, "replayed entity events");
  expect(resumed[0]!.id).toBe(lastId);
  expect(new Set(resumed.map((m) => m.id)).size).toBe(resumed.length);
  expect(resumed.every((m) => m.entityId === placed.orderId)).toBe(true);
});
