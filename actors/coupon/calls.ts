import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { couponCommandSchema } from "./commands.ts";

/** A command to a coupon-template actor as a caller writes it. */
export type CouponCommandInput = z.input<typeof couponCommandSchema>;

const build = commandBuilder<CouponCommandInput>("coupon-template");

/**
 * The coupon-template actor's public calls (the template id is the actor id; `templateOfCoupon(couponId)`
 * finds it from a coupon id).
 *
 * @example coupons.reserve(templateOfCoupon(couponId)!, { couponId, orderId, userId, discount: 1500, amount: 8500 })
 */
export const coupons = {
  kind: "coupon-template" as const,
  claim: build("claim"),
  push: build("push"),
  reserve: build("reserve"),
  commit: build("commit"),
  release: build("release"),
  restore: build("restore"),
  expire: build("expire"),
};
