import { z } from "zod";
import { mapEntries, mapSchema } from "../shared/index.ts";
import type { MemberEvent } from "./events.ts";

/** Order references kept per member: enough for after-sales windows and the profile page. */
export const MAX_ORDER_REFS = 200;
/** Unpaid orders one member may hold at once; they are never evicted, so this keeps the state bounded. */
export const MAX_OPEN_ORDERS = 50;

const lineSchema = z.object({ sku: z.string(), qty: z.number().int().positive() });
const count = z.number().int().min(0);

const refundSchema = z.object({
  refundId: z.string(),
  amount: z.number().int().positive(),
  pointsReturned: count,
  pointsReversed: count,
  shortfall: count,
  growthReversed: count,
});

const orderSchema = z.object({
  orderId: z.string(),
  status: z.enum(["recorded", "completed", "cancelled"]),
  /** One line per SKU (repeated SKUs in the command are merged). */
  lines: z.array(lineSchema),
  /** Payable at checkout, in fen. */
  amount: count,
  campaignId: z.string().optional(),
  recordedAt: z.number().int(),
  pointsSpent: count,
  /** Spent points given back so far (cancel or refunds). */
  pointsReturned: count,
  /** Paid amount at completion, in fen; points and growth were earned on it. */
  paid: count,
  /** Points (and equally growth) earned at completion. */
  earned: count,
  /** Fen refunded so far. */
  refunded: count,
  refunds: z.array(refundSchema),
});

const summarySchema = z.object({
  earned: count,
  spent: count,
  /** Spent points given back by cancels and refunds. */
  refunded: count,
  reversed: count,
  /** Net operator adjustments; may be negative. */
  adjusted: z.number().int(),
});

/** The member actor's state, checked when a snapshot is restored. */
export const memberStateSchema = z.object({
  joinedAt: z.number().int().nullable(),
  /** The level last announced by `levelChanged` (benefits follow the configured thresholds). */
  level: z.string(),
  growth: count,
  points: count,
  pointsSummary: summarySchema,
  /** Fen paid on completed orders, net of refunds. */
  lifetimeSpend: count,
  /** Units per SKU in open and completed orders: what per-SKU limits count against. */
  skuCounts: mapSchema(z.number().int().positive()),
  /** Units per campaign in open and completed orders. */
  campaignCounts: mapSchema(z.number().int().positive()),
  /** Oldest first. An array, not a record: digit-only order ids would reorder an object's keys. */
  orders: z.array(orderSchema),
});

export type MemberState = z.infer<typeof memberStateSchema>;
export type OrderRef = z.infer<typeof orderSchema>;
export type RefundRecord = z.infer<typeof refundSchema>;
export type PointsSummary = z.infer<typeof summarySchema>;

/** The snapshot form of the state: JSON cannot hold a `Map` (`memberStateSchema` reads it back). */
export function encodeMemberState(state: MemberState): unknown {
  return {
    ...state,
    skuCounts: mapEntries(state.skuCounts),
    campaignCounts: mapEntries(state.campaignCounts),
  };
}

export function initialMember(level = "regular"): MemberState {
  return {
    joinedAt: null,
    level,
    growth: 0,
    points: 0,
    pointsSummary: { earned: 0, spent: 0, refunded: 0, reversed: 0, adjusted: 0 },
    lifetimeSpend: 0,
    skuCounts: new Map(),
    campaignCounts: new Map(),
    orders: [],
  };
}

export function findOrder(state: MemberState, orderId: string): OrderRef | undefined {
  return state.orders.find((o) => o.orderId === orderId);
}

export function findRefund(
  state: MemberState,
  refundId: string,
): { order: OrderRef; refund: RefundRecord } | undefined {
  for (const order of state.orders) {
    const refund = order.refunds.find((r) => r.refundId === refundId);
    if (refund) return { order, refund };
  }
  return undefined;
}

export const totalQty = (lines: ReadonlyArray<{ qty: number }>): number =>
  lines.reduce((n, l) => n + l.qty, 0);

function bump(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}

/** Keeps the latest references; only closed orders go, since an open one still holds counters and points. */
function evict(state: MemberState): void {
  while (state.orders.length > MAX_ORDER_REFS) {
    const i = state.orders.findIndex((o) => o.status !== "recorded");
    if (i < 0) return;
    state.orders.splice(i, 1);
  }
}

/** Applies one event. Updates `state` in place (see `ActorKind.apply`) and returns it. */
export function applyMemberEvent(state: MemberState, event: MemberEvent): MemberState {
  const order = "orderId" in event ? findOrder(state, event.orderId) : undefined;
  switch (event.type) {
    case "memberJoined":
      state.joinedAt = event.at;
      state.level = event.level;
      break;
    case "orderRecorded":
      for (const line of event.lines) bump(state.skuCounts, line.sku, line.qty);
      if (event.campaignId) bump(state.campaignCounts, event.campaignId, totalQty(event.lines));
      state.orders.push({
        orderId: event.orderId,
        status: "recorded",
        lines: event.lines,
        amount: event.amount,
        ...(event.campaignId ? { campaignId: event.campaignId } : {}),
        recordedAt: event.at,
        pointsSpent: 0,
        pointsReturned: 0,
        paid: 0,
        earned: 0,
        refunded: 0,
        refunds: [],
      });
      evict(state);
      break;
    case "orderCancelled":
      for (const line of event.lines) bump(state.skuCounts, line.sku, -line.qty);
      if (event.campaignId) bump(state.campaignCounts, event.campaignId, -totalQty(event.lines));
      if (order) order.status = "cancelled";
      break;
    case "orderCompleted":
      state.lifetimeSpend += event.amount;
      if (order) {
        order.status = "completed";
        order.paid = event.amount;
      }
      break;
    case "orderRefunded": {
      state.lifetimeSpend = Math.max(0, state.lifetimeSpend - event.amount);
      if (order) {
        const { type: _type, orderId: _orderId, ...refund } = event;
        order.refunded += event.amount;
        order.refunds.push(refund);
      }
      break;
    }
    case "pointsSpent":
      state.points -= event.points;
      state.pointsSummary.spent += event.points;
      if (order) order.pointsSpent += event.points;
      break;
    case "pointsRefunded":
      state.points += event.points;
      state.pointsSummary.refunded += event.points;
      if (order) order.pointsReturned += event.points;
      break;
    case "pointsEarned":
      state.points += event.points;
      state.pointsSummary.earned += event.points;
      if (order) order.earned += event.points;
      break;
    case "pointsReversed":
      state.points -= event.points;
      state.pointsSummary.reversed += event.points;
      break;
    case "pointsAdjusted":
      state.points += event.delta;
      state.pointsSummary.adjusted += event.delta;
      break;
    case "growthChanged":
      state.growth += event.delta;
      break;
    case "levelChanged":
      state.level = event.to;
      break;
  }
  return state;
}
