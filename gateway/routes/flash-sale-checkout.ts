import type { CartLine, PromotionOutcome } from "../../actors/promotion/index.ts";
import { ProblemError } from "../problem.ts";
import type { CampaignSnapshot } from "./flash-sale-admission.ts";

type Line = { sku: string; qty: number };

/**
 * A flash sale's part of checkout (decision 0023): its line is priced at the campaign price, outside
 * promotions and coupons, so the resolver, the engine and coupons see the other lines only (the SKU
 * needs no list price). 400 `validation` (field `campaignId`) when the cart has no line of its SKU.
 */
export function otherLines<L extends Line>(lines: readonly L[], campaign: CampaignSnapshot | undefined): L[] {
  if (!campaign) return [...lines];
  if (!lines.some((l) => l.sku === campaign.sku))
    throw new ProblemError(
      400,
      "validation",
      `flash sale ${campaign.campaignId} sells ${campaign.sku}; the cart has no such line`,
      { field: "campaignId" },
    );
  return lines.filter((l) => l.sku !== campaign.sku);
}

/**
 * The promotion outcome of the other lines (the engine saw no promotions for a cart of the flash-sale line
 * alone) with the flash-sale line put back in the cart's order, at the campaign price with no promotion on
 * it; `merged[i].cart` is null for that line, and coupons skip it.
 */
export function withCampaignLine(
  lines: readonly Line[],
  campaign: CampaignSnapshot | undefined,
  promoted: PromotionOutcome,
  priced: { lines: ReadonlyArray<{ source: string }> },
  cart: readonly CartLine[],
) {
  let j = 0;
  const merged = lines.map((l) => {
    if (campaign && l.sku === campaign.sku) {
      const amount = campaign.price * l.qty;
      return {
        line: { sku: l.sku, qty: l.qty, unitPrice: campaign.price, discount: 0, paid: amount },
        source: "flash-sale",
        cart: null,
      };
    }
    const k = j++;
    return { line: promoted.lines[k]!, source: priced.lines[k]!.source as string, cart: cart[k]! };
  });
  const campaignItems = merged.reduce((n, m) => n + (m.cart === null ? m.line.paid : 0), 0);
  const outcome = { ...promoted, items: promoted.items + campaignItems, lines: merged.map((m) => m.line) };
  // Coupons price each other line on what it still costs after promotions.
  const couponLines = merged.flatMap((m) =>
    m.cart === null ? [] : [{ ...m.cart, qty: 1, unitPrice: m.line.paid }],
  );
  return { merged, outcome, couponLines };
}
