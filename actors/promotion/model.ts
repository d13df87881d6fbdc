/**
 * The promotion model of the rule engine (pure data, no I/O). A promotion is conditions + scope + time +
 * one benefit + stacking. Money is integer fen; instants are epoch milliseconds. Everything keyed by an
 * outside id (SKU, SPU, category, brand, level, channel) is held in arrays or `Set`s, never in a plain
 * object, so `constructor` or `__proto__` are ordinary ids.
 */

export const PROMOTION_TYPES = [
  "threshold_reduction",
  "percent_off",
  "every_n_off",
  "nth_item_price",
  "fixed_price",
  "gift",
  "free_shipping",
] as const;
export type PromotionType = (typeof PROMOTION_TYPES)[number];

/**
 * What the buyer gets. Thresholds (`threshold`) are measured like every spend condition: on the scoped
 * lines at resolved unit prices, before any promotion (see `evaluate`).
 */
export type Benefit =
  /** 满减 / amount off: `reduction` off the scope once its spend reaches `threshold` (0: plain amount off). */
  | { type: "threshold_reduction"; threshold: number; reduction: number }
  /** 满折 / percent off: `percent` % off the scope (half-up rounding of the price), optional cap. */
  | { type: "percent_off"; percent: number; threshold: number; maxDiscount?: number }
  /** 每满减: `reduction` off for every full `every` of scoped spend (每满100减10), optional cap. */
  | { type: "every_n_off"; every: number; reduction: number; maxDiscount?: number }
  /**
   * 第N件X元 / 第二件半价: the scoped units sorted by unit price, highest first (line order on ties); every
   * `n`-th unit costs `price` fen, or `percent` % of its unit price (50: half price).
   */
  | { type: "nth_item_price"; n: number; price?: number; percent?: number }
  /** 一口价: every scoped unit at `price` fen (units already cheaper keep their price). */
  | { type: "fixed_price"; price: number }
  /** 满赠: `qty` units of the gift SKU once the scope's spend reaches `threshold`. */
  | { type: "gift"; sku: string; qty: number; threshold: number }
  /** 包邮: the order ships free once the scope's spend reaches `threshold`. */
  | { type: "free_shipping"; threshold: number };

/** Which lines a promotion covers. A line is in scope when any inclusion matches and no exclusion does. */
export interface Scope {
  /** The whole shop (SKUs of no product included). */
  all?: boolean;
  skus?: readonly string[];
  spus?: readonly string[];
  /** A category covers its descendants: a line matches when its category or any ancestor is listed. */
  categories?: readonly string[];
  brands?: readonly string[];
  exclude?: {
    skus?: readonly string[];
    spus?: readonly string[];
    categories?: readonly string[];
    brands?: readonly string[];
  };
}

export interface Conditions {
  /** Scoped spend (fen) at least this. */
  minSpend?: number;
  /** Scoped units at least this. */
  minItems?: number;
  /** The buyer's member level is one of these. */
  memberLevels?: readonly string[];
  /** The buyer has no earlier order (open or completed). */
  firstOrder?: boolean;
  /** The order's channel is one of these. */
  channels?: readonly string[];
}

/** A daily time slot in Asia/Shanghai local time, minutes after midnight, `[from, to)`. */
export interface TimeSlot {
  from: number;
  to: number;
}

export interface Schedule {
  /** `[startsAt, endsAt)`, epoch ms. */
  startsAt: number;
  endsAt: number;
  /** Daily slots in Asia/Shanghai time (none: all day). */
  timeSlots?: readonly TimeSlot[];
  /** ISO weekdays in Asia/Shanghai time, 1 = Monday … 7 = Sunday (none: every day). */
  weekdays?: readonly number[];
}

export interface Stacking {
  /** Applies alone: no other promotion in the same combination. */
  exclusive: boolean;
  /** At most one promotion of a stack group per combination; no group: stacks with any non-exclusive. */
  stackGroup?: string;
  /** Higher applies first (and wins ties between equally good combinations). */
  priority: number;
}

export interface Promotion {
  id: string;
  name: string;
  benefit: Benefit;
  scope: Scope;
  conditions: Conditions;
  schedule: Schedule;
  stacking: Stacking;
  /** Ended early by an operator at this instant (`POST /v1/promotions/{id}/end`). */
  endedAt?: number;
}

/** One cart line as the caller knows it: resolved unit price and the catalogue facts scope needs. */
export interface CartLine {
  sku: string;
  qty: number;
  /** Resolved unit price, fen (the price resolver's answer). */
  unitPrice: number;
  /** The SPU the SKU belongs to (absent: a SKU of no product). */
  spu?: string;
  /** The line's category first, then its ancestors up to the root. */
  categories?: readonly string[];
  brand?: string;
}

export interface Cart {
  lines: readonly CartLine[];
  /** The instant promotions are evaluated at, epoch ms. */
  now: number;
  channel: string;
  memberLevel?: string;
  firstOrder?: boolean;
}

export interface Explanation {
  "zh-CN": string;
  en: string;
}
