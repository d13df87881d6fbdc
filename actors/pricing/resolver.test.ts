/**
 * The resolver's precedence table (every source against every other, lower / equal / higher), validity
 * windows at their edges, member levels, the level discount against an explicit level price, rounding,
 * and names that are also `Object.prototype` members.
 */
import { describe, expect, test } from "bun:test";
import {
  type BuyerLevel,
  checkRules,
  LOWEST_LEVEL,
  type PriceRules,
  type PriceSchedule,
  type PriceSource,
  percentOff,
  type ResolvedPrice,
  resolvePrice,
  type WindowedPrice,
} from "./index.ts";

const LIST = 10_000;
const NOW = Date.parse("2026-11-30T00:00:00.000Z");
const HOUR = 3_600_000;

const rules = (r: Partial<PriceRules> = {}): PriceRules => ({
  memberLevels: r.memberLevels ?? new Map(),
  channels: r.channels ?? new Map(),
  schedules: r.schedules ?? [],
});
const level = (name: string, discountPercent = 0): BuyerLevel => ({ name, discountPercent });

/** The four rule sources besides the list price, each set up to offer exactly `price` now. */
type Rule = "member-price" | "member-discount" | "channel" | "schedule";
const SOURCE: Record<Rule, PriceSource> = {
  "member-price": "member:gold",
  "member-discount": "member:gold",
  channel: "channel:app",
  schedule: "schedule",
};

function ask(offers: Array<[Rule, number]>): ResolvedPrice {
  let discountPercent = 0;
  const memberLevels = new Map<string, WindowedPrice>();
  const channels = new Map<string, WindowedPrice>();
  const schedules: PriceSchedule[] = [];
  for (const [rule, price] of offers) {
    if (rule === "member-price") memberLevels.set("gold", { price });
    if (rule === "member-discount") {
      discountPercent = 100 - price / (LIST / 100);
      if (!Number.isInteger(discountPercent)) throw new Error(`${price} is not a whole-percent discount`);
    }
    if (rule === "channel") channels.set("app", { price });
    if (rule === "schedule") schedules.push({ from: NOW - HOUR, to: NOW + HOUR, price });
  }
  return resolvePrice({
    listPrice: LIST,
    level: level("gold", discountPercent),
    rules: rules({ memberLevels, channels, schedules }),
    channel: "app",
    now: NOW,
  });
}

const ORDER = ["list", "member-price", "member-discount", "channel", "schedule"] as const;
type Source = (typeof ORDER)[number];
/** Tie-break: the earlier source wins (list, member, channel, schedule). */
const RANK: Record<Source, number> = {
  list: 0,
  "member-price": 1,
  "member-discount": 1,
  channel: 2,
  schedule: 3,
};

describe("precedence table: every source against every other", () => {
  const cases: Array<[Source, number, Source, number, Source]> = [];
  for (const [i, a] of ORDER.entries()) {
    for (const b of ORDER.slice(i + 1)) {
      // An explicit level price overrides the level discount: the two never compete (tested below).
      if (a === "member-price" && b === "member-discount") continue;
      for (const [pa, pb] of [
        [8_000, 9_000],
        [9_000, 8_000],
        [9_000, 9_000],
      ] as const) {
        // The list price is fixed; "list lower" means the rule's price is above the list price.
        const priceA = a === "list" ? LIST : pa;
        const priceB = a === "list" ? (pa < pb ? 12_000 : pa > pb ? 9_000 : LIST) : pb;
        // A percent discount never lands above the list price, and 0 % offers no candidate at all.
        if (b === "member-discount" && priceB >= LIST) continue;
        const winner = priceA < priceB ? a : priceB < priceA ? b : RANK[a] <= RANK[b] ? a : b;
        cases.push([a, priceA, b, priceB, winner]);
      }
    }
  }
  test.each(cases)("%s at %d against %s at %d: %s wins", (a, priceA, b, priceB, winner) => {
    const offers: Array<[Rule, number]> = [];
    if (a !== "list") offers.push([a, priceA]);
    if (b !== "list") offers.push([b, priceB]);
    const got = ask(offers);
    const expected = Math.min(priceA, priceB);
    expect(got.unitPrice).toBe(expected);
    expect(got.source).toBe(winner === "list" ? "list" : SOURCE[winner]);
    const offered = got.candidates.map((c) => c.price).sort((x, y) => x - y);
    expect(offered).toEqual([priceA, priceB, ...(a === "list" ? [] : [LIST])].sort((x, y) => x - y));
  });

  test("all four rules at once: the lowest wins; equal lowest go by list, member, channel, schedule", () => {
    expect(
      ask([
        ["member-discount", 9_500],
        ["channel", 9_000],
        ["schedule", 8_800],
      ]),
    ).toMatchObject({ unitPrice: 8_800, source: "schedule" });
    const tied = ask([
      ["member-discount", 9_000],
      ["channel", 9_000],
      ["schedule", 9_000],
    ]);
    expect(tied).toMatchObject({ unitPrice: 9_000, source: "member:gold" });
    expect(tied.candidates.map((c) => c.source)).toEqual(["list", "member:gold", "channel:app", "schedule"]);
    expect(
      ask([
        ["channel", 9_000],
        ["schedule", 9_000],
      ]).source,
    ).toBe("channel:app");
    expect(ask([["schedule", LIST]]).source).toBe("list");
  });

  test("no stacking: a level discount applies to the list price, not to a channel or schedule price", () => {
    const got = ask([
      ["member-discount", 9_000],
      ["channel", 8_000],
    ]);
    expect(got).toMatchObject({ unitPrice: 8_000, source: "channel:app" });
  });
});

describe("member levels", () => {
  test("an explicit level price in force overrides the level's discount, even when the discount is lower", () => {
    const memberLevels = new Map([["gold", { price: 9_800 }]]);
    const got = resolvePrice({
      listPrice: LIST,
      level: level("gold", 5),
      rules: rules({ memberLevels }),
      now: NOW,
    });
    expect(got).toMatchObject({ unitPrice: 9_800, source: "member:gold" });
    expect(got.candidates).toEqual([
      { source: "list", price: LIST },
      { source: "member:gold", price: 9_800, basis: "level-price" },
    ]);
  });

  test("without an explicit price for the level, the level's percent discount applies to the list price", () => {
    const memberLevels = new Map([["silver", { price: 5_000 }]]);
    const got = resolvePrice({
      listPrice: LIST,
      level: level("gold", 5),
      rules: rules({ memberLevels }),
      now: NOW,
    });
    expect(got).toMatchObject({ unitPrice: 9_500, source: "member:gold" });
    expect(got.candidates[1]).toEqual({ source: "member:gold", price: 9_500, basis: "level-discount" });
  });

  test("an explicit level price outside its window leaves the level discount in force", () => {
    const memberLevels = new Map([["gold", { price: 7_000, from: NOW + 1 }]]);
    const got = resolvePrice({
      listPrice: LIST,
      level: level("gold", 5),
      rules: rules({ memberLevels }),
      now: NOW,
    });
    expect(got).toMatchObject({ unitPrice: 9_500, source: "member:gold" });
    expect(got.candidates[1]?.basis).toBe("level-discount");
  });

  test("the lowest level (no member record, or no user) is regular at 0 %: no member candidate", () => {
    expect(LOWEST_LEVEL).toMatchObject({ name: "regular", discountPercent: 0 });
    const memberLevels = new Map([["gold", { price: 1 }]]);
    const got = resolvePrice({
      listPrice: LIST,
      level: LOWEST_LEVEL,
      rules: rules({ memberLevels }),
      now: NOW,
    });
    expect(got).toEqual({ unitPrice: LIST, source: "list", candidates: [{ source: "list", price: LIST }] });
  });

  test("a price for another level, or for another channel, never applies", () => {
    const got = resolvePrice({
      listPrice: LIST,
      level: level("silver"),
      rules: rules({
        memberLevels: new Map([["gold", { price: 1 }]]),
        channels: new Map([["app", { price: 1 }]]),
      }),
      channel: "web",
      now: NOW,
    });
    expect(got.source).toBe("list");
    const noChannel = resolvePrice({
      listPrice: LIST,
      level: level("silver"),
      rules: rules({ channels: new Map([["app", { price: 1 }]]) }),
      now: NOW,
    });
    expect(noChannel.source).toBe("list");
  });
});

describe("validity windows: from inclusive, to exclusive", () => {
  const from = NOW;
  const to = NOW + HOUR;
  const edges: Array<[string, number, boolean]> = [
    ["from - 1 ms", from - 1, false],
    ["from", from, true],
    ["to - 1 ms", to - 1, true],
    ["to", to, false],
  ];
  const windowed = { price: 7_000, from, to };
  const kinds: Array<[string, PriceRules, string]> = [
    ["schedule", rules({ schedules: [windowed] }), "schedule"],
    ["channel price", rules({ channels: new Map([["app", windowed]]) }), "channel:app"],
    ["member-level price", rules({ memberLevels: new Map([["gold", windowed]]) }), "member:gold"],
  ];
  for (const [kind, r, source] of kinds) {
    test.each(edges)(`${kind} at %s: applies = %p`, (_edge, now, applies) => {
      const got = resolvePrice({ listPrice: LIST, level: level("gold"), rules: r, channel: "app", now });
      expect(got).toMatchObject(applies ? { unitPrice: 7_000, source } : { unitPrice: LIST, source: "list" });
    });
  }

  test("an open bound is open: only from, only to", () => {
    const r = rules({ channels: new Map([["app", { price: 1, from }]]) });
    expect(
      resolvePrice({ listPrice: LIST, level: level("x"), rules: r, channel: "app", now: from + 1e12 })
        .unitPrice,
    ).toBe(1);
    const r2 = rules({ channels: new Map([["app", { price: 1, to }]]) });
    expect(
      resolvePrice({ listPrice: LIST, level: level("x"), rules: r2, channel: "app", now: 0 }).unitPrice,
    ).toBe(1);
  });

  test("back-to-back schedules: at the boundary instant the later one applies, never both", () => {
    const schedules = [
      { from: NOW - HOUR, to: NOW, price: 9_000 },
      { from: NOW, to: NOW + HOUR, price: 9_100 },
    ];
    const at = (now: number) =>
      resolvePrice({ listPrice: LIST, level: level("x"), rules: rules({ schedules }), now });
    expect(at(NOW - 1)).toMatchObject({ unitPrice: 9_000 });
    expect(at(NOW).unitPrice).toBe(9_100);
    expect(at(NOW).candidates).toHaveLength(2);
  });
});

describe("rounding: percent off rounds half up to a whole fen, once", () => {
  test.each([
    [1990, 5, 1891], // 1890.5 → 1891 (half up)
    [1999, 5, 1899], // 1899.05 → 1899
    [1999, 2, 1959], // 1959.02
    [1, 50, 1], // 0.5 → 1
    [3, 50, 2], // 1.5 → 2
    [1, 2, 1], // 0.98 → 1
    [1, 60, 0], // 0.4 → 0
    [0, 8, 0],
    [1234, 0, 1234],
    [1234, 100, 0],
    [10_000_000_000, 8, 9_200_000_000],
  ])("%d fen at %d %% off is %d", (price, percent, expected) => {
    expect(percentOff(price, percent)).toBe(expected);
  });

  test("property: an integer within half a fen of the exact value, ties upward, never above the price", () => {
    let seed = 42;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 5_000; i++) {
      const price = next(10_000_000);
      const percent = next(101);
      const got = percentOff(price, percent);
      const exact100 = price * (100 - percent); // the exact value × 100, an integer
      expect(Number.isInteger(got)).toBe(true);
      expect(got).toBeLessThanOrEqual(price);
      // got × 100 - exact × 100 lies in (-50, 50]: within half a fen, a half rounds up.
      const diff = got * 100 - exact100;
      if (!(diff > -50 && diff <= 50)) throw new Error(`${price} at ${percent}% gave ${got}`);
    }
  });

  test("the level discount in the resolver uses that rounding", () => {
    const got = resolvePrice({ listPrice: 1990, level: level("gold", 5), rules: rules(), now: NOW });
    expect(got).toMatchObject({ unitPrice: 1891, source: "member:gold" });
  });
});

describe("names that are Object.prototype members are only names", () => {
  for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
    test(`${name} as a level and as a channel`, () => {
      const r = rules({
        memberLevels: new Map([[name, { price: 7_000 }]]),
        channels: new Map([[name, { price: 8_000 }]]),
      });
      expect(
        resolvePrice({ listPrice: LIST, level: level(name), rules: r, channel: name, now: NOW }),
      ).toMatchObject({
        unitPrice: 7_000,
        source: `member:${name}`,
      });
      expect(
        resolvePrice({ listPrice: LIST, level: level("gold"), rules: r, channel: name, now: NOW }).source,
      ).toBe(`channel:${name}`);
      expect(
        resolvePrice({ listPrice: LIST, level: level(name), rules: rules(), channel: name, now: NOW }),
      ).toEqual({
        unitPrice: LIST,
        source: "list",
        candidates: [{ source: "list", price: LIST }],
      });
      expect(checkRules(r, new Set([name]))).toBeUndefined();
      expect(checkRules(r, new Set(["gold"]))?.field).toBe(`memberLevels.${name}`);
    });
  }
});

describe("checkRules", () => {
  const levels = new Set(["regular", "gold"]);
  const sched = (from: number, to: number, price = 1) => ({ from, to, price });
  test("a window whose from is not before its to is refused with its field", () => {
    expect(checkRules(rules({ schedules: [sched(NOW, NOW)] }), levels)).toMatchObject({
      field: "schedules.0.to",
    });
    expect(
      checkRules(rules({ channels: new Map([["app", { price: 1, from: NOW, to: NOW - 1 }]]) }), levels),
    ).toMatchObject({ field: "channels.app.to" });
    expect(
      checkRules(rules({ memberLevels: new Map([["gold", { price: 1, from: NOW + 1, to: NOW }]]) }), levels),
    ).toMatchObject({ field: "memberLevels.gold.to" });
  });
  test("overlapping schedules are refused at the later one; touching ones are fine", () => {
    const touching = [sched(NOW, NOW + HOUR), sched(NOW + HOUR, NOW + 2 * HOUR), sched(NOW - HOUR, NOW)];
    expect(checkRules(rules({ schedules: touching }), levels)).toBeUndefined();
    const overlap = [
      sched(NOW, NOW + HOUR),
      sched(NOW + 2 * HOUR, NOW + 3 * HOUR),
      sched(NOW + HOUR - 1, NOW + 2 * HOUR),
    ];
    expect(checkRules(rules({ schedules: overlap }), levels)).toMatchObject({ field: "schedules.2.from" });
    const inside = [sched(NOW, NOW + 3 * HOUR), sched(NOW + HOUR, NOW + 2 * HOUR)];
    expect(checkRules(rules({ schedules: inside }), levels)).toMatchObject({ field: "schedules.1.from" });
  });
  test("a member price for a level the ladder does not have is refused", () => {
    expect(checkRules(rules({ memberLevels: new Map([["golde", { price: 1 }]]) }), levels)).toMatchObject({
      field: "memberLevels.golde",
    });
  });
  test("more schedules than the limit are refused", () => {
    const many = Array.from({ length: 51 }, (_, i) => sched(i * 10, i * 10 + 10));
    expect(checkRules(rules({ schedules: many }), levels)).toMatchObject({ field: "schedules" });
    expect(checkRules(rules({ schedules: many.slice(0, 50) }), levels)).toBeUndefined();
  });
});
