import { z } from "zod";
import { EXCEPTION_REASONS, TRACKING_TYPES } from "../carrier/index.ts";
import { idSchema, moneySchema, text } from "../shared/index.ts";

/** How often a shipment asks a carrier without push for its tracking (polling fallback), by default. */
export const DEFAULT_POLL_EVERY_MS = 30 * 60_000;
/** Tracking events one webhook or poll may carry to one shipment. */
export const MAX_TRACKING_EVENTS = 100;

const regionCode = z.string().regex(/^\d{6}$/, "a GB/T 2260 region code");
const lineSchema = z.object({ sku: idSchema, qty: z.number().int().positive().max(10_000) }).strict();

/** One tracking event as the shipment takes it (webhook or poll), times in epoch milliseconds. */
export const trackedEventSchema = z
  .object({
    eventId: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/),
    waybillNo: z.string().regex(/^[A-Z0-9]{6,32}$/),
    type: z.enum(TRACKING_TYPES),
    at: z.number().int().min(0),
    region: regionCode.optional(),
    reason: z.enum(EXCEPTION_REASONS).optional(),
    note: text({ max: 200 }).optional(),
  })
  .strict();
export type TrackedEventInput = z.infer<typeof trackedEventSchema>;

export const shipmentCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  /**
   * Opens the shipment at handover. With a catalogue carrier and no `waybillNo` it requests an e-waybill
   * from the carrier; with a `waybillNo` (an operator's own, today's `/ship`) it tracks that number.
   */
  z.object({
    type: z.literal("create"),
    orderId: idSchema,
    /** A catalogue code (`express`, `ems`, `mail`) or an outside carrier's name (then no adapter). */
    carrier: text({ max: 40 }),
    waybillNo: text({ max: 64 }).optional(),
    warehouse: idSchema.optional(),
    fromRegion: regionCode.nullable().default(null),
    toRegion: regionCode.nullable().default(null),
    lines: z.array(lineSchema).min(1).max(100),
    weightGrams: z.number().int().positive().max(1_000_000).default(1_000),
    /** What the goods are worth (fen): the ceiling of a compensation for loss or damage. */
    declaredValue: moneySchema.default(0),
    /** The receiver's phone as printed on a privacy waybill (masked by the caller). */
    phone: text({ max: 20, min: 0 }).default(""),
    /** The promise in hours; default: the carrier's figure for the route (`routeSlaHours`). */
    slaHours: z
      .number()
      .positive()
      .max(24 * 60)
      .optional(),
    pollEveryMs: z
      .number()
      .int()
      .min(100)
      .max(7 * 86_400_000)
      .default(DEFAULT_POLL_EVERY_MS),
  }),
  /** Tracking events from the carrier's webhook (the gateway verified its signature). */
  z.object({
    type: z.literal("track"),
    carrier: text({ max: 40 }),
    source: z.enum(["webhook", "poll", "operator"]),
    events: z.array(trackedEventSchema).min(1).max(MAX_TRACKING_EVENTS),
  }),
  /** Settles an open compensation record (after-sales pays the buyer; the carrier pays the merchant). */
  z.object({
    type: z.literal("settleCompensation"),
    amount: moneySchema,
    note: text({ max: 200 }).optional(),
  }),
]);
export type ShipmentCommand = z.infer<typeof shipmentCommandSchema>;

/** A shipment id at the edge: an actor id (`<orderId>:S1` may exceed a client id's 64 characters). */
export const shipmentIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_:-]{1,96}$/, "use 1–96 letters, digits, '_', ':' or '-'");
