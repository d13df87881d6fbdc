/**
 * Presale (预售, issue 11 item 6, decision 0024) on a real node, paid through the channels' signed
 * callbacks: the quote prices the deposit expansion (定金膨胀); the deposit is paid first and the order
 * cannot ship; the balance is paid in its window (then it ships); an order whose balance window closes
 * unpaid is cancelled with its deposit forfeited (not refunded) and its stock released.
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

const ns = testNamespace("presales");
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
  await api.call("PUT", "/v1/warehouses/WH-P", { name: "P", region: "east" });
  const stocked = await api.call(
    "POST",
    "/v1/inventory/PS-SKU/receipts",
    { warehouse: "WH-P", qty: 20 },
    { "idempotency-key": "stock-ps" },
  );
  expect(stocked.status, JSON.stringify(stocked.body)).toBe(201);
  expect((await api.call("PUT", "/v1/skus/PS-SKU/price", { listPrice: 10_000 })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

interface OrderView {
  status: string;
  amountDue: number;
  refunded: number;
  presale?: { forfeited: boolean };
}
const orderView = async (orderId: string) =>
  (await api.call("GET", `/v1/orders/${orderId}`)).body as OrderView;
const waitStatus = (orderId: string, status: string, timeoutMs = 60_000) =>
  waitFor(async () => (await orderView(orderId)).status === status, timeoutMs, `${orderId} ${status}`).catch(
    async (e) => {
      throw new Error(`${e}: ${JSON.stringify(await orderView(orderId))}`);
    },
  );
const pay = async (orderId: string) => {
  const created = await api.call("POST", "/v1/payments", { orderId, channel: "wechat" });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { paymentId, amount } = created.body as { paymentId: string; amount: number };
  const callback = await api.call("POST", `/v1/payments/${paymentId}/simulate`, {});
  expect(callback.status, JSON.stringify(callback.body)).toBeLessThan(300);
  return { paymentId, amount };
};

test("presale - deposit, then balance in its window, then shipping; an unpaid balance forfeits the deposit", async () => {
  const now = Date.now();
  const balanceFrom = now + 10_000;
  const balanceTo = now + 30_000;
  const created = await api.call("POST", "/v1/presales", {
    name: "双11预售",
    sku: "PS-SKU",
    price: 10_000,
    deposit: 1_000,
    depositValue: 3_000,
    maxQtyPerOrder: 5,
    startsAt: iso(now - HOUR),
    endsAt: iso(now + HOUR),
    balanceFrom: iso(balanceFrom),
    balanceTo: iso(balanceTo),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const presaleId = (created.body as { presaleId: string }).presaleId;
  expect(created.body).toMatchObject({ balance: 7_000, payable: 8_000, phase: "deposits" });
  const lines = [{ sku: "PS-SKU", qty: 2 }];
  const quote = await api.call("POST", "/v1/checkout/quote", { userId: "ps-1", lines, presaleId });
  expect(quote.status, JSON.stringify(quote.body)).toBe(200);
  expect(quote.body).toMatchObject({
    amounts: { items: 20_000, discount: 4_000, freight: 0, total: 16_000 },
    presale: { deposit: 2_000, balance: 14_000 },
  });
  const coupons = await api.call("POST", "/v1/checkout/quote", {
    userId: "ps-1",
    lines,
    presaleId,
    pointsToSpend: 5,
  });
  expect(coupons.status).toBe(422);

  const order = async (key: string, userId: string) => {
    const placed = await api.call(
      "POST",
      "/v1/orders",
      { userId, lines, address, presaleId },
      { "idempotency-key": key },
    );
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    return (placed.body as { orderId: string }).orderId;
  };
  const a = await order("ps-a", "ps-1");
  const b = await order("ps-b", "ps-2");
  expect((await orderView(a)).amountDue).toBe(2_000);
  const deposit = await pay(a);
  expect(deposit.amount).toBe(2_000);
  await pay(b);
  await waitStatus(a, "awaiting_balance");
  await waitStatus(b, "awaiting_balance");
  expect((await orderView(a)).amountDue).toBe(14_000);
  // No shipping before the balance.
  const early = await api.call("POST", `/v1/orders/${a}/ship`, { carrier: "SF", trackingNo: "SF1" });
  expect(early.status, JSON.stringify(early.body)).toBe(409);
  // The balance window opens (a durable timer on the order); then the balance is paid.
  await waitFor(() => Date.now() >= balanceFrom + 200, 60_000, "balance window open");
  const balance = await pay(a);
  expect(balance.amount).toBe(14_000);
  await waitStatus(a, "awaiting_shipment");
  const shipped = await api.call("POST", `/v1/orders/${a}/ship`, { carrier: "SF", trackingNo: "SF1" });
  expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
  // B never pays its balance: when the window closes it is cancelled and its deposit kept.
  await waitStatus(b, "cancelled", 90_000);
  expect((await orderView(b)).presale?.forfeited).toBe(true);
  expect((await orderView(b)).refunded).toBe(0);
  await waitFor(
    async () => ((await api.call("GET", "/v1/inventory/PS-SKU")).body as { reserved: number }).reserved === 0,
    60_000,
    "B's stock released (A's was committed when shipped)",
  );
}, 150_000);
