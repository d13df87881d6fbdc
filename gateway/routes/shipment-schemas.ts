import { z } from "zod";
import {
  CARRIER_CODES,
  CARRIER_FAULTS,
  EXCEPTION_REASONS,
  TRACKING_TYPES,
} from "../../actors/carrier/index.ts";
import { text } from "../../actors/shared/index.ts";
import { SHIPMENT_STATUSES } from "../../actors/shipment/index.ts";

const instant = z.string().describe("ISO 8601 time");
const status = z.enum(SHIPMENT_STATUSES);

/** A shipment as its actor reports it (`GET /v1/shipments/{id}`). */
export const shipmentView = z.strictObject({
  shipmentId: z.string(),
  orderId: z.string(),
  carrier: z.string().describe("A catalogue code (express, ems, mail) or an outside carrier's name"),
  carrierKnown: z.boolean(),
  tracking: z
    .enum(["push", "poll", "none"])
    .describe("How tracking arrives: signed webhooks, polling, or not at all"),
  waybillNo: z.string().nullable(),
  status,
  warehouse: z.string().nullable(),
  fromRegion: z.string().nullable(),
  toRegion: z.string().nullable(),
  province: z.string().nullable(),
  route: z.string().describe("Origin (warehouse) > destination province"),
  lines: z.array(z.strictObject({ sku: z.string(), qty: z.number().int() })),
  weightGrams: z.number().int(),
  declaredValue: z.number().int().describe("Fen: the ceiling of a compensation"),
  phone: z.string().describe("The receiver's phone as a privacy waybill prints it (138****0000)"),
  fee: z.number().int().nullable().describe("What the carrier charges by its rate card, fen"),
  pickupAt: instant.nullable(),
  sortCode: z.string().nullable(),
  refusal: z.strictObject({ code: z.string(), reason: z.string() }).nullable(),
  sla: z.strictObject({
    hours: z.number(),
    promisedAt: instant,
    late: z.boolean(),
    lateSince: instant.nullable(),
    onTime: z.boolean().nullable(),
  }),
  deliveredAt: instant.nullable(),
  events: z.array(
    z.strictObject({
      eventId: z.string(),
      type: z.enum(TRACKING_TYPES),
      at: instant,
      receivedAt: instant,
      source: z.enum(["webhook", "poll", "operator"]),
      region: z.string().nullable(),
      reason: z.enum(EXCEPTION_REASONS).nullable(),
      note: z.string().nullable(),
    }),
  ),
  compensations: z.array(
    z.strictObject({
      compensationId: z.string(),
      reason: z.enum(EXCEPTION_REASONS),
      amount: z.number().int(),
      status: z.enum(["open", "settled"]),
      openedAt: instant,
      settledAmount: z.number().int().nullable(),
      settledAt: instant.nullable(),
    }),
  ),
  createdAt: instant,
});

export const orderShipments = z.strictObject({
  orderId: z.string(),
  orderStatus: z.string(),
  shipments: z.array(shipmentView),
});

export const carrierList = z.strictObject({
  items: z.array(
    z.strictObject({
      code: z.enum(CARRIER_CODES),
      name: z.string(),
      names: z.strictObject({ "zh-CN": z.string(), en: z.string() }),
      service: z.enum(["express", "ems", "standard_mail"]),
      serviceRegions: z.array(z.string()),
      excludedRegions: z.array(z.string()),
      slaHours: z.number(),
      available: z.boolean(),
      costRank: z.number().int(),
      push: z.boolean(),
      pickupCutoff: z.string(),
      rateCard: z.strictObject({
        firstWeightGrams: z.number().int(),
        firstFee: z.number().int(),
        additionalWeightGrams: z.number().int(),
        additionalFee: z.number().int(),
        remoteSurcharge: z.number().int(),
      }),
      circuit: z.enum(["closed", "open", "half_open"]),
    }),
  ),
});

const trackReply = z.strictObject({
  shipmentId: z.string(),
  accepted: z.number().int(),
  duplicates: z.number().int(),
  status,
});

export const webhookReply = z.strictObject({
  received: z.number().int(),
  results: z.array(z.union([trackReply, z.strictObject({ shipmentId: z.string(), error: z.string() })])),
});

export const simulateBody = z
  .object({
    shipmentId: z.string().regex(/^[A-Za-z0-9_:-]{1,96}$/),
    type: z.enum(TRACKING_TYPES),
    at: z.iso.datetime({ offset: true }).optional(),
    region: z
      .string()
      .regex(/^\d{6}$/)
      .optional(),
    reason: z.enum(EXCEPTION_REASONS).optional(),
    note: text({ max: 200 }).optional(),
    /** Push carriers: deliver the signed webhook now (default), or only return it. */
    deliver: z.boolean().default(true),
  })
  .strict()
  .refine((b) => (b.type === "exception") === (b.reason !== undefined), {
    error: "`reason` is given with an exception and only then",
    path: ["reason"],
  });

const trackingEvent = z.strictObject({
  eventId: z.string(),
  waybillNo: z.string(),
  orderRef: z.string(),
  type: z.enum(TRACKING_TYPES),
  at: instant,
  region: z.string().optional(),
  reason: z.enum(EXCEPTION_REASONS).optional(),
  note: z.string().optional(),
});

export const simulateReply = z.strictObject({
  event: trackingEvent,
  webhook: z.strictObject({ headers: z.record(z.string(), z.string()), body: z.string() }).nullable(),
  delivery: webhookReply.nullable(),
});

export const faultBody = z
  .object({ fault: z.enum(CARRIER_FAULTS).nullable(), count: z.number().int().min(0).max(1_000) })
  .strict();
export const faultReply = z.strictObject({
  carrier: z.enum(CARRIER_CODES),
  fault: z.enum(CARRIER_FAULTS).nullable(),
  count: z.number().int(),
});

export const settleBody = z
  .object({ amount: z.number().int().min(0), note: text({ max: 200 }).optional() })
  .strict();
export const settleReply = z.strictObject({
  shipmentId: z.string(),
  compensationId: z.string(),
  status: z.literal("settled"),
  amount: z.number().int(),
});

export const compensationsQuery = z.object({
  status: z.enum(["open", "settled"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const compensationList = z.strictObject({
  items: z.array(
    z.strictObject({
      compensationId: z.string(),
      shipmentId: z.string(),
      orderId: z.string(),
      carrier: z.string(),
      reason: z.string(),
      amount: z.number().int(),
      status: z.enum(["open", "settled"]),
      settledAmount: z.number().int().nullable(),
      openedAt: instant,
      settledAt: instant.nullable(),
    }),
  ),
});
