import { checkRules, PRICING_LEVELS, rulesView } from "../../actors/pricing/index.ts";
import type { GatewayKit } from "../app.ts";
import { can, principalOf } from "../auth.ts";
import type { PriceRuleStore } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam } from "../validate.ts";
import { quoteLines } from "./pricing-quote.ts";
import {
  priceRulesBody,
  priceRulesSchema,
  quoteBody,
  quoteSchema,
  rulesFromBody,
} from "./pricing-schemas.ts";

export interface PricingRouteDeps {
  priceRules: PriceRuleStore;
}

const LEVEL_NAMES: ReadonlySet<string> = new Set(PRICING_LEVELS.map((l) => l.name));

/** Price rules per SKU (member levels, channels, schedules) and the quote checkout prices from. */
export function pricingRoutes(deps: PricingRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, meta } = kit;
    const skuParam = (sku: string | undefined) => parseParam(sku, codeSchema, "sku");
    const view = (sku: string, listPrice: number | null, rules: Parameters<typeof rulesView>[0]) => ({
      sku,
      listPrice,
      ...rulesView(rules),
    });

    define(
      {
        method: "put",
        path: "/v1/skus/:sku/prices",
        summary: "Replace a SKU's price rules: member-level prices, channel prices, schedules",
        tag: "Products",
        permission: "product:write",
        body: priceRulesBody,
        response: {
          status: 200,
          schema: priceRulesSchema,
          description: "The rules now stored; 422 validation (with field) for a bad window, overlap or level",
        },
      },
      async (c) => {
        const sku = skuParam(c.req.param("sku"));
        const rules = rulesFromBody(await parseBody(c, priceRulesBody));
        const problem = checkRules(rules, LEVEL_NAMES);
        if (problem) throw new ProblemError(422, "validation", problem.message, { field: problem.field });
        const { by, requestId } = meta(c);
        const stored = await deps.priceRules.replace(sku, rules, by, requestId);
        const { listPrice } = await deps.priceRules.read(sku);
        return c.json(view(sku, listPrice, stored));
      },
    );

    define(
      {
        method: "get",
        path: "/v1/skus/:sku/prices",
        summary: "A SKU's list price and price rules",
        tag: "Products",
        permission: "product:read",
        response: { status: 200, schema: priceRulesSchema, description: "The list price and rules in store" },
      },
      async (c) => {
        const sku = skuParam(c.req.param("sku"));
        const { listPrice, rules } = await deps.priceRules.read(sku);
        return c.json(view(sku, listPrice, rules));
      },
    );

    define(
      {
        method: "post",
        path: "/v1/pricing/quote",
        summary: "What this buyer pays per unit on this channel now, and which rule gave each price",
        tag: "Products",
        permission: "product:read",
        body: quoteBody,
        response: {
          status: 200,
          schema: quoteSchema,
          description: "Priced lines (POST /v1/orders charges these unit prices); 422 unknown-price",
        },
      },
      async (c) => {
        const body = await parseBody(c, quoteBody);
        // A quote for a named buyer tells their member level (source `member:<level>`, `benefits`): the
        // same door as reading the member, or placing orders for them.
        const principal = principalOf(c);
        if (body.userId !== undefined && !can(principal, "member:read") && !can(principal, "order:write")) {
          throw new ProblemError(
            403,
            "forbidden",
            "a quote for a named buyer requires member:read or order:write",
            {
              permission: "member:read",
              field: "userId",
            },
          );
        }
        return c.json(await quoteLines(kit, c, deps.priceRules, body));
      },
    );
  };
}
