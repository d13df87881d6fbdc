import { z } from "zod";

const line = z.object({ warehouse: z.string(), qty: z.number().int().positive() });
const units = z.number().int().min(0);

/** Every event the SKU actor persists; checked by the runtime before each append. */
export const inventoryEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("received"),
    warehouse: z.string(),
    qty: z.number().int().positive(),
    reason: z.string(),
    reference: z.string().optional(),
    fromTransit: units,
  }),
  z.object({
    type: z.literal("inboundAnnounced"),
    warehouse: z.string(),
    qty: z.number().int().positive(),
    reference: z.string(),
  }),
  z.object({
    type: z.literal("inboundSettled"),
    warehouse: z.string(),
    /** What left in-transit: the requested quantity, never more than was in transit. */
    qty: units,
    reference: z.string(),
    reason: z.enum(["received", "cancelled", "closed"]),
  }),
  z.object({
    type: z.literal("reserved"),
    orderId: z.string(),
    lines: z.array(line).min(1),
    userId: z.string().optional(),
    /** Marks an operator's hold (added field: the event type stays `reserved`). */
    hold: z.literal(true).optional(),
    reason: z.string().optional(),
    /** A hold's request fingerprint (added field): which request the hold's `orderId` names. */
    fp: z.string().optional(),
    /** Taken out of this flash-sale campaign's allocation (added field, decision 0023). */
    campaignId: z.string().optional(),
  }),
  z.object({
    type: z.literal("released"),
    orderId: z.string(),
    lines: z.array(line).min(1),
    reason: z.string(),
    hold: z.literal(true).optional(),
    /** The units went back to this campaign's open allocation (added field, decision 0023). */
    toCampaign: z.string().optional(),
  }),
  /** Units set aside for a flash-sale campaign: out of sellable, into `allocated` (decision 0023). */
  z.object({ type: z.literal("allocated"), campaignId: z.string(), lines: z.array(line).min(1) }),
  /** A campaign's allocation closed; `lines` (maybe none) went back to sellable. */
  z.object({
    type: z.literal("deallocated"),
    campaignId: z.string(),
    lines: z.array(line),
    reason: z.string(),
  }),
  z.object({
    type: z.literal("committed"),
    orderId: z.string(),
    lines: z.array(line).min(1),
    hold: z.literal(true).optional(),
  }),
  z.object({
    type: z.literal("adjusted"),
    warehouse: z.string(),
    countedQty: units,
    delta: z.number().int(),
    reason: z.string(),
  }),
  z.object({ type: z.literal("safetyStockSet"), warehouse: z.string(), qty: units, previous: units }),
  z.object({ type: z.literal("lowStock"), warehouse: z.string(), sellable: units, safetyStock: units }),
  z.object({
    type: z.literal("purchaseLimitSet"),
    maxPerUser: z.number().int().positive().nullable(),
    previous: z.number().int().positive().nullable(),
  }),
]);

export type InventoryEvent = z.infer<typeof inventoryEventSchema>;
/** One warehouse's share of a reservation. */
export type ReservationLine = z.infer<typeof line>;
