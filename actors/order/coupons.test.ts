/**
 * Coupons redeemed with an order (issue 11 item 3): held on the template actor while the order is placed,
 * used when it is paid, given back on cancel, on payment timeout and when placing fails — over real order,
 * SKU, member and coupon-template instances sharing one in-memory log.
 */
import { describe, expect, test } from "bun:test";
import { type CouponState, couponTemplateKind } from "../coupon/index.ts";
import { skuKind } from "../inventory/index.ts";
import { memberKind } from "../member/index.ts";
import type { Reply } from "../runtime/index.ts";
import { MemoryCluster } from "../runtime/testing/index.ts";
import { orderKind } from "./index.ts";
import type { OrderState } from "./state.ts";

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const TIMEOUT_MS = 30 * MIN;
const TEMPLATE = "CT1";
const USER = "U-1";
const ADDRESS = {
  region: "Shanghai",
  detail: "1 Century Avenue",
  phone: "+86 138 0000 0000",
  name: "Li Lei",
};

async function world(snapshotEvery = 1_000) {
  const cluster = new MemoryCluster([orderKind, skuKind, memberKind, couponTemplateKind], {
    clock: T0,
    instance: { snapshotEvery },
  });
  const ok = async (kind: string, id: string, cmdId: string, cmd: { type: string; [k: string]: unknown }) => {
    const reply = await cluster.command(kind, id, { id: cmdId, cmd });
    if (!reply.ok) throw new Error(`${cmd.type}: ${JSON.stringify(reply.error)}`);
    return reply.value as Record<string, unknown>;
  };
  await ok("sku", "SKU-A", "receive", { type: "receive", warehouse: "WH-1", qty: 10 });
  await ok("sku", "SKU-S", "receive", { type: "receive", warehouse: "WH-1", qty: 1 });
  await ok("coupon-template", TEMPLATE, "create", {
    type: "create",
    template: {
      name: "满100减15",
      kind: "amount_off",
      value: 1_500,
      threshold: 10_000,
      totalQuantity: 10,
      perUserLimit: 5,
      validFrom: T0 - MIN,
      validTo: T0 + 100 * MIN,
    },
  });
  const claim = async (userId = USER, n = 1) =>
    String(
      (await ok("coupon-template", TEMPLATE, `claim-${userId}-${n}`, { type: "claim", userId })).couponId,
    );
  return { cluster, claim };
}

const place = (
  cluster: MemoryCluster,
  orderId: string,
  couponId: string,
  lines = [{ sku: "SKU-A", qty: 2 }],
) =>
  cluster.command("order", orderId, {
    id: `place:${orderId}`,
    cmd: {
      type: "place",
      userId: USER,
      lines: lines.map((l) => ({ ...l, unitPrice: 6_000 })),
      address: ADDRESS,
      channel: "web",
      discount: 1_500,
      freight: 0,
      paymentTimeoutMs: TIMEOUT_MS,
      coupons: [{ couponId, discount: 1_500 }],
    },
  });

const couponOf = (cluster: MemoryCluster, couponId: string) =>
  cluster.durableState<CouponState>(couponTemplateKind, TEMPLATE).coupons.get(couponId);
const counters = (cluster: MemoryCluster) => {
  const s = cluster.durableState<CouponState>(couponTemplateKind, TEMPLATE);
  return { reserved: s.reserved, used: s.used, gmv: s.gmv, discountCost: s.discountCost };
};
const orderOf = (cluster: MemoryCluster, id: string) => cluster.durableState<OrderState>(orderKind, id);
const reserved = (cluster: MemoryCluster, sku: string) =>
  cluster
    .command("sku", sku, { cmd: { type: "get" } })
    .then((r: Reply) => (r.ok ? (r.value as { reserved: number }).reserved : -1));

describe("order - coupons", () => {
  test("order - a placed order holds its coupon; paying uses it (GMV and discount cost counted once)", async () => {
    const { cluster, claim } = await world();
    const couponId = await claim();
    expect(await place(cluster, "O-1", couponId)).toMatchObject({
      ok: true,
      value: { status: "pending_payment", amounts: { items: 12_000, discount: 1_500, total: 10_500 } },
    });
    await cluster.settle();
    expect(couponOf(cluster, couponId)).toMatchObject({ status: "reserved", orderId: "O-1" });
    // Another order cannot take the same coupon: it fails and gives its stock back.
    const second = await place(cluster, "O-2", couponId);
    expect(second).toMatchObject({
      ok: false,
      error: { kind: "conflict", message: expect.stringContaining(couponId) },
    });
    await cluster.settle();
    expect(orderOf(cluster, "O-2").status).toBe("cancelled");
    expect(await reserved(cluster, "SKU-A")).toBe(2);

    const paid = await cluster.command("order", "O-1", {
      id: "pay",
      cmd: { type: "markPaid", paymentId: "P-1", channel: "wechat", amount: 10_500 },
    });
    expect(paid.ok).toBe(true);
    await cluster.settle();
    expect(couponOf(cluster, couponId)).toMatchObject({ status: "used", orderId: "O-1" });
    expect(counters(cluster)).toEqual({ reserved: 0, used: 1, gmv: 10_500, discountCost: 1_500 });
    expect(orderOf(cluster, "O-1").coupons).toEqual([{ couponId, discount: 1_500, state: "committed" }]);
  });

  test("order - cancelling an unpaid order returns its coupon, which a new order can then use", async () => {
    const { cluster, claim } = await world(3);
    const couponId = await claim();
    expect((await place(cluster, "O-1", couponId)).ok).toBe(true);
    await cluster.settle();
    const cancelled = await cluster.command("order", "O-1", {
      id: "cancel",
      cmd: { type: "cancel", reason: "changed my mind" },
    });
    expect(cancelled.ok).toBe(true);
    await cluster.settle();
    expect(couponOf(cluster, couponId)).toMatchObject({ status: "available" });
    expect(couponOf(cluster, couponId)?.orderId).toBeUndefined();
    expect(orderOf(cluster, "O-1").coupons).toEqual([{ couponId, discount: 1_500, state: "released" }]);
    expect(counters(cluster)).toEqual({ reserved: 0, used: 0, gmv: 0, discountCost: 0 });
    expect((await place(cluster, "O-3", couponId)).ok).toBe(true);
    await cluster.settle();
    expect(couponOf(cluster, couponId)).toMatchObject({ status: "reserved", orderId: "O-3" });
  });

  test("order - a payment timeout returns the coupon (durable timer → cancel → release)", async () => {
    const { cluster, claim } = await world();
    const couponId = await claim();
    expect((await place(cluster, "O-1", couponId)).ok).toBe(true);
    await cluster.settle();
    cluster.clock = T0 + TIMEOUT_MS + 1;
    expect(await cluster.command("order", "O-1", { cmd: { type: "$timers" } })).toEqual({
      ok: true,
      value: { fired: 1 },
    });
    await cluster.settle();
    expect(orderOf(cluster, "O-1").status).toBe("cancelled");
    expect(couponOf(cluster, couponId)).toMatchObject({ status: "available" });
    expect(await reserved(cluster, "SKU-A")).toBe(0);
    expect(counters(cluster).reserved).toBe(0);
  });

  test("order - a line short of stock fails the order and gives the coupon back before the caller hears no", async () => {
    const { cluster, claim } = await world();
    const couponId = await claim();
    const failed = await place(cluster, "O-1", couponId, [
      { sku: "SKU-A", qty: 1 },
      { sku: "SKU-S", qty: 3 },
    ]);
    expect(failed).toMatchObject({ ok: false, error: { kind: "insufficient_stock" } });
    // Answered only once the compensation finished: nothing is held when the caller hears it.
    expect(couponOf(cluster, couponId)).toMatchObject({ status: "available" });
    expect(await reserved(cluster, "SKU-A")).toBe(0);
  });

  test("order - another user's coupon or an unknown one refuses the order; nothing stays held", async () => {
    const { cluster, claim } = await world();
    const theirs = await claim("U-2");
    const refused = await place(cluster, "O-1", theirs);
    expect(refused).toMatchObject({ ok: false, error: { kind: "conflict" } });
    expect(couponOf(cluster, theirs)).toMatchObject({ status: "available" });
    const unknown = await place(cluster, "O-2", "CT9-1");
    expect(unknown).toMatchObject({ ok: false, error: { kind: "conflict" } });
    const notACoupon = await place(cluster, "O-3", "nonsense");
    expect(notACoupon).toMatchObject({
      ok: false,
      error: { kind: "invalid", details: { field: "coupons" } },
    });
    await cluster.settle();
    expect(await reserved(cluster, "SKU-A")).toBe(0);
    expect(counters(cluster).reserved).toBe(0);
  });
});
