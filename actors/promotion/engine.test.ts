/**
 * The promotion engine: every benefit type, conditions, scope (categories with descendants, exclusions,
 * built-in names as ids), time in Asia/Shanghai, stacking and exclusivity with the documented tie-break,
 * apportioning by largest remainder, explanations, and property tests over random carts.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  apportion,
  type Benefit,
  type Cart,
  type CartLine,
  eligibility,
  evaluate,
  MAX_STEPS,
  type Promotion,
  shanghaiClock,
} from "./index.ts";

// 2026-11-30 is a Monday; 02:00 UTC is 10:00 in Shanghai.
const NOW = Date.parse("2026-11-30T02:00:00.000Z");
const DAY = 86_400_000;

const promo = (id: string, benefit: Benefit, over: Partial<Promotion> = {}): Promotion => ({
  id,
  name: over.name ?? id,
  benefit,
  scope: over.scope ?? { all: true },
  conditions: over.conditions ?? {},
  schedule: over.schedule ?? { startsAt: NOW - DAY, endsAt: NOW + DAY },
  stacking: over.stacking ?? { exclusive: false, priority: 0 },
  ...(over.endedAt === undefined ? {} : { endedAt: over.endedAt }),
});
const line = (sku: string, unitPrice: number, qty = 1, extra: Partial<CartLine> = {}): CartLine => ({
  sku,
  unitPrice,
  qty,
  ...extra,
});
const cart = (lines: CartLine[], extra: Partial<Cart> = {}): Cart => ({
  lines,
  now: NOW,
  channel: "web",
  ...extra,
});

const off = (threshold: number, reduction: number): Benefit => ({
  type: "threshold_reduction",
  threshold,
  reduction,
});

describe("promotion engine - benefits", () => {
  test("promotion engine - 满100减15 applies at the threshold, not below it, apportioned to the fen", () => {
    const p = promo("M100-15", off(10_000, 1_500));
    const below = evaluate(cart([line("A", 9_999)]), [p]);
    expect(below.discount).toBe(0);
    expect(below.hints[0]?.explanation["zh-CN"]).toBe("M100-15：再买¥0.01可享满¥100.00减¥15.00");
    const at = evaluate(cart([line("A", 3_000), line("B", 7_000)]), [p]);
    expect(at.discount).toBe(1_500);
    expect(at.lines.map((l) => [l.sku, l.discount, l.paid])).toEqual([
      ["A", 450, 2_550],
      ["B", 1_050, 5_950],
    ]);
    expect(at.applied[0]?.explanation).toEqual({
      "zh-CN": "M100-15：满¥100.00减¥15.00，已优惠¥15.00",
      en: "M100-15: ¥15.00 off ¥100.00 or more: ¥15.00 saved",
    });
  });

  test("promotion engine - percent off rounds the price half up and respects its cap", () => {
    const p = promo("P20", { type: "percent_off", percent: 20, threshold: 0 });
    // 1,995 × 80 % = 1,596 → discount 399.
    expect(evaluate(cart([line("A", 1_995)]), [p]).discount).toBe(399);
    const capped = promo("P20C", { type: "percent_off", percent: 20, threshold: 0, maxDiscount: 300 });
    expect(evaluate(cart([line("A", 1_995)]), [capped]).discount).toBe(300);
    expect(evaluate(cart([line("A", 1_995)]), [p]).applied[0]?.explanation["zh-CN"]).toBe(
      "P20：8折，已优惠¥3.99",
    );
  });

  test("promotion engine - 每满100减10 counts full hundreds of scoped spend, capped", () => {
    const p = promo("E", { type: "every_n_off", every: 10_000, reduction: 1_000 });
    expect(evaluate(cart([line("A", 29_999)]), [p]).discount).toBe(2_000);
    expect(evaluate(cart([line("A", 30_000)]), [p]).discount).toBe(3_000);
    expect(evaluate(cart([line("A", 9_999)]), [p]).discount).toBe(0);
    const capped = promo("EC", { type: "every_n_off", every: 10_000, reduction: 1_000, maxDiscount: 2_500 });
    expect(evaluate(cart([line("A", 50_000)]), [capped]).discount).toBe(2_500);
  });

  test("promotion engine - 第二件半价 discounts every 2nd unit by price order; Nth at a fixed price", () => {
    const half = promo("H", { type: "nth_item_price", n: 2, percent: 50 });
    // Units by price: 3000, 2000, 2000, 1000 → 2nd (2000) and 4th (1000) at half price.
    const out = evaluate(cart([line("A", 1_000), line("B", 2_000, 2), line("C", 3_000)]), [half]);
    expect(out.discount).toBe(1_000 + 500);
    expect(out.lines.map((l) => [l.sku, l.discount])).toEqual([
      ["A", 500],
      ["B", 1_000],
      ["C", 0],
    ]);
    expect(out.applied[0]?.explanation["zh-CN"]).toBe("H：第2件半价，已优惠¥15.00");
    const third = promo("T", { type: "nth_item_price", n: 3, price: 1 });
    expect(evaluate(cart([line("A", 500, 3)]), [third]).discount).toBe(499);
    expect(evaluate(cart([line("A", 500, 2)]), [third]).discount).toBe(0);
  });

  test("promotion engine - fixed price lowers dearer units only", () => {
    const p = promo("F", { type: "fixed_price", price: 990 }, { scope: { skus: ["A", "B"] } });
    const out = evaluate(cart([line("A", 1_500, 2), line("B", 800), line("C", 5_000)]), [p]);
    expect(out.lines.map((l) => l.discount)).toEqual([1_020, 0, 0]);
  });

  test("promotion engine - gift and free shipping carry no money but are applied and explained", () => {
    const gift = promo("G", { type: "gift", sku: "GIFT-1", qty: 2, threshold: 5_000 });
    const ship = promo("S", { type: "free_shipping", threshold: 9_900 });
    const out = evaluate(cart([line("A", 10_000)]), [gift, ship]);
    expect(out.discount).toBe(0);
    expect(out.freeShipping).toBe(true);
    expect(out.gifts).toEqual([{ sku: "GIFT-1", qty: 2, promotionId: "G" }]);
    expect(out.applied.map((a) => a.explanation.en)).toEqual([
      "G: free 2 × GIFT-1 with ¥50.00 or more: gift added",
      "S: free shipping on ¥99.00 or more: this order ships free",
    ]);
    expect(evaluate(cart([line("A", 9_899)]), [ship]).freeShipping).toBe(false);
  });
});

describe("promotion engine - conditions, scope and time", () => {
  test("promotion engine - member level, first order, channel and item count", () => {
    const p = promo("C", off(0, 100), {
      conditions: { memberLevels: ["gold"], firstOrder: true, channels: ["app"], minItems: 2 },
    });
    const ok = cart([line("A", 1_000, 2)], { memberLevel: "gold", firstOrder: true, channel: "app" });
    expect(evaluate(ok, [p]).discount).toBe(100);
    expect(eligibility({ ...ok, memberLevel: "silver" }, p)).toMatchObject({ reason: "level" });
    expect(eligibility({ ...ok, firstOrder: false }, p)).toMatchObject({ reason: "first-order" });
    expect(eligibility({ ...ok, channel: "web" }, p)).toMatchObject({ reason: "channel" });
    expect(eligibility({ ...ok, lines: [line("A", 1_000)] }, p)).toMatchObject({ reason: "items", short: 1 });
  });

  test("promotion engine - a category covers its descendants; exclusions win; spend counts scoped lines only", () => {
    const p = promo("CAT", off(10_000, 1_000), {
      scope: { categories: ["food"], exclude: { brands: ["cheap"], skus: ["X"] } },
    });
    const lines = [
      line("A", 6_000, 1, { spu: "S1", categories: ["snacks", "food"], brand: "good" }),
      line("B", 6_000, 1, { spu: "S2", categories: ["snacks", "food"], brand: "cheap" }),
      line("X", 6_000, 1, { spu: "S3", categories: ["food"] }),
      line("D", 6_000, 1, { spu: "S4", categories: ["phones"] }),
    ];
    expect(evaluate(cart(lines), [p]).discount).toBe(0); // only A is in scope: 60 < 100
    const more = [...lines, line("E", 4_000, 1, { categories: ["nuts", "snacks", "food"] })];
    const out = evaluate(cart(more), [p]);
    expect(out.lines.map((l) => l.discount)).toEqual([600, 0, 0, 0, 400]);
  });

  test("promotion engine - built-in property names are ordinary ids", () => {
    for (const id of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      const p = promo(id, off(0, 100), {
        scope: { skus: [id], spus: [id], categories: [id], brands: [id], exclude: { skus: ["other"] } },
        stacking: { exclusive: false, stackGroup: id, priority: 0 },
      });
      const hit = evaluate(cart([line(id, 1_000, 1, { spu: id, categories: [id], brand: id })]), [p]);
      expect(hit.discount).toBe(100);
      expect(hit.applied[0]?.promotionId).toBe(id);
      // Only the brand matches here (the SKU is another), and that is enough.
      expect(evaluate(cart([line("plain", 1_000, 1, { brand: id })]), [p]).discount).toBe(100);
      expect(evaluate(cart([line("plain", 1_000)]), [p]).discount).toBe(0);
    }
  });

  test("promotion engine - window [startsAt, endsAt), early end, weekdays and slots in Asia/Shanghai", () => {
    const c = cart([line("A", 1_000)]);
    const at = (now: number, p: Promotion) => evaluate({ ...c, now }, [p]).discount;
    const w = promo("W", off(0, 100), { schedule: { startsAt: NOW, endsAt: NOW + 1_000 } });
    expect([at(NOW - 1, w), at(NOW, w), at(NOW + 999, w), at(NOW + 1_000, w)]).toEqual([0, 100, 100, 0]);
    const ended = promo("E", off(0, 100), { endedAt: NOW + 10 });
    expect([at(NOW + 9, ended), at(NOW + 10, ended)]).toEqual([100, 0]);
    expect(shanghaiClock(NOW)).toEqual({ weekday: 1, minute: 600 });
    // 2026-11-29T16:00Z is Monday 00:00 in Shanghai but Sunday in UTC.
    expect(shanghaiClock(Date.parse("2026-11-29T16:00:00Z")).weekday).toBe(1);
    const monday = promo("MON", off(0, 100), {
      schedule: { startsAt: 0, endsAt: NOW + 30 * DAY, weekdays: [1], timeSlots: [{ from: 600, to: 720 }] },
    });
    expect(at(NOW, monday)).toBe(100); // Monday 10:00
    expect(at(NOW - 1, monday)).toBe(0); // 09:59:59.999
    expect(at(NOW + 2 * 3_600_000 - 1, monday)).toBe(100); // 11:59:59.999
    expect(at(NOW + 2 * 3_600_000, monday)).toBe(0); // 12:00
    expect(at(NOW + DAY, monday)).toBe(0); // Tuesday 10:00
    expect(at(NOW + 7 * DAY, monday)).toBe(100);
  });
});

describe("promotion engine - stacking", () => {
  const c = cart([line("A", 20_000)]);

  test("promotion engine - stackable promotions add up, applied in priority order on what is left", () => {
    const a = promo("A", off(10_000, 1_500), { stacking: { exclusive: false, priority: 10 } });
    const b = promo(
      "B",
      { type: "percent_off", percent: 10, threshold: 0 },
      { stacking: { exclusive: false, priority: 5 } },
    );
    const out = evaluate(c, [b, a]);
    // A first: 20,000 − 1,500 = 18,500; then 10 % of 18,500 = 1,850.
    expect(out.applied.map((x) => [x.promotionId, x.discount])).toEqual([
      ["A", 1_500],
      ["B", 1_850],
    ]);
    expect(out.discount).toBe(3_350);
  });

  test("promotion engine - an exclusive promotion applies alone, and only when it beats the stack", () => {
    const a = promo("A", off(10_000, 1_500));
    const b = promo("B", off(0, 1_000));
    const x = promo("X", off(0, 2_000), { stacking: { exclusive: true, priority: 0 } });
    expect(evaluate(c, [a, b, x]).applied.map((p) => p.promotionId)).toEqual(["A", "B"]);
    const big = promo("X", off(0, 3_000), { stacking: { exclusive: true, priority: 0 } });
    expect(evaluate(c, [a, b, big]).applied.map((p) => p.promotionId)).toEqual(["X"]);
  });

  test("promotion engine - one promotion per stack group: the better one", () => {
    const a = promo("A", off(0, 1_000), { stacking: { exclusive: false, stackGroup: "g", priority: 0 } });
    const b = promo("B", off(0, 1_200), { stacking: { exclusive: false, stackGroup: "g", priority: 0 } });
    const free = promo("C", off(0, 100));
    expect(evaluate(c, [a, b, free]).applied.map((p) => p.promotionId)).toEqual(["B", "C"]);
  });

  test("promotion engine - ties: free shipping, then priority, then fewer promotions, then id", () => {
    const x1 = promo("X1", off(0, 1_000), { stacking: { exclusive: true, priority: 0 } });
    const x2 = promo("X2", off(0, 1_000), { stacking: { exclusive: true, priority: 0 } });
    expect(evaluate(c, [x2, x1]).applied[0]?.promotionId).toBe("X1");
    const x3 = promo("X3", off(0, 1_000), { stacking: { exclusive: true, priority: 7 } });
    expect(evaluate(c, [x2, x1, x3]).applied[0]?.promotionId).toBe("X3");
    // The same money stacked from two promotions loses to one promotion of equal priority sum.
    const s1 = promo("S1", off(0, 500), { stacking: { exclusive: false, stackGroup: "s", priority: 0 } });
    const s2 = promo("S2", off(0, 500), { stacking: { exclusive: false, stackGroup: "t", priority: 0 } });
    expect(evaluate(c, [s1, s2, x1]).applied.map((p) => p.promotionId)).toEqual(["X1"]);
    const ship = promo(
      "FS",
      { type: "free_shipping", threshold: 0 },
      { stacking: { exclusive: false, stackGroup: "ship", priority: 0 } },
    );
    // Equal money, but the stack also ships free.
    expect(evaluate(c, [s1, s2, x1, ship]).applied.map((p) => p.promotionId)).toEqual(["FS", "S1", "S2"]);
  });

  test("promotion engine - the search stops at its step cap and still answers the same way", () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      promo(`P${String(i).padStart(2, "0")}`, off(0, 10 + (i % 7)), {
        stacking: { exclusive: false, stackGroup: `g${i % 13}`, priority: i % 3 },
      }),
    );
    const out = evaluate(cart([line("A", 100_000)]), many);
    expect(out.search.candidates).toBe(16);
    expect(out.search.steps).toBeLessThanOrEqual(MAX_STEPS + 16);
    expect(evaluate(cart([line("A", 100_000)]), [...many].reverse())).toEqual(out);
    expect(out.discount).toBeGreaterThan(0);
  });
});

describe("promotion engine - apportioning", () => {
  test("promotion engine - largest remainder, equal remainders to the earlier line", () => {
    expect(apportion(100, [100, 100, 100])).toEqual([34, 33, 33]);
    expect(apportion(2, [1, 1, 1])).toEqual([1, 1, 0]);
    expect(apportion(1_500, [3_000, 7_000])).toEqual([450, 1_050]);
    expect(apportion(10, [1, 2, 7])).toEqual([1, 2, 7]);
    expect(apportion(0, [5, 5])).toEqual([0, 0]);
    // Exact with amounts near MAX_AMOUNT (products beyond 2^53).
    expect(apportion(9_999_999_999, [10_000_000_000, 1])).toEqual([9_999_999_998, 1]);
  });

  test("promotion engine - property: shares sum to the total and stay within their weights", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (weights, f) => {
          const sum = weights.reduce((a, b) => a + b, 0);
          const total = Math.floor(sum * f);
          const shares = apportion(total, weights);
          expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
          for (const [i, s] of shares.entries()) {
            expect(s).toBeGreaterThanOrEqual(0);
            expect(s).toBeLessThanOrEqual(weights[i]!);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("promotion engine - properties over random carts", () => {
  const ids = ["A", "B", "C", "constructor", "__proto__", "toString"];
  const cats = ["root", "food", "snacks", "toString"];
  const lineArb = fc.record({
    sku: fc.constantFrom(...ids),
    qty: fc.integer({ min: 1, max: 5 }),
    unitPrice: fc.integer({ min: 0, max: 20_000 }),
    brand: fc.constantFrom("b1", "b2", "__proto__"),
    categories: fc.constantFrom(["snacks", "food", "root"], ["food", "root"], ["root"], ["toString", "root"]),
  });
  const cartArb = fc
    .uniqueArray(lineArb, { selector: (l) => l.sku, minLength: 1, maxLength: 5 })
    .map((lines) => cart(lines));
  const benefitArb: fc.Arbitrary<Benefit> = fc.oneof(
    fc.record({
      type: fc.constant("threshold_reduction" as const),
      threshold: fc.integer({ min: 0, max: 30_000 }),
      reduction: fc.integer({ min: 1, max: 20_000 }),
    }),
    fc.record({
      type: fc.constant("percent_off" as const),
      percent: fc.integer({ min: 1, max: 99 }),
      threshold: fc.integer({ min: 0, max: 30_000 }),
    }),
    fc.record({
      type: fc.constant("every_n_off" as const),
      every: fc.integer({ min: 1_000, max: 20_000 }),
      reduction: fc.integer({ min: 1, max: 5_000 }),
    }),
    fc.record({
      type: fc.constant("nth_item_price" as const),
      n: fc.integer({ min: 2, max: 4 }),
      percent: fc.integer({ min: 0, max: 99 }),
    }),
    fc.record({ type: fc.constant("fixed_price" as const), price: fc.integer({ min: 0, max: 10_000 }) }),
    fc.record({
      type: fc.constant("free_shipping" as const),
      threshold: fc.integer({ min: 0, max: 30_000 }),
    }),
  );
  const scopeArb = fc.oneof(
    fc.constant({ all: true }),
    fc.record({ skus: fc.subarray(ids) }),
    fc.record({
      categories: fc.subarray(cats),
      exclude: fc.record({ brands: fc.subarray(["b1", "__proto__"]) }),
    }),
  );
  const promoArb = fc.tuple(
    fc.constantFrom("p1", "p2", "p3", "p4", "constructor"),
    benefitArb,
    scopeArb,
    fc.boolean(),
    fc.option(fc.constantFrom("g1", "g2", "__proto__"), { nil: undefined }),
    fc.integer({ min: 0, max: 3 }),
    fc.option(fc.integer({ min: 0, max: 40_000 }), { nil: undefined }),
  );
  const promosArb = fc.uniqueArray(promoArb, { selector: (t) => t[0], maxLength: 5 }).map((ts) =>
    ts.map(([id, benefit, scope, exclusive, stackGroup, priority, minSpend]) =>
      promo(id, benefit, {
        scope,
        stacking: { exclusive, priority, ...(stackGroup === undefined ? {} : { stackGroup }) },
        conditions: minSpend === undefined ? {} : { minSpend },
      }),
    ),
  );

  test("promotion engine - property: total ≥ 0, the breakdown sums to the discount, no line below zero", () => {
    fc.assert(
      fc.property(cartArb, promosArb, (c, ps) => {
        const out = evaluate(c, ps);
        expect(out.discount).toBeGreaterThanOrEqual(0);
        expect(out.items - out.discount).toBeGreaterThanOrEqual(0);
        expect(out.lines.reduce((n, l) => n + l.discount, 0)).toBe(out.discount);
        expect(out.applied.reduce((n, a) => n + a.discount, 0)).toBe(out.discount);
        for (const l of out.lines) {
          expect(l.paid).toBeGreaterThanOrEqual(0);
          expect(l.paid + l.discount).toBe(l.amount);
          expect(l.allocations.reduce((n, a) => n + a.discount, 0)).toBe(l.discount);
        }
        // Legal: an exclusive promotion alone; one per stack group.
        if (out.applied.length > 1) {
          const chosen = ps.filter((p) => out.applied.some((a) => a.promotionId === p.id));
          expect(chosen.some((p) => p.stacking.exclusive)).toBe(false);
          const groups = chosen.flatMap((p) => (p.stacking.stackGroup ? [p.stacking.stackGroup] : []));
          expect(new Set(groups).size).toBe(groups.length);
        }
      }),
      { numRuns: 400 },
    );
  });

  test("promotion engine - property: the same cart gives the same answer, whatever the promotions' order", () => {
    fc.assert(
      fc.property(cartArb, promosArb, (c, ps) => {
        const a = evaluate(c, ps);
        expect(evaluate(c, [...ps].reverse())).toEqual(a);
        expect(evaluate(structuredClone(c), structuredClone(ps))).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });

  test("promotion engine - property: adding an item never makes an eligible threshold unreachable", () => {
    fc.assert(
      fc.property(cartArb, promosArb, lineArb, fc.boolean(), (c, ps, extra, sameSku) => {
        const grown = sameSku
          ? cart(c.lines.map((l, i) => (i === 0 ? { ...l, qty: l.qty + extra.qty } : l)))
          : c.lines.some((l) => l.sku === extra.sku)
            ? cart(c.lines.map((l) => (l.sku === extra.sku ? { ...l, qty: l.qty + 1 } : l)))
            : cart([...c.lines, extra]);
        for (const p of ps) {
          if (eligibility(c, p).eligible) expect(eligibility(grown, p).eligible).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("promotion engine - property: the chosen combination is at least as good as any single promotion", () => {
    fc.assert(
      fc.property(cartArb, promosArb, (c, ps) => {
        const best = evaluate(c, ps).discount;
        for (const p of ps) expect(best).toBeGreaterThanOrEqual(evaluate(c, [p]).discount);
      }),
      { numRuns: 200 },
    );
  });
});
