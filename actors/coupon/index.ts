import { defineKind } from "../runtime/index.ts";
import { couponHandlers } from "./actor.ts";
import { type CouponCommand, couponCommandSchema } from "./commands.ts";
import { type CouponEvent, couponEventSchema } from "./events.ts";
import {
  applyCouponEvent,
  type CouponState,
  couponStateSchema,
  encodeCouponState,
  initialCouponState,
} from "./state.ts";

/**
 * The coupon-template actor (kind "coupon-template", id = template id): the template, its budget and
 * per-user counters (a hot counter: claims are decided one at a time, so a budget of 100 issues exactly
 * 100), every coupon it issued, and each coupon's redemption, held all or nothing with its order.
 */
export const couponTemplateKind = defineKind<CouponState, CouponCommand, CouponEvent>({
  name: "coupon-template",
  commands: couponCommandSchema,
  events: couponEventSchema,
  state: couponStateSchema,
  encodeState: encodeCouponState,
  initialState: initialCouponState,
  apply: applyCouponEvent,
  handlers: couponHandlers,
  readOnly: ["get", "coupon"],
});

export { type CouponRefusal, couponIdFor, couponView, templateOfCoupon, templateView } from "./actor.ts";
export { type CouponCommandInput, coupons } from "./calls.ts";
export {
  type CouponCommand,
  type CouponScope,
  type CouponTemplate,
  couponCommandSchema,
  couponScopeSchema,
  couponTemplateSchema,
  DAY_MS,
  ISSUE_ON_EVENTS,
  issueOnPushId,
  MAX_COUPONS_PER_TEMPLATE,
  MAX_PER_USER_LIMIT,
  MAX_PUSH_USERS,
  MAX_VALID_DAYS,
} from "./commands.ts";
export { type CartLine, type CouponQuote, couponDiscount, explainCoupon, inCouponScope } from "./discount.ts";
export { type CouponEvent, couponEventSchema } from "./events.ts";
export { type CouponState, type CouponStatus, couponStatus, type IssuedCoupon } from "./state.ts";
