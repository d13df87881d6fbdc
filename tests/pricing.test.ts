/**
 * The price resolver end to end on a real node (NATS, Postgres, Redis): rules written in Postgres with
 * their history row, a quote that applies them at once, an order that charges exactly the quoted unit
 * prices, and writes-then-quote consistency (also under concurrent replaces).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { members } from "../actors/member/index.ts";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("pricing");
let node: HubNode;
let api: ApiClient;
const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface Quote {
  lines: Array<{ sku: string; qty: number; listPrice: number; unitPrice: number; source: string }>;
  items: number;
  benefits: { level: string; freeShipping: boolean };
}

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-P", { name: "P", region: "east" });
  for (const [sku, price] of [
    ["P-A", 10_000],
    ["P-B", 1_990],
    ["P-C", 500],
    ["P-G1", 1_990],
    ["P-G2", 10_000],
  ] as const) {
    const stocked = await api.call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse: "WH-P", qty: 50 },
      { "idempotency-key": `stock-${sku}` },
    );
    expect(stocked.status, JSON.stringify(stocked.body)).toBe(201);
    expect((await api.call("PUT", `/v1/skus/${sku}/price`, { listPrice: price })).status).toBe(200);
  }
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

const quote = async (body: unknown) => {
  const res = await api.call("POST", "/v1/pricing/quote", body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Quote;
};

test("pricing - rules set through the API price the very next quote, and the order charges the quote", async () => {
  const now = Date.now();
  const put = await api.call("PUT", "/v1/skus/P-A/prices", {
    memberLevels: { regular: 9_700, gold: 9_000 },
    channels: { app: 9_500, constructor: 9_400 },
    schedules: [
      { from: iso(now - HOUR), to: iso(now + HOUR), price: 9_600 },
      { from: iso(now + HOUR), to: iso(now + 2 * HOUR), price: 5_000 },
    ],
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  expect(put.body).toMatchObject({
    sku: "P-A",
    listPrice: 10_000,
    memberLevels: { regular: 9_700, gold: 9_000 },
    channels: { app: 9_500, constructor: 9_400 },
  });
  await api.call("PUT", "/v1/skus/P-C/prices", {
    schedules: [{ from: iso(now - HOUR), to: iso(now + HOUR), price: 450 }],
  });
  const lines = [
    { sku: "P-A", qty: 2 },
    { sku: "P-B", qty: 3 },
    { sku: "P-C", qty: 1 },
  ];

  // A user with no member record is regular: the explicit regular price competes; channel app is lower.
  const app = await quote({ userId: "new-buyer", channel: "app", lines });
  expect(app.lines.map((l) => [l.sku, l.unitPrice, l.source])).toEqual([
    ["P-A", 9_500, "channel:app"],
    ["P-B", 1_990, "list"],
    ["P-C", 450, "schedule"],
  ]);
  expect(app.items).toBe(9_500 * 2 + 1_990 * 3 + 450);
  expect(app.benefits).toMatchObject({ level: "regular", freeShipping: false });
  const web = await quote({ userId: "new-buyer", lines });
  expect(web.lines[0]).toMatchObject({ unitPrice: 9_600, source: "schedule" });
  expect((await quote({ userId: "new-buyer", channel: "constructor", lines })).lines[0]?.source).toBe(
    "channel:constructor",
  );

  const placed = await api.call(
    "POST",
    "/v1/orders",
    { userId: "new-buyer", channel: "app", lines, address },
    { "idempotency-key": "pricing-order-1" },
  );
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const amounts = (placed.body as { amounts: { items: number } }).amounts;
  expect(amounts.items).toBe(app.items);
  const order = (await api.call("GET", `/v1/orders/${(placed.body as { orderId: string }).orderId}`))
    .body as { lines: Array<{ sku: string; unitPrice: number }>; channel: string };
  expect(order.lines.map((l) => [l.sku, l.unitPrice])).toEqual(app.lines.map((l) => [l.sku, l.unitPrice]));
});

test("pricing - a gold member gets the level discount (half up) or the SKU's explicit gold price, and pays it", async () => {
  // 6,000 yuan of completed orders make the member gold (5 % off, free shipping) under the default ladder.
  for (const call of [
    members.recordOrder("gold-buyer", {
      orderId: "seed-1",
      lines: [{ sku: "SEED", qty: 1 }],
      amount: 600_000,
    }),
    members.completeOrder("gold-buyer", { orderId: "seed-1", amount: 600_000 }),
  ]) {
    await node.client.send(call.to.kind, call.to.id, call.cmd, { id: `${call.cmd.type}-seed-1` });
  }
  // gold's explicit price (9,800) overrides the 5 % discount (9,500) on this SKU.
  expect((await api.call("PUT", "/v1/skus/P-G2/prices", { memberLevels: { gold: 9_800 } })).status).toBe(200);
  const lines = [
    { sku: "P-G1", qty: 3 },
    { sku: "P-G2", qty: 1 },
  ];
  const q = await quote({ userId: "gold-buyer", lines });
  expect(q.lines.map((l) => [l.sku, l.unitPrice, l.source])).toEqual([
    ["P-G1", 1_891, "member:gold"], // 1990 × 95 % = 1890.5 → 1891
    ["P-G2", 9_800, "member:gold"],
  ]);
  expect(q.benefits).toMatchObject({ level: "gold", freeShipping: true });
  expect((await quote({ userId: "someone-else", lines })).lines.map((l) => l.source)).toEqual([
    "list",
    "list",
  ]);
  const placed = await api.call(
    "POST",
    "/v1/orders",
    { userId: "gold-buyer", lines, address },
    { "idempotency-key": "pricing-gold-1" },
  );
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  expect((placed.body as { amounts: { items: number } }).amounts.items).toBe(1_891 * 3 + 9_800);
  expect(q.items).toBe(1_891 * 3 + 9_800);
});

test("pricing - list price and rule changes are in catalogue_history (kind price) with before and after", async () => {
  await api.call("PUT", "/v1/skus/P-H/price", { listPrice: 800 });
  await api.call("PUT", "/v1/skus/P-H/prices", { channels: { app: 700 } });
  await api.call("PUT", "/v1/skus/P-H/prices", { channels: { app: 650 }, memberLevels: { gold: 600 } });
  const same = await api.call("PUT", "/v1/skus/P-H/prices", {
    memberLevels: { gold: 600 },
    channels: { app: 650 },
  });
  expect(same.status).toBe(200);
  const rows =
    await node.sql`SELECT kind, by, before, after FROM catalogue_history WHERE sku = 'P-H' ORDER BY id`;
  // The list price's own row (writeListPrice), then one per changed rule set; an unchanged replace adds none.
  expect(rows.map((r) => [r.kind, r.by, r.before, r.after])).toEqual([
    ["price", "admin", null, { listPrice: 800 }],
    [
      "price",
      "admin",
      { memberLevels: {}, channels: {}, schedules: [] },
      { memberLevels: {}, channels: { app: 700 }, schedules: [] },
    ],
    [
      "price",
      "admin",
      { memberLevels: {}, channels: { app: 700 }, schedules: [] },
      { memberLevels: { gold: 600 }, channels: { app: 650 }, schedules: [] },
    ],
  ]);
});

test("pricing - refused rule sets change nothing; overlapping schedules are 422 with the field", async () => {
  await api.call("PUT", "/v1/skus/P-B/prices", { channels: { app: 1_900 } });
  const t = Date.now() + HOUR;
  const overlap = await api.call("PUT", "/v1/skus/P-B/prices", {
    schedules: [
      { from: iso(t), to: iso(t + HOUR), price: 1 },
      { from: iso(t + HOUR / 2), to: iso(t + 2 * HOUR), price: 2 },
    ],
  });
  expect(overlap.status).toBe(422);
  expect(overlap.body).toMatchObject({ field: "schedules.1.from" });
  const read = await api.call("GET", "/v1/skus/P-B/prices");
  expect(read.body).toMatchObject({ channels: { app: 1_900 }, schedules: [] });
  await api.call("PUT", "/v1/skus/P-B/prices", {});
});

test("pricing - writes then quotes: each acknowledged write is what the next quote sees", async () => {
  const lines = [{ sku: "P-C", qty: 1 }];
  for (let i = 0; i < 8; i++) {
    const price = 400 - i * 10;
    const put = await api.call("PUT", "/v1/skus/P-C/prices", { channels: { web: price } });
    expect(put.status).toBe(200);
    const q = await quote({ lines });
    expect([i, q.lines[0]?.unitPrice, q.lines[0]?.source]).toEqual([i, price, "channel:web"]);
    const list = await api.call("PUT", "/v1/skus/P-C/price", { listPrice: price - 5 });
    expect(list.status).toBe(200);
    expect((await quote({ lines })).lines[0]).toMatchObject({
      listPrice: price - 5,
      unitPrice: price - 5,
      source: "list",
    });
  }
});

test("pricing - concurrent replaces of one SKU leave one whole rule set, never a mix", async () => {
  const sets = Array.from({ length: 6 }, (_, i) => ({
    channels: { [`c${i}`]: 100 + i, app: 200 + i },
    memberLevels: { gold: 300 + i },
  }));
  const answers = await Promise.all(sets.map((s) => api.call("PUT", "/v1/skus/P-R/prices", s)));
  expect(answers.map((a) => a.status)).toEqual(sets.map(() => 200));
  const read = (await api.call("GET", "/v1/skus/P-R/prices")).body as { channels: Record<string, number> };
  const sorted = (r: Record<string, number>) =>
    JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
  const winner = sets.findIndex((s) => sorted(s.channels) === sorted(read.channels));
  expect(winner, JSON.stringify(read)).toBeGreaterThanOrEqual(0);
  expect(read).toMatchObject({ memberLevels: { gold: 300 + winner } });
});

test("pricing - a quote without a list price is 422 unknown-price at the line", async () => {
  const res = await api.call("POST", "/v1/pricing/quote", {
    lines: [
      { sku: "P-A", qty: 1 },
      { sku: "P-NONE", qty: 1 },
    ],
  });
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({
    type: "https://business-hub.dev/problems/unknown-price",
    field: "lines.1.sku",
  });
});
