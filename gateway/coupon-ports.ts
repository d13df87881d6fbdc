/** What the coupon routes ask of the read model (bound to `storage/coupons/` `CouponQueries` in node/). */

export type MemberCouponStatus = "available" | "reserved" | "used" | "expired";

export interface MemberCouponItem {
  couponId: string;
  templateId: string;
  name: string;
  kind: "amount_off" | "percent_off";
  value: number;
  threshold: number | null;
  maxDiscount: number | null;
  status: MemberCouponStatus;
  source: "claim" | "push";
  issuedAt: string;
  validFrom: string;
  validTo: string;
  orderId: string | null;
}

/** A member's coupons, projected from the coupon-template actors (may lag them by the projector's delay). */
export interface CouponReadModel {
  /** Newest first; throws `InvalidCursorError` for a cursor it did not issue. */
  memberCoupons(
    userId: string,
    filter: { status?: MemberCouponStatus; limit: number; cursor?: string },
  ): Promise<{ items: MemberCouponItem[]; nextCursor: string | null }>;
}
