/**
 * Data scope (issue 14 point 2, decision 0033): one operator scoped to warehouse WH1 walks every door
 * against an order, stock and a wave of WH2 and never sees them; an unscoped operator with the same
 * permissions sees both.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { io, type Socket } from "socket.io-client";
import { warehouses } from "../actors/warehouse/index.ts";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("scope");
let node: HubNode;
let admin: ApiClient;
/** Scoped to WH1. */
let scoped: ApiClient;
/** The same permissions, no scope. */
let unscoped: ApiClient;
const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };
const PERMISSIONS = [
  "order:read",
  "order:write",
  "order:fulfil",
  "inventory:read",
  "inventory:write",
  "warehouse:read",
  "warehouse:write",
];
let order1: string;
let order2: string;
/** A wave of WH2 holding order2. */
let wave2: string;

const show = (res: { status: number; body: unknown }) => `${res.status} ${JSON.stringify(res.body)}`;

async function place(key: string, sku: string): Promise<string> {
  const res = await admin.call(
    "POST",
    "/v1/orders",
    { userId: "buyer-1", lines: [{ sku, qty: 1 }], address },
    { "idempotency-key": key },
  );
  expect(res.status, show(res)).toBe(201);
  return (res.body as { orderId: string }).orderId;
}

async function staff(username: string, role: string): Promise<ApiClient> {
  const res = await admin.call("POST", "/v1/users", { username, password: "scope-password", roles: [role] });
  expect(res.status, show(res)).toBe(201);
  const api = new ApiClient(node.app!);
  await api.login(username, "scope-password");
  return api;
}

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, {}, { listen: true });
  admin = new ApiClient(node.app!);
  await admin.login();
  for (const [code, region] of [
    ["WH1", "east"],
    ["WH2", "north"],
  ] as const) {
    await admin.call("PUT", `/v1/warehouses/${code}`, { name: code, region });
  }
  // SKU-1 is held in WH1 only, SKU-2 in WH2 only: an order of one is in that warehouse. WH2 has a bin,
  // its stock put away there, so a wave can pick it.
  const res1 = await admin.call(
    "POST",
    "/v1/inventory/SKU-1/receipts",
    { warehouse: "WH1", qty: 50 },
    {
      "idempotency-key": "stock-SKU-1",
    },
  );
  expect(res1.status, show(res1)).toBe(201);
  const bin = { zone: "ambient", aisle: 1, bay: 1, level: 1 };
  expect((await admin.call("PUT", "/v1/warehouses/WH2/bins/B-01", bin)).status).toBe(200);
  const call = warehouses.registerReceipt("WH2", { receiptId: "R-2", lines: [{ sku: "SKU-2", qty: 50 }] });
  const reply = await node.client.request(call.to.kind, call.to.id, call.cmd, {
    id: "receipt:R-2",
    meta: { by: "test", requestId: "R-2" },
  });
  if (!reply.ok) throw new Error(`registerReceipt: ${JSON.stringify(reply.error)}`);
  const put = await admin.call("POST", "/v1/warehouses/WH2/putaways/R-2/confirm", {});
  expect(put.status, show(put)).toBe(200);
  for (const sku of ["SKU-1", "SKU-2"])
    expect((await admin.call("PUT", `/v1/skus/${sku}/price`, { listPrice: 1000 })).status).toBe(200);
  const roles = [
    ["wh1_ops", { permissions: PERMISSIONS, scope: { warehouses: ["WH1"] } }],
    ["all_ops", { permissions: PERMISSIONS }],
  ] as const;
  for (const [name, body] of roles) {
    const res = await admin.call("PUT", `/v1/roles/${name}`, body);
    expect(res.status, show(res)).toBe(201);
  }
  scoped = await staff("op-wh1", "wh1_ops");
  unscoped = await staff("op-all", "all_ops");
  order1 = await place("o-wh1", "SKU-1");
  order2 = await place("o-wh2", "SKU-2");
  // WH2's order is paid and waved.
  const payment = await admin.call("POST", "/v1/payments", { orderId: order2, channel: "alipay" });
  expect(payment.status, show(payment)).toBe(201);
  const paymentId = (payment.body as { paymentId: string }).paymentId;
  await admin.call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid" });
  await waitFor(
    async () =>
      ((await admin.call("GET", `/v1/orders/${order2}`)).body as { status: string }).status ===
      "awaiting_shipment",
    30_000,
    "WH2's order paid",
  );
  const wave = await admin.call("POST", "/v1/warehouses/WH2/waves", { orderIds: [order2] });
  expect(wave.status, show(wave)).toBe(201);
  wave2 = (wave.body as { waveId: string }).waveId;
  // Lists are read models (they may lag): wait until both orders are listed with their warehouse.
  await waitFor(
    async () => {
      const res = await unscoped.call("GET", "/v1/orders?limit=50");
      const ids = (res.body as { items: Array<{ orderId: string }> }).items.map((o) => o.orderId);
      return ids.includes(order1) && ids.includes(order2);
    },
    10_000,
    "both orders listed",
  );
}, 60_000);

const sockets: Socket[] = [];

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await node?.stop();
  await cleanupNamespace(ns);
});

test("data scope - a role stores its scope; GET /v1/roles shows it; an empty dimension is refused", async () => {
  const roles = (await admin.call("GET", "/v1/roles")).body as {
    items: Array<{ name: string; scope?: unknown }>;
  };
  expect(roles.items.find((r) => r.name === "wh1_ops")?.scope).toEqual({ warehouses: ["WH1"] });
  expect(roles.items.find((r) => r.name === "all_ops")?.scope).toBeUndefined();
  const bad = await admin.call("PUT", "/v1/roles/bad_scope", {
    permissions: ["order:read"],
    scope: { warehouses: [] },
  });
  expect(bad.status, show(bad)).toBe(400);
});

test("data scope - orders list: the WH1 operator's page holds WH1's order and never WH2's (filtered in SQL)", async () => {
  const ids = async (api: ApiClient, query = "") => {
    const res = await api.call("GET", `/v1/orders?limit=50${query}`);
    expect(res.status, show(res)).toBe(200);
    return (res.body as { items: Array<{ orderId: string }> }).items.map((o) => o.orderId);
  };
  await waitFor(async () => (await ids(scoped)).includes(order1), 10_000, "WH1 order in the scoped list");
  expect(await ids(scoped)).not.toContain(order2);
  expect(await ids(unscoped)).toEqual(expect.arrayContaining([order1, order2]));
  // A page of one: the cursor walks only in-scope rows (the filter is in the query, not after it).
  const first = (await scoped.call("GET", "/v1/orders?limit=1")).body as {
    items: Array<{ orderId: string }>;
    nextCursor: string | null;
  };
  expect(first.items.map((o) => o.orderId)).toEqual([order1]);
  expect(first.nextCursor).toBeNull();
  // Statistics count what the caller may see.
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const stats = async (api: ApiClient) => {
    const res = await api.call("GET", `/v1/orders/stats?from=${from}&to=${to}&interval=day`);
    expect(res.status, show(res)).toBe(200);
    return (res.body as { buckets: Array<{ orders: number }> }).buckets.reduce((n, b) => n + b.orders, 0);
  };
  expect(await stats(scoped)).toBe(1);
  expect(await stats(unscoped)).toBe(2);
});

test("data scope - single reads: WH2's order is 404 (not 403) for the WH1 operator, 200 for the unscoped one", async () => {
  for (const path of ["", "/shipment-plan", "/routing", "/shipments"]) {
    const hidden = await scoped.call("GET", `/v1/orders/${order2}${path}`);
    expect(hidden.status, `GET ${path}: ${show(hidden)}`).toBe(404);
    expect((hidden.body as { type: string }).type).toContain("not-found");
    const own = await scoped.call("GET", `/v1/orders/${order1}${path}`);
    expect(own.status, `GET own ${path}: ${show(own)}`).toBe(200);
    const seen = await unscoped.call("GET", `/v1/orders/${order2}${path}`);
    expect(seen.status, `GET unscoped ${path}: ${show(seen)}`).toBe(200);
  }
  // Not found answers the same as an order that does not exist.
  const missing = await scoped.call("GET", "/v1/orders/O-does-not-exist");
  expect(missing.status).toBe(404);
});

test("data scope - commands: the WH1 operator cannot cancel or re-address WH2's order (404, nothing applied)", async () => {
  const cancel = await scoped.call("POST", `/v1/orders/${order2}/cancel`, { reason: "scope test" });
  expect(cancel.status, show(cancel)).toBe(404);
  const moved = await scoped.call("PUT", `/v1/orders/${order2}/address`, {
    address: { ...address, detail: "elsewhere" },
  });
  expect(moved.status, show(moved)).toBe(404);
  const after = (await admin.call("GET", `/v1/orders/${order2}`)).body as {
    status: string;
    address: { detail: string };
  };
  expect(after.status).toBe("awaiting_shipment");
  expect(after.address.detail).toBe(address.detail);
});

test("data scope - orders CSV export: the WH1 operator's export holds WH1's order and never WH2's", async () => {
  const exported = async (api: ApiClient) => {
    const res = await api.call("GET", "/v1/orders/export?userId=buyer-1");
    expect(res.status, show(res)).toBe(200);
    return String(res.body);
  };
  const own = await exported(scoped);
  expect(own, own).toContain(order1);
  expect(own, own).not.toContain(order2);
  const all = await exported(unscoped);
  expect(all, all).toContain(order1);
  expect(all, all).toContain(order2);
});

test("data scope - stock: WH2's rows and totals are hidden, its adjustment refused as unknown; warehouses listed in scope", async () => {
  const stock = async (api: ApiClient, sku: string) => {
    const res = await api.call("GET", `/v1/inventory/${sku}`);
    expect(res.status, show(res)).toBe(200);
    return res.body as { physical: number; warehouses: Array<{ warehouse: string }> };
  };
  const hidden = await stock(scoped, "SKU-2");
  expect(hidden.warehouses, JSON.stringify(hidden)).toEqual([]);
  expect(hidden.physical).toBe(0);
  const seen = await stock(unscoped, "SKU-2");
  expect(seen.warehouses.map((w) => w.warehouse)).toEqual(["WH2"]);
  expect(seen.physical).toBe(50);
  expect((await stock(scoped, "SKU-1")).warehouses.map((w) => w.warehouse)).toEqual(["WH1"]);

  // A stock adjustment in WH2: refused exactly as for a warehouse that is not registered.
  const adjust = await scoped.call("POST", "/v1/inventory/SKU-2/adjustments", {
    warehouse: "WH2",
    countedQty: 1,
    reason: "scope test",
  });
  expect(adjust.status, show(adjust)).toBe(422);
  expect((adjust.body as { type: string }).type).toContain("unknown-warehouse");
  expect((await stock(unscoped, "SKU-2")).physical).toBe(50);
  const own = await scoped.call("POST", "/v1/inventory/SKU-1/adjustments", {
    warehouse: "WH1",
    countedQty: 50,
    reason: "scope test",
  });
  expect(own.status, show(own)).toBe(201);

  // The ledger (a paginated read model) holds only WH1's movements for the scoped operator.
  const ledger = async (api: ApiClient, sku: string) =>
    ((await api.call("GET", `/v1/inventory/${sku}/ledger?limit=50`)).body as { items: unknown[] }).items;
  await waitFor(async () => (await ledger(unscoped, "SKU-2")).length > 0, 10_000, "WH2 ledger projected");
  expect(await ledger(scoped, "SKU-2")).toEqual([]);

  const list = async (api: ApiClient) =>
    ((await api.call("GET", "/v1/warehouses?limit=50")).body as { items: Array<{ code: string }> }).items.map(
      (w) => w.code,
    );
  expect(await list(scoped)).toEqual(["WH1"]);
  expect(await list(unscoped)).toEqual(["WH1", "WH2"]);
  for (const path of ["/v1/warehouses/WH2/stock?sku=SKU-2", "/v1/warehouses/WH2/layout"]) {
    const res = await scoped.call("GET", path);
    expect(res.status, `${path}: ${show(res)}`).toBe(404);
    expect((await unscoped.call("GET", path)).status, path).toBe(200);
  }
  const rename = await scoped.call("PUT", "/v1/warehouses/WH2", { name: "mine now", region: "east" });
  expect(rename.status, show(rename)).toBe(404);
});

test("data scope - waves: WH2's wave is 404 to read or pick for the WH1 operator; forming one there is 404", async () => {
  const read = await scoped.call("GET", `/v1/waves/${wave2}`);
  expect(read.status, show(read)).toBe(404);
  expect((await unscoped.call("GET", `/v1/waves/${wave2}`)).status).toBe(200);
  const pick = await scoped.call("POST", `/v1/waves/${wave2}/picks`, { picks: [{ step: 1, qty: 1 }] });
  expect(pick.status, show(pick)).toBe(404);
  const form = await scoped.call("POST", "/v1/warehouses/WH2/waves", { orderIds: [order2] });
  expect(form.status, show(form)).toBe(404);
  const wave = (await unscoped.call("GET", `/v1/waves/${wave2}`)).body as {
    pickLists: Array<{ steps: Array<{ picked: unknown }> }>;
  };
  expect(wave.pickLists.flatMap((l) => l.steps).every((step) => step.picked === null)).toBe(true);
});

interface Feed {
  events: Array<{ kind: string; entityId: string }>;
  stock: string[];
}

async function connect(api: ApiClient): Promise<{ socket: Socket; feed: Feed }> {
  const socket = io(`http://127.0.0.1:${node.server!.port}`, {
    auth: { token: api.token },
    transports: ["websocket"],
    reconnection: false,
  });
  sockets.push(socket);
  const feed: Feed = { events: [], stock: [] };
  socket.on("event", (m: { kind: string; entityId: string }) => feed.events.push(m));
  socket.on("stock", (u: { deltas: Array<{ sku: string }> }) =>
    feed.stock.push(...u.deltas.map((d) => d.sku)),
  );
  await new Promise<void>((resolve, reject) => {
    socket.on("connect", () => resolve());
    socket.on("connect_error", reject);
  });
  return { socket, feed };
}

const ask = <T>(socket: Socket, event: string, request: Record<string, unknown>) =>
  new Promise<T>((resolve) => socket.emit(event, request, resolve));

interface Snapshot {
  ok: boolean;
  snapshot?: { data: { latest?: Array<{ orderId: string }>; skus?: Array<{ sku: string }> } };
}

test("data scope - dashboards and sockets: snapshots, pushed events and entity rooms hold only WH1 for the scoped operator", async () => {
  const mine = await connect(scoped);
  const all = await connect(unscoped);
  // Dashboard snapshots (the live order and inventory dashboards' data).
  const latest = async (socket: Socket) => {
    const ack = await ask<Snapshot>(socket, "subscribe", { dashboard: "orders" });
    expect(ack.ok, JSON.stringify(ack)).toBe(true);
    return (ack.snapshot?.data.latest ?? []).map((o) => o.orderId);
  };
  const mineOrders = await latest(mine.socket);
  expect(mineOrders).toContain(order1);
  expect(mineOrders).not.toContain(order2);
  expect(await latest(all.socket)).toEqual(expect.arrayContaining([order1, order2]));
  const skus = async (socket: Socket) => {
    const ack = await ask<Snapshot>(socket, "subscribe", { dashboard: "inventory" });
    expect(ack.ok, JSON.stringify(ack)).toBe(true);
    return (ack.snapshot?.data.skus ?? []).map((r) => r.sku).sort();
  };
  expect(await skus(mine.socket)).toEqual(["SKU-1"]);
  expect(await skus(all.socket)).toEqual(["SKU-1", "SKU-2"]);

  // Entity rooms: WH2's order cannot be watched (answered as missing); WH1's can.
  const watch = (socket: Socket, entity: string) =>
    ask<{ ok: boolean; error?: string }>(socket, "watch", { entity });
  const refused = await watch(mine.socket, `order/${order2}`);
  expect(refused.ok, JSON.stringify(refused)).toBe(false);
  expect((await watch(mine.socket, `order/${order1}`)).ok).toBe(true);
  expect((await watch(all.socket, `order/${order2}`)).ok).toBe(true);
  expect((await watch(mine.socket, "sku/SKU-2")).ok).toBe(false);

  // Pushed events: a WH2 order, then a WH1 one. The scoped socket gets the second and never the first.
  const order3 = await place("o-wh2-live", "SKU-2");
  const order4 = await place("o-wh1-live", "SKU-1");
  const got = (feed: Feed, id: string) => feed.events.some((e) => e.kind === "order" && e.entityId === id);
  await waitFor(async () => got(mine.feed, order4), 15_000, "the WH1 order's event on the scoped socket");
  await waitFor(async () => got(all.feed, order3) && got(all.feed, order4), 15_000, "both on the unscoped");
  expect(got(mine.feed, order3), JSON.stringify(mine.feed.events)).toBe(false);
  expect(mine.feed.events.some((e) => e.entityId === order2)).toBe(false);
  // Stock: WH1's SKU moves on the scoped socket, WH2's never does.
  await waitFor(
    async () => mine.feed.stock.includes("SKU-1"),
    15_000,
    "SKU-1 stock delta on the scoped socket",
  );
  await waitFor(
    async () => all.feed.stock.includes("SKU-2"),
    15_000,
    "SKU-2 stock delta on the unscoped socket",
  );
  expect(mine.feed.stock, JSON.stringify(mine.feed.stock)).not.toContain("SKU-2");
});

test("data scope - shipments: a shipment from another warehouse is 404 for the WH1 operator, 200 unscoped", async () => {
  // WH3 has no bins: its order ships on the SKU actor with the operator's own tracking number.
  await admin.call("PUT", "/v1/warehouses/WH3", { name: "WH3", region: "south" });
  const stocked = await admin.call(
    "POST",
    "/v1/inventory/SKU-3/receipts",
    { warehouse: "WH3", qty: 5 },
    {
      "idempotency-key": "stock-SKU-3",
    },
  );
  expect(stocked.status, show(stocked)).toBe(201);
  expect((await admin.call("PUT", "/v1/skus/SKU-3/price", { listPrice: 1000 })).status).toBe(200);
  const orderId = await place("o-wh3", "SKU-3");
  const payment = await admin.call("POST", "/v1/payments", { orderId, channel: "alipay" });
  const paymentId = (payment.body as { paymentId: string }).paymentId;
  await admin.call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid" });
  await waitFor(
    async () =>
      ((await admin.call("GET", `/v1/orders/${orderId}`)).body as { status: string }).status ===
      "awaiting_shipment",
    30_000,
    "WH3's order paid",
  );
  const shipped = await admin.call("POST", `/v1/orders/${orderId}/ship`, {
    carrier: "SF",
    trackingNo: "SF-1",
  });
  expect(shipped.status, show(shipped)).toBe(200);
  const shipment = `${orderId}:S1`;
  await waitFor(
    async () => (await unscoped.call("GET", `/v1/shipments/${shipment}`)).status === 200,
    30_000,
    "the shipment readable",
  );
  const hidden = await scoped.call("GET", `/v1/shipments/${shipment}`);
  expect(hidden.status, show(hidden)).toBe(404);
  const label = await scoped.call("GET", `/v1/shipments/${shipment}/label`);
  expect(label.status, show(label)).toBe(404);
  // Unscoped, the same request gets past the scope (409: an own tracking number has no e-waybill to print).
  expect((await unscoped.call("GET", `/v1/shipments/${shipment}/label`)).status).toBe(409);
});

test("data scope - regions, channels and created-by-me limit orders by the address, channel and placer", async () => {
  const roles: Array<[string, Record<string, unknown>]> = [
    ["sh_orders", { regions: ["Shanghai"] }],
    ["bj_orders", { regions: ["Beijing"] }],
    ["mine_orders", { createdByMe: true }],
  ];
  const seen = new Map<string, string[]>();
  for (const [role, scope] of roles) {
    const res = await admin.call("PUT", `/v1/roles/${role}`, { permissions: ["order:read"], scope });
    expect(res.status, show(res)).toBe(201);
    const api = await staff(`op-${role.replace("_", "-")}`, role);
    const list = await api.call("GET", "/v1/orders?limit=50");
    expect(list.status, show(list)).toBe(200);
    seen.set(
      role,
      (list.body as { items: Array<{ orderId: string }> }).items.map((o) => o.orderId),
    );
    const one = await api.call("GET", `/v1/orders/${order1}`);
    expect(one.status, `${role}: ${show(one)}`).toBe(role === "sh_orders" ? 200 : 404);
  }
  expect(seen.get("sh_orders")).toEqual(expect.arrayContaining([order1, order2]));
  expect(seen.get("bj_orders")).toEqual([]);
  // Every order here was placed by admin.
  expect(seen.get("mine_orders")).toEqual([]);
});

test("data scope - two scoped roles grant each one's combination, never a cross of them", async () => {
  // Both orders ship to Shanghai: order1 from WH1, order2 from WH2. One role grants WH1 in Beijing
  // (neither order), the other WH2 in Shanghai (order2). Merged dimension by dimension they would grant
  // WH1 in Shanghai too, i.e. order1: no role grants that.
  const roles: Array<[string, Record<string, unknown>]> = [
    ["wh1_beijing", { warehouses: ["WH1"], regions: ["Beijing"] }],
    ["wh2_shanghai", { warehouses: ["WH2"], regions: ["Shanghai"] }],
  ];
  for (const [role, scope] of roles) {
    const res = await admin.call("PUT", `/v1/roles/${role}`, { permissions: ["order:read"], scope });
    expect(res.status, show(res)).toBe(201);
  }
  const created = await admin.call("POST", "/v1/users", {
    username: "op-two-scopes",
    password: "scope-password",
    roles: roles.map(([role]) => role),
  });
  expect(created.status, show(created)).toBe(201);
  const api = new ApiClient(node.app!);
  await api.login("op-two-scopes", "scope-password");
  const list = await api.call("GET", "/v1/orders?limit=50");
  expect(list.status, show(list)).toBe(200);
  const ids = (list.body as { items: Array<{ orderId: string }> }).items.map((o) => o.orderId);
  // Other tests place more WH2 orders to Shanghai; none from WH1 may show.
  expect(ids, show(list)).toContain(order2);
  expect(ids, show(list)).not.toContain(order1);
  expect((await api.call("GET", `/v1/orders/${order1}`)).status).toBe(404);
  expect((await api.call("GET", `/v1/orders/${order2}`)).status).toBe(200);
});
