import { apportion, type CartLine, inScope } from "../promotion/index.ts";
import type { CouponScope, CouponTemplate } from "./commands.ts";

/** One cart line as the checkout prices it (the promotion engine's `CartLine`). */
export type { CartLine };

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

/** Whether `line` falls under `scope` (no scope: the whole shop): the promotion engine's own rule. */
export function inCouponScope(scope: CouponScope | undefined, line: CartLine): boolean {
  return scope === undefined || inScope(scope, line);
}

/**
 * What one coupon takes off a cart — pure, the same in the checkout quote and the order.
 *
 * - Only lines in the template's scope count: their sum (`eligible`) must reach `threshold` (满 X).
 * - `amount_off`: `value` fen off, never more than `eligible`.
 * - `percent_off`: `value` % of `eligible`, rounded half up to a fen, capped by `maxDiscount`.
 * - Apportioning: THE largest-remainder split of the promotion engine (`apportion`): each in-scope line gets
 *   `discount × lineAmount / eligible` rounded down, the fen left over go one each to the largest remainders
 *   (ties: the earlier line); the shares sum to the discount and no share exceeds what its line costs.
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
  const shares = apportion(
    discount,
    scoped.map((l) => l.qty * l.unitPrice),
  );
  return { discount, eligible, lines: scoped.map((l, i) => ({ sku: l.sku, discount: shares[i]! })) };
}

const yuan = (fen: number) => `¥${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;

/** What a coupon did to a cart, for the buyer and the operator (zh-CN and en). */
export function explainCoupon(
  template: Pick<CouponTemplate, "name" | "kind" | "value" | "threshold" | "maxDiscount">,
  quote: CouponQuote,
): { "zh-CN": string; en: string } {
  const rule =
    template.kind === "amount_off"
      ? {
          "zh-CN": `${template.threshold ? `满${yuan(template.threshold)}` : ""}减${yuan(template.value)}`,
          en: `${yuan(template.value)} off${template.threshold ? ` orders of ${yuan(template.threshold)} or more` : ""}`,
        }
      : {
          "zh-CN": `${template.threshold ? `满${yuan(template.threshold)}` : ""}${template.value}%折扣${template.maxDiscount ? `，最多减${yuan(template.maxDiscount)}` : ""}`,
          en: `${template.value}% off${template.threshold ? ` orders of ${yuan(template.threshold)} or more` : ""}${template.maxDiscount ? `, at most ${yuan(template.maxDiscount)}` : ""}`,
        };
  if (quote.reason === "below-threshold")
    return {
      "zh-CN": `优惠券「${template.name}」(${rule["zh-CN"]})：适用商品${yuan(quote.eligible)}，未达门槛`,
      en: `Coupon "${template.name}" (${rule.en}): eligible items ${yuan(quote.eligible)}, below the threshold`,
    };
  if (quote.reason === "no-line-in-scope")
    return {
      "zh-CN": `优惠券「${template.name}」(${rule["zh-CN"]})：购物车中没有适用商品`,
      en: `Coupon "${template.name}" (${rule.en}): no item in the cart is eligible`,
    };
  return {
    "zh-CN": `优惠券「${template.name}」(${rule["zh-CN"]})：减${yuan(quote.discount)}`,
    en: `Coupon "${template.name}" (${rule.en}): ${yuan(quote.discount)} off`,
  };
}
