import { z } from "zod";
import { routingSchema } from "../freight/index.ts";
import {
  addressSchema,
  appliedPromotionSchema,
  orderGroupSchema,
  orderLineSchema,
  orderPresaleSchema,
} from "./commands.ts";

const allocation = z.array(z.object({ warehouse: z.string(), qty: z.number().int().positive() }));
const who = { at: z.number(), by: z.string() };
export const amountsSchema = z.object({
  items: z.number().int(),
  discount: z.number().int(),
  freight: z.number().int(),
  total: z.number().int(),
});

/** Every fact in an order's life, in order; the timeline and the read model are derived from these. */
export const orderEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("placed"),
    userId: z.string(),
    lines: z.array(orderLineSchema),
    address: addressSchema,
    channel: z.string(),
    amounts: amountsSchema,
    /** The place command's id: its caller is answered once every line is settled. */
    command: z.string(),
    /** Payment deadline; the `expire` timer fires then. */
    expiresAt: z.number(),
    /** Coupons redeemed, with their share of the discount (added field). */
    coupons: z.array(z.object({ couponId: z.string(), discount: z.number().int() })).optional(),
    /** Added field (decision 0021): the promotions checkout applied; absent on older events. */
    promotions: z.array(appliedPromotionSchema).optional(),
    quoteId: z.string().optional(),
    /** Added field (decision 0024): the group buy the order joins or opens. */
    group: orderGroupSchema.optional(),
    /** Added field (decision 0028): the routing decision; absent on older events. */
    routing: routingSchema.optional(),
    /** Added field (decision 0024): a presale order's deposit and balance window. */
    presale: orderPresaleSchema.optional(),
    /** Added field (decision 0023): the flash-sale campaign holding the line of `sku`. */
    campaign: z.object({ campaignId: z.string(), sku: z.string() }).optional(),
    ...who,
  }),
  /** A presale order's deposit was paid: it waits for the balance window (`awaiting_balance`). */
  z.object({
    type: z.literal("depositPaid"),
    paymentId: z.string(),
    channel: z.string(),
    amount: z.number().int(),
    ...who,
  }),
  /** The balance window opened (the `balanceOpen` timer). */
  z.object({ type: z.literal("balanceOpened"), ...who }),
  /** The balance was not paid by the end of its window: cancelled, the deposit forfeited. */
  z.object({ type: z.literal("depositForfeited"), reason: z.string(), ...who }),
  /** The group-buy actor holds a seat for the order in `groupId` (opened for it when it named none). */
  z.object({ type: z.literal("groupJoined"), groupId: z.string() }),
  z.object({ type: z.literal("groupRefused"), reason: z.string(), refusal: z.string().optional() }),
  z.object({ type: z.literal("groupLeft") }),
  z.object({ type: z.literal("groupFormed"), ...who }),
  /** The group failed: a paid order refunds everything (an after-sales refund approved by the system). */
  z.object({ type: z.literal("groupFailed"), reason: z.string(), amount: z.number().int(), ...who }),
  /** A routed line's warehouse was short when reserving: reserved wherever stock is instead (decision 0028). */
  z.object({
    type: z.literal("lineRerouted"),
    sku: z.string(),
    from: z.string(),
    reason: z.string(),
    ...who,
  }),
  /** Routing re-run (a carrier failed): the new decision and why. */
  z.object({ type: z.literal("rerouted"), routing: routingSchema, reason: z.string(), ...who }),
  z.object({ type: z.literal("couponReserved"), couponId: z.string() }),
  z.object({ type: z.literal("couponRefused"), couponId: z.string(), reason: z.string() }),
  z.object({ type: z.literal("couponReleased"), couponId: z.string() }),
  z.object({ type: z.literal("couponCommitted"), couponId: z.string() }),
  z.object({ type: z.literal("lineReserved"), sku: z.string(), allocation }),
  z.object({
    type: z.literal("lineRefused"),
    sku: z.string(),
    reason: z.string(),
    /** The SKU's purchase limit refused the line (added field: a conflict, not a shortage). */
    limit: z.literal(true).optional(),
    /** The flash-sale campaign's refusal (added field): `sold-out`, `purchase-limit-reached`, `campaign-not-active`. */
    refusal: z.string().optional(),
  }),
  z.object({ type: z.literal("memberRecorded") }),
  z.object({ type: z.literal("memberRefused"), reason: z.string() }),
  z.object({ type: z.literal("memberReleased") }),
  /** The placing caller was answered (after any compensation finished). */
  z.object({ type: z.literal("placeAnswered") }),
  z.object({ type: z.literal("awaitingPayment"), expiresAt: z.number(), ...who }),
  z.object({
    type: z.literal("placementFailed"),
    reason: z.string(),
    sku: z.string().optional(),
    /** Added field (decisions 0023, 0024): why a flash sale or a group buy refused the order (e.g. `sold-out`). */
    refusal: z.string().optional(),
    errorKind: z.enum(["insufficient_stock", "conflict"]),
    ...who,
  }),
  z.object({ type: z.literal("cancelled"), reason: z.string(), ...who }),
  z.object({ type: z.literal("lineReleased"), sku: z.string() }),
  z.object({
    type: z.literal("paid"),
    paymentId: z.string(),
    channel: z.string(),
    amount: z.number().int(),
    /** Added field (decision 0024): a group-buy order paid before its group formed waits. */
    status: z.enum(["awaiting_shipment", "awaiting_group"]).optional(),
    ...who,
  }),
  z.object({
    type: z.literal("shipped"),
    carrier: z.string(),
    trackingNo: z.string(),
    autoCompleteAt: z.number().optional(),
    ...who,
  }),
  z.object({ type: z.literal("lineCommitted"), sku: z.string() }),
  /** A shipment (issue 13) carries some of the order's lines. */
  z.object({
    type: z.literal("shipmentAttached"),
    shipmentId: z.string(),
    carrier: z.string(),
    lines: z.array(z.object({ sku: z.string(), qty: z.number().int() })),
  }),
  z.object({ type: z.literal("shipmentDelivered"), shipmentId: z.string(), at: z.number() }),
  /** Every unit of every line is in a delivered shipment: the delivery step is complete. */
  z.object({ type: z.literal("delivered"), ...who }),
  z.object({ type: z.literal("completed"), auto: z.boolean(), ...who }),
  z.object({ type: z.literal("addressChanged"), address: addressSchema, ...who }),
  z.object({
    type: z.literal("afterSalesRequested"),
    kind: z.enum(["refund_only", "return_and_refund"]),
    reason: z.string(),
    amount: z.number().int(),
    /** Added field: the one line refunded (absent: the order as a whole). */
    sku: z.string().optional(),
    ...who,
  }),
  z.object({
    type: z.literal("afterSalesDecided"),
    approved: z.boolean(),
    note: z.string().optional(),
    ...who,
  }),
  z.object({
    type: z.literal("returnReceived"),
    warehouse: z.string(),
    disposition: z.enum(["restock", "scrap"]),
    ...who,
  }),
  z.object({
    type: z.literal("refunded"),
    refundId: z.string(),
    amount: z.number().int(),
    /**
     * Added field (decision 0024): where the refund leaves the order — `partially_refunded` while money
     * remains paid; absent on older events (which always moved to `refunded` or `returned`).
     */
    status: z.enum(["refunded", "returned", "partially_refunded"]).optional(),
    ...who,
  }),
]);

export type OrderEvent = z.infer<typeof orderEventSchema>;
