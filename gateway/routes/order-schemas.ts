import { z } from "zod";
import { isCarrierCode } from "../../actors/carrier/index.ts";
import { addressSchema, moneySchema } from "../../actors/order/index.ts";
import { text } from "../../actors/shared/index.ts";
import { codeSchema, filterText, instantSchema, operatorSetLimit, reasonText } from "../schemas.ts";

/** Request shapes of the order routes (the OpenAPI document is generated from these). */
export const placeBody = z
  .object({
    userId: codeSchema,
    lines: z
      .array(z.object({ sku: codeSchema, qty: z.number().int().positive().max(10_000) }).strict())
      .min(1)
      .max(100),
    address: addressSchema,
    channel: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,39}$/)
      .default("web"),
    /** The buyer's choice; only what the items can absorb is spent (the order actor caps it). */
    pointsToSpend: z.number().int().positive().max(1_000_000_000).optional(),
    campaignId: codeSchema.optional(),
    couponIds: z.array(codeSchema).max(10).optional(),
    /** The checkout quote accepted: 409 quote-changed when the order's fresh price differs. */
    quoteId: codeSchema.optional(),
    /** A group-buy order (拼团, decision 0024): the group price; it opens a new group unless `groupId` names one. */
    groupBuyId: codeSchema
      .optional()
      .describe(
        "A group-buy campaign (拼团): the order pays its group price and waits for its group to form",
      ),
    groupId: codeSchema
      .optional()
      .describe("The group to join (needs groupBuyId); absent, the order opens a new group"),
    presaleId: codeSchema
      .optional()
      .describe(
        "A presale campaign (预售): pay the deposit now, the balance in the campaign's balance window",
      ),
    // Purchase limits are business rules, never the caller's: refused with a message saying where they live.
    maxPerUser: operatorSetLimit("maxPerUser", "PUT /v1/inventory/{sku}/purchase-limit"),
    maxPerCampaign: operatorSetLimit("maxPerCampaign", "campaign configuration, with promotions"),
  })
  .strict();
export const listQuery = z
  .object({
    status: filterText(40).optional(),
    userId: codeSchema.optional(),
    sku: codeSchema.optional(),
    channel: filterText(40).optional(),
    from: instantSchema.optional(),
    to: instantSchema.optional(),
    minTotal: z.coerce.number().int().min(0).optional(),
    maxTotal: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: filterText(200).optional(),
  })
  .strict();
export const statsQuery = z
  .object({ from: instantSchema, to: instantSchema, interval: z.enum(["hour", "day"]).default("day") })
  .strict();
export const mergeQuery = z.object({ userId: codeSchema }).strict();
export const addressBody = z.object({ address: addressSchema }).strict();

export const cancelBody = z.object({ reason: reasonText.default("cancelled by request") }).strict();
/**
 * Ship: a carrier of the catalogue (`express`, `ems`, `mail`) without `trackingNo` issues an e-waybill
 * (decision 0029); any carrier with the operator's own `trackingNo` is tracked under that number.
 */
export const shipBody = z
  .object({
    carrier: text({ max: 40 }),
    trackingNo: text({ max: 64 }).optional(),
  })
  .strict()
  .refine((b) => b.trackingNo !== undefined || isCarrierCode(b.carrier), {
    error: "give the trackingNo, or a carrier of the catalogue (express, ems, mail) for an e-waybill",
    path: ["trackingNo"],
  });
export const afterSalesBody = z
  .object({
    kind: z.enum(["refund_only", "return_and_refund"]),
    reason: text({ max: 500 }),
    amount: moneySchema.optional(),
    sku: codeSchema.optional().describe("Refund one line: what it paid after its share of the discount"),
  })
  .strict();
export const decisionBody = z
  .object({ approve: z.boolean(), note: text({ max: 500, min: 0, trim: false, multiline: true }).optional() })
  .strict();
export const receiveBody = z
  .object({ warehouse: codeSchema, disposition: z.enum(["restock", "scrap"]) })
  .strict();
