import { z } from "zod";
import { mapEntries, mapSchema } from "../shared/index.ts";
import { type CouponTemplate, couponTemplateSchema } from "./commands.ts";
import type { CouponEvent } from "./events.ts";

/** One issued coupon. `available` turns `expired` by time alone (see `couponStatus`). */
export interface IssuedCoupon {
  userId: string;
  source: "claim" | "push";
  /** The segment push that issued it, if one did. */
  pushId?: string;
  issuedAt: number;
  validFrom: number;
  validTo: number;
  status: "available" | "reserved" | "used";
  /** The order holding (reserved) or having used (used) the coupon. */
  orderId?: string;
  discount?: number;
  amount?: number;
}

/** The coupon-template actor's state. Keyed by outside ids, so `Map`s (a user id `constructor` is a user). */
export interface CouponState {
  template: CouponTemplate | null;
  createdAt: number | null;
  /** When the template was ended (by `expire` or at `validTo`); no claims after it. */
  endedAt: number | null;
  /** Coupons issued so far (claims + pushes): the budget counts these. */
  issued: number;
  claimed: number;
  pushed: number;
  /** Coupons currently held by an unpaid order. */
  reserved: number;
  /** Coupons used by a paid order, with the orders' payable totals (GMV driven) and their discounts. */
  used: number;
  gmv: number;
  discountCost: number;
  /** Coupons issued per user, over the template's life (the per-user limit counts these). */
  perUser: Map<string, number>;
  coupons: Map<string, IssuedCoupon>;
}

const couponSchema = z.object({
  userId: z.string(),
  source: z.enum(["claim", "push"]),
  pushId: z.string().optional(),
  issuedAt: z.number(),
  validFrom: z.number(),
  validTo: z.number(),
  status: z.enum(["available", "reserved", "used"]),
  orderId: z.string().optional(),
  discount: z.number().int().optional(),
  amount: z.number().int().optional(),
});
const count = z.number().int().min(0);

/** The state as a snapshot holds it (`encodeCouponState` writes maps as `[key, value]` pairs). */
export const couponStateSchema: z.ZodType<CouponState> = z.object({
  template: couponTemplateSchema.nullable(),
  createdAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  issued: count,
  claimed: count,
  pushed: count,
  reserved: count,
  used: count,
  gmv: count,
  discountCost: count,
  perUser: mapSchema(z.number().int().positive()),
  coupons: mapSchema(couponSchema),
});

export function encodeCouponState(state: CouponState): unknown {
  return { ...state, perUser: mapEntries(state.perUser), coupons: mapEntries(state.coupons) };
}

export function initialCouponState(): CouponState {
  return {
    template: null,
    createdAt: null,
    endedAt: null,
    issued: 0,
    claimed: 0,
    pushed: 0,
    reserved: 0,
    used: 0,
    gmv: 0,
    discountCost: 0,
    perUser: new Map(),
    coupons: new Map(),
  };
}

/** Applies one event, in place (see `ActorKind.apply`). */
export function applyCouponEvent(state: CouponState, event: CouponEvent): CouponState {
  switch (event.type) {
    case "created":
      state.template = event.template;
      state.createdAt = event.at;
      break;
    case "issued":
      state.issued += 1;
      if (event.source === "claim") state.claimed += 1;
      else state.pushed += 1;
      state.perUser.set(event.userId, (state.perUser.get(event.userId) ?? 0) + 1);
      state.coupons.set(event.couponId, {
        userId: event.userId,
        source: event.source,
        ...(event.pushId === undefined ? {} : { pushId: event.pushId }),
        issuedAt: event.at,
        validFrom: event.validFrom,
        validTo: event.validTo,
        status: "available",
      });
      break;
    case "reserved": {
      const coupon = state.coupons.get(event.couponId);
      if (!coupon) break;
      Object.assign(coupon, {
        status: "reserved",
        orderId: event.orderId,
        discount: event.discount,
        amount: event.amount,
      });
      state.reserved += 1;
      break;
    }
    case "committed": {
      const coupon = state.coupons.get(event.couponId);
      if (!coupon) break;
      coupon.status = "used";
      state.reserved -= 1;
      state.used += 1;
      state.gmv += coupon.amount ?? 0;
      state.discountCost += coupon.discount ?? 0;
      break;
    }
    case "released": {
      const coupon = state.coupons.get(event.couponId);
      if (!coupon) break;
      coupon.status = "available";
      delete coupon.orderId;
      delete coupon.discount;
      delete coupon.amount;
      state.reserved -= 1;
      break;
    }
    case "restored": {
      const coupon = state.coupons.get(event.couponId);
      if (!coupon) break;
      state.used -= 1;
      state.gmv -= coupon.amount ?? 0;
      state.discountCost -= coupon.discount ?? 0;
      coupon.status = "available";
      delete coupon.orderId;
      delete coupon.discount;
      delete coupon.amount;
      break;
    }
    case "expired":
      state.endedAt = event.at;
      break;
  }
  return state;
}

export type CouponStatus = "available" | "reserved" | "used" | "expired";

/**
 * A coupon's status at `now`: an available coupon past its validity, or of an ended template, is
 * expired. A reserved coupon stays reserved (its order decides: paid → used, cancelled → available/expired).
 */
export function couponStatus(coupon: IssuedCoupon, now: number, endedAt: number | null): CouponStatus {
  if (coupon.status !== "available") return coupon.status;
  const end = endedAt === null ? coupon.validTo : Math.min(coupon.validTo, endedAt);
  return now >= end ? "expired" : "available";
}
