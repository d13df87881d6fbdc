/**
 * Group buying (拼团, issue 11 item 5, decision 0024) on a real node (NATS, Postgres, Redis), paid through
 * the channels' signed callbacks: a group that fills forms and every order proceeds to shipment; a group
 * past its deadline fails and every paid member is refunded through its payment, unpaid ones cancelled,
 * stock released; a full group, a second seat for one buyer and a closed campaign are refused with their
 * own problem types. Also the gifts of a gift promotion reserve stock (or drop with the reason).
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

const ns = testNamespace("group-buys");
let node: HubNode;
let api: ApiClient;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-G", { name: "G", region: "east" });
  for (const [sku, qty] of [
    ["GB-S", 50],
    ["GB-F", 50],
    ["GB-M", 50],
    ["GB-GIFT", 1],
  ] as const) {
    const stocked = await api.call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse: "WH-G", qty },
      { "idempotency-key": `stock-${sku}` },
    );
    expect(stocked.status, JSON.stringify(stocked.body)).toBe(201);
    expect((await api.call("PUT", `/v1/skus/${sku}/price`, { listPrice: 9_900 })).status).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

const campaign = async (body: Record<string, unknown>) => {
  const res = await api.call("POST", "/v1/group-buys", {
    name: "2人团",
    price: 4_900,
    startsAt: iso(Date.now() - HOUR),
    endsAt: iso(Date.now() + 24 * HOUR),
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body as { groupBuyId: string }).groupBuyId;
};
const order = (key: string, body: Record<string, unknown>) =>
  api.call("POST", "/v1/orders", { address, ...body }, { "idempotency-key": key });
const orderView = async (orderId: string) =>
  (await api.call("GET", `/v1/orders/${orderId}`)).body as {
    status: string;
    refunded: number;
    group?: { groupId: string | null; formed: boolean };
    timeline: Array<{ status: string }>;
  };
/** Pays through the simulated channel: it posts a signed callback, which marks the order paid. */
const pay = async (orderId: string) => {
  const created = await api.call("POST", "/v1/payments", { orderId, channel: "alipay" });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { paymentId } = created.body as { paymentId: string };
  const callback = await api.call("POST", `/v1/payments/${paymentId}/simulate`, {});
  expect(callback.status, JSON.stringify(callback.body)).toBeLessThan(300);
  return paymentId;
};
const waitStatus = (orderId: string, status: string, timeoutMs = 60_000) =>
  waitFor(async () => (await orderView(orderId)).status === status, timeoutMs, `${orderId} ${status}`).catch(
    async (e) => {
      throw new Error(`${e}: ${JSON.stringify(await orderView(orderId))}`);
    },
  );
const problemType = (body: unknown) =>
  String((body as { type?: string }).type)
    .split("/")
    .pop();

test("group buys - a full group forms: every paid order proceeds to shipment; joins past the size are refused", async () => {
  const groupBuyId = await campaign({ sku: "GB-S", groupSize: 2, formHours: 24 });
  const campaignView = await api.call("GET", `/v1/group-buys/${groupBuyId}`);
  expect(campaignView.body).toMatchObject({ status: "active", groupSize: 2, price: 4_900 });
  // The quote prices the group price alone.
  const quote = await api.call("POST", "/v1/checkout/quote", {
    userId: "gb-1",
    lines: [{ sku: "GB-S", qty: 1 }],
    groupBuyId,
  });
  expect(quote.status, JSON.stringify(quote.body)).toBe(200);
  expect((quote.body as { amounts: unknown }).amounts).toEqual({
    items: 4_900,
    discount: 0,
    freight: 0,
    total: 4_900,
  });
  const first = await order("gb-s-1", { userId: "gb-1", lines: [{ sku: "GB-S", qty: 1 }], groupBuyId });
  expect(first.status, JSON.stringify(first.body)).toBe(201);
  expect((first.body as { amounts: { total: number } }).amounts.total).toBe(4_900);
  const a = (first.body as { orderId: string }).orderId;
  const groupId = (await orderView(a)).group?.groupId;
  expect(groupId, JSON.stringify(await orderView(a))).toBeTruthy();
  const group = await api.call("GET", `/v1/groups/${groupId}`);
  expect(group.body).toMatchObject({ status: "open", seatsTaken: 1, seatsLeft: 1, groupSize: 2 });
  // The same buyer cannot take a second seat.
  const twice = await order("gb-s-1b", {
    userId: "gb-1",
    lines: [{ sku: "GB-S", qty: 1 }],
    groupBuyId,
    groupId,
  });
  expect(twice.status, JSON.stringify(twice.body)).toBe(409);
  expect(problemType(twice.body)).toBe("already-in-group");
  const second = await order("gb-s-2", {
    userId: "gb-2",
    lines: [{ sku: "GB-S", qty: 1 }],
    groupBuyId,
    groupId,
  });
  expect(second.status, JSON.stringify(second.body)).toBe(201);
  const b = (second.body as { orderId: string }).orderId;
  const full = await order("gb-s-3", {
    userId: "gb-3",
    lines: [{ sku: "GB-S", qty: 1 }],
    groupBuyId,
    groupId,
  });
  expect(full.status, JSON.stringify(full.body)).toBe(409);
  expect(problemType(full.body)).toBe("group-full");

  await pay(a);
  await waitStatus(a, "awaiting_group");
  // Waiting for its group, a paid order cannot ship.
  const early = await api.call("POST", `/v1/orders/${a}/ship`, { carrier: "SF", trackingNo: "SF1" });
  expect(early.status, JSON.stringify(early.body)).toBe(409);
  await pay(b);
  await waitStatus(a, "awaiting_shipment");
  await waitStatus(b, "awaiting_shipment");
  const groups = await api.call("GET", `/v1/group-buys/${groupBuyId}/groups`);
  expect(groups.body).toMatchObject({ total: 1, items: [{ groupId, status: "formed", paid: 2 }] });
  const shipped = await api.call("POST", `/v1/orders/${a}/ship`, { carrier: "SF", trackingNo: "SF1" });
  expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
}, 120_000);

test("group buys - a group past its deadline fails: the paid member is refunded in full, the unpaid cancelled, stock back", async () => {
  // 12 seconds to form (a durable timer on the group-buy actor).
  const groupBuyId = await campaign({ sku: "GB-F", groupSize: 3, formHours: 12 / 3_600 });
  const first = await order("gb-f-1", { userId: "gf-1", lines: [{ sku: "GB-F", qty: 2 }], groupBuyId });
  // maxQtyPerOrder defaults to 1.
  expect(first.status, JSON.stringify(first.body)).toBe(422);
  const opened = await order("gb-f-1b", { userId: "gf-1", lines: [{ sku: "GB-F", qty: 1 }], groupBuyId });
  expect(opened.status, JSON.stringify(opened.body)).toBe(201);
  const a = (opened.body as { orderId: string }).orderId;
  const groupId = (await orderView(a)).group?.groupId;
  const joined = await order("gb-f-2", {
    userId: "gf-2",
    lines: [{ sku: "GB-F", qty: 1 }],
    groupBuyId,
    groupId,
  });
  expect(joined.status, JSON.stringify(joined.body)).toBe(201);
  const b = (joined.body as { orderId: string }).orderId;
  const paymentId = await pay(a);
  const reserved = async () =>
    ((await api.call("GET", "/v1/inventory/GB-F")).body as { reserved: number }).reserved;
  expect(await reserved()).toBe(2);
  await waitStatus(a, "refunded", 90_000);
  const refundedOrder = await orderView(a);
  expect(refundedOrder.refunded).toBe(4_900);
  expect(refundedOrder.timeline.map((t) => t.status)).toContain("refund_requested");
  const payment = (await api.call("GET", `/v1/payments/${paymentId}`)).body as {
    refunded: number;
    status: string;
  };
  expect(payment).toMatchObject({ refunded: 4_900, status: "refunded" });
  await waitStatus(b, "cancelled");
  await waitFor(async () => (await reserved()) === 0, 60_000, "GB-F stock released");
  const group = await api.call("GET", `/v1/groups/${groupId}`);
  expect(group.body).toMatchObject({ status: "failed", seatsLeft: 0 });
  // A closed group takes nobody.
  const late = await order("gb-f-3", {
    userId: "gf-3",
    lines: [{ sku: "GB-F", qty: 1 }],
    groupBuyId,
    groupId,
  });
  expect(late.status, JSON.stringify(late.body)).toBe(409);
  expect(problemType(late.body)).toBe("group-closed");
}, 150_000);

test("group buys - outside its window a campaign refuses orders (409 group-buy-not-active); coupons are refused", async () => {
  const groupBuyId = await campaign({
    sku: "GB-M",
    groupSize: 2,
    formHours: 1,
    startsAt: iso(Date.now() + HOUR),
    endsAt: iso(Date.now() + 2 * HOUR),
  });
  const early = await order("gb-m-1", { userId: "gm-1", lines: [{ sku: "GB-M", qty: 1 }], groupBuyId });
  expect(early.status, JSON.stringify(early.body)).toBe(409);
  expect(problemType(early.body)).toBe("group-buy-not-active");
  const withCoupon = await api.call("POST", "/v1/checkout/quote", {
    userId: "gm-1",
    lines: [{ sku: "GB-M", qty: 1 }],
    groupBuyId,
    couponIds: ["CT1-1"],
  });
  expect(withCoupon.status).toBe(422);
  expect(withCoupon.body).toMatchObject({ field: "couponIds" });
  const wrongSku = await api.call("POST", "/v1/checkout/quote", {
    lines: [{ sku: "GB-S", qty: 1 }],
    groupBuyId: "GBnope",
  });
  expect(wrongSku.status).toBe(404);
});

test("group buys - a gift promotion's gift is reserved with the order; out of stock it is dropped and the order still placed", async () => {
  const promo = await api.call("POST", "/v1/promotions", {
    name: "送赠品",
    type: "gift",
    rules: { sku: "GB-GIFT", qty: 1, threshold: 0 },
    scope: { skus: ["GB-M"] },
    startsAt: iso(Date.now() - HOUR),
    endsAt: iso(Date.now() + HOUR),
  });
  expect(promo.status, JSON.stringify(promo.body)).toBe(201);
  const reserved = async () =>
    ((await api.call("GET", "/v1/inventory/GB-GIFT")).body as { reserved: number }).reserved;
  const one = await order("gift-1", { userId: "gg-1", lines: [{ sku: "GB-M", qty: 1 }] });
  expect(one.status, JSON.stringify(one.body)).toBe(201);
  expect((one.body as { amounts: { total: number } }).amounts.total).toBe(9_900);
  expect(await reserved()).toBe(1);
  const two = await order("gift-2", { userId: "gg-2", lines: [{ sku: "GB-M", qty: 1 }] });
  expect(two.status, JSON.stringify(two.body)).toBe(201);
  const view = (await api.call("GET", `/v1/orders/${(two.body as { orderId: string }).orderId}`)).body as {
    lines: Array<{ sku: string; gift?: boolean; state: string; dropped?: string }>;
  };
  expect(view.lines.find((l) => l.sku === "GB-GIFT")).toMatchObject({ gift: true, state: "refused" });
  expect(view.lines.find((l) => l.sku === "GB-GIFT")?.dropped).toBeTruthy();
  expect(await reserved()).toBe(1);
  await api.call("POST", `/v1/promotions/${(promo.body as { promotionId: string }).promotionId}/end`);
});
