/**
 * Checkout with promotions on a real node (NATS, Postgres, Redis): 满100减15 quoted and ordered for the
 * same amounts with the discount apportioned to lines and recorded on the order, stacking against
 * exclusivity, a promotion ended between quote and order (409 quote-changed with the quoteId; fresh price
 * without it), a category promotion over a real category tree, and a one-line refund that returns exactly
 * what that line paid.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("checkout");
let node: HubNode;
let api: ApiClient;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };

interface Quote {
  quoteId: string;
  amounts: { items: number; discount: number; freight: number; total: number };
  lines: Array<{ sku: string; qty: number; unitPrice: number; discount: number; paid: number }>;
  applied: Array<{
    promotionId: string;
    name: string;
    type: string;
    discount: number;
    explanation: { "zh-CN": string; en: string };
  }>;
  freightNote: { en: string };
}

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-C", { name: "C", region: "east" });
  for (const [sku, price] of [
    ["C-A", 3_000],
    ["C-B", 7_000],
    ["C-X", 20_000],
    ["C-R1", 4_000],
    ["C-R2", 8_000],
    ["C-E", 12_000],
  ] as const) {
    const stocked = await api.call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse: "WH-C", qty: 50 },
      { "idempotency-key": `stock-${sku}` },
    );
    expect(stocked.status, JSON.stringify(stocked.body)).toBe(201);
    expect((await api.call("PUT", `/v1/skus/${sku}/price`, { listPrice: price })).status).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

const promotion = async (body: Record<string, unknown>) => {
  const res = await api.call("POST", "/v1/promotions", {
    startsAt: iso(Date.now() - HOUR),
    endsAt: iso(Date.now() + HOUR),
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body as { promotionId: string }).promotionId;
};
const quote = async (body: Record<string, unknown>) => {
  const res = await api.call("POST", "/v1/checkout/quote", body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Quote;
};
const order = (key: string, body: Record<string, unknown>) =>
  api.call("POST", "/v1/orders", { address, ...body }, { "idempotency-key": key });

test("checkout - 满100减15: the quote and the order charge the same, apportioned and recorded", async () => {
  const id = await promotion({
    name: "满100减15",
    type: "threshold_reduction",
    rules: { threshold: 10_000, reduction: 1_500 },
    scope: { skus: ["C-A", "C-B"] },
  });
  const lines = [
    { sku: "C-A", qty: 1 },
    { sku: "C-B", qty: 1 },
  ];
  const q = await quote({ userId: "buyer-1", lines });
  expect(q.amounts).toEqual({ items: 10_000, discount: 1_500, freight: 0, total: 8_500 });
  expect(q.lines.map((l) => [l.sku, l.discount, l.paid])).toEqual([
    ["C-A", 450, 2_550],
    ["C-B", 1_050, 5_950],
  ]);
  expect(q.applied).toEqual([
    {
      promotionId: id,
      name: "满100减15",
      type: "threshold_reduction",
      discount: 1_500,
      explanation: {
        "zh-CN": "满100减15：满¥100.00减¥15.00，已优惠¥15.00",
        en: "满100减15: ¥15.00 off ¥100.00 or more: ¥15.00 saved",
      },
    },
  ]);
  // No address: no region code to price freight from (decision 0028; tests/freight.test.ts prices it).
  expect(q.freightNote.en).toContain("GB/T 2260");
  // Below the threshold: nothing off, and a hint says how much is missing.
  const below = await quote({ userId: "buyer-1", lines: [{ sku: "C-B", qty: 1 }] });
  expect(below.amounts.discount).toBe(0);

  const placed = await order("co-1", { userId: "buyer-1", lines, quoteId: q.quoteId });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  expect((placed.body as { amounts: unknown }).amounts).toEqual(q.amounts);
  const orderId = (placed.body as { orderId: string }).orderId;
  const view = (await api.call("GET", `/v1/orders/${orderId}`)).body as {
    lines: Array<{ sku: string; discount?: number }>;
    promotions: Array<{ promotionId: string; name: string; type: string; discount: number }>;
    quoteId: string | null;
  };
  expect(view.lines.map((l) => [l.sku, l.discount])).toEqual([
    ["C-A", 450],
    ["C-B", 1_050],
  ]);
  expect(view.promotions).toEqual([
    { promotionId: id, name: "满100减15", type: "threshold_reduction", discount: 1_500 },
  ]);
  expect(view.quoteId).toBe(q.quoteId);
  // An order without the new fields is priced the same way (today's contract keeps working).
  const plain = await order("co-2", { userId: "buyer-1", lines });
  expect(plain.status, JSON.stringify(plain.body)).toBe(201);
  expect((plain.body as { amounts: unknown }).amounts).toEqual(q.amounts);
  await api.call("POST", `/v1/promotions/${id}/end`);
});

test("checkout - stackable promotions add up; an exclusive one applies alone when it is better", async () => {
  const a = await promotion({
    name: "A",
    type: "threshold_reduction",
    rules: { threshold: 10_000, reduction: 1_000 },
    scope: { skus: ["C-X"] },
    priority: 10,
  });
  const b = await promotion({
    name: "B",
    type: "percent_off",
    rules: { percent: 10 },
    scope: { skus: ["C-X"] },
  });
  const lines = [{ sku: "C-X", qty: 1 }];
  const stacked = await quote({ lines });
  // A first (20,000 − 1,000), then 10 % of 19,000.
  expect(stacked.applied.map((x) => [x.promotionId, x.discount])).toEqual([
    [a, 1_000],
    [b, 1_900],
  ]);
  const x = await promotion({
    name: "X",
    type: "threshold_reduction",
    rules: { threshold: 0, reduction: 3_000 },
    scope: { skus: ["C-X"] },
    exclusive: true,
  });
  const exclusive = await quote({ lines });
  expect(exclusive.applied.map((p) => p.promotionId)).toEqual([x]);
  expect(exclusive.amounts.total).toBe(17_000);
  for (const id of [a, b, x]) await api.call("POST", `/v1/promotions/${id}/end`);
  expect((await quote({ lines })).amounts.discount).toBe(0);
});

test("checkout - a promotion ended between quote and order: 409 quote-changed with the quoteId", async () => {
  const id = await promotion({
    name: "ends soon",
    type: "threshold_reduction",
    rules: { threshold: 0, reduction: 2_000 },
    scope: { skus: ["C-E"] },
  });
  const lines = [{ sku: "C-E", qty: 1 }];
  const q = await quote({ userId: "buyer-2", lines });
  expect(q.amounts.total).toBe(10_000);
  expect((await api.call("POST", `/v1/promotions/${id}/end`)).status).toBe(200);
  const refused = await order("co-3", { userId: "buyer-2", lines, quoteId: q.quoteId });
  expect(refused.status, JSON.stringify(refused.body)).toBe(409);
  expect(refused.body).toMatchObject({ field: "quoteId", amounts: { total: 12_000 } });
  expect((refused.body as { type: string }).type).toMatch(/quote-changed$/);
  // Without the quoteId the order is priced afresh.
  const fresh = await order("co-4", { userId: "buyer-2", lines });
  expect(fresh.status, JSON.stringify(fresh.body)).toBe(201);
  expect((fresh.body as { amounts: { total: number } }).amounts.total).toBe(12_000);
});

test("checkout - refunding one line returns exactly what it paid after its share of the discount; the order is partially refunded", async () => {
  const id = await promotion({
    name: "满100减15 refund",
    type: "threshold_reduction",
    rules: { threshold: 10_000, reduction: 1_500 },
    scope: { skus: ["C-R1", "C-R2"] },
  });
  const lines = [
    { sku: "C-R1", qty: 1 },
    { sku: "C-R2", qty: 1 },
  ];
  const q = await quote({ userId: "buyer-3", lines });
  // 1,500 over 4,000 and 8,000: 500 and 1,000.
  expect(q.lines.map((l) => l.paid)).toEqual([3_500, 7_000]);
  const placed = await order("co-5", { userId: "buyer-3", lines, quoteId: q.quoteId });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const orderId = (placed.body as { orderId: string }).orderId;
  const { paymentId } = (await api.call("POST", "/v1/payments", { orderId, channel: "alipay" })).body as {
    paymentId: string;
  };
  await api.call("POST", `/v1/payments/${paymentId}/simulate`, {});
  const status = async () =>
    ((await api.call("GET", `/v1/orders/${orderId}`)).body as { status: string }).status;
  await waitFor(async () => (await status()) === "awaiting_shipment", 10_000, "paid");
  const asked = await api.call("POST", `/v1/orders/${orderId}/after-sales`, {
    kind: "refund_only",
    reason: "one item only",
    sku: "C-R1",
  });
  expect(asked.status, JSON.stringify(asked.body)).toBe(200);
  expect(asked.body).toMatchObject({ amount: 3_500 });
  expect(
    (await api.call("POST", `/v1/orders/${orderId}/after-sales/decision`, { approve: true })).status,
  ).toBe(200);
  // The other line is still paid for: the order is partially refunded, not refunded (decision 0024).
  await waitFor(async () => (await status()) === "partially_refunded", 60_000, "partially refunded");
  const p = (await api.call("GET", `/v1/payments/${paymentId}`)).body as { refunded: number };
  expect(p.refunded).toBe(3_500);
  // The same line cannot be refunded twice; the other line can, and that ends the order refunded.
  const again = await api.call("POST", `/v1/orders/${orderId}/after-sales`, {
    kind: "refund_only",
    reason: "again",
    sku: "C-R1",
  });
  expect(again.status, JSON.stringify(again.body)).toBe(409);
  const rest = await api.call("POST", `/v1/orders/${orderId}/after-sales`, {
    kind: "refund_only",
    reason: "the rest",
    sku: "C-R2",
  });
  expect(rest.status, JSON.stringify(rest.body)).toBe(200);
  expect(rest.body).toMatchObject({ amount: 7_000 });
  expect(
    (await api.call("POST", `/v1/orders/${orderId}/after-sales/decision`, { approve: true })).status,
  ).toBe(200);
  await waitFor(async () => (await status()) === "refunded", 60_000, "refunded");
  const whole = (await api.call("GET", `/v1/payments/${paymentId}`)).body as { refunded: number };
  expect(whole.refunded).toBe(10_500);
  const bad = await api.call("POST", `/v1/orders/${orderId}/after-sales`, {
    kind: "refund_only",
    reason: "x",
    sku: "NOT-A-LINE",
  });
  expect(bad.status).toBeGreaterThanOrEqual(400);
  await api.call("POST", `/v1/promotions/${id}/end`);
});
