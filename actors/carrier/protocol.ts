import { z } from "zod";
import { idSchema, text } from "../shared/index.ts";

/** What a carrier reports about a parcel (the webhook's and the tracking query's event types). */
export const TRACKING_TYPES = [
  "picked_up",
  "in_transit",
  "out_for_delivery",
  "delivered",
  "exception",
] as const;
export type TrackingType = (typeof TRACKING_TYPES)[number];
/** Exceptions that open an after-sales compensation record. */
export const EXCEPTION_REASONS = ["lost", "damaged", "refused"] as const;
export type ExceptionReason = (typeof EXCEPTION_REASONS)[number];

const regionCode = z.string().regex(/^\d{6}$/, "a GB/T 2260 region code");

/** One tracking event as a carrier sends it (webhook) or answers it (polling). */
export const trackingEventSchema = z
  .object({
    /** The carrier's id of the event: a duplicate delivery carries the same id. */
    eventId: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, "a carrier event id"),
    waybillNo: z.string().regex(/^[A-Z0-9]{6,32}$/, "a waybill number"),
    /** The merchant's reference the waybill was requested with: our shipment id. */
    orderRef: idSchema,
    type: z.enum(TRACKING_TYPES),
    /** When it happened at the carrier (events may arrive out of this order). */
    at: z.iso.datetime({ offset: true }),
    region: regionCode.optional(),
    reason: z.enum(EXCEPTION_REASONS).optional(),
    note: text({ max: 200 }).optional(),
  })
  .strict()
  .refine((e) => (e.type === "exception") === (e.reason !== undefined), {
    error: "`reason` is given with an exception and only then",
    path: ["reason"],
  });
export type TrackingEvent = z.infer<typeof trackingEventSchema>;

/** The webhook body a carrier posts to `POST /v1/carriers/{code}/webhooks`. */
export const webhookBodySchema = z
  .object({ carrier: z.string().max(40), events: z.array(trackingEventSchema).min(1).max(100) })
  .strict();
export type WebhookBody = z.infer<typeof webhookBodySchema>;

/** An electronic waybill request (电子面单): the merchant's reference, route, parcel. */
export interface WaybillRequest {
  orderRef: string;
  fromRegion: string | null;
  toRegion: string | null;
  weightGrams: number;
  parcels: number;
}

/** The carrier's answer: the number from the merchant's pre-allocated range and the label's print data. */
export interface Waybill {
  waybillNo: string;
  /** What the carrier charges, by its rate card (fen). */
  fee: number;
  /** When the courier picks the parcel up (next day after the pickup cutoff). */
  pickupAt: number;
  /** Print data for the label: the sorting code (大头笔) and the destination's province. */
  sortCode: string;
  issuedAt: number;
}

/** A refusal the carrier answered: not retried (the same request would be refused again). */
export class CarrierRejection extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "CarrierRejection";
    this.code = code;
  }
}

/** The carrier did not answer in time, answered 5xx, or the circuit is open: the call may be retried. */
export class CarrierUnavailable extends Error {
  readonly reason: "timeout" | "server_error" | "circuit_open" | "bad_signature";
  constructor(reason: CarrierUnavailable["reason"], message: string) {
    super(message);
    this.name = "CarrierUnavailable";
    this.reason = reason;
  }
}
