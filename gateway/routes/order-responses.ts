import { z } from "zod";
import { routingSchema } from "../../actors/freight/index.ts";
import { amountsSchema, ORDER_STATUSES, type OrderState } from "../../actors/order/index.ts";

/**
 * Response shapes of the order routes, as the order actor and the orders read model send them (the
 * OpenAPI document is generated from these and every API test's responses are checked against it).
 * `z.strictObject`: the route or the actor builds exactly these members; `z.object`: more may come.
 */
const orderStatus = z.enum(ORDER_STATUSES);
const instant = z.string().describe("ISO 8601 time");
const epochMillis = z.number().int().describe("Milliseconds since the epoch");

/**
 * An address as sent, masked per field type (decision 0037): the phone (`138****1234`) without
 * `pii:phone`, the street (`***`) and receiver's name (`张*`) without `pii:address`; `customer:pii` both.
 */
export const addressView = z.strictObject({
  region: z.string(),
  detail: z.string(),
  phone: z.string(),
  name: z.string(),
});
const warehouseQty = z.strictObject({ warehouse: z.string(), qty: z.number().int() });

export const placedOrder = z.strictObject({
  orderId: z.string(),
  status: z.literal("pending_payment"),
  amounts: amountsSchema,
  expiresAt: instant.describe("Payment deadline; unpaid, the order is cancelled then"),
});

/** What the order actor answers a transition: the order id and the new state, or the decision taken. */
export const transitionReply = {
  cancel: z.strictObject({ orderId: z.string(), status: z.literal("cancelled") }),
  ship: z.strictObject({ orderId: z.string(), status: z.literal("shipped") }),
  confirm: z.strictObject({ orderId: z.string(), status: z.literal("completed") }),
  afterSales: z.strictObject({
    orderId: z.string(),
    status: z.enum(["refund_requested", "return_requested"]),
    amount: z.number().int().describe("The amount to refund, in fen"),
  }),
  decision: z.strictObject({ orderId: z.string(), approved: z.boolean() }),
  receive: z.strictObject({ orderId: z.string(), disposition: z.enum(["restock", "scrap"]) }),
  address: z.strictObject({ orderId: z.string(), address: addressView }),
};

/** One order as its actor holds it (the actor's state: members are added as the order model grows). */
export const orderView = z.object({
  orderId: z.string(),
  status: orderStatus,
  userId: z.string(),
  channel: z.string(),
  lines: z.array(
    z.object({
      sku: z.string(),
      qty: z.number().int(),
      unitPrice: z.number().int(),
      state: z.enum(["reserving", "reserved", "refused", "released", "committed"]),
      allocation: z.array(warehouseQty),
      limited: z.literal(true).optional().describe("Refused by the SKU's purchase limit"),
      discount: z.number().int().optional().describe("The line's share of the order's discount"),
      gift: z.literal(true).optional().describe("A gift promotion's free unit(s): reserved like a line"),
      dropped: z.string().optional().describe("A gift the stock could not cover: why it was dropped"),
      warehouse: z.string().optional().describe("The warehouse routing chose for the whole line"),
    }),
  ),
  group: z
    .object({
      groupBuyId: z.string(),
      groupId: z.string().nullable(),
      state: z.enum(["joining", "joined", "refused", "left"]),
      formed: z.boolean(),
    })
    .optional()
    .describe("A group-buy order's seat: paid, it waits in awaiting_group until the group forms"),
  refundedLines: z.array(z.string()).optional().describe("Lines refunded one by one (each at most once)"),
  amountDue: z.number().int().describe("What the next payment must be (a presale: deposit, then balance)"),
  presale: z
    .object({
      presaleId: z.string(),
      deposit: z.number().int(),
      balanceFrom: epochMillis,
      balanceTo: epochMillis,
      depositPayment: z
        .object({ paymentId: z.string(), channel: z.string(), amount: z.number().int(), at: epochMillis })
        .nullable(),
      balanceOpen: z.boolean(),
      forfeited: z.boolean().describe("The balance window closed unpaid: cancelled, the deposit kept"),
    })
    .optional()
    .describe("A presale order (decision 0024)"),
  promotions: z.array(
    z.object({ promotionId: z.string(), name: z.string(), type: z.string(), discount: z.number().int() }),
  ),
  quoteId: z.string().nullable(),
  address: addressView.nullable(),
  amounts: amountsSchema,
  expiresAt: epochMillis.nullable(),
  placeCommand: z.string().nullable(),
  payment: z
    .object({ paymentId: z.string(), channel: z.string(), amount: z.number().int(), at: epochMillis })
    .nullable(),
  shipment: z.object({ carrier: z.string(), trackingNo: z.string(), at: epochMillis }).nullable(),
  afterSales: z
    .object({
      kind: z.enum(["refund_only", "return_and_refund"]),
      reason: z.string(),
      amount: z.number().int(),
      sku: z.string().optional(),
      from: orderStatus,
      approved: z.boolean().nullable(),
      received: z.boolean().optional(),
    })
    .nullable(),
  autoCompleteAt: epochMillis.nullable(),
  refunded: z.number().int(),
  coupons: z
    .array(
      z.object({
        couponId: z.string(),
        discount: z.number().int(),
        state: z.enum(["reserving", "reserved", "refused", "released", "committed"]),
      }),
    )
    .optional()
    .describe("Coupons the order redeems: reserved while unpaid, committed when paid, released otherwise"),
  member: z.enum(["pending", "recorded", "refused", "released"]),
  placeFailure: z
    .object({
      kind: z.enum(["insufficient_stock", "conflict"]),
      message: z.string(),
      sku: z.string().optional(),
    })
    .nullable(),
  timeline: z.array(
    z.object({ status: orderStatus, at: epochMillis, by: z.string(), reason: z.string().optional() }),
  ),
  routing: routingSchema
    .extend({ at: epochMillis, by: z.string(), cause: z.string() })
    .optional()
    .describe("Where and how it ships (decision 0028); GET /v1/orders/{id}/routing reads it"),
}) satisfies z.ZodType<OrderState & { orderId: string }>;

export const orderPage = z.strictObject({
  items: z.array(
    z.strictObject({
      orderId: z.string(),
      userId: z.string(),
      status: orderStatus,
      channel: z.string(),
      skus: z.array(z.string()),
      amounts: amountsSchema,
      paid: z.number().int(),
      refunded: z.number().int(),
      paymentId: z.string().nullable(),
      createdAt: instant,
      paidAt: instant.nullable(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const orderStats = z.strictObject({
  interval: z.enum(["hour", "day"]),
  buckets: z.array(
    z.strictObject({
      bucket: z.string().describe("Start of the hour or day, Asia/Shanghai (+08:00)"),
      orders: z.number().int(),
      paidOrders: z.number().int(),
      paidRate: z.number().min(0).max(1),
      gmv: z.number().int(),
      averageOrderValue: z.number().int(),
      refunds: z.number().int(),
    }),
  ),
});

export const mergeCandidates = z.strictObject({
  userId: z.string(),
  groups: z.array(z.strictObject({ address: addressView, orders: z.array(z.string()) })),
});

export const shipmentPlan = z.strictObject({
  orderId: z.string(),
  status: orderStatus,
  parcels: z.array(
    z.strictObject({
      warehouse: z.string(),
      lines: z.array(z.strictObject({ sku: z.string(), qty: z.number().int() })),
    }),
  ),
});
