import { createHash } from "node:crypto";
import type { Context } from "hono";
import { presaleAmounts } from "../../actors/presale/index.ts";
import type { GatewayKit } from "../app.ts";
import { ProblemError } from "../problem.ts";
import type { CheckoutQuote, CheckoutRequest } from "./checkout-pricing.ts";
import { FREIGHT_NOTE } from "./checkout-pricing.ts";

interface PresaleView {
  sku: string;
  price: number;
  deposit: number;
  depositValue: number;
  maxQtyPerOrder: number;
  phase: string;
  startsAt: string;
  endsAt: string;
  balanceFrom: string;
  balanceTo: string;
}

/**
 * A presale cart (预售, decision 0024): the campaign's one SKU at its price, the deposit expansion
 * (定金膨胀: a deposit counting as more than it is) as the discount, nothing else on top (no promotions,
 * coupons, points or flash campaign: 422 with the field). The order pays `presale.deposit` now and
 * `presale.balance` in the balance window: `amounts.total` = deposit + balance.
 */
export async function pricePresale(
  kit: GatewayKit,
  c: Context,
  req: CheckoutRequest & { presaleId: string },
): Promise<CheckoutQuote> {
  for (const field of ["couponIds", "pointsToSpend", "campaignId", "groupBuyId"] as const)
    if (req[field] !== undefined)
      throw new ProblemError(422, "validation", `a presale price stands alone: no ${field}`, { field });
  const campaign = await kit.read<PresaleView>(c, "presale", req.presaleId);
  if (
    campaign.phase !== "deposits" &&
    !(campaign.phase === "balance" && Date.parse(campaign.endsAt) > Date.now())
  )
    throw new ProblemError(409, "presale-not-active", `presale ${req.presaleId} takes no deposits now`, {
      field: "presaleId",
      startsAt: campaign.startsAt,
      endsAt: campaign.endsAt,
    });
  const line = req.lines[0];
  if (req.lines.length !== 1 || line?.sku !== campaign.sku)
    throw new ProblemError(422, "validation", `a presale order has one line, of ${campaign.sku}`, {
      field: "lines",
    });
  if (line.qty > campaign.maxQtyPerOrder)
    throw new ProblemError(422, "validation", `a presale order takes at most ${campaign.maxQtyPerOrder}`, {
      field: "lines.0.qty",
    });
  const a = presaleAmounts(campaign, line.qty);
  const amounts = { items: a.items, discount: a.discount, freight: 0, total: a.total };
  const quoteId = `Q${createHash("sha256")
    .update(JSON.stringify(["presale", req.presaleId, req.userId, line.sku, line.qty, amounts]))
    .digest("base64url")
    .slice(0, 40)
    .replace(/[^A-Za-z0-9]/g, "x")}`;
  const expansion = {
    "zh-CN": `定金膨胀：定金¥${(campaign.deposit / 100).toFixed(2)}抵¥${(campaign.depositValue / 100).toFixed(2)}`,
    en: `Deposit expansion: a ¥${(campaign.deposit / 100).toFixed(2)} deposit counts as ¥${(campaign.depositValue / 100).toFixed(2)}`,
  };
  return {
    quoteId,
    campaign: null,
    amounts,
    lines: [
      {
        sku: line.sku,
        qty: line.qty,
        unitPrice: campaign.price,
        discount: a.discount,
        paid: a.total,
        priceSource: "presale",
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
    presale: {
      presaleId: req.presaleId,
      deposit: a.deposit,
      balance: a.balance,
      balanceFrom: campaign.balanceFrom,
      balanceTo: campaign.balanceTo,
      explanation: expansion,
    },
  };
}
