import { z } from "zod";
import { idSchema as codeSchema, MAX_AMOUNT, text } from "../shared/index.ts";

/** One campaign sells at most this many units (they sit in the SKU's allocation meanwhile). */
export const MAX_FLASH_STOCK = 100_000;
/** Units one buyer may buy of one campaign, at most. */
export const MAX_FLASH_PER_USER = 100;

const epoch = z.number().int().min(0).max(253_402_300_799_999);

/**
 * A flash sale (秒杀): `stock` units of `sku` at `price` fen each, bought in `[startsAt, endsAt)`, at most
 * `perUserLimit` units per buyer over the campaign (orders given back count back).
 */
export const campaignSchema = z
  .object({
    name: text({ max: 100 }),
    sku: codeSchema,
    price: z.number().int().positive().max(MAX_AMOUNT),
    stock: z.number().int().positive().max(MAX_FLASH_STOCK),
    perUserLimit: z.number().int().positive().max(MAX_FLASH_PER_USER),
    startsAt: epoch,
    endsAt: epoch,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.endsAt <= c.startsAt)
      ctx.addIssue({ code: "custom", path: ["endsAt"], message: "endsAt must be after startsAt" });
  });
export type Campaign = z.infer<typeof campaignSchema>;

/** Refusals counted at a gateway before reaching the campaign (admission control, the sold-out fast path). */
export const admissionTallySchema = z
  .object({
    soldOut: z.number().int().min(0).max(1_000_000_000),
    notActive: z.number().int().min(0).max(1_000_000_000),
    rateLimited: z.number().int().min(0).max(1_000_000_000),
    queueFull: z.number().int().min(0).max(1_000_000_000),
    duplicate: z.number().int().min(0).max(1_000_000_000),
  })
  .strict();
export type AdmissionTally = z.infer<typeof admissionTallySchema>;

export const flashSaleCommandSchema = z.discriminatedUnion("type", [
  /** The campaign with its counters (read-only). */
  z.object({ type: z.literal("get") }),
  /** The units a buyer holds of the campaign (read-only). */
  z.object({ type: z.literal("purchases"), userId: codeSchema }),
  /** Creates the campaign and allocates its stock on the SKU actor; answered once allocated (or refused). */
  z.object({ type: z.literal("create"), campaign: campaignSchema }),
  /** An order takes `qty` units: window, per-user limit and stock decided here, then held on the SKU. */
  z.object({
    type: z.literal("reserve"),
    orderId: codeSchema,
    userId: codeSchema,
    qty: z.number().int().positive().max(MAX_FLASH_PER_USER),
  }),
  /** The order was cancelled, timed out, failed or refunded before shipment: its units come back. */
  z.object({ type: z.literal("release"), orderId: codeSchema, reason: text({ max: 200 }).optional() }),
  /** Ends the campaign now (also its `end` timer): what is left goes back to the SKU's sellable stock. */
  z.object({ type: z.literal("end"), reason: text({ max: 200 }).optional() }),
  /** A gateway's count of refusals it answered itself (admission control, sold-out fast path). */
  z.object({ type: z.literal("tally"), counts: admissionTallySchema }),
]);
export type FlashSaleCommand = z.infer<typeof flashSaleCommandSchema>;
