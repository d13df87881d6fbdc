/**
 * Presale (预售, issue 11 item 6, decision 0024) over real order, SKU, member and payment instances sharing
 * one in-memory log: the deposit expansion arithmetic, a deposit order that cannot ship before its balance,
 * a balance refused outside its window (the channel's money goes back), paid inside it (then it ships),
 * and a deposit forfeited when the balance window closes unpaid (durable timer; stock released, nothing
 * refunded).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { skuKind } from "../inventory/index.ts";
import { memberKind } from "../member/index.ts";
import { type OrderState, orderKind } from "../order/index.ts";
import { paymentKind } from "../payment/index.ts";
import type { Reply } from "../runtime/index.ts";
import { MemoryCluster } from "../runtime/testing/index.ts";
import { presaleAmounts } from "./index.ts";

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;
const ADDRESS = {
  region: "Shanghai",
  detail: "1 Century Avenue",
  phone: "+86 138 0000 0000",
  name: "Li Lei",
};
/** ¥100.00, deposit ¥10.00 counting as ¥30.00 (定金10抵30). */
const TERMS = { price: 10_000, deposit: 1_000, depositValue: 3_000 };

describe("presale - deposit expansion (定金膨胀)", () => {
  test("presale - a deposit of X counting as Y: balance = price − Y, total = price − (Y − X) = deposit + balance", () => {
    expect(presaleAmounts(TERMS, 2)).toEqual({
      items: 20_000,
      discount: 4_000,
      total: 16_000,
      deposit: 2_000,
      balance: 14_000,
    });
    // No expansion: the deposit is simply part of the price.
    expect(presaleAmounts({ price: 5_000, deposit: 500, depositValue: 500 }, 1)).toMatchObject({
      discount: 0,
      total: 5_000,
      balance: 4_500,
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 100 }),
        (price, d, extra, qty) => {
          const deposit = Math.min(d, price - 1);
          const depositValue = Math.min(deposit + extra, price - 1);
          const a = presaleAmounts({ price, deposit, depositValue }, qty);
          expect(a.deposit + a.balance).toBe(a.total);
          expect(a.items - a.discount).toBe(a.total);
          expect(a.balance).toBeGreaterThan(0);
          expect(a.discount).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

async function world() {
  const cluster = new MemoryCluster([orderKind, skuKind, memberKind, paymentKind], { clock: T0 });
  const ok = async (kind: string, id: string, cmdId: string, cmd: { type: string; [k: string]: unknown }) => {
    const reply = await cluster.command(kind, id, { id: cmdId, cmd });
    if (!reply.ok) throw new Error(`${cmd.type} on ${kind} ${id}: ${JSON.stringify(reply.error)}`);
    return reply.value as Record<string, unknown>;
  };
  await ok("sku", "SKU-P", "receive", { type: "receive", warehouse: "WH-1", qty: 10 });
  return { cluster, ok };
}
type World = Awaited<ReturnType<typeof world>>;
const orderOf = (w: World, id: string) => w.cluster.durableState<OrderState>(orderKind, id);
const reserved = (w: World) =>
  w.cluster
    .command("sku", "SKU-P", { cmd: { type: "get" } })
    .then((r: Reply) => (r.ok ? (r.value as { reserved: number }).reserved : -1));
const paymentOf = (w: World, id: string) =>
  w.cluster
    .command("payment", id, { cmd: { type: "get" } })
    .then((r: Reply) => (r.ok ? (r.value as { status: string; refunded: number }) : null));

const placePresale = (w: World, orderId: string) => {
  const a = presaleAmounts(TERMS, 2);
  return w.cluster.command("order", orderId, {
    id: `place:${orderId}`,
    cmd: {
      type: "place",
      userId: "U-1",
      lines: [{ sku: "SKU-P", qty: 2, unitPrice: TERMS.price, discount: a.discount }],
      address: ADDRESS,
      channel: "web",
      discount: a.discount,
      freight: 0,
      paymentTimeoutMs: 30 * 60_000,
      presale: { presaleId: "PS1", deposit: a.deposit, balanceFrom: T0 + DAY, balanceTo: T0 + 2 * DAY },
    },
  });
};

/** A channel's verified callback for `amount` on a new payment (markPaid is the payment actor's effect). */
async function pay(w: World, orderId: string, paymentId: string, amount: number) {
  await w.ok("payment", paymentId, `create:${paymentId}`, {
    type: "create",
    orderId,
    userId: "U-1",
    amount,
    channel: "alipay",
  });
  await w.ok("payment", paymentId, `cb:${paymentId}`, {
    type: "confirm",
    channelTxnId: `TX-${paymentId}`,
    amount,
    status: "paid",
    paidAt: new Date(w.cluster.clock).toISOString(),
  });
  await w.cluster.settle();
}
const fire = async (w: World, orderId: string) => {
  await w.cluster.command("order", orderId, { cmd: { type: "$timers" } });
  await w.cluster.settle();
};
const ship = (w: World, orderId: string, id: string) =>
  w.cluster.command("order", orderId, {
    id,
    cmd: { type: "ship", carrier: "SF", trackingNo: "SF1", autoCompleteMs: DAY },
  });

describe("presale - orders", () => {
  test("presale - deposit, no shipping before the balance, balance only in its window, then it ships", async () => {
    const w = await world();
    const placed = await placePresale(w, "O-1");
    expect(placed, JSON.stringify(placed)).toMatchObject({
      ok: true,
      value: { status: "pending_payment", amounts: { items: 20_000, discount: 4_000, total: 16_000 } },
    });
    await w.cluster.settle();
    // The whole total is not what is due: only the deposit is accepted.
    const wrong = await w.cluster.command("order", "O-1", {
      id: "wrong",
      cmd: { type: "markPaid", paymentId: "PX", channel: "alipay", amount: 16_000 },
    });
    expect(wrong).toMatchObject({ ok: false, error: { kind: "conflict", details: { expected: 2_000 } } });
    await pay(w, "O-1", "P-dep", 2_000);
    expect(orderOf(w, "O-1").status).toBe("awaiting_balance");
    expect(orderOf(w, "O-1").presale?.depositPayment).toMatchObject({ paymentId: "P-dep", amount: 2_000 });
    expect((await ship(w, "O-1", "ship-early")).ok).toBe(false);
    // Before the window opens the balance is refused; the channel's money goes back automatically.
    await pay(w, "O-1", "P-early", 14_000);
    expect(orderOf(w, "O-1").status).toBe("awaiting_balance");
    expect(await paymentOf(w, "P-early")).toMatchObject({ status: "refunded", refunded: 14_000 });
    w.cluster.clock = T0 + DAY + 1;
    await fire(w, "O-1");
    expect(orderOf(w, "O-1").presale?.balanceOpen).toBe(true);
    await pay(w, "O-1", "P-bal", 14_000);
    expect(orderOf(w, "O-1").status, JSON.stringify(orderOf(w, "O-1"))).toBe("awaiting_shipment");
    expect(orderOf(w, "O-1").payment).toMatchObject({ paymentId: "P-bal", amount: 14_000 });
    // The end of the window passes harmlessly (its timer was cancelled; a late firing changes nothing).
    w.cluster.clock = T0 + 3 * DAY;
    await fire(w, "O-1");
    expect(orderOf(w, "O-1").status).toBe("awaiting_shipment");
    expect((await ship(w, "O-1", "ship")).ok).toBe(true);
  });

  test("presale - a balance unpaid when its window closes: cancelled, deposit forfeited (not refunded), stock back", async () => {
    const w = await world();
    expect((await placePresale(w, "O-2")).ok).toBe(true);
    await w.cluster.settle();
    await pay(w, "O-2", "P-dep2", 2_000);
    expect(await reserved(w)).toBe(2);
    w.cluster.clock = T0 + 2 * DAY - 1;
    await fire(w, "O-2");
    expect(orderOf(w, "O-2").status).toBe("awaiting_balance");
    w.cluster.clock = T0 + 2 * DAY;
    await fire(w, "O-2");
    const order = orderOf(w, "O-2");
    expect(order.status, JSON.stringify(order)).toBe("cancelled");
    expect(order.presale?.forfeited).toBe(true);
    expect(order.timeline.at(-1)?.reason).toContain("forfeited");
    expect(await reserved(w)).toBe(0);
    expect(await paymentOf(w, "P-dep2")).toMatchObject({ status: "paid", refunded: 0 });
    // A balance arriving after the close is refused and refunded by the payment itself.
    await pay(w, "O-2", "P-late", 14_000);
    expect(orderOf(w, "O-2").status).toBe("cancelled");
    expect(await paymentOf(w, "P-late")).toMatchObject({ status: "refunded", refunded: 14_000 });
  });
});
