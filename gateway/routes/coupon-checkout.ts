import type { Context } from "hono";
import {
  type CartLine,
  type CouponStatus,
  type CouponTemplate,
  couponDiscount,
  explainCoupon,
  templateOfCoupon,
} from "../../actors/coupon/index.ts";
import type { GatewayKit } from "../app.ts";
import { ProblemError } from "../problem.ts";

/** One coupon as the checkout applies it: its discount, apportioned to lines, and why. */
export interface AppliedCoupon {
  couponId: string;
  templateId: string;
  discount: number;
  lines: Array<{ sku: string; discount: number }>;
  explanation: { "zh-CN": string; en: string };
}

interface CouponRead {
  userId: string;
  status: CouponStatus;
  template: CouponTemplate;
}

/**
 * Prices the buyer's coupons on a cart (after promotions: `lines` carry what each line still costs), one
 * after another in the order given, each on what the earlier ones left. Each coupon is read from its
 * template actor (a consistent read): it must be the buyer's, `available`, of a distinct template, and
 * must take something off — otherwise 409 `coupon-not-usable` (field `couponIds.N`); an unknown coupon is 404.
 * The answer goes to the order's `place` as `coupons: [{ couponId, discount }]`.
 */
export async function couponDiscounts(
  kit: GatewayKit,
  c: Context,
  req: { userId: string; couponIds: readonly string[]; lines: readonly CartLine[] },
): Promise<AppliedCoupon[]> {
  const templates = req.couponIds.map((couponId, i) => {
    const templateId = templateOfCoupon(couponId);
    if (templateId === undefined)
      throw new ProblemError(404, "not-found", `no coupon ${couponId}`, { field: `couponIds.${i}` });
    return templateId;
  });
  if (new Set(templates).size !== templates.length)
    throw new ProblemError(409, "coupon-not-usable", "one coupon per template per order", {
      field: "couponIds",
    });
  const reads = await Promise.all(
    req.couponIds.map((couponId, i) =>
      kit.command<CouponRead>(
        c,
        "coupon-template",
        templates[i]!,
        { type: "coupon", couponId },
        { readOnly: true },
      ),
    ),
  );
  // What each line still costs, as one unit, so each coupon measures what the earlier ones left.
  const left = req.lines.map((l) => ({ ...l, unitPrice: l.qty * l.unitPrice, qty: 1 }));
  return reads.map((coupon, i) => {
    const couponId = req.couponIds[i]!;
    const refuse = (why: string) =>
      new ProblemError(409, "coupon-not-usable", `coupon ${couponId} ${why}`, {
        field: `couponIds.${i}`,
        couponId,
      });
    if (coupon.userId !== req.userId) throw refuse("belongs to another user");
    if (coupon.status !== "available") throw refuse(`is ${coupon.status}`);
    const quote = couponDiscount(coupon.template, left);
    if (quote.discount === 0)
      throw refuse(
        quote.reason === "below-threshold"
          ? "needs a higher spend on its items"
          : "applies to no item in the cart",
      );
    for (const share of quote.lines) {
      const line = left.find((l) => l.sku === share.sku)!;
      line.unitPrice -= share.discount;
    }
    return {
      couponId,
      templateId: templates[i]!,
      discount: quote.discount,
      lines: quote.lines,
      explanation: explainCoupon(coupon.template, quote),
    };
  });
}
