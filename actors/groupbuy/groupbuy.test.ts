/**
 * Group buying (拼团, issue 11 item 5) and the refund fixes of decision 0024, over real order, SKU, member,
 * payment, coupon-template and group-buy instances sharing one in-memory log: a group forms when its
 * last seat is paid (every order proceeds); a group past its deadline fails (paid orders refunded through
 * their payment, unpaid ones cancelled, stock released, coupons given back); a full group, a second seat
 * for one buyer and a closed group are refused with nothing held; retried joins and re-delivered outcomes
 * apply once. Refunds: a line refund leaves the order partially refunded, gifts reserve stock or drop.
 */
import { describe, expect, test } from "bun:test";
import { type CouponState, couponTemplateKind } from "../coupon/index.ts";
import { skuKind } from "../inventory/index.ts";
import { memberKind } from "../member/index.ts";
import { type OrderState, orderKind } from "../order/index.ts";
import { paymentKind } from "../payment/index.ts";
import type { Reply } from "../runtime/index.ts";
import { MemoryCluster } from "../runtime/testing/index.ts";
import { shipmentKind } from "../shipment/index.ts";
import { type GroupBuyState, groupBuyKind } from "./index.ts";

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const GB = "GB1";
const PRICE = 4_900;
const ADDRESS = {
  region: "Shanghai",
  detail: "1 Century Avenue",
  phone: "+86 138 0000 0000",
  name: "Li Lei",
};

async function world() {
  const cluster = new MemoryCluster(
    [orderKind, skuKind, memberKind, paymentKind, couponTemplateKind, groupBuyKind, shipmentKind],
    { clock: T0 },
  );
  const ok = async (kind: string, id: string, cmdId: string, cmd: { type: string; [k: string]: unknown }) => {
    const reply = await cluster.command(kind, id, { id: cmdId, cmd });
    if (!reply.ok) throw new Error(`${cmd.type} on ${kind} ${id}: ${JSON.stringify(reply.error)}`);
    return reply.value as Record<string, unknown>;
  };
  await ok("sku", "SKU-G", "receive", { type: "receive", warehouse: "WH-1", qty: 20 });
  await ok("sku", "SKU-B", "receive", { type: "receive", warehouse: "WH-1", qty: 20 });
  await ok("sku", "GIFT", "receive", { type: "receive", warehouse: "WH-1", qty: 1 });
  await ok("group-buy", GB, "create", {
    type: "create",
    campaign: {
      name: "3人团",
      sku: "SKU-G",
      price: PRICE,
      groupSize: 3,
      formHours: 24,
      startsAt: T0 - HOUR,
      endsAt: T0 + 10 * 24 * HOUR,
    },
  });
  return { cluster, ok };
}
type World = Awaited<ReturnType<typeof world>>;

const place = (
  w: World,
  orderId: string,
  userId: string,
  extra: Record<string, unknown> = {},
  lines: Array<Record<string, unknown>> = [{ sku: "SKU-G", qty: 1, unitPrice: PRICE }],
) =>
  w.cluster.command("order", orderId, {
    id: `place:${orderId}`,
    cmd: {
      type: "place",
      userId,
      lines,
      address: ADDRESS,
      channel: "web",
      discount: 0,
      freight: 0,
      paymentTimeoutMs: 30 * MIN,
      ...extra,
    },
  });

/** Pays an order the way a channel does: a payment, then its verified callback (markPaid is its effect). */
async function pay(w: World, orderId: string, amount: number) {
  const paymentId = `P-${orderId}`;
  const user = orderOf(w, orderId).userId;
  await w.ok("payment", paymentId, `create:${paymentId}`, {
    type: "create",
    orderId,
    userId: user,
    amount,
    channel: "wechat",
  });
  await w.ok("payment", paymentId, `callback:${paymentId}`, {
    type: "confirm",
    channelTxnId: `TXN-${orderId}`,
    amount,
    status: "paid",
    paidAt: new Date(w.cluster.clock).toISOString(),
  });
  await w.cluster.settle();
  return paymentId;
}

const orderOf = (w: World, id: string) => w.cluster.durableState<OrderState>(orderKind, id);
const groupsOf = (w: World) => w.cluster.durableState<GroupBuyState>(groupBuyKind, GB);
const paymentOf = (w: World, id: string) =>
  w.cluster
    .command("payment", id, { cmd: { type: "get" } })
    .then((r: Reply) => (r.ok ? (r.value as { status: string; refunded: number }) : null));
const stock = (w: World, sku: string) =>
  w.cluster
    .command("sku", sku, { cmd: { type: "get" } })
    .then((r: Reply) => (r.ok ? (r.value as { reserved: number; onHand?: number }) : null));
const fireTimers = async (w: World, kind: string, id: string) => {
  const fired = await w.cluster.command(kind, id, { cmd: { type: "$timers" } });
  await w.cluster.settle();
  return fired;
};
const describeOrder = (w: World, id: string) => JSON.stringify(orderOf(w, id), null, 1);

describe("group buy - groups", () => {
  test("group buy - the third paid seat forms the group; every member's order proceeds to shipment", async () => {
    const w = await world();
    const opened = await place(w, "O-1", "U-1", { group: { groupBuyId: GB } });
    expect(opened, JSON.stringify(opened)).toMatchObject({ ok: true, value: { status: "pending_payment" } });
    await w.cluster.settle();
    const groupId = orderOf(w, "O-1").group?.groupId;
    expect(groupId).toBe("GB1-g1");
    for (const [o, u] of [
      ["O-2", "U-2"],
      ["O-3", "U-3"],
    ] as const) {
      const joined = await place(w, o, u, { group: { groupBuyId: GB, groupId } });
      expect(joined.ok, JSON.stringify(joined)).toBe(true);
    }
    await w.cluster.settle();
    // Paid, the first two wait for the group: not shippable yet.
    await pay(w, "O-1", PRICE);
    await pay(w, "O-2", PRICE);
    expect(orderOf(w, "O-1").status, describeOrder(w, "O-1")).toBe("awaiting_group");
    const early = await w.cluster.command("order", "O-1", {
      id: "ship-early",
      cmd: { type: "ship", carrier: "SF", trackingNo: "SF1", autoCompleteMs: HOUR },
    });
    expect(early).toMatchObject({ ok: false, error: { kind: "conflict" } });
    await pay(w, "O-3", PRICE);
    for (const o of ["O-1", "O-2", "O-3"])
      expect(orderOf(w, o).status, describeOrder(w, o)).toBe("awaiting_shipment");
    expect(groupsOf(w).groups.get(groupId!)).toMatchObject({ status: "formed" });
    expect(groupsOf(w).formed).toBe(1);
    // The deadline timer was cancelled: firing timers later changes nothing.
    w.cluster.clock = T0 + 25 * HOUR;
    await fireTimers(w, "group-buy", GB);
    expect(groupsOf(w).groups.get(groupId!)?.status).toBe("formed");
    const shipped = await w.cluster.command("order", "O-2", {
      id: "ship-2",
      cmd: { type: "ship", carrier: "SF", trackingNo: "SF2", autoCompleteMs: HOUR },
    });
    expect(shipped.ok, JSON.stringify(shipped)).toBe(true);
    // A re-delivered formation is harmless.
    const again = await w.cluster.command("order", "O-1", {
      id: "again",
      cmd: { type: "groupFormed", groupId: groupId! },
    });
    expect(again.ok).toBe(true);
    expect(orderOf(w, "O-1").timeline.filter((t) => t.reason === "group formed")).toHaveLength(1);
  });

  test("group buy - the deadline fails the group: paid members refunded in full, unpaid cancelled, stock back", async () => {
    const w = await world();
    const couponTemplate = await w.ok("coupon-template", "CT1", "ct", {
      type: "create",
      template: {
        name: "减5",
        kind: "amount_off",
        value: 500,
        totalQuantity: 10,
        perUserLimit: 1,
        validFrom: T0 - MIN,
        validTo: T0 + 100 * HOUR,
      },
    });
    expect(couponTemplate).toBeTruthy();
    const couponId = String(
      (await w.ok("coupon-template", "CT1", "claim", { type: "claim", userId: "U-1" })).couponId,
    );
    const opened = await place(w, "O-1", "U-1", {
      group: { groupBuyId: GB },
      discount: 500,
      coupons: [{ couponId, discount: 500 }],
    });
    expect(opened.ok, JSON.stringify(opened)).toBe(true);
    await w.cluster.settle();
    const groupId = orderOf(w, "O-1").group!.groupId!;
    expect((await place(w, "O-2", "U-2", { group: { groupBuyId: GB, groupId } })).ok).toBe(true);
    await w.cluster.settle();
    const p1 = await pay(w, "O-1", PRICE - 500);
    expect(orderOf(w, "O-1").status).toBe("awaiting_group");
    expect((await stock(w, "SKU-G"))?.reserved).toBe(2);
    expect(w.cluster.durableState<CouponState>(couponTemplateKind, "CT1").coupons.get(couponId)?.status).toBe(
      "used",
    );
    // Before the deadline nothing happens; after it, the group fails.
    w.cluster.clock = T0 + 23 * HOUR;
    await fireTimers(w, "group-buy", GB);
    expect(groupsOf(w).groups.get(groupId)?.status).toBe("open");
    w.cluster.clock = T0 + 24 * HOUR + 1;
    await fireTimers(w, "group-buy", GB);
    await w.cluster.settle();
    expect(groupsOf(w).groups.get(groupId)?.status).toBe("failed");
    expect(orderOf(w, "O-1").status, describeOrder(w, "O-1")).toBe("refunded");
    expect(orderOf(w, "O-1").refunded).toBe(PRICE - 500);
    expect(await paymentOf(w, p1)).toMatchObject({ status: "refunded", refunded: PRICE - 500 });
    // O-2 was never paid (its payment timeout is 30 min; fire its timer first if it already passed).
    expect(["cancelled"]).toContain(orderOf(w, "O-2").status);
    expect((await stock(w, "SKU-G"))?.reserved).toBe(0);
    // A refund of everything before shipment gives the coupon back (decision 0024 / 0020).
    const coupon = w.cluster.durableState<CouponState>(couponTemplateKind, "CT1");
    expect(coupon.coupons.get(couponId)?.status).toBe("available");
    expect({ used: coupon.used, gmv: coupon.gmv, discountCost: coupon.discountCost }).toEqual({
      used: 0,
      gmv: 0,
      discountCost: 0,
    });
    expect(orderOf(w, "O-1").coupons?.[0]?.state).toBe("released");
    // A re-delivered failure refunds nothing more.
    const again = await w.cluster.command("order", "O-1", {
      id: "again",
      cmd: { type: "groupFailed", groupId, reason: "again" },
    });
    expect(again.ok).toBe(true);
    await w.cluster.settle();
    expect(await paymentOf(w, p1)).toMatchObject({ refunded: PRICE - 500 });
  });

  test("group buy - a full group, a second seat for the same buyer, an unknown group: refused, nothing held", async () => {
    const w = await world();
    await place(w, "O-1", "U-1", { group: { groupBuyId: GB } });
    await w.cluster.settle();
    const groupId = orderOf(w, "O-1").group!.groupId!;
    const twice = await place(w, "O-1b", "U-1", { group: { groupBuyId: GB, groupId } });
    expect(twice, JSON.stringify(twice)).toMatchObject({
      ok: false,
      error: { kind: "conflict", details: { reason: "already-in-group" } },
    });
    await place(w, "O-2", "U-2", { group: { groupBuyId: GB, groupId } });
    await place(w, "O-3", "U-3", { group: { groupBuyId: GB, groupId } });
    const full = await place(w, "O-4", "U-4", { group: { groupBuyId: GB, groupId } });
    expect(full, JSON.stringify(full)).toMatchObject({
      ok: false,
      error: { kind: "conflict", details: { reason: "group-full" } },
    });
    const unknown = await place(w, "O-5", "U-5", { group: { groupBuyId: GB, groupId: "GB1-g99" } });
    expect(unknown).toMatchObject({ ok: false, error: { details: { reason: "group-not-found" } } });
    await w.cluster.settle();
    for (const o of ["O-1b", "O-4", "O-5"]) expect(orderOf(w, o).status).toBe("cancelled");
    // Only the three seated orders hold stock.
    expect((await stock(w, "SKU-G"))?.reserved).toBe(3);
    expect(
      groupsOf(w)
        .groups.get(groupId)
        ?.members.map((m) => m.orderId),
    ).toEqual(["O-1", "O-2", "O-3"]);
    // A retried place of a seated order takes no second seat.
    const retried = await place(w, "O-2", "U-2", { group: { groupBuyId: GB, groupId } });
    expect(retried.ok).toBe(true);
    expect(groupsOf(w).groups.get(groupId)?.members).toHaveLength(3);
    // An unpaid member's cancel frees its seat for someone else.
    await w.ok("order", "O-3", "cancel-3", { type: "cancel", reason: "changed my mind" });
    await w.cluster.settle();
    expect(
      groupsOf(w)
        .groups.get(groupId)
        ?.members.map((m) => m.orderId),
    ).toEqual(["O-1", "O-2"]);
    const late = await place(w, "O-6", "U-6", { group: { groupBuyId: GB, groupId } });
    expect(late.ok, JSON.stringify(late)).toBe(true);
  });
});

describe("refunds (decision 0024)", () => {
  const twoLines = [
    { sku: "SKU-G", qty: 1, unitPrice: 4_000, discount: 500 },
    { sku: "SKU-B", qty: 1, unitPrice: 8_000, discount: 1_000 },
  ];
  const refundLine = async (w: World, orderId: string, sku: string, n: number) => {
    await w.ok("order", orderId, `as-${n}`, {
      type: "requestAfterSales",
      kind: "refund_only",
      reason: "not needed",
      sku,
    });
    await w.ok("order", orderId, `ok-${n}`, { type: "decideAfterSales", approve: true });
    await w.cluster.settle();
  };

  test("refunds - one line refunded leaves the order partially refunded; it ships the rest; the last line ends it", async () => {
    const w = await world();
    expect((await place(w, "O-1", "U-1", { discount: 1_500 }, twoLines)).ok).toBe(true);
    await w.cluster.settle();
    const p = await pay(w, "O-1", 10_500);
    await refundLine(w, "O-1", "SKU-G", 1);
    expect(orderOf(w, "O-1").status, describeOrder(w, "O-1")).toBe("partially_refunded");
    expect(orderOf(w, "O-1").refunded).toBe(3_500);
    expect(await paymentOf(w, p)).toMatchObject({ status: "partially_refunded", refunded: 3_500 });
    expect((await stock(w, "SKU-G"))?.reserved).toBe(0);
    expect((await stock(w, "SKU-B"))?.reserved).toBe(1);
    // The same line cannot be refunded twice.
    const twice = await w.cluster.command("order", "O-1", {
      id: "as-twice",
      cmd: { type: "requestAfterSales", kind: "refund_only", reason: "again", sku: "SKU-G" },
    });
    expect(twice).toMatchObject({ ok: false, error: { kind: "conflict" } });
    await refundLine(w, "O-1", "SKU-B", 2);
    expect(orderOf(w, "O-1").status).toBe("refunded");
    expect(orderOf(w, "O-1").refunded).toBe(10_500);
    expect(await paymentOf(w, p)).toMatchObject({ status: "refunded", refunded: 10_500 });
  });

  test("refunds - a partially refunded order still ships (only the line still held is committed)", async () => {
    const w = await world();
    await place(w, "O-1", "U-1", { discount: 1_500 }, twoLines);
    await w.cluster.settle();
    await pay(w, "O-1", 10_500);
    await refundLine(w, "O-1", "SKU-G", 1);
    await w.ok("order", "O-1", "ship", {
      type: "ship",
      carrier: "SF",
      trackingNo: "SF9",
      autoCompleteMs: HOUR,
    });
    await w.cluster.settle();
    expect(orderOf(w, "O-1").status).toBe("shipped");
    expect(orderOf(w, "O-1").lines.map((l) => [l.sku, l.state])).toEqual([
      ["SKU-G", "released"],
      ["SKU-B", "committed"],
    ]);
  });

  test("refunds - a gift reserves stock like a line; a gift the stock cannot cover is dropped, the order goes on", async () => {
    const w = await world();
    const gift = { sku: "GIFT", qty: 1, unitPrice: 0, gift: true };
    const first = await place(w, "O-1", "U-1", {}, [{ sku: "SKU-B", qty: 1, unitPrice: 8_000 }, gift]);
    expect(first.ok, JSON.stringify(first)).toBe(true);
    await w.cluster.settle();
    expect((await stock(w, "GIFT"))?.reserved).toBe(1);
    // The only gift unit is held: the next order gets none, with the reason, and is placed anyway.
    const second = await place(w, "O-2", "U-2", {}, [{ sku: "SKU-B", qty: 1, unitPrice: 8_000 }, gift]);
    expect(second, JSON.stringify(second)).toMatchObject({ ok: true, value: { status: "pending_payment" } });
    await w.cluster.settle();
    const dropped = orderOf(w, "O-2").lines.find((l) => l.sku === "GIFT");
    expect(dropped?.state).toBe("refused");
    expect(dropped?.dropped).toBeTruthy();
    expect((await stock(w, "SKU-B"))?.reserved).toBe(2);
    // Cancelling gives the gift unit back.
    await w.ok("order", "O-1", "cancel", { type: "cancel", reason: "no" });
    await w.cluster.settle();
    expect((await stock(w, "GIFT"))?.reserved).toBe(0);
  });
});
