import { z } from "zod";
import { idSchema as codeSchema, text } from "../shared/index.ts";

/** One command moves at most a million units; totals stay far inside safe integers. */
export const quantitySchema = z.number().int().positive().max(1_000_000);
export const countSchema = z.number().int().min(0).max(1_000_000_000);
export const MAX_UNITS = 1_000_000_000;

const reason = text({ max: 200 });

export const inventoryCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  z.object({
    type: z.literal("receive"),
    warehouse: codeSchema,
    qty: quantitySchema,
    reason: reason.optional(),
    /** A purchase order or transfer the goods were announced under: clears that much in-transit stock. */
    reference: codeSchema.optional(),
  }),
  z.object({
    type: z.literal("announceInbound"),
    warehouse: codeSchema,
    qty: quantitySchema,
    reference: codeSchema,
  }),
  /**
   * In-transit stock announced under `reference` (a purchase order) stops being in transit: its goods were
   * received (they become physical only when put away) or the order was cancelled or closed short.
   */
  z.object({
    type: z.literal("settleInbound"),
    warehouse: codeSchema,
    qty: quantitySchema,
    reference: codeSchema,
    reason: z.enum(["received", "cancelled", "closed"]),
  }),
  z.object({
    type: z.literal("reserve"),
    orderId: codeSchema,
    qty: quantitySchema,
    warehouse: codeSchema.optional(),
    /** The buyer: counted against the SKU's purchase limit (`setPurchaseLimit`) when one is set. */
    userId: codeSchema.optional(),
    /**
     * An operator's hold (the inventory API), not an order's reservation: its `orderId` only names it. Holds
     * and order reservations never adopt, release or commit each other.
     */
    hold: z.literal(true).optional(),
    reason: reason.optional(),
    /**
     * A hold's request fingerprint (operator, quantity, warehouse, buyer, reason): the hold's `orderId`
     * names this one request, so the same request replays and any other is refused while the hold stands.
     */
    fp: z.string().min(1).max(128).optional(),
    /**
     * A flash-sale campaign's order (decision 0023): the units come out of that campaign's allocation
     * (`allocate`), never from sellable stock, and go back to it on release while it is open.
     */
    campaignId: codeSchema.optional(),
  }),
  z.object({
    type: z.literal("release"),
    orderId: codeSchema,
    reason: reason.optional(),
    hold: z.literal(true).optional(),
  }),
  z.object({ type: z.literal("commit"), orderId: codeSchema, hold: z.literal(true).optional() }),
  z.object({ type: z.literal("adjust"), warehouse: codeSchema, countedQty: countSchema, reason }),
  /**
   * A relative adjustment (the warehouse actor's approved cycle counts): a bin's counted difference moves
   * physical stock by `delta`, whatever else moved meanwhile; the reason names the bin and lot.
   */
  z.object({
    type: z.literal("adjustBy"),
    warehouse: codeSchema,
    delta: z
      .number()
      .int()
      .min(-1_000_000)
      .max(1_000_000)
      .refine((n) => n !== 0, "delta is not 0"),
    reason: text({ max: 300 }),
  }),
  z.object({ type: z.literal("setSafetyStock"), warehouse: codeSchema, qty: countSchema }),
  /**
   * A flash-sale campaign sets `qty` units aside (decision 0023): moved out of sellable into `allocated`,
   * all or nothing, once per campaign (a repeat answers with the allocation made).
   */
  z.object({ type: z.literal("allocate"), campaignId: codeSchema, qty: quantitySchema }),
  /** The campaign ended: what is left of its allocation is sellable again; later releases go to sellable. */
  z.object({ type: z.literal("deallocate"), campaignId: codeSchema, reason: reason.optional() }),
  /** Operator configuration: units one buyer may hold or have bought of this SKU (`null` lifts it). */
  z.object({ type: z.literal("setPurchaseLimit"), maxPerUser: quantitySchema.nullable() }),
]);

export type InventoryCommand = z.infer<typeof inventoryCommandSchema>;
