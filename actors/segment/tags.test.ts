import { describe, expect, test } from "bun:test";
import { segmentFilterSchema } from "./filter.ts";
import { BEHAVIOUR_RULES, type BehaviourProfile, behaviourTags, tagSchema } from "./tags.ts";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 30, 12);
const profile = (over: Partial<BehaviourProfile> = {}): BehaviourProfile => ({
  spend: 0,
  orders: 0,
  recentOrders: 0,
  firstOrderAt: null,
  lastOrderAt: null,
  categories: [],
  ...over,
});

describe("segments - behaviour tags", () => {
  test("a member who never paid has no behaviour tag", () => {
    expect(behaviourTags(profile(), NOW)).toEqual([]);
  });

  test("spend tiers at their thresholds (fen)", () => {
    const spend = (fen: number) =>
      behaviourTags(profile({ spend: fen }), NOW).filter((t) => t.startsWith("spend:"));
    expect(spend(1)).toEqual(["spend:low"]);
    expect(spend(BEHAVIOUR_RULES.spendMid - 1)).toEqual(["spend:low"]);
    expect(spend(BEHAVIOUR_RULES.spendMid)).toEqual(["spend:mid"]);
    expect(spend(BEHAVIOUR_RULES.spendHigh - 1)).toEqual(["spend:mid"]);
    expect(spend(BEHAVIOUR_RULES.spendHigh)).toEqual(["spend:high"]);
  });

  test("frequency: once, repeat, loyal (recent orders in the window)", () => {
    const freq = (p: Partial<BehaviourProfile>) =>
      behaviourTags(profile(p), NOW).filter((t) => t.startsWith("frequency:"));
    expect(freq({ orders: 1, recentOrders: 1 })).toEqual(["frequency:once"]);
    expect(freq({ orders: 2, recentOrders: 0 })).toEqual(["frequency:repeat"]);
    expect(freq({ orders: 9, recentOrders: BEHAVIOUR_RULES.loyalOrders - 1 })).toEqual(["frequency:repeat"]);
    expect(freq({ orders: 9, recentOrders: BEHAVIOUR_RULES.loyalOrders })).toEqual([
      "frequency:loyal",
      "frequency:repeat",
    ]);
  });

  test("recency from the last paid order; new-customer from the first", () => {
    const at = (lastDays: number, firstDays = 400) =>
      behaviourTags(
        profile({
          orders: 1,
          spend: 100,
          lastOrderAt: NOW - lastDays * DAY,
          firstOrderAt: NOW - firstDays * DAY,
        }),
        NOW,
      ).filter((t) => t.startsWith("recency:") || t === "new-customer");
    expect(at(0, 0)).toEqual(["new-customer", "recency:active"]);
    expect(at(30)).toEqual(["recency:active"]);
    expect(at(31)).toEqual(["recency:lapsing"]);
    expect(at(90)).toEqual(["recency:lapsing"]);
    expect(at(91)).toEqual(["recency:dormant"]);
    expect(at(5, 31)).toEqual(["recency:active"]);
  });

  test("categories bought become category:<code>; the answer is sorted and valid tags only", () => {
    const tags = behaviourTags(
      profile({ orders: 1, spend: 5, categories: ["TEA", "constructor", "TEA"] }),
      NOW,
    );
    expect(tags).toEqual(["category:TEA", "category:constructor", "frequency:once", "spend:low"]);
    for (const tag of tags) expect(tagSchema.safeParse(tag).success).toBe(true);
    // A code too long for a tag is left out rather than truncated into another tag.
    expect(behaviourTags(profile({ categories: ["x".repeat(60)] }), NOW)).toEqual([]);
  });

  test("the same profile and time always give the same tags", () => {
    const p = profile({
      spend: 123_456,
      orders: 7,
      recentOrders: 5,
      firstOrderAt: NOW - 3 * DAY,
      lastOrderAt: NOW - DAY,
      categories: ["B", "A"],
    });
    expect(behaviourTags(p, NOW)).toEqual(behaviourTags(structuredClone(p), NOW));
  });
});

describe("segments - filter", () => {
  test("refuses unknown fields, inverted ranges and bad tags, with the field", () => {
    const bad = (f: unknown) => {
      const r = segmentFilterSchema.safeParse(f);
      return r.success ? null : r.error.issues[0]!.path.join(".");
    };
    expect(bad({ minSpend: 10, maxSpend: 5 })).toBe("maxSpend");
    expect(bad({ minOrders: 3, maxOrders: 1 })).toBe("maxOrders");
    expect(bad({ tagsAny: ["has space"] })).toBe("tagsAny.0");
    expect(bad({ nope: 1 })).toBe("");
    expect(bad({})).toBeNull();
    // Built-in names are ordinary tags and levels; `__proto__` is no id at all (ids start with a letter or digit).
    expect(bad({ tagsAll: ["constructor", "toString"], levels: ["constructor"] })).toBeNull();
    expect(bad({ tagsAny: ["__proto__"] })).toBe("tagsAny.0");
  });
});
