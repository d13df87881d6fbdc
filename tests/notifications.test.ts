/**
 * Operator notifications over real NATS, Postgres and Redis: raised from node code (deduplicated by key),
 * from the SKU actors' low-stock events (projected), from a failed job; listed with filters and a cursor;
 * acknowledged once (who, when, audited); and the live Socket.IO feed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { io, type Socket } from "socket.io-client";
import { raiseNotification } from "../actors/notification/index.ts";
import { silentLogger } from "../actors/runtime/index.ts";
import type { HubNode } from "../hub-node.ts";
import { notifier, notifierService } from "../node/notifications.ts";
import { notificationId, PostgresNotifications } from "../storage/notifications/index.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("notify");
let node: HubNode;
let api: ApiClient;
let token: string;
const sockets: Socket[] = [];

interface Notification {
  id: string;
  kind: string;
  severity: string;
  source: string;
  subject: { kind: string; id: string } | null;
  message: string;
  key: string;
  raisedAt: string;
  acknowledged: { by: string; at: string } | null;
}
type Page = { items: Notification[]; nextCursor: string | null };
const list = async (query = "") => (await api.call("GET", `/v1/notifications${query}`)).body as Page;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, {}, { listen: true });
  api = new ApiClient(`http://127.0.0.1:${node.server!.port}`);
  token = await api.login();
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await node?.stop();
  await cleanupNamespace(ns);
});

test("notifications - raised once per key from node code; listed newest first with filters and a cursor", async () => {
  const notify = notifier(new PostgresNotifications(node.sql), silentLogger);
  const first = await notify({
    kind: "lateShipment",
    severity: "warning",
    source: "shipments",
    subject: { kind: "shipment", id: "SH-1" },
    message: "shipment SH-1 is past its 48 h promise",
    key: "late:SH-1",
  });
  const again = await notify({
    kind: "lateShipment",
    severity: "warning",
    source: "shipments",
    message: "a repeat (re-sent effect)",
    key: "late:SH-1",
  });
  expect(first).toEqual({ id: notificationId("late:SH-1"), created: true });
  expect(again).toEqual({ id: first.id, created: false });
  for (let i = 0; i < 3; i++)
    await notify({
      kind: "testInfo",
      severity: "info",
      source: "tests",
      message: `info ${i}`,
      key: `info:${i}`,
    });

  const all = await list("?kind=lateShipment");
  expect(all.items, JSON.stringify(all)).toHaveLength(1);
  expect(all.items[0]).toMatchObject({
    id: first.id,
    severity: "warning",
    source: "shipments",
    subject: { kind: "shipment", id: "SH-1" },
    message: "shipment SH-1 is past its 48 h promise",
    acknowledged: null,
  });
  const infos = await list("?severity=info&limit=2");
  expect(infos.items.map((n) => n.message)).toEqual(["info 2", "info 1"]);
  expect(infos.nextCursor).not.toBeNull();
  const rest = await list(`?severity=info&limit=2&cursor=${infos.nextCursor}`);
  expect(rest.items.map((n) => n.message)).toEqual(["info 0"]);
  expect((await api.call("GET", "/v1/notifications?severity=loud")).status).toBe(400);
  expect((await api.call("GET", "/v1/notifications?cursor=nope")).status).toBe(400);
});

test("notifications - acknowledged once: who and when kept, audited, filtered; unknown ids 404", async () => {
  const { id } = await new PostgresNotifications(node.sql).raise({
    kind: "reconciliationDifferences",
    severity: "critical",
    source: "payments",
    message: "wechat statement of 2026-11-29: 2 differences",
    key: "reconciliation:test:wechat",
  });
  const ack = await api.call("POST", `/v1/notifications/${id}/ack`);
  expect(ack.status, JSON.stringify(ack.body)).toBe(200);
  const acknowledged = (ack.body as Notification).acknowledged;
  expect(acknowledged?.by).toBe("admin");
  expect(Date.now() - Date.parse(acknowledged?.at ?? "")).toBeLessThan(60_000);
  const repeat = await api.call("POST", `/v1/notifications/${id}/ack`);
  expect((repeat.body as Notification).acknowledged).toEqual(acknowledged);
  expect((await list("?acknowledged=false")).items.some((n) => n.id === id)).toBe(false);
  expect((await list("?acknowledged=true")).items.map((n) => n.id)).toContain(id);
  const audit =
    await node.sql`SELECT principal, action FROM audit_log WHERE target = ${`notification:${id}`}`;
  expect(audit.map((r) => [r.principal, r.action])).toEqual([["admin", "notification.acknowledge"]]);
  for (const bad of ["constructor", "__proto__", "toString", "ntf_000000000000000000000000"]) {
    const res = await api.call("POST", `/v1/notifications/${bad}/ack`);
    expect([bad, res.status]).toEqual([bad, bad.startsWith("ntf_") ? 404 : 400]);
    expect((await api.call("GET", `/v1/notifications/${bad}`)).status).toBe(
      bad.startsWith("ntf_") ? 404 : 400,
    );
  }
});

test("notifications - a SKU dipping under its safety stock raises one lowStock notification", async () => {
  await api.call("PUT", "/v1/warehouses/WH-N", { name: "N", region: "east" });
  const receipt = await api.call(
    "POST",
    "/v1/inventory/N-LOW/receipts",
    { warehouse: "WH-N", qty: 10 },
    { "idempotency-key": "n-low-r" },
  );
  expect(receipt.status, JSON.stringify(receipt.body)).toBe(201);
  const safety = await api.call(
    "PUT",
    "/v1/inventory/N-LOW/safety-stock",
    { warehouse: "WH-N", qty: 8 },
    { "idempotency-key": "n-low-s" },
  );
  expect(safety.status, JSON.stringify(safety.body)).toBeLessThan(300);
  await waitFor(
    async () => (await list("?kind=lowStock")).items.length > 0,
    60_000,
    "the lowStock notification",
  );
  const [low] = (await list("?kind=lowStock")).items;
  expect(low).toMatchObject({
    severity: "warning",
    source: "inventory",
    subject: { kind: "sku", id: "N-LOW" },
  });
  expect(low?.message).toContain("2 sellable");
});

test("notifications - a failed job run raises a critical jobFailed notification", async () => {
  const job = "projector-dead-letter-report";
  await node.sql`ALTER TABLE projector_dead_letters RENAME TO projector_dead_letters_gone`;
  try {
    const res = await api.call("POST", `/v1/jobs/${job}/run`);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const runId = (res.body as { runId: string }).runId;
    await waitFor(
      async () => (await list("?kind=jobFailed")).items.some((n) => n.key === `jobFailed:${runId}`),
      60_000,
      "the jobFailed notification",
    );
    const failed = (await list("?kind=jobFailed")).items.find((n) => n.key === `jobFailed:${runId}`);
    expect(failed).toMatchObject({ severity: "critical", source: "jobs", subject: { kind: "job", id: job } });
  } finally {
    await node.sql`ALTER TABLE projector_dead_letters_gone RENAME TO projector_dead_letters`;
  }
});

test("notifications - the notifier effect service stores what actors raise, once; refuses malformed input", async () => {
  const service = notifierService(notifier(new PostgresNotifications(node.sql), silentLogger));
  const effect = raiseNotification({
    kind: "lateShipment",
    severity: "critical",
    source: "shipments",
    subject: { kind: "shipment", id: "SH-2" },
    message: "shipment SH-2 is lost",
    key: "late:SH-2",
  });
  expect(effect.key).toBe("notify:late:SH-2");
  const signal = new AbortController().signal;
  const first = await service(effect.to.id, effect.cmd, "c1", signal);
  const second = await service(effect.to.id, effect.cmd, "c1", signal);
  expect(first).toEqual({ ok: true, value: { id: notificationId("late:SH-2"), created: true } });
  expect(second).toEqual({ ok: true, value: { id: notificationId("late:SH-2"), created: false } });
  const bad = await service("raise", { type: "raise", kind: "x y", severity: "loud" }, "c2", signal);
  expect(bad.ok).toBe(false);
  expect(() =>
    raiseNotification({ kind: "ok", severity: "info", source: "s", message: "\u0000", key: "k" }),
  ).toThrow();
});

test("notifications - the live feed: a snapshot on subscribe, then raises and acknowledgements as they commit", async () => {
  const socket = io(`http://127.0.0.1:${node.server!.port}`, {
    auth: { token },
    transports: ["websocket"],
    reconnection: false,
  });
  sockets.push(socket);
  const received: Notification[] = [];
  socket.on("notification", (n: Notification) => received.push(n));
  await new Promise<void>((resolve) => socket.on("connect", () => resolve()));
  const reply = await new Promise<{ ok: boolean; items?: Notification[]; open?: Record<string, number> }>(
    (resolve) => socket.emit("notifications:subscribe", {}, resolve),
  );
  expect(reply.ok, JSON.stringify(reply)).toBe(true);
  expect(reply.items?.every((n) => n.acknowledged === null)).toBe(true);
  expect(reply.open?.warning).toBeGreaterThanOrEqual(1);

  const { id } = await new PostgresNotifications(node.sql).raise({
    kind: "testLive",
    severity: "warning",
    source: "tests",
    message: "live one",
    key: "live:1",
  });
  await waitFor(() => received.some((n) => n.id === id), 30_000, "the raise on the feed");
  expect((await api.call("POST", `/v1/notifications/${id}/ack`)).status).toBe(200);
  await waitFor(
    () => received.some((n) => n.id === id && n.acknowledged?.by === "admin"),
    30_000,
    `the acknowledgement on the feed (got ${JSON.stringify(received)})`,
  );
});

test("notifications - the feed refuses a socket without notification:read", async () => {
  const created = await api.call("POST", "/v1/users", {
    username: "feed-viewer",
    password: "viewer-password-1",
    roles: ["viewer"],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const viewer = new ApiClient(`http://127.0.0.1:${node.server!.port}`);
  const viewerToken = await viewer.login("feed-viewer", "viewer-password-1");
  const socket = io(`http://127.0.0.1:${node.server!.port}`, {
    auth: { token: viewerToken },
    transports: ["websocket"],
    reconnection: false,
  });
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.on("connect", () => resolve()));
  const reply = await new Promise<{ ok: boolean; error?: string }>((resolve) =>
    socket.emit("notifications:subscribe", {}, resolve),
  );
  expect(reply).toEqual({ ok: false, error: "forbidden: needs notification:read" });
});
