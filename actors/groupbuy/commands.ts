import { z } from "zod";
import { idSchema as codeSchema, moneySchema, text } from "../shared/index.ts";

/** Members one group may need (拼团 of 2 to 100 people). */
export const MAX_GROUP_SIZE = 100;
/** The longest a group may take to form: 30 days. */
export const MAX_FORM_HOURS = 720;
/** Units of the campaign's SKU one group-buy order may take. */
export const MAX_QTY_PER_ORDER = 100;
export const HOUR_MS = 3_600_000;

const epoch = z.number().int().min(0).max(253_402_300_799_999);

/**
 * A group-buy campaign (拼团活动): one SKU at `price` for orders in groups of `groupSize`; a group opened by
 * a first buyer's order must fill (every member paid) within `formHours`, else every member is refunded.
 * Groups open in `[startsAt, endsAt)`.
 */
export const groupBuyCampaignSchema = z
  .object({
    name: text({ max: 100 }),
    sku: codeSchema,
    price: moneySchema.refine((n) => n > 0, "a price of at least 1 fen"),
    groupSize: z.number().int().min(2).max(MAX_GROUP_SIZE),
    formHours: z.number().positive().max(MAX_FORM_HOURS),
    maxQtyPerOrder: z.number().int().positive().max(MAX_QTY_PER_ORDER).default(1),
    startsAt: epoch,
    endsAt: epoch,
  })
  .strict()
  .refine((c) => c.endsAt > c.startsAt, { path: ["endsAt"], message: "endsAt must be after startsAt" });
export type GroupBuyCampaign = z.infer<typeof groupBuyCampaignSchema>;

export const groupBuyCommandSchema = z.discriminatedUnion("type", [
  /** The campaign, its counters and its groups (read-only). */
  z.object({ type: z.literal("get") }),
  /** One group with its members (read-only). */
  z.object({ type: z.literal("group"), groupId: codeSchema }),
  z.object({ type: z.literal("create"), campaign: groupBuyCampaignSchema }),
  /**
   * An order being placed takes a seat: in `groupId`, or in a new group it opens. Refused when the group
   * is full, closed or the buyer is in it already. Idempotent per order.
   */
  z.object({
    type: z.literal("join"),
    orderId: codeSchema,
    userId: codeSchema,
    qty: z.number().int().positive().max(MAX_QTY_PER_ORDER),
    groupId: codeSchema.optional(),
  }),
  /** The member's order was paid: when every seat is paid the group forms. */
  z.object({ type: z.literal("paid"), orderId: codeSchema }),
  /** The member's unpaid order was cancelled (or failed): its seat is free again. */
  z.object({ type: z.literal("leave"), orderId: codeSchema, reason: text({ max: 200 }).optional() }),
]);
export type GroupBuyCommand = z.infer<typeof groupBuyCommandSchema>;
