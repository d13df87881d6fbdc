import type { CouponScope, CouponTemplate } from "./commands.ts";

/** One cart line as the checkout prices it: unit price in fen after price resolution, before coupons. */
export interface CartLine {
  sku: string;
  qty: number;
  unitPrice: number;
  spu?: string;
  /** The line's category and all its ancestors (a scope naming a parent category covers its children). */
  categories?: readonly string[];
  brand?: string;
}

export interface CouponQuote {
  /** Fen off the cart; 0 when the coupon does not apply. */
  discount: number;
  /** Sum of the in-scope lines, in fen: what the threshold and the percentage are measured on. */
  eligible: number;
  /** Why the coupon gives nothing (undefined when it applies). */
  reason?: "no-line-in-scope" | "below-threshold";
  /** The discount apportioned to the in-scope lines, in fen; sums to `discount` exactly. */
  lines: Array<{ sku: string; discount: number }>;
}

/** Whether `line` falls under `scope` (no scope: the whole shop). Exclusions win over every inclusion. */
export function inCouponScope(scope: CouponScope | undefined, line: CartLine): boolean {
  if (!scope) return true;
  if (scope.excludeSkus?.includes(line.sku)) return false;
  if (line.spu !== undefined && scope.excludeSpus?.includes(line.spu)) return false;
  if (scope.all) return true;
  if (scope.skus?.includes(line.sku)) return true;
  if (line.spu !== undefined && scope.spus?.includes(line.spu)) return true;
  if (line.categories?.some((c) => scope.categories?.includes(c))) return true;
  return line.brand !== undefined && scope.brands?.includes(line.brand) === true;
}

/**
 * What one coupon takes off a cart — pure, the same in the checkout quote and the order.
 *
 * - Only lines in the template's scope count: their sum (`eligible`) must reach `threshold` (满 X).
 * - `amount_off`: `value` fen off, never more than `eligible`.
 * - `percent_off`: `value` % of `eligible`, rounded half up to a fen, capped by `maxDiscount`.
 * - Apportioning: each in-scope line gets `discount × lineAmount / eligible` rounded down; the fen left over
 *   go one each to the lines with the largest remainders (ties: the earlier line), so the shares sum to the
 *   discount and no line's share exceeds what the line costs.
 *
 * @example couponDiscount({ kind: "amount_off", value: 1500, threshold: 10000, … }, [{ sku: "A", qty: 2, unitPrice: 6000 }])
 *   // → { discount: 1500, eligible: 12000, lines: [{ sku: "A", discount: 1500 }] }
 */
export function couponDiscount(
  template: Pick<CouponTemplate, "kind" | "value" | "threshold" | "maxDiscount" | "scope">,
  cart: readonly CartLine[],
): CouponQuote {
  const scoped = cart.filter((l) => inCouponScope(template.scope, l));
  const eligible = scoped.reduce((sum, l) => sum + l.qty * l.unitPrice, 0);
  if (scoped.length === 0 || eligible === 0)
    return { discount: 0, eligible, reason: "no-line-in-scope", lines: [] };
  if (template.threshold !== undefined && eligible < template.threshold)
    return { discount: 0, eligible, reason: "below-threshold", lines: [] };
  let discount =
    template.kind === "amount_off" ? template.value : Math.floor((eligible * template.value + 50) / 100);
  if (template.kind === "percent_off" && template.maxDiscount !== undefined)
    discount = Math.min(discount, template.maxDiscount);
  discount = Math.min(discount, eligible);
  return { discount, eligible, lines: apportion(discount, scoped, eligible) };
}

function apportion(discount: number, lines: readonly CartLine[], eligible: number) {
  // BigInt: discount × line amount may pass 2^53 for large carts.
  const shares = lines.map((l, i) => {
    const product = BigInt(discount) * BigInt(l.qty * l.unitPrice);
    return {
      i,
      sku: l.sku,
      share: Number(product / BigInt(eligible)),
      rest: Number(product % BigInt(eligible)),
    };
  });
  let left = discount - shares.reduce((n, s) => n + s.share, 0);
  for (const s of [...shares].sort((a, b) => b.rest - a.rest || a.i - b.i)) {
    if (left === 0) break;
    s.share += 1;
    left -= 1;
  }
  return shares.map((s) => ({ sku: s.sku, discount: s.share }));
}
