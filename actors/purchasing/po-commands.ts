import { z } from "zod";
import { quantitySchema } from "../inventory/index.ts";
import { idSchema as codeSchema, moneySchema, text } from "../shared/index.ts";
import { purchasingSettingsSchema } from "./settings.ts";

/** Lines one purchase order holds at most. */
export const MAX_PO_LINES = 200;
const epoch = z.number().int().min(0).max(253_402_300_799_999);

/** A lot's date as the warehouse takes it: an ISO date or date-time. */
export const dateSchema = z.iso.date().or(z.iso.datetime({ offset: true }));

export const poLineSchema = z
  .object({ sku: codeSchema, qty: quantitySchema, unitCost: moneySchema })
  .strict();

export const receiptLineSchema = z
  .object({
    sku: codeSchema,
    acceptedQty: z.number().int().min(0).max(1_000_000),
    rejectedQty: z.number().int().min(0).max(1_000_000).optional(),
    lot: codeSchema.optional(),
    /** Production date of the lot (ISO date or date-time). */
    producedAt: dateSchema.optional(),
    /** Expiry of the lot (ISO date or date-time): FEFO picks by it. */
    expiresAt: dateSchema.optional(),
    /** Why goods were rejected (inspection note), carried to the return-to-supplier record. */
    rejectReason: text({ max: 200 }).optional(),
  })
  .strict();
export type ReceiptLine = z.infer<typeof receiptLineSchema>;

export const purchaseOrderCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  z.object({
    type: z.literal("create"),
    supplier: codeSchema,
    /** The supplier's review status when the route read it: only approved suppliers get orders. */
    supplierStatus: z.enum(["pending", "approved", "suspended"]),
    warehouse: codeSchema,
    lines: z.array(poLineSchema).min(1).max(MAX_PO_LINES),
    expectedAt: epoch.optional(),
    /** The purchase plan the order came from, if any. */
    planId: codeSchema.optional(),
  }),
  /** draft → submitted; the PO keeps the settings of this moment (threshold, tolerance). */
  z.object({ type: z.literal("submit"), settings: purchasingSettingsSchema }),
  /** One operator's approval; above the threshold a second, different operator completes it. */
  /**
   * Approves a submitted PO; `viaApproval`: sent by a generic approval (decision 0034) whose chain took the
   * place of the two-operator rule, so it completes the approval at once.
   */
  z.object({ type: z.literal("approve"), viaApproval: z.literal(true).optional() }),
  z.object({ type: z.literal("send") }),
  z.object({
    type: z.literal("receive"),
    receiptId: codeSchema,
    lines: z.array(receiptLineSchema).min(1).max(MAX_PO_LINES),
  }),
  /** A partially or fully received PO is closed: what was not delivered stops being in transit. */
  z.object({ type: z.literal("close"), reason: text({ max: 200 }).optional() }),
  z.object({ type: z.literal("cancel"), reason: text({ max: 200 }).optional() }),
]);
export type PurchaseOrderCommand = z.infer<typeof purchaseOrderCommandSchema>;
