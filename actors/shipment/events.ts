import { z } from "zod";
import { EXCEPTION_REASONS, TRACKING_TYPES } from "../carrier/index.ts";

/** Where a shipment stands. `failed`: the carrier refused the waybill (nothing was handed over). */
export const SHIPMENT_STATUSES = [
  "awaiting_waybill",
  "awaiting_pickup",
  "picked_up",
  "in_transit",
  "out_for_delivery",
  "delivered",
  "exception",
  "failed",
] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

const status = z.enum(SHIPMENT_STATUSES);
const line = z.object({ sku: z.string(), qty: z.number().int() });
/**
 * The fields every figure-moving event repeats (carrier, destination province, route), so the live
 * dashboard can fold events without knowing the shipment beforehand.
 */
const where = { carrier: z.string(), province: z.string().nullable(), route: z.string() };

/** Every event the shipment actor persists; checked by the runtime before each append. */
export const shipmentEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("created"),
    orderId: z.string(),
    carrierKnown: z.boolean(),
    push: z.boolean(),
    waybillNo: z.string().nullable(),
    warehouse: z.string().nullable(),
    fromRegion: z.string().nullable(),
    toRegion: z.string().nullable(),
    lines: z.array(line),
    weightGrams: z.number().int(),
    declaredValue: z.number().int(),
    phone: z.string(),
    slaHours: z.number(),
    promisedAt: z.number(),
    pollEveryMs: z.number().int(),
    status,
    ...where,
    at: z.number(),
    by: z.string(),
  }),
  z.object({
    type: z.literal("waybillIssued"),
    waybillNo: z.string(),
    fee: z.number().int(),
    pickupAt: z.number(),
    sortCode: z.string(),
    from: status,
    status,
    ...where,
    at: z.number(),
  }),
  z.object({
    type: z.literal("waybillRefused"),
    code: z.string(),
    reason: z.string(),
    from: status,
    status,
    ...where,
    at: z.number(),
  }),
  z.object({
    type: z.literal("tracked"),
    eventId: z.string(),
    kind: z.enum(TRACKING_TYPES),
    /** When it happened at the carrier; `receivedAt` when we heard of it. */
    occurredAt: z.number(),
    receivedAt: z.number(),
    region: z.string().optional(),
    reason: z.enum(EXCEPTION_REASONS).optional(),
    note: z.string().optional(),
    source: z.enum(["webhook", "poll", "operator"]),
    /** The status before and after (an older event arriving late leaves it unchanged). */
    from: status,
    status,
    /** Delivered events only: whether the delivery kept the promise. */
    onTime: z.boolean().optional(),
    ...where,
  }),
  z.object({ type: z.literal("late"), promisedAt: z.number(), status, ...where, at: z.number() }),
  z.object({
    type: z.literal("compensationOpened"),
    compensationId: z.string(),
    reason: z.enum(EXCEPTION_REASONS),
    /** Claimed from the carrier / owed to the buyer: the declared value of the goods (fen). */
    amount: z.number().int(),
    orderId: z.string(),
    ...where,
    at: z.number(),
  }),
  z.object({
    type: z.literal("compensationSettled"),
    compensationId: z.string(),
    amount: z.number().int(),
    note: z.string().optional(),
    at: z.number(),
    by: z.string(),
  }),
  /** The order recorded this shipment's delivery. */
  z.object({ type: z.literal("orderNotified"), at: z.number() }),
]);
export type ShipmentEvent = z.infer<typeof shipmentEventSchema>;
