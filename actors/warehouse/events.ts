import { z } from "zod";
import { zoneSchema } from "./commands.ts";

const units = z.number().int().positive();
const lot = z.string().nullable();
const expiry = z.string().nullable();
const placed = z.object({ sku: z.string(), lot, expiresAt: expiry, qty: units, bin: z.string() });
const stepSchema = z.object({
  bin: z.string(),
  sku: z.string(),
  lot,
  expiresAt: expiry,
  qty: units,
  orderId: z.string(),
  zone: zoneSchema,
});
const difference = z.object({
  sku: z.string(),
  lot,
  expiresAt: expiry,
  expected: z.number().int().min(0),
  counted: z.number().int().min(0),
});

/** Every event the warehouse actor persists; checked by the runtime before each append. */
export const warehouseEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("binSet"),
    bin: z.string(),
    zone: zoneSchema,
    aisle: z.number().int(),
    bay: z.number().int(),
    level: z.number().int(),
    position: z.number().int().optional(),
    capacity: z.number().int().positive().nullable(),
  }),
  z.object({ type: z.literal("skuZonesSet"), sku: z.string(), zones: z.array(zoneSchema) }),
  z.object({
    type: z.literal("configured"),
    countApprovalThreshold: z.number().int().min(0),
    packTolerance: z.number().min(0),
  }),
  z.object({
    type: z.literal("receiptRegistered"),
    receiptId: z.string(),
    reference: z.string().optional(),
    lines: z.array(placed).min(1),
    at: z.number().int(),
    dueAt: z.number().int(),
  }),
  z.object({
    type: z.literal("putawayConfirmed"),
    receiptId: z.string(),
    lines: z.array(placed).min(1),
    at: z.number().int(),
  }),
  z.object({
    type: z.literal("receivedUnplaced"),
    key: z.string(),
    sku: z.string(),
    qty: units,
    reason: z.string(),
    reference: z.string().optional(),
    at: z.number().int(),
  }),
  z.object({
    type: z.literal("waveCreated"),
    waveId: z.string(),
    at: z.number().int(),
    orders: z.array(
      z.object({ orderId: z.string(), lines: z.array(z.object({ sku: z.string(), qty: units })) }),
    ),
    steps: z.array(stepSchema),
    /** Orders left out because their stock is not in any bin (each with what was missing). */
    exceptions: z.array(z.object({ orderId: z.string(), sku: z.string(), missing: units })),
  }),
  z.object({
    type: z.literal("picksConfirmed"),
    waveId: z.string(),
    at: z.number().int(),
    picks: z.array(z.object({ step: z.number().int().min(0), qty: z.number().int().min(0) })),
    /** Steps added to pick what short picks left missing, from other lots (FEFO/FIFO again). */
    reallocated: z.array(stepSchema),
    /** What could not be found anywhere: the order is an exception. */
    shorts: z.array(z.object({ orderId: z.string(), sku: z.string(), qty: units, bin: z.string() })),
  }),
  z.object({
    type: z.literal("packed"),
    waveId: z.string(),
    orderId: z.string(),
    weightGrams: z.number().int().min(0),
    expectedGrams: z.number().int().min(0),
    ok: z.boolean(),
    at: z.number().int(),
  }),
  z.object({
    type: z.literal("handedOver"),
    waveId: z.string(),
    orderId: z.string(),
    carrier: z.string(),
    trackingNo: z.string(),
    at: z.number().int(),
  }),
  z.object({
    type: z.literal("handoverSettled"),
    waveId: z.string(),
    orderId: z.string(),
    ok: z.boolean(),
    message: z.string().optional(),
    at: z.number().int(),
  }),
  z.object({ type: z.literal("countOpened"), countId: z.string(), bin: z.string(), at: z.number().int() }),
  z.object({
    type: z.literal("countRecorded"),
    countId: z.string(),
    differences: z.array(difference),
    needsApproval: z.boolean(),
    reason: z.string(),
    by: z.string(),
    at: z.number().int(),
  }),
  z.object({ type: z.literal("countApplied"), countId: z.string(), at: z.number().int() }),
  /** A command waits (deferred) for these effects; `reply` answers it when all succeeded (null: the last effect's reply). */
  z.object({
    type: z.literal("awaiting"),
    commandId: z.string(),
    keys: z.array(z.string()).min(1),
    reply: z.unknown(),
  }),
  /** A command to a SKU or order actor answered (the outbox entry `key` is done). */
  z.object({
    type: z.literal("effectSettled"),
    key: z.string(),
    ok: z.boolean(),
    message: z.string().optional(),
  }),
]);

export type WarehouseEvent = z.infer<typeof warehouseEventSchema>;
export type PlacedLine = z.infer<typeof placed>;
export type PickStep = z.infer<typeof stepSchema>;
export type CountDifference = z.infer<typeof difference>;
