import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { ActorRef, Reply } from "../runtime/index.ts";
import { ActorInstance } from "../runtime/index.ts";
import { MemoryEventStore, MemoryTimerIndex } from "../runtime/testing/index.ts";
import type { CouponCommand, CouponTemplate } from "./commands.ts";
import { couponDiscount, couponTemplateKind, templateOfCoupon } from "./index.ts";

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;
const ref: ActorRef = { kind: "coupon-template", id: "CT1", shard: 0 };
const TEMPLATE: CouponTemplate = {
  name: "满100减15",
  kind: "amount_off",
  value: 1_500,
  threshold: 10_000,
  totalQuantity: 100,
  perUserLimit: 2,
  validFrom: T0 - DAY,
  validTo: T0 + 30 * DAY,
};

const send = (actor: ActorInstance, envelope: { id?: string; cmd: CouponCommand }) =>
  new Promise<Reply>((resolve) => actor.enqueue(envelope, resolve));

function runtime(snapshotEvery = 100) {
  const store = new MemoryEventStore();
  let now = T0;
  const host = {
    store,
    timerIndex: new MemoryTimerIndex(),
    leaseValid: () => true,
    scheduleWake: () => undefined,
    now: () => now,
    onAppend: () => undefined,
    onError: (_ref: ActorRef, message: string, error: unknown) => {
      throw new Error(`${message}: ${String(error)}`);
    },
  };
  const options = {
    mailboxMax: 5_000,
    maxBatch: 1_000,
    snapshotEvery,
    idempotencyMax: 10_000,
    idempotencyRetentionMs: 3_600_000,
  };
  const start = async (template: CouponTemplate | null = TEMPLATE) => {
    const actor = new ActorInstance(ref, couponTemplateKind, host, options);
    await actor.activate();
    if (template) {
      const created = await send(actor, { id: "create", cmd: { type: "create", template } });
      expect(created).toMatchObject({ ok: true });
    }
    return actor;
  };
  return { store, start, setNow: (t: number) => (now = t) };
}

const reasonOf = (r: Reply) =>
  r.ok ? "ok" : String(r.error.details?.reason ?? `${r.error.kind}: ${r.error.message}`);
const tally = (replies: Reply[]) => {
  const out = new Map<string, number>();
  for (const r of replies) out.set(reasonOf(r), (out.get(reasonOf(r)) ?? 0) + 1);
  return Object.fromEntries(out);
};
const value = <T = Record<string, unknown>>(r: Reply): T => {
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.error)}`);
  return r.value as T;
};

describe("coupon-template - budget and per-user limit", () => {
  test("coupon - 1,000 concurrent claims for 100 coupons issue exactly 100, no user over the limit, after a restart too", async () => {
    const { store, start } = runtime(50);
    const actor = await start();
    // 400 users, each claiming 2–3 times: the limit (2) and the budget (100) both bind.
    const replies = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) =>
        send(actor, { id: `claim-${i}`, cmd: { type: "claim", userId: `U-${i % 400}` } }),
      ),
    );
    const counts = tally(replies);
    expect(counts.ok).toBe(100);
    expect(counts["coupons-exhausted"]! + (counts["coupon-limit-reached"] ?? 0)).toBe(900);
    const ids = replies.filter((r) => r.ok).map((r) => value<{ couponId: string }>(r).couponId);
    expect(new Set(ids).size).toBe(100);
    const issued = store.batches(ref).flatMap((b) => b.batch.ev.filter((e) => e.type === "issued"));
    expect(issued).toHaveLength(100);
    const perUser = new Map<string, number>();
    for (const e of issued) perUser.set(String(e.userId), (perUser.get(String(e.userId)) ?? 0) + 1);
    expect(Math.max(...perUser.values())).toBeLessThanOrEqual(2);
    // Refusals are not logged (decision 0003).
    expect(store.batches(ref).flatMap((b) => b.batch.ev)).toHaveLength(101);

    await actor.settled();
    await new Promise((r) => setTimeout(r, 0));
    const fresh = await start(null);
    expect(value(await send(fresh, { cmd: { type: "get" } }))).toMatchObject({
      issued: 100,
      claimed: 100,
      remaining: 0,
    });
    expect(reasonOf(await send(fresh, { id: "late", cmd: { type: "claim", userId: "U-new" } }))).toBe(
      "coupons-exhausted",
    );
    // A retried claim returns its first answer, after the restart as well.
    expect(await send(fresh, { id: "claim-0", cmd: { type: "claim", userId: "U-0" } })).toEqual(replies[0]!);
  });

  test("coupon - the per-user limit counts every coupon a user was issued; built-in names are plain user ids", async () => {
    const { start } = runtime(3);
    const actor = await start();
    for (const userId of ["constructor", "toString", "hasOwnProperty", "valueOf"]) {
      expect(reasonOf(await send(actor, { id: `${userId}-1`, cmd: { type: "claim", userId } }))).toBe("ok");
      expect(reasonOf(await send(actor, { id: `${userId}-2`, cmd: { type: "claim", userId } }))).toBe("ok");
      expect(reasonOf(await send(actor, { id: `${userId}-3`, cmd: { type: "claim", userId } }))).toBe(
        "coupon-limit-reached",
      );
    }
    await actor.settled();
    await new Promise((r) => setTimeout(r, 0));
    const fresh = await start(null);
    expect(reasonOf(await send(fresh, { id: "again", cmd: { type: "claim", userId: "valueOf" } }))).toBe(
      "coupon-limit-reached",
    );
    expect(value(await send(fresh, { cmd: { type: "get" } }))).toMatchObject({ issued: 8 });
  });

  test("coupon - a push issues one coupon per user where budget and limit allow and says why not for the rest", async () => {
    const { start } = runtime();
    const actor = await start({ ...TEMPLATE, totalQuantity: 3, perUserLimit: 1 });
    await send(actor, { id: "c", cmd: { type: "claim", userId: "A" } });
    const pushed = value<{ issued: number; results: unknown[] }>(
      await send(actor, { id: "p", cmd: { type: "push", userIds: ["A", "B", "B", "C", "D"] } }),
    );
    expect(pushed.issued).toBe(2);
    expect(pushed.results).toEqual([
      { userId: "A", couponId: null, refused: "coupon-limit-reached" },
      { userId: "B", couponId: "CT1-2", refused: null },
      { userId: "B", couponId: null, refused: "coupon-limit-reached" },
      { userId: "C", couponId: "CT1-3", refused: null },
      { userId: "D", couponId: null, refused: "coupons-exhausted" },
    ]);
    expect(value(await send(actor, { cmd: { type: "get" } }))).toMatchObject({
      issued: 3,
      claimed: 1,
      pushed: 2,
    });
  });

  test("coupon - claims outside the window or after expire are refused; expire turns unused coupons expired", async () => {
    const { start, setNow } = runtime();
    const actor = await start({ ...TEMPLATE, validFrom: T0 + DAY });
    expect(reasonOf(await send(actor, { id: "early", cmd: { type: "claim", userId: "A" } }))).toBe(
      "coupon-not-active",
    );
    setNow(T0 + 2 * DAY);
    const { couponId } = value<{ couponId: string }>(
      await send(actor, { id: "c1", cmd: { type: "claim", userId: "A" } }),
    );
    expect(value(await send(actor, { cmd: { type: "coupon", couponId } }))).toMatchObject({
      status: "available",
    });
    expect(value(await send(actor, { id: "end", cmd: { type: "expire" } }))).toMatchObject({
      status: "ended",
    });
    expect(value(await send(actor, { cmd: { type: "coupon", couponId } }))).toMatchObject({
      status: "expired",
    });
    expect(reasonOf(await send(actor, { id: "c2", cmd: { type: "claim", userId: "B" } }))).toBe(
      "coupon-not-active",
    );
    const reserve = {
      type: "reserve" as const,
      couponId,
      orderId: "O-1",
      userId: "A",
      discount: 1_500,
      amount: 9_000,
    };
    expect(reasonOf(await send(actor, { id: "r", cmd: reserve }))).toBe("coupon-expired");
  });

  test("coupon - validDays: each coupon is valid for N days from its claim", async () => {
    const { start, setNow } = runtime();
    const actor = await start({ ...TEMPLATE, validDays: 3 });
    setNow(T0 + 5 * DAY);
    const claimed = value<{ couponId: string; validFrom: string; validTo: string }>(
      await send(actor, { id: "c", cmd: { type: "claim", userId: "A" } }),
    );
    expect(claimed.validFrom).toBe(new Date(T0 + 5 * DAY).toISOString());
    expect(claimed.validTo).toBe(new Date(T0 + 8 * DAY).toISOString());
    setNow(T0 + 8 * DAY);
    expect(value(await send(actor, { cmd: { type: "coupon", couponId: claimed.couponId } }))).toMatchObject({
      status: "expired",
    });
  });
});

describe("coupon-template - redemption with an order", () => {
  test("coupon - reserve, release, reserve again and commit: one order at a time, replays answer the same", async () => {
    const { start } = runtime();
    const actor = await start();
    const { couponId } = value<{ couponId: string }>(
      await send(actor, { id: "c", cmd: { type: "claim", userId: "A" } }),
    );
    expect(templateOfCoupon(couponId)).toBe("CT1");
    const reserve = (orderId: string, userId = "A", discount = 1_500) => ({
      type: "reserve" as const,
      couponId,
      orderId,
      userId,
      discount,
      amount: 10_000,
    });
    expect(reasonOf(await send(actor, { id: "r0", cmd: reserve("O-1", "B") }))).toBe("coupon-not-owned");
    expect(await send(actor, { id: "rx", cmd: reserve("O-1", "A", 1_501) })).toMatchObject({
      ok: false,
      error: { kind: "invalid" },
    });
    expect(reasonOf(await send(actor, { id: "r1", cmd: reserve("O-1") }))).toBe("ok");
    // The same order re-sending its reservation under another command id is answered the same.
    expect(reasonOf(await send(actor, { id: "r1b", cmd: reserve("O-1") }))).toBe("ok");
    expect(reasonOf(await send(actor, { id: "r2", cmd: reserve("O-2") }))).toBe("coupon-unavailable");
    expect(value(await send(actor, { cmd: { type: "get" } }))).toMatchObject({ reserved: 1, used: 0 });
    const release = { type: "release" as const, couponId, orderId: "O-1", reason: "payment timeout" };
    expect(value(await send(actor, { id: "x1", cmd: release }))).toMatchObject({ released: true });
    expect(value(await send(actor, { id: "x1b", cmd: release }))).toMatchObject({ released: false });
    expect(value(await send(actor, { cmd: { type: "coupon", couponId } }))).toMatchObject({
      status: "available",
      orderId: null,
    });
    expect(reasonOf(await send(actor, { id: "r3", cmd: reserve("O-3") }))).toBe("ok");
    expect(reasonOf(await send(actor, { id: "k1", cmd: { type: "commit", couponId, orderId: "O-2" } }))).toBe(
      "coupon-unavailable",
    );
    expect(reasonOf(await send(actor, { id: "k3", cmd: { type: "commit", couponId, orderId: "O-3" } }))).toBe(
      "ok",
    );
    expect(reasonOf(await send(actor, { id: "x3", cmd: { ...release, orderId: "O-3" } }))).toBe(
      "coupon-unavailable",
    );
    expect(value(await send(actor, { cmd: { type: "get" } }))).toMatchObject({
      reserved: 0,
      used: 1,
      gmv: 10_000,
      discountCost: 1_500,
    });
  });
});

describe("coupon - couponDiscount", () => {
  const line = (sku: string, qty: number, unitPrice: number, extra = {}) => ({
    sku,
    qty,
    unitPrice,
    ...extra,
  });

  test("couponDiscount - amount off needs the threshold on in-scope lines; percent off rounds half up and is capped", () => {
    expect(couponDiscount(TEMPLATE, [line("A", 1, 9_999)])).toMatchObject({
      discount: 0,
      reason: "below-threshold",
    });
    expect(couponDiscount(TEMPLATE, [line("A", 2, 5_000)])).toEqual({
      discount: 1_500,
      eligible: 10_000,
      lines: [{ sku: "A", discount: 1_500 }],
    });
    const pct = { kind: "percent_off" as const, value: 15, maxDiscount: 2_000 };
    expect(couponDiscount(pct, [line("A", 1, 1_003)]).discount).toBe(150); // 150.45 → 150
    expect(couponDiscount(pct, [line("A", 1, 1_010)]).discount).toBe(152); // 151.5 → 152
    expect(couponDiscount(pct, [line("A", 1, 100_000)]).discount).toBe(2_000);
    // Never more than the in-scope lines cost.
    expect(couponDiscount({ kind: "amount_off", value: 5_000 }, [line("A", 1, 3_000)]).discount).toBe(3_000);
  });

  test("couponDiscount - scope by sku, spu, category ancestor and brand; exclusions win", () => {
    const cart = [
      line("A1", 1, 6_000, { spu: "SPU-A", categories: ["phones", "digital"], brand: "Acme" }),
      line("B1", 1, 5_000, { spu: "SPU-B", categories: ["food"], brand: "Bee" }),
    ];
    const t = (scope: object) => ({ kind: "amount_off" as const, value: 1_000, threshold: 5_500, scope });
    expect(couponDiscount(t({ categories: ["digital"] }), cart)).toMatchObject({
      discount: 1_000,
      eligible: 6_000,
    });
    expect(couponDiscount(t({ brands: ["Bee"] }), cart)).toMatchObject({
      discount: 0,
      reason: "below-threshold",
    });
    expect(couponDiscount(t({ all: true, exclude: { spus: ["SPU-A"] } }), cart)).toMatchObject({
      eligible: 5_000,
    });
    expect(couponDiscount(t({ skus: ["Z"] }), cart)).toMatchObject({
      discount: 0,
      reason: "no-line-in-scope",
    });
    // Built-in names are just names.
    expect(couponDiscount(t({ skus: ["constructor"] }), [line("toString", 1, 9_000)]).discount).toBe(0);
  });

  test("couponDiscount - the apportioned shares sum to the discount, never exceed a line, and the same cart gives the same answer", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            qty: fc.integer({ min: 1, max: 50 }),
            unitPrice: fc.integer({ min: 0, max: 500_000 }),
          }),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        fc.oneof(
          fc.record({
            kind: fc.constant("amount_off" as const),
            value: fc.integer({ min: 1, max: 10_000_000 }),
          }),
          fc.record({
            kind: fc.constant("percent_off" as const),
            value: fc.integer({ min: 1, max: 99 }),
            maxDiscount: fc.integer({ min: 1, max: 1_000_000 }),
          }),
        ),
        (lines, template) => {
          const cart = lines.map((l, i) => line(`S-${i}`, l.qty, l.unitPrice));
          const quote = couponDiscount(template, cart);
          const total = cart.reduce((n, l) => n + l.qty * l.unitPrice, 0);
          expect(quote.discount).toBeGreaterThanOrEqual(0);
          expect(quote.discount).toBeLessThanOrEqual(total);
          expect(quote.lines.reduce((n, l) => n + l.discount, 0)).toBe(quote.discount);
          for (const [i, l] of quote.lines.entries())
            expect(l.discount).toBeLessThanOrEqual(cart[i]!.qty * cart[i]!.unitPrice);
          expect(couponDiscount(template, cart)).toEqual(quote);
        },
      ),
    );
  });
});
