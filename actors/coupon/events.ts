import { z } from "zod";
import { couponTemplateSchema } from "./commands.ts";

const who = { at: z.number(), by: z.string() };

/** Every event the coupon-template actor persists; checked by the runtime before each append. */
export const couponEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("created"), template: couponTemplateSchema, ...who }),
  z.object({
    type: z.literal("issued"),
    couponId: z.string(),
    userId: z.string(),
    /** `claim`: the customer claimed it; `push`: an operator sent it. */
    source: z.enum(["claim", "push"]),
    /** The segment push that issued it (decision 0025). */
    pushId: z.string().optional(),
    validFrom: z.number(),
    validTo: z.number(),
    ...who,
  }),
  z.object({
    type: z.literal("reserved"),
    couponId: z.string(),
    orderId: z.string(),
    discount: z.number().int(),
    amount: z.number().int(),
    at: z.number(),
  }),
  z.object({ type: z.literal("committed"), couponId: z.string(), orderId: z.string(), at: z.number() }),
  z.object({
    type: z.literal("released"),
    couponId: z.string(),
    orderId: z.string(),
    reason: z.string(),
    at: z.number(),
  }),
  /** A used coupon given back after its order was refunded in full before shipment (decision 0024). */
  z.object({ type: z.literal("restored"), couponId: z.string(), orderId: z.string(), at: z.number() }),
  z.object({ type: z.literal("expired"), reason: z.string(), ...who }),
]);

export type CouponEvent = z.infer<typeof couponEventSchema>;
