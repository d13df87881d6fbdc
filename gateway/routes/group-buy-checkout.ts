import { createHash } from "node:crypto";
import type { Context } from "hono";
import { groupBuyOfGroup } from "../../actors/groupbuy/index.ts";
import type { GatewayKit } from "../app.ts";
import { ProblemError } from "../problem.ts";
import type { CheckoutQuote, CheckoutRequest } from "./checkout-pricing.ts";
import { FREIGHT_NOTE } from "./checkout-pricing.ts";

interface CampaignView {
  sku: string;
  price: number;
  maxQtyPerOrder: number;
  status: "scheduled" | "active" | "ended";
  startsAt: string;
  endsAt: string;
}

/**
 * A group-buy cart (decision 0024): the campaign's one SKU at the group price (拼团价), which stands alone —
 * no promotions, coupons, points or flash-sale campaign on top of it (refused with the field at fault).
 * Read from the group-buy actor, so a campaign just created prices the very next quote or order.
 */
export async function priceGroupBuy(
  kit: GatewayKit,
  c: Context,
  req: CheckoutRequest & { groupBuyId: string },
): Promise<CheckoutQuote> {
  for (const field of ["couponIds", "pointsToSpend", "campaignId"] as const)
    if (req[field] !== undefined)
      throw new ProblemError(422, "validation", `a group-buy price stands alone: no ${field}`, { field });
  if (req.groupId !== undefined && groupBuyOfGroup(req.groupId) !== req.groupBuyId)
    throw new ProblemError(422, "validation", `group ${req.groupId} is not of group buy ${req.groupBuyId}`, {
      field: "groupId",
    });
  const campaign = await kit.read<CampaignView>(c, "group-buy", req.groupBuyId);
  if (campaign.status !== "active")
    throw new ProblemError(409, "group-buy-not-active", `group buy ${req.groupBuyId} is ${campaign.status}`, {
      field: "groupBuyId",
      startsAt: campaign.startsAt,
      endsAt: campaign.endsAt,
    });
  const line = req.lines[0];
  if (req.lines.length !== 1 || line?.sku !== campaign.sku)
    throw new ProblemError(422, "validation", `a group-buy order has one line, of ${campaign.sku}`, {
      field: "lines",
    });
  if (line.qty > campaign.maxQtyPerOrder)
    throw new ProblemError(422, "validation", `a group-buy order takes at most ${campaign.maxQtyPerOrder}`, {
      field: "lines.0.qty",
    });
  const items = campaign.price * line.qty;
  const amounts = { items, discount: 0, freight: 0, total: items };
  const quoteId = `Q${createHash("sha256")
    .update(
      JSON.stringify([
        "group-buy",
        req.groupBuyId,
        req.groupId ?? null,
        req.userId,
        line.sku,
        line.qty,
        amounts,
      ]),
    )
    .digest("base64url")
    .slice(0, 40)
    .replace(/[^A-Za-z0-9]/g, "x")}`;
  return {
    quoteId,
    amounts,
    lines: [
      {
        sku: line.sku,
        qty: line.qty,
        unitPrice: campaign.price,
        discount: 0,
        paid: items,
        priceSource: "group-buy",
      },
    ],
    applied: [],
    coupons: [],
    gifts: [],
    freeShipping: false,
    points: { requested: 0, spent: 0, balance: null },
    hints: [],
    freightNote: FREIGHT_NOTE,
    routing: null,
    campaign: null,
  };
}
