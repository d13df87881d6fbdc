import { describe, expect, test } from "bun:test";
import type { MemberCommand } from "./commands.ts";
import type { MemberEvent } from "./events.ts";
import { createMemberKind } from "./index.ts";
import { DEFAULT_LEVELS, memberLevelsSchema } from "./levels.ts";
import type { Profile } from "./rules.ts";
import {
  applyMemberEvent,
  encodeMemberState,
  initialMember,
  type MemberState,
  memberStateSchema,
} from "./state.ts";
import { decide, order, refusal, run, types } from "./test-support.ts";

const complete = (orderId: string, amount: number): MemberCommand => ({
  type: "completeOrder",
  orderId,
  amount,
});
const refund = (orderId: string, refundId: string, amount: number): MemberCommand => ({
  type: "refundOrder",
  orderId,
  refundId,
  amount,
});
const levelChanges = (events: MemberEvent[]) => events.filter((e) => e.type === "levelChanged");

/** A member with one completed order `O-1` of `paid` fen, having spent `spent` points on it. */
function withCompleted(paid: number, spent = 0): MemberState {
  const state = initialMember();
  if (spent > 0) run(state, { type: "adjustPoints", delta: spent, reason: "seed" });
  run(state, order("O-1", "SKU-1", 1, { amount: paid, pointsToSpend: spent }));
  run(state, complete("O-1", paid));
  return state;
}

describe("member - completeOrder", () => {
  test("member - completing earns 1 point and 1 growth per whole yuan paid", () => {
    const state = initialMember();
    run(state, order("O-1", "SKU-1", 1));
    const d = run(state, complete("O-1", 12_345));
    expect(d.events).toEqual([
      { type: "orderCompleted", orderId: "O-1", amount: 12_345 },
      { type: "pointsEarned", orderId: "O-1", points: 123, balance: 123 },
      { type: "growthChanged", delta: 123, growth: 123, orderId: "O-1" },
    ]);
    expect(d.reply).toEqual({ orderId: "O-1", amount: 12_345, pointsEarned: 123 });
    expect(state).toMatchObject({ points: 123, growth: 123, lifetimeSpend: 12_345 });
    // Under a yuan earns nothing, and says so by having no points event.
    run(state, order("O-2", "SKU-1", 1));
    expect(types(run(state, complete("O-2", 99)))).toEqual(["orderCompleted"]);
    expect(state.lifetimeSpend).toBe(12_444);
  });

  test("member - completing again returns the first answer; another amount or status is refused", () => {
    const state = withCompleted(5_000);
    expect(run(state, complete("O-1", 5_000))).toEqual({
      events: [],
      reply: { orderId: "O-1", amount: 5_000, pointsEarned: 50 },
    });
    expect(refusal(state, complete("O-1", 5_001)).details).toEqual({
      orderId: "O-1",
      reason: "order_mismatch",
      paid: 5_000,
      requested: 5_001,
    });
    expect(refusal(state, complete("O-9", 1)).kind).toBe("not_found");
    run(state, order("O-2", "SKU-1", 1));
    run(state, { type: "cancelOrder", orderId: "O-2" });
    expect(refusal(state, complete("O-2", 1)).details).toMatchObject({
      reason: "order_status",
      status: "cancelled",
    });
    expect(state.points).toBe(50);
  });

  test("member - crossing a threshold emits levelChanged once, and a big order jumps in one event", () => {
    const state = initialMember();
    run(state, order("O-1", "SKU-1", 1));
    expect(levelChanges(run(state, complete("O-1", 99_900)).events)).toEqual([]); // growth 999
    run(state, order("O-2", "SKU-1", 1));
    const crossing = run(state, complete("O-2", 100));
    expect(crossing.events.at(-1)).toEqual({
      type: "levelChanged",
      from: "regular",
      to: "silver",
      growth: 1_000,
    });
    run(state, order("O-3", "SKU-1", 1));
    expect(levelChanges(run(state, complete("O-3", 100_000)).events)).toEqual([]);
    run(state, order("O-4", "SKU-1", 1));
    expect(levelChanges(run(state, complete("O-4", 2_000_000)).events)).toEqual([
      { type: "levelChanged", from: "silver", to: "platinum", growth: 22_000 },
    ]);
    const me = decide(state, { type: "get" }).reply as Profile;
    expect(me.level).toEqual({
      name: "platinum",
      discountPercent: 8,
      freeShipping: true,
      prioritySupport: true,
    });
    expect(me.nextLevel).toBeNull();
  });
});

describe("member - refundOrder", () => {
  test("member - partial refunds take back what the refunded share earned, and add up to the whole", () => {
    const state = withCompleted(10_050); // earned 100
    const first = run(state, refund("O-1", "R-1", 50)); // 10,000 still paid: still earns 100
    expect(first.reply).toEqual({
      orderId: "O-1",
      refundId: "R-1",
      amount: 50,
      pointsReturned: 0,
      pointsReversed: 0,
      shortfall: 0,
      growthReversed: 0,
    });
    expect(types(first)).toEqual(["orderRefunded"]);
    const second = run(state, refund("O-1", "R-2", 2_501)); // 7,499 paid earns 74
    expect(second.events.slice(1)).toEqual([
      { type: "pointsReversed", orderId: "O-1", refundId: "R-2", points: 26, shortfall: 0, balance: 74 },
      { type: "growthChanged", delta: -26, growth: 74, orderId: "O-1", refundId: "R-2" },
    ]);
    run(state, refund("O-1", "R-3", 7_499));
    expect(state).toMatchObject({ points: 0, growth: 0, lifetimeSpend: 0 });
    expect(state.pointsSummary).toMatchObject({ earned: 100, reversed: 100 });
    expect(refusal(state, refund("O-1", "R-4", 1)).details).toEqual({
      orderId: "O-1",
      reason: "refund_exceeds_paid",
      paid: 10_050,
      refunded: 10_050,
      requested: 1,
    });
  });

  test("member - a refund gives back spent points in proportion, all of them on a full refund", () => {
    const state = withCompleted(30_000, 1_000); // earned 300, spent 1,000
    const half = run(state, refund("O-1", "R-1", 10_000));
    // The order keeps floor(1,000 × 2/3) = 666 spent points, so 334 come back.
    expect(half.reply).toMatchObject({ pointsReturned: 334, pointsReversed: 100 });
    expect(types(half)).toEqual(["orderRefunded", "pointsRefunded", "pointsReversed", "growthChanged"]);
    run(state, refund("O-1", "R-2", 20_000));
    expect(state.pointsSummary).toEqual({
      earned: 300,
      spent: 1_000,
      refunded: 1_000,
      reversed: 300,
      adjusted: 1_000,
    });
    expect(state.points).toBe(1_000);
  });

  test("member - reversal never takes the balance below zero; the shortfall is recorded", () => {
    const state = withCompleted(50_000); // 500 points
    run(state, { type: "adjustPoints", delta: -450, reason: "redeemed a gift" });
    const d = run(state, refund("O-1", "R-1", 50_000));
    expect(d.events).toContainEqual({
      type: "pointsReversed",
      orderId: "O-1",
      refundId: "R-1",
      points: 50,
      shortfall: 450,
      balance: 0,
    });
    expect(d.reply).toMatchObject({ pointsReversed: 50, shortfall: 450, growthReversed: 500 });
    expect(state).toMatchObject({ points: 0, growth: 0 });
  });

  test("member - a refund reverses growth and can lower the level", () => {
    const state = withCompleted(600_000); // gold at 6,000
    expect(state.level).toBe("gold");
    expect(levelChanges(run(state, refund("O-1", "R-1", 50_000)).events)).toEqual([]); // 5,500
    expect(levelChanges(run(state, refund("O-1", "R-2", 460_000)).events)).toEqual([
      { type: "levelChanged", from: "gold", to: "regular", growth: 900 },
    ]);
    expect((decide(state, { type: "get" }).reply as Profile).level.name).toBe("regular");
  });

  test("member - a refund is recorded once per refundId", () => {
    const state = withCompleted(10_000);
    const answer = run(state, refund("O-1", "R-1", 4_000)).reply;
    expect(run(state, refund("O-1", "R-1", 4_000))).toEqual({ events: [], reply: answer });
    expect(state.points).toBe(60);
    for (const other of [refund("O-1", "R-1", 1), refund("O-2", "R-1", 4_000)]) {
      expect(refusal(state, other).details).toEqual({ refundId: "R-1", reason: "refund_mismatch" });
    }
  });

  test("member - only completed orders are refunded", () => {
    const state = initialMember();
    expect(refusal(state, refund("O-1", "R-1", 1)).kind).toBe("not_found");
    run(state, order("O-1", "SKU-1", 1));
    expect(refusal(state, refund("O-1", "R-1", 1)).details).toMatchObject({
      reason: "order_status",
      status: "recorded",
    });
  });
});

describe("member - levels", () => {
  test("member - a kind takes its own ladder; bad ladders fail when the kind is created", () => {
    const kind = createMemberKind([
      { name: "basic", minGrowth: 0, discountPercent: 0, freeShipping: false },
      { name: "vip", minGrowth: 10, discountPercent: 10, freeShipping: true },
    ]);
    const state = kind.initialState("U-1");
    run(state, order("O-1", "SKU-1", 1), { kind });
    expect(run(state, complete("O-1", 1_000), { kind }).events.at(-1)).toEqual({
      type: "levelChanged",
      from: "basic",
      to: "vip",
      growth: 10,
    });
    const level = { discountPercent: 0, freeShipping: false };
    for (const bad of [
      [],
      [{ name: "a", minGrowth: 5, ...level }],
      [
        { name: "a", minGrowth: 0, ...level },
        { name: "b", minGrowth: 0, ...level },
      ],
      [
        { name: "a", minGrowth: 0, ...level },
        { name: "a", minGrowth: 9, ...level },
      ],
      [{ name: "a", minGrowth: 0, discountPercent: 101, freeShipping: false }],
    ]) {
      expect(memberLevelsSchema.safeParse(bad).success).toBe(false);
      expect(() => createMemberKind(bad as never)).toThrow();
    }
    expect(memberLevelsSchema.parse(DEFAULT_LEVELS)).toEqual([...DEFAULT_LEVELS]);
  });
});

describe("member - replay", () => {
  test("member - replaying the events rebuilds the same state, which the snapshot schema accepts", () => {
    const live = initialMember();
    const events: MemberEvent[] = [];
    const commands: MemberCommand[] = [
      { type: "adjustPoints", delta: 2_000, reason: "welcome" },
      order("O-1", "SKU-1", 2, { amount: 150_000, pointsToSpend: 500, campaignId: "C-1" }),
      order("O-2", "SKU-2", 1, { amount: 2_000, pointsToSpend: 100 }),
      order("O-3", "SKU-3", 3),
      { type: "cancelOrder", orderId: "O-2" },
      complete("O-1", 150_000),
      complete("O-3", 30_000),
      refund("O-1", "R-1", 100_000),
      { type: "adjustPoints", delta: -10, reason: "fix" },
    ];
    for (const command of commands) events.push(...run(live, command).events);
    expect(types({ events, reply: null })).toContain("levelChanged");
    const replayed = JSON.parse(JSON.stringify(events)).reduce(applyMemberEvent, initialMember());
    expect(replayed).toEqual(live);
    expect(memberStateSchema.parse(JSON.parse(JSON.stringify(encodeMemberState(live))))).toEqual(live);
    // The last balance any event states is the balance, and the summary explains it.
    const last = events.filter((e) => "balance" in e).at(-1) as { balance: number };
    expect(last.balance).toBe(live.points);
  });

  test("member - a snapshot written before counters were maps (plain objects) still restores", () => {
    const state = initialMember();
    run(state, order("O-1", "SKU-1", 2, { campaignId: "C-1" }));
    const encoded = encodeMemberState(state) as Record<string, unknown>;
    const old = { ...encoded, skuCounts: { "SKU-1": 2 }, campaignCounts: { "C-1": 2 } };
    expect(memberStateSchema.parse(JSON.parse(JSON.stringify(old)))).toEqual(state);
  });
});
