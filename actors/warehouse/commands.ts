import { z } from "zod";
import { idSchema as codeSchema, text } from "../shared/index.ts";

/** The zones every warehouse has; an SKU with no zone attributes may be stored in `ambient`. */
export const ZONES = ["ambient", "chilled", "valuables"] as const;
export type Zone = (typeof ZONES)[number];
export const zoneSchema = z.enum(ZONES);

/** Where goods received without a putaway (the inventory API's receipts) wait: not a bin, but stock. */
export const RECEIVING = "RECEIVING";
/** Bins one warehouse holds at most (its layout lives in its actor's state). */
export const MAX_BINS = 20_000;
/** Lines one receipt, wave or count carries at most. */
export const MAX_LINES = 500;
/** Orders one wave groups at most. */
export const MAX_WAVE_ORDERS = 200;

const units = z.number().int().positive().max(1_000_000);
const coordinate = z.number().int().min(0).max(10_000);
/** A lot number as the supplier prints it (a code: it is part of a stock key and shown on pick lists). */
export const lotSchema = codeSchema;
/** An ISO date or date-time; lots compare by it (FEFO). */
export const expirySchema = z.iso.date().or(z.iso.datetime({ offset: true }));

const reason = text({ max: 200 });

export const binSchema = z.object({
  zone: zoneSchema,
  aisle: coordinate,
  bay: coordinate,
  level: coordinate,
  position: coordinate.optional(),
  capacity: units.optional(),
});

export const receiptLineSchema = z.object({
  sku: codeSchema,
  qty: units,
  lot: lotSchema.optional(),
  expiresAt: expirySchema.optional(),
});

export const pickLineSchema = z.object({
  /** The step's index in the wave (as `GET /v1/waves/{id}` lists them). */
  step: z.number().int().min(0).max(100_000),
  /** Units picked: fewer than the step asked for is a short pick. */
  qty: z.number().int().min(0).max(1_000_000),
});

export const warehouseCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  /** Reads for the API: stock per bin and lot, a wave, a receipt, the dashboard figures. */
  z.object({ type: z.literal("stock"), sku: codeSchema.optional() }),
  z.object({ type: z.literal("totals") }),
  z.object({ type: z.literal("binCount") }),
  z.object({ type: z.literal("wave"), waveId: codeSchema }),
  z.object({ type: z.literal("receipt"), receiptId: codeSchema }),
  z.object({ type: z.literal("summary"), now: z.number().int() }),
  z.object({ type: z.literal("setBin"), bin: codeSchema, ...binSchema.shape }),
  z.object({ type: z.literal("setSkuZones"), sku: codeSchema, zones: z.array(zoneSchema).min(1).max(3) }),
  z.object({
    type: z.literal("configure"),
    /** Count differences above this many units (per bin, SKU and lot) wait for an operator's approval. */
    countApprovalThreshold: z.number().int().min(0).max(1_000_000).optional(),
    /** Packed weight may differ from the SKUs' weights by this share (0.05 = 5 %). */
    packTolerance: z.number().min(0).max(1).optional(),
  }),
  /**
   * Goods accepted at receiving (a purchase order's receipt): recorded with a suggested bin per line;
   * they become stock only when the putaway is confirmed.
   */
  z.object({
    type: z.literal("registerReceipt"),
    receiptId: codeSchema,
    /** The purchase order (or other document) the goods were announced under: clears in-transit stock. */
    reference: codeSchema.optional(),
    lines: z.array(receiptLineSchema).min(1).max(MAX_LINES),
    /** When the goods are due (inbound due today on the dashboard); absent: now. */
    dueAt: z.number().int().optional(),
  }),
  z.object({
    type: z.literal("confirmPutaway"),
    receiptId: codeSchema,
    /** Bins chosen on the floor instead of the suggestions; absent: the suggested bins. */
    lines: z
      .array(z.object({ sku: codeSchema, lot: lotSchema.optional(), qty: units, bin: codeSchema }))
      .min(1)
      .max(MAX_LINES)
      .optional(),
  }),
  /** A receipt through the inventory API in a warehouse with bins: lands in the receiving location. */
  z.object({
    type: z.literal("receiveUnplaced"),
    sku: codeSchema,
    qty: units,
    reason: reason.optional(),
    reference: codeSchema.optional(),
  }),
  z.object({
    type: z.literal("createWave"),
    waveId: codeSchema,
    orders: z
      .array(
        z.object({
          orderId: codeSchema,
          lines: z
            .array(z.object({ sku: codeSchema, qty: units }))
            .min(1)
            .max(MAX_LINES),
        }),
      )
      .min(1)
      .max(MAX_WAVE_ORDERS),
    /** Leave out orders already in a wave (a wave over "every order waiting") instead of refusing. */
    skipWaved: z.boolean().optional(),
  }),
  z.object({
    type: z.literal("confirmPicks"),
    waveId: codeSchema,
    picks: z.array(pickLineSchema).min(1).max(MAX_LINES),
  }),
  z.object({
    type: z.literal("pack"),
    waveId: codeSchema,
    orderId: codeSchema,
    weightGrams: z.number().int().min(0).max(100_000_000),
    /** The SKUs' weights from the product center, looked up by the caller (grams per unit). */
    unitWeights: z
      .array(z.object({ sku: codeSchema, grams: z.number().int().min(0).nullable() }))
      .max(MAX_LINES),
  }),
  z.object({
    type: z.literal("handover"),
    waveId: codeSchema,
    orderId: codeSchema,
    carrier: text({ max: 40 }),
    trackingNo: text({ max: 64 }),
    autoCompleteMs: z.number().int().positive(),
  }),
  /**
   * `POST /v1/orders/{id}/ship` in a warehouse with bins: picks the order's units from free bin stock
   * (FEFO/FIFO, not what open waves hold) into a one-order wave, then ships it as a handover does.
   */
  z.object({
    type: z.literal("shipFromBins"),
    waveId: codeSchema,
    orderId: codeSchema,
    lines: z
      .array(z.object({ sku: codeSchema, qty: units }))
      .min(1)
      .max(MAX_LINES),
    carrier: text({ max: 40 }),
    trackingNo: text({ max: 64 }).optional(),
    autoCompleteMs: z.number().int().positive(),
  }),
  z.object({ type: z.literal("openCount"), countId: codeSchema, bin: codeSchema }),
  z.object({
    type: z.literal("recordCount"),
    countId: codeSchema,
    lines: z
      .array(
        z.object({ sku: codeSchema, lot: lotSchema.optional(), qty: z.number().int().min(0).max(1_000_000) }),
      )
      .max(MAX_LINES),
    reason: reason.optional(),
  }),
  z.object({ type: z.literal("approveCount"), countId: codeSchema }),
]);

export type WarehouseCommand = z.infer<typeof warehouseCommandSchema>;
export type ReceiptLine = z.infer<typeof receiptLineSchema>;
export type BinLayout = z.infer<typeof binSchema>;
