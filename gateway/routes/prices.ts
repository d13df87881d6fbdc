import { z } from "zod";
import { moneySchema } from "../../actors/order/index.ts";
import type { GatewayKit } from "../app.ts";
import type { PriceBook } from "../ports.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam } from "../validate.ts";

export interface PriceRouteDeps {
  prices: PriceBook;
}

const priceBody = z.object({ listPrice: moneySchema }).strict();
const priceSchema = z.strictObject({
  sku: z.string(),
  listPrice: z.number().int().describe("Minor units (fen)"),
  currency: z.string().describe("ISO 4217 code (CNY)"),
});

/** List prices per SKU (orders are priced from them). */
export function priceRoutes(deps: PriceRouteDeps) {
  return ({ define, meta }: GatewayKit) => {
    define(
      {
        method: "put",
        path: "/v1/skus/:sku/price",
        summary: "Set a SKU's list price (integer fen, CNY)",
        tag: "Products",
        permission: "product:write",
        body: priceBody,
        response: { status: 200, schema: priceSchema, description: "The price now in force" },
      },
      async (c) => {
        const sku = parseParam(c.req.param("sku"), codeSchema, "sku");
        const body = await parseBody(c, priceBody);
        const { by, requestId } = meta(c);
        return c.json(await deps.prices.set(sku, body.listPrice, by, requestId));
      },
    );
  };
}
