import { percentOff } from "../pricing/index.ts";
import { apportion } from "./apportion.ts";
import { explain, shortfall } from "./explain.ts";
import type { Benefit, Cart, CartLine, Explanation, Promotion, Scope } from "./model.ts";
import { activeAt } from "./time.ts";

/** Most eligible promotions one cart is combined from (highest priority first); the rest are left out. */
export const MAX_CANDIDATES = 16;
/** Most promotion applications one search tries; past it the best combination found so far wins. */
export const MAX_STEPS = 4_096;

export interface Gift {
  sku: string;
  qty: number;
  promotionId: string;
}

export interface LineOutcome {
  sku: string;
  qty: number;
  unitPrice: number;
  /** unitPrice × qty. */
  amount: number;
  /** Every promotion's share on this line, summed. */
  discount: number;
  /** amount − discount: what a refund of the whole line returns. */
  paid: number;
  /** Each applied promotion's share of this line's discount (applied order). */
  allocations: Array<{ promotionId: string; discount: number }>;
}

export interface AppliedPromotion {
  promotionId: string;
  name: string;
  type: Benefit["type"];
  discount: number;
  freeShipping: boolean;
  gifts: Gift[];
  /** This promotion's discount per line (lines it touched, cart order). */
  lines: Array<{ sku: string; discount: number }>;
  explanation: Explanation;
}

export interface PromotionOutcome {
  items: number;
  discount: number;
  lines: LineOutcome[];
  /** In application order (priority high to low, then id). */
  applied: AppliedPromotion[];
  freeShipping: boolean;
  gifts: Gift[];
  /** Promotions that are on but whose spend or item threshold the cart does not reach yet. */
  hints: Array<{ promotionId: string; explanation: Explanation }>;
  /** How the search went: applications tried, and whether a limit cut it short. */
  search: { steps: number; candidates: number; capped: boolean };
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Application and search order: priority high to low, then id. */
export const promotionOrder = (a: Promotion, b: Promotion) =>
  b.stacking.priority - a.stacking.priority || byCodeUnit(a.id, b.id);

const has = (list: readonly string[] | undefined, value: string | undefined) =>
  value !== undefined && (list?.includes(value) ?? false);
const hasAny = (list: readonly string[] | undefined, values: readonly string[] | undefined) =>
  (values ?? []).some((v) => list?.includes(v) ?? false);

/** Whether a line is in scope: any inclusion matches (a category covers its descendants), no exclusion does. */
export function inScope(scope: Scope, line: CartLine): boolean {
  const x = scope.exclude;
  if (
    x &&
    (has(x.skus, line.sku) ||
      has(x.spus, line.spu) ||
      hasAny(x.categories, line.categories) ||
      has(x.brands, line.brand))
  )
    return false;
  return (
    scope.all === true ||
    has(scope.skus, line.sku) ||
    has(scope.spus, line.spu) ||
    hasAny(scope.categories, line.categories) ||
    has(scope.brands, line.brand)
  );
}

/** The spend threshold a benefit itself carries (0: none). */
function benefitThreshold(b: Benefit): number {
  switch (b.type) {
    case "threshold_reduction":
    case "percent_off":
    case "gift":
    case "free_shipping":
      return b.threshold;
    case "every_n_off":
      return b.every;
    case "nth_item_price":
    case "fixed_price":
      return 0;
  }
}

export type Eligibility =
  | { eligible: true; scoped: number[] }
  | { eligible: false; reason: "time" | "channel" | "level" | "first-order" | "scope" }
  | { eligible: false; reason: "spend"; short: number }
  | { eligible: false; reason: "items"; short: number };

/**
 * Whether a promotion's conditions hold for this cart, apart from stacking. Spend and item thresholds are
 * measured on the scoped lines at resolved unit prices, before any promotion: adding an item never makes
 * a threshold the cart reached unreachable, and the order promotions apply in changes no eligibility.
 */
export function eligibility(cart: Cart, p: Promotion): Eligibility {
  if (!activeAt(p.schedule, cart.now, p.endedAt)) return { eligible: false, reason: "time" };
  const c = p.conditions;
  if (c.channels && c.channels.length > 0 && !c.channels.includes(cart.channel))
    return { eligible: false, reason: "channel" };
  if (c.memberLevels && c.memberLevels.length > 0 && !has(c.memberLevels, cart.memberLevel))
    return { eligible: false, reason: "level" };
  if (c.firstOrder && cart.firstOrder !== true) return { eligible: false, reason: "first-order" };
  const scoped: number[] = [];
  for (const [i, line] of cart.lines.entries()) if (inScope(p.scope, line)) scoped.push(i);
  if (scoped.length === 0) return { eligible: false, reason: "scope" };
  const spend = scoped.reduce((n, i) => n + cart.lines[i]!.unitPrice * cart.lines[i]!.qty, 0);
  const units = scoped.reduce((n, i) => n + cart.lines[i]!.qty, 0);
  const needSpend = Math.max(c.minSpend ?? 0, benefitThreshold(p.benefit));
  if (spend < needSpend) return { eligible: false, reason: "spend", short: needSpend - spend };
  const needItems = Math.max(c.minItems ?? 0, p.benefit.type === "nth_item_price" ? p.benefit.n : 0);
  if (units < needItems) return { eligible: false, reason: "items", short: needItems - units };
  return { eligible: true, scoped };
}

/** Per-line discounts of one benefit on what the lines still cost (`remaining`), never above it. */
function benefitShares(
  b: Benefit,
  lines: readonly CartLine[],
  scoped: readonly number[],
  remaining: readonly number[],
): number[] {
  const shares = lines.map(() => 0);
  const left = scoped.reduce((n, i) => n + remaining[i]!, 0);
  const spread = (total: number) => {
    const split = apportion(
      Math.min(total, left),
      scoped.map((i) => remaining[i]!),
    );
    for (const [k, i] of scoped.entries()) shares[i] = split[k]!;
  };
  switch (b.type) {
    case "threshold_reduction":
      spread(b.reduction);
      break;
    case "percent_off": {
      const off = left - percentOff(left, b.percent);
      spread(b.maxDiscount === undefined ? off : Math.min(off, b.maxDiscount));
      break;
    }
    case "every_n_off": {
      const base = scoped.reduce((n, i) => n + lines[i]!.unitPrice * lines[i]!.qty, 0);
      const off = Math.floor(base / b.every) * b.reduction;
      spread(b.maxDiscount === undefined ? off : Math.min(off, b.maxDiscount));
      break;
    }
    case "nth_item_price": {
      // Units highest price first (line order on ties); every n-th one is the discounted one.
      const units: Array<{ i: number; price: number }> = [];
      for (const i of scoped)
        for (let u = 0; u < lines[i]!.qty; u++) units.push({ i, price: lines[i]!.unitPrice });
      units.sort((a, b2) => b2.price - a.price || a.i - b2.i);
      for (let k = b.n - 1; k < units.length; k += b.n) {
        const unit = units[k]!;
        const target =
          b.price !== undefined ? b.price : Math.floor((unit.price * (b.percent ?? 100) + 50) / 100);
        shares[unit.i]! += Math.max(0, unit.price - target);
      }
      for (const i of scoped) shares[i] = Math.min(shares[i]!, remaining[i]!);
      break;
    }
    case "fixed_price":
      for (const i of scoped)
        shares[i] = Math.min(remaining[i]!, Math.max(0, lines[i]!.unitPrice - b.price) * lines[i]!.qty);
      break;
    case "gift":
    case "free_shipping":
      break;
  }
  return shares;
}

interface Candidate {
  promotion: Promotion;
  scoped: number[];
  /** Its discount applied alone: an upper bound of what it adds to any combination. */
  alone: number;
}

interface Combination {
  picks: Candidate[];
  shares: number[][];
  discount: number;
  freeShipping: boolean;
  giftUnits: number;
  prioritySum: number;
}

/**
 * Which of two combinations the buyer gets, deterministically: the larger discount; then free shipping;
 * then more gift units; then the higher sum of priorities; then fewer promotions; then the smaller list
 * of promotion ids (in application order, compared id by id in code-unit order).
 */
function better(a: Combination, b: Combination): boolean {
  if (a.discount !== b.discount) return a.discount > b.discount;
  if (a.freeShipping !== b.freeShipping) return a.freeShipping;
  if (a.giftUnits !== b.giftUnits) return a.giftUnits > b.giftUnits;
  if (a.prioritySum !== b.prioritySum) return a.prioritySum > b.prioritySum;
  if (a.picks.length !== b.picks.length) return a.picks.length < b.picks.length;
  for (let k = 0; k < a.picks.length; k++) {
    const c = byCodeUnit(a.picks[k]!.promotion.id, b.picks[k]!.promotion.id);
    if (c !== 0) return c < 0;
  }
  return false;
}

/**
 * The best legal combination of promotions for a cart, with its per-line breakdown.
 *
 * Legal: an `exclusive` promotion applies alone; at most one promotion per `stackGroup`. The promotions of
 * a combination apply one after another in `promotionOrder` (priority high to low, then id), each on what
 * the lines still cost after the ones before it; an amount or percent off is spread over its scoped lines
 * by `apportion` (largest remainder), and no line's discount ever exceeds its amount. The search walks
 * include/exclude over the eligible promotions in that order, prunes a branch when even every remaining
 * promotion's stand-alone discount could not reach the best found, and stops after `MAX_STEPS`
 * applications (the best so far wins; the walk order is fixed, so the answer is still deterministic).
 */
export function evaluate(cart: Cart, promotions: readonly Promotion[]): PromotionOutcome {
  const lines = cart.lines;
  const amounts = lines.map((l) => l.unitPrice * l.qty);
  const items = amounts.reduce((a, b) => a + b, 0);
  const hints: PromotionOutcome["hints"] = [];
  const eligible: Candidate[] = [];
  for (const p of [...promotions].sort(promotionOrder)) {
    const e = eligibility(cart, p);
    if (!e.eligible) {
      if (e.reason === "spend" || e.reason === "items")
        hints.push({
          promotionId: p.id,
          explanation: shortfall(
            p.name,
            p.benefit,
            e.reason === "spend" ? { spend: e.short } : { items: e.short },
          ),
        });
      continue;
    }
    const alone = benefitShares(p.benefit, lines, e.scoped, amounts).reduce((a, b) => a + b, 0);
    const nonMoney = p.benefit.type === "gift" || p.benefit.type === "free_shipping";
    if (alone > 0 || nonMoney) eligible.push({ promotion: p, scoped: e.scoped, alone });
  }
  const candidates = eligible.slice(0, MAX_CANDIDATES);
  const none: Combination = {
    picks: [],
    shares: [],
    discount: 0,
    freeShipping: false,
    giftUnits: 0,
    prioritySum: 0,
  };
  let best = none;
  let steps = 0;
  let capped = eligible.length > MAX_CANDIDATES;

  const add = (combo: Combination, c: Candidate, remaining: number[]): [Combination, number[]] => {
    steps++;
    const shares = benefitShares(c.promotion.benefit, lines, c.scoped, remaining);
    const gained = shares.reduce((a, b) => a + b, 0);
    const b = c.promotion.benefit;
    return [
      {
        picks: [...combo.picks, c],
        shares: [...combo.shares, shares],
        discount: combo.discount + gained,
        freeShipping: combo.freeShipping || b.type === "free_shipping",
        giftUnits: combo.giftUnits + (b.type === "gift" ? b.qty : 0),
        prioritySum: combo.prioritySum + c.promotion.stacking.priority,
      },
      remaining.map((r, i) => r - shares[i]!),
    ];
  };

  // Exclusive promotions: each alone.
  for (const c of candidates) {
    if (!c.promotion.stacking.exclusive || steps >= MAX_STEPS) continue;
    const [combo] = add(none, c, amounts);
    if (better(combo, best)) best = combo;
  }
  // The rest: include/exclude in application order.
  const stackable = candidates.filter((c) => !c.promotion.stacking.exclusive);
  const boundAfter = stackable.map((_, k) => stackable.slice(k).reduce((n, c) => n + c.alone, 0));
  const walk = (k: number, combo: Combination, remaining: number[], groups: ReadonlySet<string>) => {
    if (better(combo, best)) best = combo;
    if (k >= stackable.length) return;
    if (combo.discount + boundAfter[k]! < best.discount) return;
    if (steps >= MAX_STEPS) {
      capped = true;
      return;
    }
    const c = stackable[k]!;
    const group = c.promotion.stacking.stackGroup;
    if (group === undefined || !groups.has(group)) {
      const [next, left] = add(combo, c, remaining);
      walk(k + 1, next, left, group === undefined ? groups : new Set([...groups, group]));
    }
    walk(k + 1, combo, remaining, groups);
  };
  walk(0, none, amounts, new Set());

  const lineOutcomes: LineOutcome[] = lines.map((l, i) => {
    const allocations = best.picks.flatMap((c, k) =>
      best.shares[k]![i]! > 0 ? [{ promotionId: c.promotion.id, discount: best.shares[k]![i]! }] : [],
    );
    const discount = allocations.reduce((n, a) => n + a.discount, 0);
    return {
      sku: l.sku,
      qty: l.qty,
      unitPrice: l.unitPrice,
      amount: amounts[i]!,
      discount,
      paid: amounts[i]! - discount,
      allocations,
    };
  });
  const applied: AppliedPromotion[] = best.picks.map((c, k) => {
    const p = c.promotion;
    const shares = best.shares[k]!;
    const discount = shares.reduce((a, b) => a + b, 0);
    const gifts =
      p.benefit.type === "gift" ? [{ sku: p.benefit.sku, qty: p.benefit.qty, promotionId: p.id }] : [];
    return {
      promotionId: p.id,
      name: p.name,
      type: p.benefit.type,
      discount,
      freeShipping: p.benefit.type === "free_shipping",
      gifts,
      lines: lines.flatMap((l, i) => (shares[i]! > 0 ? [{ sku: l.sku, discount: shares[i]! }] : [])),
      explanation: explain(p.name, p.benefit, discount),
    };
  });
  return {
    items,
    discount: best.discount,
    lines: lineOutcomes,
    applied,
    freeShipping: best.freeShipping,
    gifts: applied.flatMap((a) => a.gifts),
    hints,
    search: { steps, candidates: candidates.length, capped },
  };
}
