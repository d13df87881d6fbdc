import { z } from "zod";
import { idSchema as codeSchema, MAX_AMOUNT, moneySchema, safeRecordSchema, text } from "../shared/index.ts";

export { MAX_AMOUNT };
/** A points balance never exceeds this, so sums and products of balances stay exact. */
export const MAX_POINTS = 1_000_000_000_000;

export const amountSchema = moneySchema;
const quantity = z.number().int().positive().max(1_000_000);
/** A limit of 0 is allowed: "not available to this member". */
const limit = z.number().int().min(0).max(1_000_000_000);
const points = z.number().int().min(0).max(1_000_000_000);
const reason = text({ max: 200 });

export const purchaseLineSchema = z.object({ sku: codeSchema, qty: quantity });
const lines = z.array(purchaseLineSchema).min(1).max(200);

/**
 * Per-member purchase limits, decided by promotions and passed in with each check: the member actor
 * keeps the counters, not the policy. `perCampaign` counts units across every SKU of the campaign.
 */
export const purchaseLimitsSchema = z.object({
  perSku: safeRecordSchema(limit, codeSchema).optional(),
  perCampaign: limit.optional(),
});

export const memberCommandSchema = z.discriminatedUnion("type", [
  /** The profile; `orders` is how many of the latest order references to include (default 20). */
  z.object({ type: z.literal("get"), orders: z.number().int().min(0).max(200).optional() }),
  z.object({
    type: z.literal("checkPurchase"),
    lines,
    campaignId: codeSchema.optional(),
    limits: purchaseLimitsSchema,
  }),
  z.object({
    type: z.literal("recordOrder"),
    orderId: codeSchema,
    lines,
    /** Payable at checkout, in fen. */
    amount: amountSchema,
    campaignId: codeSchema.optional(),
    pointsToSpend: points.optional(),
    limits: purchaseLimitsSchema.optional(),
  }),
  z.object({ type: z.literal("cancelOrder"), orderId: codeSchema, reason: reason.optional() }),
  /** `amount` is what was actually paid, in fen: points and growth are earned on it. */
  z.object({ type: z.literal("completeOrder"), orderId: codeSchema, amount: amountSchema }),
  z.object({
    type: z.literal("refundOrder"),
    orderId: codeSchema,
    refundId: codeSchema,
    amount: amountSchema.refine((n) => n > 0, "a refund moves at least 1 fen"),
  }),
  z.object({
    type: z.literal("adjustPoints"),
    delta: z
      .number()
      .int()
      .min(-1_000_000_000)
      .max(1_000_000_000)
      .refine((n) => n !== 0, "an adjustment changes the balance"),
    reason,
  }),
]);

export type MemberCommand = z.infer<typeof memberCommandSchema>;
export type PurchaseLine = z.infer<typeof purchaseLineSchema>;
export type PurchaseLimits = z.infer<typeof purchaseLimitsSchema>;
