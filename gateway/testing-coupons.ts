import { InvalidCursorError } from "../storage/read-models/cursor.ts";
import type { CouponReadModel } from "./ports.ts";

/** A coupon read model with no coupons (route tests of other areas; coupons are tested over a real node). */
export function emptyCoupons(): CouponReadModel {
  return {
    memberCoupons: async (_userId, filter) => {
      if (filter.cursor) throw new InvalidCursorError(filter.cursor);
      return { items: [], nextCursor: null };
    },
  };
}
