import { describe, expect, test } from "bun:test";
import { memberCommandSchema } from "./commands.ts";
import type { Profile } from "./rules.ts";
import { findOrder, initialMember, MAX_OPEN_ORDERS, MAX_ORDER_REFS } from "./state.ts";
import { decide, NOW, order, refusal, run, types, USER } from "./test-support.ts";

/** A member with the given points, granted by an operator. */
function member(points = 0) {
  const state = initialMember();
  if (points > 0) run(state, { type: "adjustPoints", delta: points, reason: "welcome" });
  return state;
}

const profile = (state: ReturnType<typeof member>, orders?: number) =>
  decide(state, { type: "get", ...(orders === undefined ? {} : { orders }) }).reply as Profile;

describe("member - profile", () => {
  test("member - get of a new member is the lowest level with nothing recorded", () => {
    const state = initialMember();
    const d = decide(state, { type: "get" });
    expect(d.events).toEqual([]);
    expect(d.reply).toEqual({
      userId: USER,
      joinedAt: null,
      level: { name: "regular", discountPercent: 0, freeShipping: false, prioritySupport: false },
      nextLevel: { name: "silver", minGrowth: 1_000, growthNeeded: 1_000 },
      growth: 0,
      points: 0,
      pointsSummary: { earned: 0, spent: 0, refunded: 0, reversed: 0, adjusted: 0 },
      lifetimeSpend: 0,
      purchases: { perSku: {}, perCampaign: {} },
      openOrders: 0,
      orders: [],
    });
  });

  test("member - the first write starts with memberJoined, and only the first", () => {
    const state = initialMember();
    const first = run(state, order("O-1", "SKU-1", 1), { now: NOW + 5 });
    expect(first.events[0]).toEqual({ type: "memberJoined", at: NOW + 5, level: "regular" });
    expect(types(first)).toEqual(["memberJoined", "orderRecorded"]);
    expect(types(run(state, order("O-2", "SKU-1", 1)))).toEqual(["orderRecorded"]);
    expect(profile(state).joinedAt).toBe(NOW + 5);
  });

  test("member - get lists the latest orders newest first", () => {
    const state = member();
    for (let i = 1; i <= 4; i++)
      run(state, order(`O-${i}`, "SKU-1", 1, { amount: i * 100 }), { now: NOW + i });
    expect(profile(state, 2).orders).toEqual([
      {
        orderId: "O-4",
        status: "recorded",
        amount: 400,
        paid: 0,
        refunded: 0,
        pointsSpent: 0,
        recordedAt: NOW + 4,
      },
      {
        orderId: "O-3",
        status: "recorded",
        amount: 300,
        paid: 0,
        refunded: 0,
        pointsSpent: 0,
        recordedAt: NOW + 3,
      },
    ]);
    expect(profile(state).orders).toHaveLength(4);
    expect(profile(state, 0).orders).toEqual([]);
    expect(profile(state).openOrders).toBe(4);
  });
});

describe("member - purchase limits", () => {
  test("member - checkPurchase answers what each limit leaves, and names the limit it refuses", () => {
    const state = member();
    run(state, order("O-1", "SKU-1", 2, { campaignId: "C-1" }));
    const limits = { perSku: { "SKU-1": 3, "SKU-2": 5 }, perCampaign: 4 };
    const ok = decide(state, {
      type: "checkPurchase",
      lines: [
        { sku: "SKU-1", qty: 1 },
        { sku: "SKU-9", qty: 1 },
      ],
      campaignId: "C-1",
      limits,
    });
    expect(ok.events).toEqual([]);
    expect(ok.reply).toEqual({ ok: true, remaining: { perSku: { "SKU-1": 0 }, perCampaign: 0 } });

    const sku = refusal(state, {
      type: "checkPurchase",
      lines: [{ sku: "SKU-1", qty: 2 }],
      campaignId: "C-1",
      limits,
    });
    expect(sku.kind).toBe("conflict");
    expect(sku.details).toEqual({ reason: "sku_limit", sku: "SKU-1", max: 3, purchased: 2, requested: 2 });

    const campaign = refusal(state, {
      type: "checkPurchase",
      lines: [
        { sku: "SKU-2", qty: 2 },
        { sku: "SKU-3", qty: 1 },
      ],
      campaignId: "C-1",
      limits,
    });
    expect(campaign.details).toEqual({
      reason: "campaign_limit",
      campaignId: "C-1",
      max: 4,
      purchased: 2,
      requested: 3,
    });

    // A campaign limit without the campaign is a caller's mistake, not a pass.
    const invalid = refusal(state, { type: "checkPurchase", lines: [{ sku: "SKU-2", qty: 1 }], limits });
    expect(invalid.kind).toBe("invalid");
    expect(invalid.details).toEqual({ field: "campaignId" });
    // A limit of 0 closes the SKU to this member.
    const closed = {
      type: "checkPurchase",
      lines: [{ sku: "SKU-4", qty: 1 }],
      limits: { perSku: { "SKU-4": 0 } },
    };
    expect(refusal(state, closed as never).details).toMatchObject({ reason: "sku_limit", max: 0 });
  });

  test("member - a per-SKU limit holds across several orders, and repeated lines count together", () => {
    const state = member();
    const limits = { perSku: { "SKU-1": 3 } };
    run(state, order("O-1", "SKU-1", 2, { limits }));
    const split = { type: "recordOrder" as const, orderId: "O-2", amount: 100, limits };
    expect(
      refusal(state, {
        ...split,
        lines: [
          { sku: "SKU-1", qty: 1 },
          { sku: "SKU-1", qty: 1 },
        ],
      }).details,
    ).toMatchObject({ reason: "sku_limit", purchased: 2, requested: 2 });
    run(state, {
      ...split,
      lines: [
        { sku: "SKU-1", qty: 1 },
        { sku: "SKU-2", qty: 9 },
      ],
    });
    expect(refusal(state, order("O-3", "SKU-1", 1, { limits })).details).toMatchObject({ purchased: 3 });
    // Other SKUs have their own counters; a recordOrder without limits is not checked.
    run(state, order("O-4", "SKU-2", 1, { limits }));
    run(state, order("O-5", "SKU-1", 1));
    expect(profile(state).purchases.perSku).toEqual({ "SKU-1": 4, "SKU-2": 10 });
  });

  test("member - a per-campaign limit counts units of every SKU in the campaign, only in it", () => {
    const state = member();
    const limits = { perCampaign: 3 };
    run(state, order("O-1", "SKU-1", 2, { campaignId: "C-1", limits }));
    run(state, order("O-2", "SKU-2", 1, { campaignId: "C-1", limits }));
    expect(refusal(state, order("O-3", "SKU-3", 1, { campaignId: "C-1", limits })).details).toEqual({
      reason: "campaign_limit",
      campaignId: "C-1",
      max: 3,
      purchased: 3,
      requested: 1,
    });
    run(state, order("O-4", "SKU-3", 3, { campaignId: "C-2", limits }));
    run(state, order("O-5", "SKU-1", 5));
    expect(profile(state).purchases.perCampaign).toEqual({ "C-1": 3, "C-2": 3 });
    expect(refusal(state, order("O-6", "SKU-1", 1, { limits })).kind).toBe("invalid");
  });

  test("member - cancelling gives the allowance back; completed and refunded orders keep counting", () => {
    const state = member();
    const limits = { perSku: { "SKU-1": 2 }, perCampaign: 2 };
    const buy = (id: string) => order(id, "SKU-1", 1, { campaignId: "C-1", limits });
    run(state, buy("O-1"));
    run(state, buy("O-2"));
    refusal(state, buy("O-3"));
    run(state, { type: "cancelOrder", orderId: "O-1" });
    expect(profile(state).purchases).toEqual({ perSku: { "SKU-1": 1 }, perCampaign: { "C-1": 1 } });
    run(state, buy("O-3"));
    run(state, { type: "completeOrder", orderId: "O-2", amount: 10_000 });
    run(state, { type: "refundOrder", orderId: "O-2", refundId: "R-1", amount: 10_000 });
    expect(refusal(state, buy("O-4")).details).toMatchObject({ reason: "sku_limit", purchased: 2 });
  });
});

describe("member - recordOrder", () => {
  test("member - recordOrder keeps the order and spends points in the same decision", () => {
    const state = member(500);
    const d = run(state, order("O-1", "SKU-1", 1, { amount: 9_900, pointsToSpend: 300, campaignId: "C-1" }));
    expect(d.events).toEqual([
      {
        type: "orderRecorded",
        orderId: "O-1",
        lines: [{ sku: "SKU-1", qty: 1 }],
        amount: 9_900,
        campaignId: "C-1",
        at: NOW,
      },
      { type: "pointsSpent", orderId: "O-1", points: 300, balance: 200 },
    ]);
    expect(d.reply).toEqual({ orderId: "O-1", amount: 9_900, pointsSpent: 300 });
    expect(findOrder(state, "O-1")).toMatchObject({ status: "recorded", pointsSpent: 300 });
  });

  test("member - spending more points than the balance is refused and records nothing", () => {
    const state = member(100);
    const error = refusal(state, order("O-1", "SKU-1", 1, { pointsToSpend: 101 }));
    expect(error.kind).toBe("conflict");
    expect(error.details).toEqual({ reason: "insufficient_points", balance: 100, requested: 101 });
    expect(findOrder(state, "O-1")).toBeUndefined();
    run(state, order("O-1", "SKU-1", 1, { pointsToSpend: 100 }));
    expect(state.points).toBe(0);
  });

  test("member - recording an order again returns the first answer; other contents are a conflict", () => {
    const state = member(500);
    const first = order("O-1", "SKU-1", 2, { pointsToSpend: 100, campaignId: "C-1" });
    const answer = run(state, first).reply;
    const again = run(state, {
      type: "recordOrder",
      orderId: "O-1",
      lines: [
        { sku: "SKU-1", qty: 1 },
        { sku: "SKU-1", qty: 1 },
      ],
      amount: 20_000,
      pointsToSpend: 100,
      campaignId: "C-1",
      limits: { perSku: { "SKU-1": 2 } },
    });
    expect(again).toEqual({ events: [], reply: answer });
    expect(state.points).toBe(400);
    for (const changed of [
      { amount: 1 },
      { pointsToSpend: 0 },
      { campaignId: "C-2" },
      { lines: [{ sku: "SKU-2", qty: 2 }] },
    ]) {
      expect(refusal(state, { ...first, ...changed } as never).details).toEqual({
        orderId: "O-1",
        reason: "order_mismatch",
      });
    }
  });

  test("member - bad orders never reach a handler", () => {
    for (const bad of [
      { ...order("O-1", "SKU-1", 1), amount: 1.5 },
      { ...order("O-1", "SKU-1", 1), amount: -1 },
      { ...order("O-1", "SKU 1", 1) },
      { ...order("O-1", "SKU-1", 0) },
      { ...order("O.1", "SKU-1", 1) },
      { ...order("O-1", "SKU-1", 1), lines: [] },
      { ...order("O-1", "SKU-1", 1), pointsToSpend: -5 },
      { type: "adjustPoints", delta: 0, reason: "nothing" },
      { type: "refundOrder", orderId: "O-1", refundId: "R-1", amount: 0 },
    ]) {
      expect(memberCommandSchema.safeParse(bad).success).toBe(false);
    }
  });

  test("member - open orders are capped; closed order references are capped and the oldest go", () => {
    const state = member();
    for (let i = 0; i < MAX_OPEN_ORDERS; i++) run(state, order(`O-${i}`, "SKU-1", 1));
    const error = refusal(state, order("O-X", "SKU-1", 1));
    expect(error.details).toEqual({
      reason: "too_many_open_orders",
      open: MAX_OPEN_ORDERS,
      max: MAX_OPEN_ORDERS,
    });
    for (let i = 0; i < MAX_OPEN_ORDERS; i++) run(state, { type: "cancelOrder", orderId: `O-${i}` });
    for (let i = MAX_OPEN_ORDERS; i < MAX_ORDER_REFS + 10; i++) {
      run(state, order(`O-${i}`, "SKU-1", 1));
      run(state, { type: "completeOrder", orderId: `O-${i}`, amount: 0 });
    }
    expect(state.orders).toHaveLength(MAX_ORDER_REFS);
    expect(state.orders[0]!.orderId).toBe("O-10");
    refusal(state, { type: "cancelOrder", orderId: "O-0" });
  });
});

describe("member - cancelOrder", () => {
  test("member - cancel releases the counters and refunds spent points, once", () => {
    const state = member(1_000);
    run(state, order("O-1", "SKU-1", 2, { pointsToSpend: 600, campaignId: "C-1" }));
    const d = run(state, { type: "cancelOrder", orderId: "O-1", reason: "payment timeout" });
    expect(d.events).toEqual([
      {
        type: "orderCancelled",
        orderId: "O-1",
        lines: [{ sku: "SKU-1", qty: 2 }],
        campaignId: "C-1",
        reason: "payment timeout",
      },
      { type: "pointsRefunded", orderId: "O-1", points: 600, balance: 1_000 },
    ]);
    expect(d.reply).toEqual({
      orderId: "O-1",
      status: "cancelled",
      released: [{ sku: "SKU-1", qty: 2 }],
      pointsRefunded: 600,
    });
    expect(state.skuCounts).toEqual(new Map());
    expect(state.campaignCounts).toEqual(new Map());
    expect(run(state, { type: "cancelOrder", orderId: "O-1" })).toEqual({ events: [], reply: d.reply });
    expect(state.points).toBe(1_000);
  });

  test("member - cancelling an unknown or completed order is refused", () => {
    const state = member();
    expect(refusal(state, { type: "cancelOrder", orderId: "O-9" }).kind).toBe("not_found");
    run(state, order("O-1", "SKU-1", 1));
    run(state, { type: "completeOrder", orderId: "O-1", amount: 100 });
    expect(refusal(state, { type: "cancelOrder", orderId: "O-1" }).details).toEqual({
      orderId: "O-1",
      reason: "order_status",
      status: "completed",
    });
  });
});

describe("member - adjustPoints", () => {
  test("member - an operator adjustment moves the balance, names who, and cannot go below zero", () => {
    const state = initialMember();
    const d = run(state, { type: "adjustPoints", delta: 250, reason: "apology" }, { by: "ops:alice" });
    expect(d.events.at(-1)).toEqual({
      type: "pointsAdjusted",
      delta: 250,
      reason: "apology",
      by: "ops:alice",
      balance: 250,
    });
    expect(run(state, { type: "adjustPoints", delta: -50, reason: "fix" }).reply).toEqual({ balance: 200 });
    const error = refusal(state, { type: "adjustPoints", delta: -201, reason: "fix" });
    expect(error.kind).toBe("conflict");
    expect(error.details).toEqual({ reason: "insufficient_points", balance: 200, requested: 201 });
    run(state, { type: "adjustPoints", delta: -200, reason: "expiry" });
    expect(state.pointsSummary.adjusted).toBe(0);
  });
});
