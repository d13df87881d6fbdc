import type { Decision } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { MAX_POINTS, type MemberCommand, type PurchaseLimits } from "./commands.ts";
import { Draft } from "./draft.ts";
import type { MemberEvent } from "./events.ts";
import type { MemberLevel } from "./levels.ts";
import {
  checkLimits,
  earnedFor,
  mergeLines,
  type Profile,
  profileOf,
  refundShares,
  sameLines,
} from "./rules.ts";
import { findOrder, findRefund, MAX_OPEN_ORDERS, type MemberState, type OrderRef } from "./state.ts";

type Cmd<T extends MemberCommand["type"]> = Extract<MemberCommand, { type: T }>;
type Ctx = { id: string; now: number; meta?: { by?: string } };
type Result = Decision<MemberEvent>;

const recordReply = (o: OrderRef) => ({ orderId: o.orderId, amount: o.amount, pointsSpent: o.pointsSpent });
const cancelReply = (o: OrderRef) => ({
  orderId: o.orderId,
  status: "cancelled" as const,
  released: o.lines,
  pointsRefunded: o.pointsReturned,
});
const completeReply = (o: OrderRef) => ({ orderId: o.orderId, amount: o.paid, pointsEarned: o.earned });

function existingOrder(state: MemberState, orderId: string, userId: string): OrderRef {
  const order = findOrder(state, orderId);
  if (!order) throw new DomainError("not_found", `no order ${orderId} for member ${userId}`, { orderId });
  return order;
}

function wrongStatus(order: OrderRef, action: string): DomainError {
  return new DomainError("conflict", `cannot ${action} order ${order.orderId}: it is ${order.status}`, {
    orderId: order.orderId,
    reason: "order_status",
    status: order.status,
  });
}

function needCampaign(limits: PurchaseLimits | undefined, campaignId: string | undefined): void {
  if (limits?.perCampaign !== undefined && !campaignId) {
    throw new DomainError("invalid", "a per-campaign limit needs a campaignId", { field: "campaignId" });
  }
}

/** The decisions of a member kind with the given level ladder. */
export function createMemberHandlers(levels: readonly MemberLevel[]) {
  return {
    get: (state: MemberState, c: Cmd<"get">, ctx: Ctx): Decision<MemberEvent, Profile> => ({
      events: [],
      reply: profileOf(ctx.id, state, levels, c.orders ?? 20),
    }),

    checkPurchase: (state: MemberState, c: Cmd<"checkPurchase">): Result => {
      needCampaign(c.limits, c.campaignId);
      const remaining = checkLimits(state, mergeLines(c.lines), c.campaignId, c.limits);
      return { events: [], reply: { ok: true, remaining } };
    },

    recordOrder: (state: MemberState, c: Cmd<"recordOrder">, ctx: Ctx): Result => {
      const lines = mergeLines(c.lines);
      const spend = c.pointsToSpend ?? 0;
      const existing = findOrder(state, c.orderId);
      if (existing) {
        // A retry of the same checkout gets its first answer; anything else reusing the id is a mistake.
        const same =
          existing.amount === c.amount &&
          existing.campaignId === c.campaignId &&
          existing.pointsSpent === spend &&
          sameLines(existing.lines, lines);
        if (same) return { events: [], reply: recordReply(existing) };
        throw new DomainError("conflict", `order ${c.orderId} was already recorded with other contents`, {
          orderId: c.orderId,
          reason: "order_mismatch",
        });
      }
      needCampaign(c.limits, c.campaignId);
      if (c.limits) checkLimits(state, lines, c.campaignId, c.limits);
      const open = state.orders.filter((o) => o.status === "recorded").length;
      if (open >= MAX_OPEN_ORDERS) {
        throw new DomainError("conflict", `member ${ctx.id} has ${open} unfinished orders`, {
          reason: "too_many_open_orders",
          open,
          max: MAX_OPEN_ORDERS,
        });
      }
      if (spend > state.points) {
        throw new DomainError("conflict", `member ${ctx.id} has ${state.points} points, not ${spend}`, {
          reason: "insufficient_points",
          balance: state.points,
          requested: spend,
        });
      }
      const draft = new Draft(state, ctx, levels);
      draft.push({
        type: "orderRecorded",
        orderId: c.orderId,
        lines,
        amount: c.amount,
        ...(c.campaignId ? { campaignId: c.campaignId } : {}),
        at: ctx.now,
      });
      if (spend > 0) {
        draft.movePoints(-spend, (balance) => ({
          type: "pointsSpent",
          orderId: c.orderId,
          points: spend,
          balance,
        }));
      }
      return draft.done({ orderId: c.orderId, amount: c.amount, pointsSpent: spend });
    },

    cancelOrder: (state: MemberState, c: Cmd<"cancelOrder">, ctx: Ctx): Result => {
      const order = existingOrder(state, c.orderId, ctx.id);
      if (order.status === "cancelled") return { events: [], reply: cancelReply(order) };
      if (order.status !== "recorded") throw wrongStatus(order, "cancel");
      const draft = new Draft(state, ctx, levels);
      draft.push({
        type: "orderCancelled",
        orderId: order.orderId,
        lines: order.lines,
        ...(order.campaignId ? { campaignId: order.campaignId } : {}),
        reason: c.reason ?? "cancelled",
      });
      const back = order.pointsSpent - order.pointsReturned;
      if (back > 0) {
        draft.movePoints(back, (balance) => ({
          type: "pointsRefunded",
          orderId: order.orderId,
          points: back,
          balance,
        }));
      }
      return draft.done({ ...cancelReply(order), pointsRefunded: order.pointsReturned + back });
    },

    completeOrder: (state: MemberState, c: Cmd<"completeOrder">, ctx: Ctx): Result => {
      const order = existingOrder(state, c.orderId, ctx.id);
      if (order.status === "completed") {
        if (order.paid === c.amount) return { events: [], reply: completeReply(order) };
        throw new DomainError("conflict", `order ${c.orderId} was completed with another amount`, {
          orderId: c.orderId,
          reason: "order_mismatch",
          paid: order.paid,
          requested: c.amount,
        });
      }
      if (order.status !== "recorded") throw wrongStatus(order, "complete");
      const earned = earnedFor(c.amount);
      const draft = new Draft(state, ctx, levels);
      draft.push({ type: "orderCompleted", orderId: c.orderId, amount: c.amount });
      if (earned > 0) {
        draft.movePoints(earned, (balance) => ({
          type: "pointsEarned",
          orderId: c.orderId,
          points: earned,
          balance,
        }));
        draft.moveGrowth(earned, c.orderId);
      }
      return draft.done({ orderId: c.orderId, amount: c.amount, pointsEarned: earned });
    },

    refundOrder: (state: MemberState, c: Cmd<"refundOrder">, ctx: Ctx): Result => {
      const seen = findRefund(state, c.refundId);
      if (seen) {
        if (seen.order.orderId === c.orderId && seen.refund.amount === c.amount) {
          return { events: [], reply: { orderId: c.orderId, ...seen.refund } };
        }
        throw new DomainError("conflict", `refund ${c.refundId} was already recorded with other contents`, {
          refundId: c.refundId,
          reason: "refund_mismatch",
        });
      }
      const order = existingOrder(state, c.orderId, ctx.id);
      if (order.status !== "completed") throw wrongStatus(order, "refund");
      if (order.refunded + c.amount > order.paid) {
        throw new DomainError(
          "conflict",
          `order ${c.orderId} has ${order.paid - order.refunded} fen left to refund`,
          {
            orderId: c.orderId,
            reason: "refund_exceeds_paid",
            paid: order.paid,
            refunded: order.refunded,
            requested: c.amount,
          },
        );
      }
      const { returned, owed } = refundShares(order, c.amount);
      const draft = new Draft(state, ctx, levels);
      // Spent points come back before earned ones are taken, so a member is not short for points they get back.
      const taken = Math.min(owed, draft.points + returned);
      const growthBack = Math.min(owed, draft.growth);
      const receipt = {
        refundId: c.refundId,
        amount: c.amount,
        pointsReturned: returned,
        pointsReversed: taken,
        shortfall: owed - taken,
        growthReversed: growthBack,
      };
      const ids = { orderId: c.orderId, refundId: c.refundId };
      draft.push({ type: "orderRefunded", ...ids, ...receipt });
      if (returned > 0) {
        draft.movePoints(returned, (balance) => ({
          type: "pointsRefunded",
          ...ids,
          points: returned,
          balance,
        }));
      }
      if (owed > 0) {
        draft.movePoints(-taken, (balance) => ({
          type: "pointsReversed",
          ...ids,
          points: taken,
          shortfall: owed - taken,
          balance,
        }));
      }
      draft.moveGrowth(-growthBack, c.orderId, c.refundId);
      return draft.done({ orderId: c.orderId, ...receipt });
    },

    adjustPoints: (state: MemberState, c: Cmd<"adjustPoints">, ctx: Ctx): Result => {
      const next = state.points + c.delta;
      if (next < 0) {
        throw new DomainError(
          "conflict",
          `member ${ctx.id} has ${state.points} points, cannot take ${-c.delta}`,
          {
            reason: "insufficient_points",
            balance: state.points,
            requested: -c.delta,
          },
        );
      }
      if (next > MAX_POINTS) {
        throw new DomainError("invalid", `a balance above ${MAX_POINTS} points is not allowed`, {
          field: "delta",
        });
      }
      const draft = new Draft(state, ctx, levels);
      const by = ctx.meta?.by;
      draft.movePoints(c.delta, (balance) => ({
        type: "pointsAdjusted",
        delta: c.delta,
        reason: c.reason,
        ...(by ? { by } : {}),
        balance,
      }));
      return draft.done({ balance: next });
    },
  };
}
