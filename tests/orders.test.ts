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

const ns = testNamespace("orders");
const overrides = { ORDER_PAYMENT_TIMEOUT: "3s" };
let node: HubNode;
let api: ApiClient;
const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, overrides);
  api = new ApiClient(node.app!);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-O", { name: "O", region: "east" });
  for (const [sku, qty, price] of [
    ["SKU-A", 10, 1999],
    ["SKU-B", 1, 500],
    ["SKU-C", 5, 100],
    ["SKU-D", 10, 700],
    ["SKU-F", 10, 1500],
  ] as const) {
    await api.call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse: "WH-O", qty },
      { "idempotency-key": `stock-${sku}` },
    );
    expect((await api.call("PUT", `/v1/skus/${sku}/price`, { listPrice: price })).status).toBe(200);
  }
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

/** Pays an order through the channel simulator (a signed callback) and waits until the order is paid. */
async function payAndWait(orderId: string, channel: string): Promise<string> {
  const { paymentId } = (await api.call("POST", "/v1/payments", { orderId, channel })).body as {
    paymentId: string;
  };
  await api.call("POST", `/v1/payments/${paymentId}/simulate`, {});
  await waitFor(
    async () =>
      ((await api.call("GET", `/v1/orders/${orderId}`)).body as { status: string }).status ===
      "awaiting_shipment",
    5_000,
    `order ${orderId} paid`,
  );
  return paymentId;
}

const stock = async (sku: string) =>
  (await api.call("GET", `/v1/inventory/${sku}`)).body as {
    physical: number;
    reserved: number;
    sellable: number;
  };
const place = (key: string, lines: Array<{ sku: string; qty: number }>, userId = "user-1") =>
  api.call("POST", "/v1/orders", { userId, lines, address }, { "idempotency-key": key });

test("orders - placing prices every line, reserves all of them and awaits payment", async () => {
  const res = await place("k-1", [
    { sku: "SKU-A", qty: 2 },
    { sku: "SKU-C", qty: 1 },
  ]);
  expect(res.status).toBe(201);
  const body = res.body as {
    orderId: string;
    status: string;
    amounts: Record<string, number>;
    expiresAt: string;
  };
  expect(body.status).toBe("pending_payment");
  expect(body.amounts).toEqual({ items: 2 * 1999 + 100, discount: 0, freight: 0, total: 2 * 1999 + 100 });
  expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
  expect((await stock("SKU-A")).reserved).toBe(2);
  expect((await stock("SKU-C")).reserved).toBe(1);
  // Retrying the same request is the same order.
  expect(
    (
      await place("k-1", [
        { sku: "SKU-A", qty: 2 },
        { sku: "SKU-C", qty: 1 },
      ])
    ).body,
  ).toEqual(body);
  expect((await stock("SKU-A")).reserved).toBe(2);
});

test("orders - one line short: 409 insufficient-stock and nothing stays reserved", async () => {
  // SKU-D belongs to this test alone: SKU-A's reservations from the first test expire (3 s payment
  // timeout) whenever a busy machine lets them, which would move a before/after comparison.
  const res = await place("k-2", [
    { sku: "SKU-D", qty: 1 },
    { sku: "SKU-B", qty: 5 },
  ]);
  expect({ status: res.status, body: res.body }).toMatchObject({ status: 409 });
  expect((res.body as { type: string }).type).toEndWith("insufficient-stock");
  expect(await stock("SKU-D")).toMatchObject({ reserved: 0, sellable: 10 });
  expect((await stock("SKU-B")).reserved).toBe(0);
});

test("orders - pay through a signed channel callback; replays change nothing; forgeries are refused", async () => {
  const placed = (await place("k-3", [{ sku: "SKU-A", qty: 1 }])).body as {
    orderId: string;
    amounts: { total: number };
  };
  const payment = await api.call("POST", "/v1/payments", { orderId: placed.orderId, channel: "alipay" });
  expect(payment.status).toBe(201);
  const { paymentId } = payment.body as { paymentId: string };
  const paid = await api.call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid" });
  expect(paid.status).toBe(200);
  await waitFor(
    async () =>
      ((await api.call("GET", `/v1/orders/${placed.orderId}`)).body as { status: string }).status ===
      "awaiting_shipment",
    5_000,
    "order paid",
  );
  // The same callback again: accepted as a duplicate, no second payment.
  expect((await api.call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid" })).status).toBe(200);
  const p = (await api.call("GET", `/v1/payments/${paymentId}`)).body as { status: string; refunded: number };
  expect(p.status).toBe("paid");
  // A forged callback (tampered amount after signing) is refused with 400 and recorded.
  const forged = await api.call(
    "POST",
    "/v1/payments/callbacks/alipay",
    "out_trade_no=x&total_amount=0.01&trade_status=TRADE_SUCCESS&sign=AAAA&sign_type=RSA2",
    {
      "content-type": "application/x-www-form-urlencoded",
    },
    false,
  );
  expect(forged.status).toBe(400);
  const rejected =
    await node.sql`SELECT count(*)::int AS n FROM audit_log WHERE action = 'payment.callback_rejected'`;
  expect(rejected[0]!.n).toBeGreaterThan(0);
});

test("orders - amount mismatch in a verified callback is rejected and recorded", async () => {
  const placed = (await place("k-4", [{ sku: "SKU-C", qty: 1 }])).body as { orderId: string };
  const { paymentId } = (
    await api.call("POST", "/v1/payments", { orderId: placed.orderId, channel: "wechat" })
  ).body as { paymentId: string };
  const res = await api.call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid", amount: 1 });
  expect(res.status).toBeGreaterThanOrEqual(400);
  const p = (await api.call("GET", `/v1/payments/${paymentId}`)).body as {
    status: string;
    rejectedCallbacks: number;
  };
  expect(p).toMatchObject({ status: "created", rejectedCallbacks: 1 });
  expect(((await api.call("GET", `/v1/orders/${placed.orderId}`)).body as { status: string }).status).toBe(
    "pending_payment",
  );
});

test("orders - a refused wrong-amount callback does not poison the genuine callback of the same transaction", async () => {
  const placed = (await place("k-4b", [{ sku: "SKU-A", qty: 1 }])).body as { orderId: string };
  const { paymentId } = (
    await api.call("POST", "/v1/payments", { orderId: placed.orderId, channel: "unionpay" })
  ).body as { paymentId: string };
  // A validly signed callback for the same channel transaction, but with the wrong amount: refused.
  const wrong = await api.call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid", amount: 1 });
  expect({ status: wrong.status, body: wrong.body }).toEqual({ status: 500, body: "fail" });
  // Then the genuine callback: accepted, and the order is paid (it would auto-cancel otherwise).
  const genuine = await api.call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid" });
  expect({ status: genuine.status, body: genuine.body }).toEqual({ status: 200, body: "ok" });
  await waitFor(
    async () =>
      ((await api.call("GET", `/v1/orders/${placed.orderId}`)).body as { status: string }).status ===
      "awaiting_shipment",
    5_000,
    `order ${placed.orderId} paid by the genuine callback`,
  );
  const p = (await api.call("GET", `/v1/payments/${paymentId}`)).body as Record<string, unknown>;
  expect(p).toMatchObject({ status: "paid", rejectedCallbacks: 1 });
  // The wrong callback again is still refused, and changes nothing.
  const again = await api.call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid", amount: 1 });
  expect(again.status).toBeGreaterThanOrEqual(400);
  expect(((await api.call("GET", `/v1/payments/${paymentId}`)).body as { status: string }).status).toBe(
    "paid",
  );
});

test("orders - ship deducts stock, receipt completes and earns points; illegal transitions are 409 with the state", async () => {
  const placed = (await place("k-5", [{ sku: "SKU-C", qty: 2 }], "user-5")).body as { orderId: string };
  const before = await stock("SKU-C");
  const early = await api.call("POST", `/v1/orders/${placed.orderId}/ship`, {
    carrier: "SF",
    trackingNo: "SF1",
  });
  expect(early.status).toBe(409);
  expect((early.body as { orderStatus: string }).orderStatus).toBe("pending_payment");
  await payAndWait(placed.orderId, "unionpay");
  expect(
    (await api.call("POST", `/v1/orders/${placed.orderId}/ship`, { carrier: "SF", trackingNo: "SF1" }))
      .status,
  ).toBe(200);
  await waitFor(async () => (await stock("SKU-C")).physical === before.physical - 2, 5_000, "stock deducted");
  expect((await stock("SKU-C")).reserved).toBe(before.reserved - 2);
  expect((await api.call("POST", `/v1/orders/${placed.orderId}/cancel`, {})).status).toBe(409);
  expect((await api.call("POST", `/v1/orders/${placed.orderId}/confirm-receipt`)).status).toBe(200);
  await waitFor(
    async () => ((await api.call("GET", "/v1/members/user-5")).body as { points: number }).points > 0,
    5_000,
    "points earned",
  );
  const order = (await api.call("GET", `/v1/orders/${placed.orderId}`)).body as {
    status: string;
    timeline: Array<{ status: string }>;
  };
  expect(order.status).toBe("completed");
  expect(order.timeline.map((t) => t.status)).toEqual([
    "placing",
    "pending_payment",
    "awaiting_shipment",
    "shipped",
    "completed",
  ]);
});

test("orders - a refund before shipment is approved, refunded, and the stock goes back", async () => {
  // SKU-F belongs to this test alone: an unpaid SKU-A order of an earlier test expires (3 s payment
  // timeout) whenever a busy machine lets it, and would move the before/after comparison below.
  const placed = (await place("k-6", [{ sku: "SKU-F", qty: 3 }])).body as {
    orderId: string;
    amounts: { total: number };
  };
  const paymentId = await payAndWait(placed.orderId, "alipay");
  const reservedBefore = (await stock("SKU-F")).reserved;
  expect(
    (
      await api.call("POST", `/v1/orders/${placed.orderId}/after-sales`, {
        kind: "refund_only",
        reason: "changed my mind",
      })
    ).status,
  ).toBe(200);
  expect(
    (await api.call("POST", `/v1/orders/${placed.orderId}/after-sales/decision`, { approve: true })).status,
  ).toBe(200);
  await waitFor(
    async () =>
      ((await api.call("GET", `/v1/orders/${placed.orderId}`)).body as { status: string }).status ===
      "refunded",
    5_000,
    "refunded",
  );
  expect((await stock("SKU-F")).reserved).toBe(reservedBefore - 3);
  const p = (await api.call("GET", `/v1/payments/${paymentId}`)).body as { status: string; refunded: number };
  expect(p).toMatchObject({ status: "refunded", refunded: placed.amounts.total });
});

test("orders - unpaid orders cancel themselves after the timeout, across a node restart, and release stock", async () => {
  const placed = (await place("k-7", [{ sku: "SKU-C", qty: 1 }])).body as {
    orderId: string;
    expiresAt: string;
  };
  const reserved = (await stock("SKU-C")).reserved;
  await node.stop();
  node = await startTestNode(ns, overrides);
  api = new ApiClient(node.app!);
  await api.login();
  const deadline = Date.parse(placed.expiresAt);
  await waitFor(
    async () =>
      ((await api.call("GET", `/v1/orders/${placed.orderId}`)).body as { status: string }).status ===
      "cancelled",
    10_000,
    "timeout",
  );
  const lateBy = Date.now() - deadline;
  console.log(`order timeout: cancelled ${lateBy} ms after its deadline (node restarted in between)`);
  expect(lateBy).toBeLessThan(2_500);
  await waitFor(
    async () => {
      const order = (await api.call("GET", `/v1/orders/${placed.orderId}`)).body as {
        lines: Array<{ state: string }>;
      };
      return order.lines.every((l) => l.state === "released");
    },
    5_000,
    "the order's reservation released",
  );
  expect((await stock("SKU-C")).reserved).toBeLessThanOrEqual(reserved - 1);
});

test("orders - the list and stats read models follow the actors", async () => {
  await node.projector!.caughtUp(10_000);
  const list = await api.call("GET", "/v1/orders?limit=2");
  const body = list.body as { items: Array<{ orderId: string }>; nextCursor: string };
  expect(body.items).toHaveLength(2);
  const next = await api.call("GET", `/v1/orders?limit=2&cursor=${body.nextCursor}`);
  expect((next.body as { items: unknown[] }).items.length).toBeGreaterThan(0);
  const completed = await api.call("GET", "/v1/orders?status=completed");
  expect((completed.body as { items: unknown[] }).items).toHaveLength(1);
  const from = new Date(Date.now() - 86_400_000).toISOString();
  const to = new Date(Date.now() + 86_400_000).toISOString();
  const stats = (await api.call("GET", `/v1/orders/stats?from=${from}&to=${to}&interval=day`)).body as {
    buckets: Array<{ orders: number; gmv: number }>;
  };
  expect(stats.buckets.reduce((n, b) => n + b.orders, 0)).toBeGreaterThanOrEqual(5);
  expect(stats.buckets.reduce((n, b) => n + b.gmv, 0)).toBeGreaterThan(0);
});

test("orders - the shipment plan splits an order by warehouse; paid orders to one address are merge candidates", async () => {
  await api.call("PUT", "/v1/warehouses/WH-P", { name: "P", region: "north" });
  await api.call(
    "POST",
    "/v1/inventory/SKU-S/receipts",
    { warehouse: "WH-O", qty: 2 },
    { "idempotency-key": "s-o" },
  );
  await api.call(
    "POST",
    "/v1/inventory/SKU-S/receipts",
    { warehouse: "WH-P", qty: 2 },
    { "idempotency-key": "s-p" },
  );
  await api.call("PUT", "/v1/skus/SKU-S/price", { listPrice: 300 });
  const split = (await place("k-split", [{ sku: "SKU-S", qty: 3 }], "user-9")).body as { orderId: string };
  const plan = (await api.call("GET", `/v1/orders/${split.orderId}/shipment-plan`)).body as {
    parcels: Array<{ warehouse: string; lines: Array<{ qty: number }> }>;
  };
  expect(plan.parcels.map((p) => p.warehouse).sort()).toEqual(["WH-O", "WH-P"]);
  expect(plan.parcels.flatMap((p) => p.lines).reduce((n, l) => n + l.qty, 0)).toBe(3);
  await payAndWait(split.orderId, "alipay");
  const second = (await place("k-merge", [{ sku: "SKU-C", qty: 1 }], "user-9")).body as { orderId: string };
  await payAndWait(second.orderId, "alipay");
  await node.projector!.caughtUp(10_000);
  const merge = (await api.call("GET", "/v1/orders/merge-candidates?userId=user-9")).body as {
    groups: Array<{ orders: string[] }>;
  };
  expect(merge.groups).toHaveLength(1);
  expect(merge.groups[0]!.orders.sort()).toEqual([split.orderId, second.orderId].sort());
});

test("orders - per-user limits (set by an operator on the SKU) and points at checkout", async () => {
  const limit = (maxPerUser: number | null) =>
    api.call("PUT", "/v1/inventory/SKU-A/purchase-limit", { maxPerUser });
  expect((await limit(1)).status).toBe(200);
  const first = await api.call(
    "POST",
    "/v1/orders",
    { userId: "user-lim", lines: [{ sku: "SKU-A", qty: 1 }], address },
    { "idempotency-key": "lim-1" },
  );
  expect(first.status).toBe(201);
  const reservedAfterFirst = (await stock("SKU-A")).reserved;
  const second = await api.call(
    "POST",
    "/v1/orders",
    { userId: "user-lim", lines: [{ sku: "SKU-A", qty: 1 }], address },
    { "idempotency-key": "lim-2" },
  );
  expect(second.status).toBe(409);
  expect((await stock("SKU-A")).reserved).toBe(reservedAfterFirst);
  expect((await limit(null)).status).toBe(200);
  // No points yet: spending some is refused and nothing is reserved.
  const broke = await api.call(
    "POST",
    "/v1/orders",
    { userId: "user-poor", lines: [{ sku: "SKU-C", qty: 1 }], address, pointsToSpend: 50 },
    { "idempotency-key": "pts-1" },
  );
  expect(broke.status).toBe(409);
});

test("orders - payment risk rules: blacklist, amount limit and velocity", async () => {
  const risky = await startTestNode(ns, {
    ...overrides,
    PAYMENT_BLACKLIST: "bad-user",
    PAYMENT_MAX_AMOUNT: "5000",
    PAYMENT_MAX_PER_USER_PER_HOUR: "1",
  });
  const r = new ApiClient(risky.app!);
  await r.login();
  await r.call(
    "POST",
    "/v1/inventory/SKU-R/receipts",
    { warehouse: "WH-O", qty: 50 },
    { "idempotency-key": "stock-r" },
  );
  await r.call("PUT", "/v1/skus/SKU-R/price", { listPrice: 2000 });
  try {
    const blocked = (
      await r.call(
        "POST",
        "/v1/orders",
        { userId: "bad-user", lines: [{ sku: "SKU-R", qty: 1 }], address },
        { "idempotency-key": "risk-1" },
      )
    ).body as { orderId: string };
    expect(
      (await r.call("POST", "/v1/payments", { orderId: blocked.orderId, channel: "wechat" })).status,
    ).toBe(403);
    const big = (
      await r.call(
        "POST",
        "/v1/orders",
        { userId: "big-spender", lines: [{ sku: "SKU-R", qty: 3 }], address },
        { "idempotency-key": "risk-2" },
      )
    ).body as { orderId: string };
    const tooBig = await r.call("POST", "/v1/payments", { orderId: big.orderId, channel: "wechat" });
    expect(tooBig.status).toBe(422);
    expect((tooBig.body as { type: string }).type).toEndWith("risk-rejected");
    const a = (
      await r.call(
        "POST",
        "/v1/orders",
        { userId: "fast-user", lines: [{ sku: "SKU-R", qty: 1 }], address },
        { "idempotency-key": "risk-3" },
      )
    ).body as { orderId: string };
    const b = (
      await r.call(
        "POST",
        "/v1/orders",
        { userId: "fast-user", lines: [{ sku: "SKU-R", qty: 1 }], address },
        { "idempotency-key": "risk-4" },
      )
    ).body as { orderId: string };
    expect((await r.call("POST", "/v1/payments", { orderId: a.orderId, channel: "alipay" })).status).toBe(
      201,
    );
    const second = await r.call("POST", "/v1/payments", { orderId: b.orderId, channel: "alipay" });
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBeTruthy();
  } finally {
    await risky.stop();
  }
});

test("orders - the list shows an after-sales request and returns to the previous status when it is rejected", async () => {
  const placed = (await place("k-as", [{ sku: "SKU-A", qty: 1 }], "user-as")).body as { orderId: string };
  await payAndWait(placed.orderId, "wechat");
  const listed = async () => {
    await node.projector!.caughtUp(10_000);
    const page = (await api.call("GET", "/v1/orders?userId=user-as")).body as {
      items: Array<{ status: string }>;
    };
    return page.items[0]!.status;
  };
  await api.call("POST", `/v1/orders/${placed.orderId}/after-sales`, { kind: "refund_only", reason: "late" });
  expect(await listed()).toBe("refund_requested");
  await api.call("POST", `/v1/orders/${placed.orderId}/after-sales/decision`, {
    approve: false,
    note: "policy",
  });
  expect(await listed()).toBe("awaiting_shipment");
});
