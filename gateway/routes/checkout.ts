import { z } from "zod";
import { routingSchema } from "../../actors/freight/index.ts";
import { addressSchema } from "../../actors/order/index.ts";
import type { GatewayKit } from "../app.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody } from "../validate.ts";
import { type CheckoutDeps, priceCheckout } from "./checkout-pricing.ts";
import { notActive, readCampaign } from "./flash-sale-admission.ts";
import { placeBody } from "./order-schemas.ts";

/** `POST /v1/checkout/quote`: the order body's pricing fields (the order takes the same ones). */
export const checkoutBody = z
  .object({
    userId: codeSchema.optional().describe("The buyer: level, first order and points come from the member"),
    channel: placeBody.shape.channel,
    lines: placeBody.shape.lines,
    couponIds: z
      .array(codeSchema)
      .max(10)
      .optional()
      .describe("The buyer's coupons, applied in this order after promotions (needs userId)"),
    campaignId: codeSchema
      .optional()
      .describe("A flash sale (POST /v1/flash-sales): its SKU's line is priced at the campaign price"),
    pointsToSpend: placeBody.shape.pointsToSpend,
    groupBuyId: placeBody.shape.groupBuyId.describe(
      "A group-buy campaign: its group price alone (decision 0024)",
    ),
    presaleId: placeBody.shape.presaleId,
    groupId: placeBody.shape.groupId.describe("The group to join (with groupBuyId); absent: a new group"),
    address: addressSchema
      .optional()
      .describe("Freight: region starting with a GB/T 2260 code (e.g. 310104); without one freight is 0"),
  })
  .strict();

const explanation = z.object({ "zh-CN": z.string(), en: z.string() });
export const checkoutQuoteSchema = z.object({
  quoteId: z.string().describe("Send it with POST /v1/orders: 409 quote-changed if the price moved"),
  amounts: z.object({
    items: z.number().int(),
    discount: z.number().int().describe("Promotions, coupons and points"),
    freight: z.number().int(),
    total: z.number().int(),
  }),
  lines: z.array(
    z.object({
      sku: z.string(),
      qty: z.number().int(),
      unitPrice: z
        .number()
        .int()
        .describe("The price resolver's unit price; a flash-sale line's is the campaign price"),
      discount: z.number().int().describe("The line's share of the discount (largest remainder)"),
      paid: z.number().int().describe("What a refund of the line returns"),
      priceSource: z.string().describe("The resolver's source, or `flash-sale` for the campaign's line"),
    }),
  ),
  applied: z.array(
    z.union([
      z.object({
        promotionId: z.string(),
        name: z.string(),
        type: z.string(),
        discount: z.number().int(),
        explanation,
      }),
      z.object({ couponId: z.string(), templateId: z.string(), discount: z.number().int(), explanation }),
    ]),
  ),
  coupons: z
    .array(
      z.object({ couponId: z.string(), templateId: z.string(), discount: z.number().int(), explanation }),
    )
    .describe("The coupons applied (also in applied); an order reserves them until paid"),
  gifts: z.array(z.object({ sku: z.string(), qty: z.number().int(), promotionId: z.string() })),
  freeShipping: z.boolean(),
  points: z.object({
    requested: z.number().int(),
    spent: z.number().int().describe("What the items can absorb; the balance is checked by the order"),
    balance: z.number().int().nullable(),
  }),
  hints: z
    .array(z.object({ promotionId: z.string(), explanation }))
    .describe("Promotions the cart does not reach yet, and what is missing"),
  freightNote: explanation,
  routing: routingSchema
    .nullable()
    .describe(
      "The parcels freight was priced on (warehouse, carrier, lines, freight, reasons); null without address",
    ),
  presale: z
    .object({
      presaleId: z.string(),
      deposit: z.number().int().describe("Paid now (the order's first payment)"),
      balance: z.number().int().describe("Paid in the balance window; deposit + balance = amounts.total"),
      balanceFrom: z.string(),
      balanceTo: z.string().describe("Unpaid by then, the order is cancelled and the deposit forfeited"),
      explanation,
    })
    .optional()
    .describe("A presale quote (decision 0024)"),
  campaign: z
    .object({
      campaignId: z.string(),
      sku: z.string(),
      price: z.number().int(),
      status: z.string(),
      remaining: z.number().int(),
    })
    .nullable()
    .describe("The flash sale priced in (decision 0023), or null"),
});

/** Checkout: the one place a cart is priced (decision 0021). */
export function checkoutRoutes(deps: CheckoutDeps) {
  return (kit: GatewayKit) => {
    kit.define(
      {
        method: "post",
        path: "/v1/checkout/quote",
        summary: "Price a cart: resolver prices, then promotions, coupons, points and freight, line by line",
        tag: "Orders",
        permission: "order:write",
        body: checkoutBody,
        response: {
          status: 200,
          schema: checkoutQuoteSchema,
          description:
            "What POST /v1/orders charges for the same fields; 422 unknown-price; 409 coupon-not-usable; 409 campaign-not-active",
        },
      },
      async (c) => {
        const body = await parseBody(c, checkoutBody);
        // A flash sale prices its line only inside its window (the order would be refused outside it).
        const campaign =
          body.campaignId === undefined ? undefined : await readCampaign(kit, c, body.campaignId);
        if (campaign && campaign.status !== "active") throw notActive(campaign);
        return c.json(await priceCheckout(kit, c, deps, { ...body, ...(campaign ? { campaign } : {}) }));
      },
    );
  };
}
