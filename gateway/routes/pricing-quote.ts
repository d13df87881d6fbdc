import type { Context } from "hono";
import type { Profile } from "../../actors/member/index.ts";
import {
  LOWEST_LEVEL,
  type PriceCandidate,
  type PriceSource,
  resolvePrice,
} from "../../actors/pricing/index.ts";
import { MAX_AMOUNT } from "../../actors/shared/index.ts";
import type { GatewayKit } from "../app.ts";
import type { PriceRuleStore } from "../ports.ts";
import { ProblemError } from "../problem.ts";

export interface QuoteRequest {
  userId?: string;
  channel: string;
  lines: ReadonlyArray<{ sku: string; qty: number }>;
}

export interface QuotedLine {
  sku: string;
  qty: number;
  listPrice: number;
  unitPrice: number;
  source: PriceSource;
  candidates: PriceCandidate[];
}

export interface Quote {
  lines: QuotedLine[];
  items: number;
  benefits: { level: string; discountPercent: number; freeShipping: boolean };
}

/**
 * THE pricing of lines, used by `POST /v1/pricing/quote` and `POST /v1/orders` alike, so an order charges
 * exactly what a quote said: the buyer's level from the member actor (a consistent read; no user, or a
 * user without a member record, is at the lowest level), each SKU's list price and rules from the store
 * (one read), and the resolver (`actors/pricing`). A line without a list price is 422 `unknown-price`.
 */
export async function quoteLines(
  kit: GatewayKit,
  c: Context,
  store: PriceRuleStore,
  req: QuoteRequest,
  /** The buyer's profile when the caller has read it already (checkout): no second member read. */
  member?: Profile,
): Promise<Quote> {
  const skus = req.lines.map((l) => l.sku);
  if (new Set(skus).size !== skus.length)
    throw new ProblemError(400, "validation", "each SKU may appear once", { field: "lines" });
  const [level, pricing] = await Promise.all([
    member !== undefined
      ? member.level
      : req.userId === undefined
        ? {
            name: LOWEST_LEVEL.name,
            discountPercent: LOWEST_LEVEL.discountPercent,
            freeShipping: LOWEST_LEVEL.freeShipping,
          }
        : kit.read<Profile>(c, "member", req.userId).then((p) => p.level),
    store.pricing(skus),
  ]);
  const now = Date.now();
  const lines = req.lines.map((line, i): QuotedLine => {
    const found = pricing.get(line.sku);
    if (found?.listPrice == null) {
      throw new ProblemError(
        422,
        "unknown-price",
        `SKU ${line.sku} has no price; PUT /v1/skus/${line.sku}/price first`,
        { field: `lines.${i}.sku` },
      );
    }
    const resolved = resolvePrice({
      listPrice: found.listPrice,
      level,
      rules: found.rules,
      channel: req.channel,
      now,
    });
    return { sku: line.sku, qty: line.qty, listPrice: found.listPrice, ...resolved };
  });
  const items = lines.reduce((sum, l) => sum + l.unitPrice * l.qty, 0);
  if (items > MAX_AMOUNT) {
    throw new ProblemError(
      422,
      "validation",
      `the items come to more than ${MAX_AMOUNT} fen; split the order`,
      {
        field: "lines",
      },
    );
  }
  return {
    lines,
    items,
    benefits: { level: level.name, discountPercent: level.discountPercent, freeShipping: level.freeShipping },
  };
}
