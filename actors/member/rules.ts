import { DomainError } from "../runtime/index.ts";
import { ownValue } from "../shared/index.ts";
import type { PurchaseLimits, PurchaseLine } from "./commands.ts";
import { benefitsOf, type LevelBenefits, levelFor, type MemberLevel, nextLevel } from "./levels.ts";
import type { MemberState, OrderRef, PointsSummary } from "./state.ts";

/** Fen per point and per growth point: 1 of each per whole yuan paid. */
export const FEN_PER_POINT = 100;

export const earnedFor = (paid: number): number => Math.floor(paid / FEN_PER_POINT);

/** One line per SKU, in first-seen order: limits and counters are per SKU, however the cart listed it. */
export function mergeLines(lines: readonly PurchaseLine[]): PurchaseLine[] {
  const merged = new Map<string, number>();
  for (const line of lines) merged.set(line.sku, (merged.get(line.sku) ?? 0) + line.qty);
  return [...merged].map(([sku, qty]) => ({ sku, qty }));
}

export function sameLines(a: readonly PurchaseLine[], b: readonly PurchaseLine[]): boolean {
  const key = (lines: readonly PurchaseLine[]) =>
    JSON.stringify([...lines].sort((x, y) => (x.sku < y.sku ? -1 : x.sku > y.sku ? 1 : 0)));
  return key(a) === key(b);
}

export interface Remaining {
  perSku: Record<string, number>;
  perCampaign?: number;
}

/**
 * Refuses a purchase that would take the member past a limit, naming the first limit broken; otherwise
 * answers what each limit leaves after this purchase. Counters include unpaid orders, so two open
 * checkouts cannot together pass a limit.
 */
export function checkLimits(
  state: MemberState,
  lines: readonly PurchaseLine[],
  campaignId: string | undefined,
  limits: PurchaseLimits,
): Remaining {
  const perSku = new Map<string, number>();
  let perCampaign: number | undefined;
  for (const line of lines) {
    const max = ownValue(limits.perSku, line.sku);
    if (max === undefined) continue;
    const purchased = state.skuCounts.get(line.sku) ?? 0;
    if (purchased + line.qty > max) {
      throw new DomainError("conflict", `at most ${max} of ${line.sku} per member`, {
        reason: "sku_limit",
        sku: line.sku,
        max,
        purchased,
        requested: line.qty,
      });
    }
    perSku.set(line.sku, max - purchased - line.qty);
  }
  if (campaignId && limits.perCampaign !== undefined) {
    const max = limits.perCampaign;
    const purchased = state.campaignCounts.get(campaignId) ?? 0;
    const requested = lines.reduce((n, l) => n + l.qty, 0);
    if (purchased + requested > max) {
      throw new DomainError("conflict", `at most ${max} units of campaign ${campaignId} per member`, {
        reason: "campaign_limit",
        campaignId,
        max,
        purchased,
        requested,
      });
    }
    perCampaign = max - purchased - requested;
  }
  return { perSku: Object.fromEntries(perSku), ...(perCampaign !== undefined ? { perCampaign } : {}) };
}

/**
 * What one refund moves, computed on cumulative totals so repeated partial refunds add up exactly to a
 * full one (no rounding drift):
 * - `owed`: earned points (and growth) to take back — the member keeps what the amount still paid would
 *   have earned under the same rule as `earnedFor`;
 * - `returned`: spent points to give back, in proportion to the share of the paid amount refunded.
 */
export function refundShares(order: OrderRef, amount: number): { owed: number; returned: number } {
  const paid = order.paid;
  const before = paid - order.refunded;
  const after = before - amount;
  const owed = earnedFor(before) - earnedFor(after);
  // BigInt: points spent × fen can pass 2^53.
  const kept = (left: number) =>
    paid === 0 ? 0 : Number((BigInt(order.pointsSpent) * BigInt(left)) / BigInt(paid));
  return { owed, returned: kept(before) - kept(after) };
}

export interface OrderSummary {
  orderId: string;
  status: OrderRef["status"];
  amount: number;
  paid: number;
  refunded: number;
  pointsSpent: number;
  recordedAt: number;
  campaignId?: string;
}

export interface Profile {
  userId: string;
  joinedAt: number | null;
  /** The level the growth reaches under the configured ladder, with its benefits. */
  level: LevelBenefits;
  nextLevel: { name: string; minGrowth: number; growthNeeded: number } | null;
  growth: number;
  points: number;
  pointsSummary: PointsSummary;
  lifetimeSpend: number;
  purchases: { perSku: Record<string, number>; perCampaign: Record<string, number> };
  openOrders: number;
  /** The latest orders, newest first. */
  orders: OrderSummary[];
}

export function profileOf(
  userId: string,
  state: MemberState,
  levels: readonly MemberLevel[],
  latest: number,
): Profile {
  // Benefits follow the thresholds configured now, so a changed ladder applies at once.
  const next = nextLevel(levels, state.growth);
  return {
    userId,
    joinedAt: state.joinedAt,
    level: benefitsOf(levelFor(levels, state.growth)),
    nextLevel: next
      ? { name: next.name, minGrowth: next.minGrowth, growthNeeded: next.minGrowth - state.growth }
      : null,
    growth: state.growth,
    points: state.points,
    pointsSummary: { ...state.pointsSummary },
    lifetimeSpend: state.lifetimeSpend,
    purchases: {
      perSku: Object.fromEntries(state.skuCounts),
      perCampaign: Object.fromEntries(state.campaignCounts),
    },
    openOrders: state.orders.filter((o) => o.status === "recorded").length,
    orders: (latest > 0 ? state.orders.slice(-latest) : []).reverse().map((o) => ({
      orderId: o.orderId,
      status: o.status,
      amount: o.amount,
      paid: o.paid,
      refunded: o.refunded,
      pointsSpent: o.pointsSpent,
      recordedAt: o.recordedAt,
      ...(o.campaignId ? { campaignId: o.campaignId } : {}),
    })),
  };
}
