/**
 * Coupons redeemed by real orders over HTTP (issue 11 items 2–3): the checkout prices them, the order holds
 * them while unpaid, uses them when paid, and gives them back on cancel and on payment timeout.
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

const ns = testNamespace("coupon-orders");
const overrides = { ORDER_PAYMENT_TIMEOUT: "2000" };
let node: HubNode;
let api: ApiClient;
const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };
const DAY = 86_400_000;
let templateId = "";

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, overrides);
  api = new ApiClient(node.app!);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-C", { name: "C", region: "east" });
  await api.call(
    "POST",
    "/v1/inventory/SKU-K/receipts",
    { warehouse: "WH-C", qty: 50 },
    { "idempotency-key": "s" },
  );
  expect((await api.call("PUT", "/v1/skus/SKU-K/price", { listPrice: 6_000 })).status).toBe(200);
  const created = await api.call("POST", "/v1/coupon-templates", {
    name: "满100减15",
    kind: "amount_off",
    value: 1_500,
    threshold: 10_000,
    totalQuantity: 10,
    perUserLimit: 5,
    validFrom: new Date(Date.now() - DAY).toISOString(),
    validTo: new Date(Date.now() + DAY).toISOString(),
  });
  expect(created.status).toBe(201);
  templateId = (created.body as { templateId: string }).templateId;
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

const claim = async (userId: string) =>
  (
    (await api.call("POST", `/v1/coupon-templates/${templateId}/claims`, { userId })).body as {
      couponId: string;
    }
  ).couponId;
const place = (key: string, userId: string, couponIds: string[]) =>
  api.call(
    "POST",
    "/v1/orders",
    { userId, lines: [{ sku: "SKU-K", qty: 2 }], address, couponIds },
    { "idempotency-key": key },
  );
const couponState = async (orderId: string) =>
  ((await api.call("GET", `/v1/orders/${orderId}`)).body as { coupons?: Array<{ state: string }> })
    .coupons?.[0]?.state;
const stats = async () => (await api.call("GET", `/v1/coupon-templates/${templateId}/stats`)).body;

test("coupon orders - the quote and the order take the coupon off; cancelling gives it back for the next order", async () => {
  const couponId = await claim("U-1");
  const quote = await api.call("POST", "/v1/checkout/quote", {
    userId: "U-1",
    lines: [{ sku: "SKU-K", qty: 2 }],
    couponIds: [couponId],
  });
  expect(quote.status).toBe(200);
  expect(quote.body).toMatchObject({ amounts: { items: 12_000, discount: 1_500, total: 10_500 } });
  const placed = await place("o-1", "U-1", [couponId]);
  expect(placed.status).toBe(201);
  const orderId = (placed.body as { orderId: string }).orderId;
  expect(placed.body).toMatchObject({ amounts: { discount: 1_500, total: 10_500 } });
  expect(await couponState(orderId)).toBe("reserved");
  expect(await stats()).toMatchObject({ reserved: 1, used: 0 });
  // Held: a second order with the same coupon is refused and holds nothing.
  expect((await place("o-2", "U-1", [couponId])).status).toBe(409);
  expect((await api.call("POST", `/v1/orders/${orderId}/cancel`, {})).status).toBe(200);
  await waitFor(async () => (await couponState(orderId)) === "released", 5_000, "coupon released");
  expect(await stats()).toMatchObject({ reserved: 0, used: 0 });
  const again = await place("o-3", "U-1", [couponId]);
  expect(again.status).toBe(201);
  // Paid: the coupon is used, and the template counts the GMV and the discount once.
  const paidId = (again.body as { orderId: string }).orderId;
  const payment = await api.call("POST", "/v1/payments", { orderId: paidId, channel: "wechat" });
  const { paymentId } = payment.body as { paymentId: string };
  await api.call("POST", `/v1/payments/${paymentId}/simulate`, {});
  await waitFor(async () => (await couponState(paidId)) === "committed", 10_000, "coupon used");
  expect(await stats()).toMatchObject({ reserved: 0, used: 1, gmv: 10_500, discountCost: 1_500 });
  const other = await api.call("POST", "/v1/checkout/quote", {
    userId: "U-9",
    lines: [{ sku: "SKU-K", qty: 2 }],
    couponIds: [couponId],
  });
  expect([other.status, (other.body as { type: string }).type]).toEqual([
    409,
    expect.stringMatching(/coupon-not-usable$/),
  ]);
});

test("coupon orders - a payment timeout gives the coupon back", async () => {
  const couponId = await claim("U-2");
  const placed = await place("t-1", "U-2", [couponId]);
  expect(placed.status).toBe(201);
  const orderId = (placed.body as { orderId: string }).orderId;
  await waitFor(
    async () => (await couponState(orderId)) === "released",
    10_000,
    "coupon released on timeout",
  );
  expect(((await api.call("GET", `/v1/orders/${orderId}`)).body as { status: string }).status).toBe(
    "cancelled",
  );
  await node.projector!.caughtUp(15_000);
  expect((await api.call("GET", "/v1/members/U-2/coupons")).body).toMatchObject({
    items: [{ couponId, status: "available", orderId: null }],
  });
});
