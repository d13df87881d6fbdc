import { z } from "zod";
import { ID_PATTERN } from "../shared/index.ts";

/** A tag: the id rule (letters, digits, `_`, `:`, `-`, at most 64), so `category:<code>` fits. */
export const tagSchema = z.string().regex(ID_PATTERN, "a tag is 1–64 letters, digits, '_', ':' or '-'");

/** Manual tags one member may carry. */
export const MAX_MANUAL_TAGS = 50;

const DAY_MS = 86_400_000;

/**
 * The behaviour rules' thresholds (fen, days, counts). One table, documented in the README and ADR 0025;
 * a change here is a change of every member's tags at the next recompute.
 */
export const BEHAVIOUR_RULES = {
  /** Spend (fen paid on paid orders, net of refunds, over the member's life). */
  spendHigh: 100_000,
  spendMid: 20_000,
  /** Paid orders within `loyalWindowDays` that make a member `frequency:loyal`. */
  loyalOrders: 5,
  loyalWindowDays: 90,
  /** Days since the last paid order: within `activeDays` active, within `lapsingDays` lapsing, else dormant. */
  activeDays: 30,
  lapsingDays: 90,
  /** Days since the first paid order for `new-customer`. */
  newCustomerDays: 30,
} as const;

/** What the recompute reads for one member from the read models (orders, catalogue). */
export interface BehaviourProfile {
  /** Fen paid net of refunds on paid orders. */
  spend: number;
  /** Paid orders, ever. */
  orders: number;
  /** Paid orders within the last `loyalWindowDays`. */
  recentOrders: number;
  firstOrderAt: number | null;
  lastOrderAt: number | null;
  /** Category codes of the products bought on paid orders. */
  categories: readonly string[];
}

/**
 * The behaviour tags of one member at `now` (sorted, no duplicates). A member with no paid order has none.
 *
 * @example behaviourTags({ spend: 150_000, orders: 6, recentOrders: 5, firstOrderAt, lastOrderAt, categories: ["TEA"] }, now)
 * // ["category:TEA", "frequency:loyal", "frequency:repeat", "recency:active", "spend:high"]
 */
export function behaviourTags(p: BehaviourProfile, now: number): string[] {
  const r = BEHAVIOUR_RULES;
  const tags = new Set<string>();
  if (p.spend >= r.spendHigh) tags.add("spend:high");
  else if (p.spend >= r.spendMid) tags.add("spend:mid");
  else if (p.spend > 0) tags.add("spend:low");
  if (p.recentOrders >= r.loyalOrders) tags.add("frequency:loyal");
  if (p.orders >= 2) tags.add("frequency:repeat");
  else if (p.orders === 1) tags.add("frequency:once");
  if (p.lastOrderAt !== null) {
    const days = (now - p.lastOrderAt) / DAY_MS;
    tags.add(
      days <= r.activeDays ? "recency:active" : days <= r.lapsingDays ? "recency:lapsing" : "recency:dormant",
    );
  }
  if (p.firstOrderAt !== null && (now - p.firstOrderAt) / DAY_MS <= r.newCustomerDays)
    tags.add("new-customer");
  for (const code of p.categories) {
    const tag = `category:${code}`;
    if (tagSchema.safeParse(tag).success) tags.add(tag);
  }
  return [...tags].sort();
}
