import { createHash } from "node:crypto";
import { ProblemError } from "../problem.ts";
import type { CheckoutQuote } from "./checkout-pricing.ts";

/**
 * The order's lines as checkout priced them, plus the gifts of gift promotions as zero-price lines that
 * reserve stock like any other (decision 0024); a gift the stock cannot cover is dropped by the order
 * actor, with the reason on its line. A gift of a SKU the cart also buys is not added (one line per SKU):
 * the quote still lists it.
 */
export function orderLines(quote: CheckoutQuote) {
  const lines: Array<{ sku: string; qty: number; unitPrice: number; discount?: number; gift?: true }> =
    quote.lines.map(({ sku, qty, unitPrice, discount }) =>
      quote.amounts.discount > 0 ? { sku, qty, unitPrice, discount } : { sku, qty, unitPrice },
    );
  const bought = new Set(lines.map((l) => l.sku));
  const gifts = new Map<string, number>();
  for (const g of quote.gifts) if (!bought.has(g.sku)) gifts.set(g.sku, (gifts.get(g.sku) ?? 0) + g.qty);
  for (const [sku, qty] of gifts)
    lines.push({
      sku,
      qty,
      unitPrice: 0,
      ...(quote.amounts.discount > 0 ? { discount: 0 } : {}),
      gift: true,
    });
  return lines;
}

/** A presale order's `presale` for the order actor (decision 0024): its deposit and balance window. */
export function presaleOf(quote: CheckoutQuote) {
  const p = quote.presale;
  if (!p) return {};
  return {
    presale: {
      presaleId: p.presaleId,
      deposit: p.deposit,
      balanceFrom: Date.parse(p.balanceFrom),
      balanceTo: Date.parse(p.balanceTo),
    },
  };
}

/** A group-buy order's `group` for the order actor (decision 0024): join `groupId`, or open a new group. */
export function groupOf(body: { groupBuyId?: string | undefined; groupId?: string | undefined }) {
  if (body.groupId !== undefined && body.groupBuyId === undefined)
    throw new ProblemError(422, "validation", "groupId needs groupBuyId", { field: "groupBuyId" });
  if (body.groupBuyId === undefined) return {};
  return { group: { groupBuyId: body.groupBuyId, ...(body.groupId ? { groupId: body.groupId } : {}) } };
}

/** What the order records of the quote: the promotions applied, and the coupons it must reserve. */
export function promotionsAndCoupons(quote: CheckoutQuote) {
  const promotions = quote.applied.flatMap((a) =>
    "promotionId" in a
      ? [{ promotionId: a.promotionId, name: a.name, type: a.type, discount: a.discount }]
      : [],
  );
  const coupons = quote.coupons.map(({ couponId, discount }) => ({ couponId, discount }));
  return { ...(promotions.length > 0 ? { promotions } : {}), ...(coupons.length > 0 ? { coupons } : {}) };
}

/**
 * Order ids come from the caller (the authenticated principal) and its idempotency key, so a retried POST
 * reaches the same order actor, and a key reused with another body reaches it too and is refused there.
 */
export function orderIdFor(principal: string, key: string): string {
  return `O${createHash("sha256")
    .update(`${principal}\u0000${key}`)
    .digest("base64url")
    .slice(0, 22)
    .replace(/[^A-Za-z0-9]/g, "x")}`;
}
