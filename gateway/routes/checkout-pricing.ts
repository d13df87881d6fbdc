import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { Routing } from "../../actors/freight/index.ts";
import type { Profile } from "../../actors/member/index.ts";
import {
  type AppliedPromotion,
  apportion,
  type CartLine,
  type Explanation,
  evaluate,
  type Gift,
  toPromotion,
} from "../../actors/promotion/index.ts";
import type { GatewayKit } from "../app.ts";
import type { FreightPorts } from "../freight-ports.ts";
import { canonical } from "../idempotency.ts";
import type { PriceRuleStore, PromotionStore } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { type AppliedCoupon, couponDiscounts } from "./coupon-checkout.ts";
import { type CampaignSnapshot, campaignQuote } from "./flash-sale-admission.ts";
import { otherLines, withCampaignLine } from "./flash-sale-checkout.ts";
import { requireServed, routeCart } from "./freight-checkout.ts";
import { priceGroupBuy } from "./group-buy-checkout.ts";
import { pricePresale } from "./presale-checkout.ts";
import { quoteLines } from "./pricing-quote.ts";

export interface CheckoutDeps extends FreightPorts {
  priceRules: PriceRuleStore;
  promotions: PromotionStore;
}

export interface CheckoutRequest {
  userId?: string;
  channel: string;
  lines: ReadonlyArray<{ sku: string; qty: number }>;
  couponIds?: readonly string[];
  campaignId?: string;
  pointsToSpend?: number;
  /** A group-buy order (decision 0024): priced at the group price alone (`priceGroupBuy`). */
  groupBuyId?: string;
  groupId?: string;
  /** Its `region` (a leading GB/T 2260 code) prices freight; without one freight is 0. */
  address?: { region: string };
  /** A presale order (decision 0024): deposit now, balance later (`pricePresale`). */
  presaleId?: string;
  campaign?: CampaignSnapshot;
}

/** The freight note of a price that carries no freight (a group-buy price, decision 0024). */
export const FREIGHT_NOTE: Explanation = {
  "zh-CN": "运费0元：此价格不计运费",
  en: "Freight 0: this price carries no freight",
};

/** What the quote says about its freight, in both languages. */
export function freightNote(routing: Routing | null, free: boolean): Explanation {
  if (routing === null || routing.dest === null)
    return {
      "zh-CN": "运费0元：地址的region未以GB/T 2260行政区划代码开头（如310104），无法按运费模板计算",
      en: "Freight 0: the address region does not start with a GB/T 2260 code (e.g. 310104), so no freight template applies",
    };
  const n = routing.parcels.length;
  if (free && routing.freight === 0)
    return { "zh-CN": `包邮（${n}个包裹）`, en: `Free shipping (${n} parcel${n === 1 ? "" : "s"})` };
  return {
    "zh-CN": `运费${routing.freight}分：按路由后的${n}个包裹及其仓库的运费模板计算；无模板的包裹运费为0`,
    en: `Freight ${routing.freight} fen for ${n} parcel${n === 1 ? "" : "s"} after routing, from each warehouse's freight template (0 where none applies)`,
  };
}

export interface CheckoutQuote {
  quoteId: string;
  amounts: { items: number; discount: number; freight: number; total: number };
  lines: Array<{
    sku: string;
    qty: number;
    unitPrice: number;
    discount: number;
    paid: number;
    priceSource: string;
  }>;
  applied: Array<
    | { promotionId: string; name: string; type: string; discount: number; explanation: Explanation }
    | { couponId: string; templateId: string; discount: number; explanation: Explanation }
  >;
  /** The coupons applied (also in `applied`): the order reserves each with its share of the discount. */
  coupons: Array<Omit<AppliedCoupon, "lines">>;
  gifts: Gift[];
  freeShipping: boolean;
  points: { requested: number; spent: number; balance: number | null };
  hints: Array<{ promotionId: string; explanation: Explanation }>;
  freightNote: Explanation;
  /** The routing the freight was priced on (null without an address); the order stores it. */
  routing: Routing | null;
  /** A presale quote: what is paid now (deposit) and in the balance window (decision 0024). */
  presale?: {
    presaleId: string;
    deposit: number;
    balance: number;
    balanceFrom: string;
    balanceTo: string;
    explanation: Explanation;
  };
  campaign: { campaignId: string; sku: string; price: number; status: string; remaining: number } | null;
}

/**
 * THE checkout pricing, used by `POST /v1/checkout/quote` and `POST /v1/orders` alike (decision 0021):
 * resolver unit prices (`quoteLines`) → promotions live now (the engine, `actors/promotion`) → coupons
 * (`couponDiscounts`, on what lines still cost) → points (one point = one fen, only what the items still cost
 * after promotions and coupons; the member actor checks the balance when the order is placed) → freight (routing
 * and the warehouses' templates, `routeCart`; 0 without a coded address, said in `freightNote`). Points are apportioned to lines like promotions, so each
 * line knows what it paid. `quoteId` is a digest of the inputs and the result: the same cart priced the
 * same way gets the same id, and an order carrying it is refused with 409 `quote-changed` when its fresh
 * price differs.
 */
export async function priceCheckout(
  kit: GatewayKit,
  c: Context,
  deps: CheckoutDeps,
  req: CheckoutRequest,
): Promise<CheckoutQuote> {
  if (req.presaleId !== undefined) return pricePresale(kit, c, { ...req, presaleId: req.presaleId });
  if (req.groupBuyId !== undefined) return priceGroupBuy(kit, c, { ...req, groupBuyId: req.groupBuyId });
  const couponIds = req.couponIds ?? [];
  if (couponIds.length > 0 && req.userId === undefined)
    throw new ProblemError(400, "validation", "coupons need the buyer: send userId", { field: "userId" });
  const { campaign } = req;
  const others = otherLines(req.lines, campaign);
  const [profile, live, facts] = await Promise.all([
    req.userId === undefined ? undefined : kit.read<Profile>(c, "member", req.userId),
    others.length === 0 ? [] : deps.promotions.live(Date.now()),
    deps.promotions.cartFacts(others.map((l) => l.sku)),
  ]);
  const priced = await quoteLines(kit, c, deps.priceRules, { ...req, lines: others }, profile);
  const cart: CartLine[] = priced.lines.map((l) => {
    const f = facts.get(l.sku);
    return {
      sku: l.sku,
      qty: l.qty,
      unitPrice: l.unitPrice,
      ...(f
        ? { spu: f.spu, categories: f.categories, ...(f.brand === undefined ? {} : { brand: f.brand }) }
        : {}),
    };
  });
  // A member reply from before these fields (or a partial fake) counts as no orders and no points.
  const firstOrder = profile ? !(profile.orders ?? []).some((o) => o.status !== "cancelled") : undefined;
  const promoted = evaluate(
    {
      lines: cart,
      now: Date.now(),
      channel: req.channel,
      memberLevel: priced.benefits.level,
      ...(firstOrder === undefined ? {} : { firstOrder }),
    },
    live.map(toPromotion),
  );
  const { merged, outcome, couponLines } = withCampaignLine(req.lines, campaign, promoted, priced, cart);
  // Coupons (decision 0020): priced on what each line still costs after promotions, read from their actors.
  const coupons =
    couponIds.length === 0 || req.userId === undefined
      ? []
      : await couponDiscounts(kit, c, {
          userId: req.userId,
          couponIds,
          lines: couponLines,
        });
  const couponShares = outcome.lines.map((l) =>
    coupons.reduce((n, cp) => n + (cp.lines.find((x) => x.sku === l.sku)?.discount ?? 0), 0),
  );
  const couponTotal = coupons.reduce((n, cp) => n + cp.discount, 0);
  // Points: what the items still cost after promotions and coupons can absorb, spread like a discount.
  const left = outcome.lines.map((l, i) => l.paid - couponShares[i]!);
  const leftTotal = left.reduce((a, b) => a + b, 0);
  const requested = req.pointsToSpend ?? 0;
  const spent = Math.min(requested, leftTotal);
  const pointShares = spent > 0 ? apportion(spent, left) : left.map(() => 0);
  const lines = outcome.lines.map((l, i) => ({
    sku: l.sku,
    qty: l.qty,
    unitPrice: l.unitPrice,
    discount: l.discount + couponShares[i]! + pointShares[i]!,
    paid: l.paid - couponShares[i]! - pointShares[i]!,
    priceSource: merged[i]!.source,
  }));
  const discount = outcome.discount + couponTotal + spent;
  // Freight (decision 0028): per parcel after routing; member-level and promotion free shipping apply here.
  const freeShipping = { member: priced.benefits.freeShipping, promotion: outcome.freeShipping };
  const routing =
    req.address === undefined
      ? null
      : await routeCart(kit, c, deps, {
          region: req.address.region,
          lines,
          freeShipping,
          campaignSku: campaign?.sku,
        });
  if (routing !== null) requireServed(routing, lines);
  const freight = routing?.freight ?? 0;
  const amounts = { items: outcome.items, discount, freight, total: outcome.items - discount + freight };
  const applied: CheckoutQuote["applied"] = outcome.applied.map((a: AppliedPromotion) => ({
    promotionId: a.promotionId,
    name: a.name,
    type: a.type,
    discount: a.discount,
    explanation: a.explanation,
  }));
  const couponViews = coupons.map(({ lines: _, ...cp }) => cp);
  applied.push(...couponViews);
  const quoteId = `Q${createHash("sha256")
    .update(
      JSON.stringify(
        canonical({
          // The pricing inputs only (an order body also carries an address, keys and the quoteId).
          request: {
            userId: req.userId,
            channel: req.channel,
            lines: req.lines.map((l) => [l.sku, l.qty]),
            couponIds: req.couponIds,
            campaignId: req.campaignId,
            pointsToSpend: req.pointsToSpend,
          },
          amounts,
          lines: lines.map((l) => [l.sku, l.unitPrice, l.discount]),
          applied: applied.map((a) => ["promotionId" in a ? a.promotionId : a.couponId, a.discount]),
          gifts: outcome.gifts,
          freeShipping: outcome.freeShipping,
        }),
      ),
    )
    .digest("base64url")
    .slice(0, 40)
    .replace(/[^A-Za-z0-9]/g, "x")}`;
  return {
    quoteId,
    amounts,
    lines,
    applied,
    coupons: couponViews,
    gifts: outcome.gifts,
    freeShipping: outcome.freeShipping || priced.benefits.freeShipping,
    points: { requested, spent, balance: profile ? (profile.points ?? 0) : null },
    hints: outcome.hints,
    freightNote: freightNote(routing, freeShipping.member || freeShipping.promotion),
    routing,
    campaign: campaign ? campaignQuote(campaign) : null,
  };
}
