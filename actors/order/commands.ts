import { z } from "zod";
import { routingSchema } from "../freight/index.ts";
import { ACTOR_ID_PATTERN } from "../runtime/index.ts";
import { idSchema as codeSchema, moneySchema, text } from "../shared/index.ts";

export { moneySchema };

/** Coupons one order may redeem. */
export const MAX_ORDER_COUPONS = 10;

export const addressSchema = z
  .object({
    region: text({ max: 100 }),
    detail: text({ max: 300 }),
    phone: z.string().regex(/^\+?[0-9 -]{5,20}$/, "a phone number"),
    name: text({ max: 100 }),
  })
  .strict();

export const orderLineSchema = z.object({
  sku: codeSchema,
  qty: z.number().int().positive().max(10_000),
  unitPrice: moneySchema,
  /**
   * The line's share of the order's discount (promotions and points, apportioned by largest remainder,
   * decision 0021): a refund of the line returns `qty × unitPrice − discount`. Absent on older orders.
   */
  discount: moneySchema.optional(),
  /**
   * A gift a promotion gives with the order (`unitPrice` 0): reserved like any line, but a gift the stock
   * cannot cover is dropped (the line ends `refused` with the reason) instead of failing the order.
   */
  gift: z.literal(true).optional(),
  /**
   * The warehouse routing chose for the whole line (decision 0028): reserved there. Absent: any warehouse,
   * most sellable first (a line no warehouse holds whole, and orders placed before routing).
   */
  warehouse: codeSchema.optional(),
});

/**
 * A presale order (预售, decision 0024): `deposit` (fen, of the order's total) is paid first; the rest (the
 * balance) is payable in `[balanceFrom, balanceTo)`; unpaid by `balanceTo`, the order is cancelled and the
 * deposit forfeited (it is never refunded).
 */
export const orderPresaleSchema = z.object({
  presaleId: codeSchema,
  deposit: moneySchema.refine((n) => n > 0, "a deposit of at least 1 fen"),
  balanceFrom: z.number().int().min(0),
  balanceTo: z.number().int().min(0),
});

/** The group buy (拼团) an order belongs to: it joins `groupId`, or opens a new group without one. */
export const orderGroupSchema = z.object({
  groupBuyId: codeSchema,
  groupId: codeSchema.optional(),
});

/** A promotion applied to an order, as checkout priced it (decision 0021). */
export const appliedPromotionSchema = z.object({
  promotionId: codeSchema,
  name: z.string().max(200),
  type: z.string().max(40),
  discount: moneySchema,
});

export const orderCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  z.object({
    type: z.literal("place"),
    userId: codeSchema,
    lines: z.array(orderLineSchema).min(1).max(100),
    address: addressSchema,
    channel: text({ max: 40, trim: false }),
    discount: moneySchema.default(0),
    freight: moneySchema.default(0),
    paymentTimeoutMs: z.number().int().positive(),
    /** Units one buyer may buy of each SKU (enforced by the member actor while placing). */
    maxPerUser: z.number().int().positive().optional(),
    /** Member points spent at checkout; one point is worth one fen of discount. */
    pointsToSpend: z.number().int().positive().max(1_000_000_000).optional(),
    /**
     * The flash-sale campaign the order buys from (decision 0023): the line of `campaignSku` is held on the
     * campaign's actor (window, per-user limit and stock are the campaign's), which takes its units out
     * of the campaign's allocation on the SKU.
     */
    campaignId: codeSchema.optional(),
    campaignSku: codeSchema.optional(),
    /** Older callers' per-campaign member counter (decision 0023 moved the limit to the campaign). */
    maxPerCampaign: z.number().int().positive().optional(),
    /**
     * Coupons the order redeems, each with its share of `discount` (already included in it): reserved on
     * their template actors while placing, used when paid, given back on cancel, timeout or failure.
     */
    coupons: z
      .array(z.object({ couponId: codeSchema, discount: moneySchema }))
      .max(MAX_ORDER_COUPONS)
      .optional(),
    /** Promotions checkout applied (their discount is included in `discount`). */
    promotions: z.array(appliedPromotionSchema).max(50).optional(),
    /** The checkout quote the buyer accepted, when the order named one. */
    quoteId: codeSchema.optional(),
    /**
     * A group-buy order (decision 0024): a seat is held in the group while placing (all or nothing with
     * the lines); paid, the order waits in `awaiting_group` until the group forms.
     */
    group: orderGroupSchema.optional(),
    /** The routing checkout priced freight on (decision 0028): parcels, carriers, reasons. */
    routing: routingSchema.optional(),
    presale: orderPresaleSchema.optional(),
  }),
  /** From the group-buy actor: the order's group reached its size with every member paid. */
  z.object({ type: z.literal("groupFormed"), groupId: codeSchema }),
  /** From the group-buy actor: the deadline passed before the group formed; refund or cancel. */
  z.object({ type: z.literal("groupFailed"), groupId: codeSchema, reason: text({ max: 200 }) }),
  /** Carriers chosen again after a carrier failed (decision 0028); the warehouses holding stock stay. */
  z.object({ type: z.literal("reroute"), routing: routingSchema, reason: text({ max: 200 }) }),
  z.object({ type: z.literal("cancel"), reason: text({ max: 200, trim: false }) }),
  z.object({
    type: z.literal("markPaid"),
    paymentId: codeSchema,
    channel: text({ max: 40, trim: false }),
    amount: moneySchema,
  }),
  z.object({
    type: z.literal("ship"),
    carrier: text({ max: 40 }),
    /** The operator's waybill number; without it a catalogue carrier issues an e-waybill. */
    trackingNo: text({ max: 64 }).optional(),
    autoCompleteMs: z.number().int().positive(),
    /** How often the shipment polls a carrier without push (default: the shipment module's). */
    pollEveryMs: z.number().int().positive().optional(),
  }),
  /** A shipment opened for (some of) the order's lines (sent by the shipment actor). */
  z.object({
    type: z.literal("attachShipment"),
    shipmentId: z.string().regex(ACTOR_ID_PATTERN),
    carrier: text({ max: 40 }),
    lines: z
      .array(z.object({ sku: codeSchema, qty: z.number().int().positive() }))
      .min(1)
      .max(100),
  }),
  /** A shipment of the order was delivered (sent by the shipment actor). */
  z.object({
    type: z.literal("recordDelivery"),
    shipmentId: z.string().regex(ACTOR_ID_PATTERN),
    at: z.number().int().min(0),
  }),
  z.object({ type: z.literal("confirmReceipt") }),
  z.object({ type: z.literal("changeAddress"), address: addressSchema }),
  z.object({
    type: z.literal("requestAfterSales"),
    kind: z.enum(["refund_only", "return_and_refund"]),
    reason: text({ max: 500 }),
    amount: moneySchema.optional(),
    /** Refund one line: the amount defaults to what the line paid (after its apportioned discount). */
    sku: codeSchema.optional(),
  }),
  z.object({
    type: z.literal("decideAfterSales"),
    approve: z.boolean(),
    /** Free text for the customer; may span lines. */
    note: text({ max: 500, min: 0, trim: false, multiline: true }).optional(),
  }),
  z.object({
    type: z.literal("receiveReturn"),
    warehouse: codeSchema,
    disposition: z.enum(["restock", "scrap"]),
  }),
]);

export type OrderCommand = z.infer<typeof orderCommandSchema>;
export type OrderLine = z.infer<typeof orderLineSchema>;
export type Address = z.infer<typeof addressSchema>;
