/** Coupons' read models: the projection of coupon-template events and the queries over it. */
export { couponProjection } from "./coupon-projection.ts";
export {
  CouponQueries,
  type MemberCoupon,
  type MemberCouponFilter,
  type MemberCouponStatus,
} from "./coupon-queries.ts";
