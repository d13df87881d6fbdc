import { z } from "zod";
import { moneySchema } from "../../actors/order/index.ts";
import type { GatewayKit } from "../app.ts";
import type { ApprovalStore } from "../approval-ports.ts";
import type { PriceBook } from "../ports.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam } from "../validate.ts";
import { holdPriceChange, PENDING_APPROVAL_RESPONSE } from "./approval-guard.ts";

export interface PriceRouteDeps {
  prices: PriceBook;
  /** A change of a rule's percentage or more waits for approval (decision 0034). */
  approvals?: ApprovalStore | undefined;
}

const priceBody = z.object({ listPrice: moneySchema }).strict();
const priceSchema = z.strictObject({
  sku: z.string(),
  listPrice: z.number().int().describe("Minor units (fen)"),
  currency: z.string().describe("ISO 4217 code (CNY)"),
});

/** List prices per SKU (orders are priced from them). */
export function priceRoutes(deps: PriceRouteDeps) {
  return ({ define, meta, command }: GatewayKit) => {
    define(
      {
        method: "put",
        path: "/v1/skus/:sku/price",
        summary: "Set a SKU's list price (integer fen, CNY)",
        tag: "Products",
        permission: "product:write",
        body: priceBody,
        response: { status: 200, schema: priceSchema, description: "The price now in force" },
        responses: [PENDING_APPROVAL_RESPONSE],
      },
      async (c) => {
        const sku = parseParam(c.req.param("sku"), codeSchema, "sku");
        const body = await parseBody(c, priceBody);
        const held = await holdPriceChange(command, deps.approvals, deps.prices, c, sku, body.listPrice);
        if (held) return held;
        const { by, requestId } = meta(c);
        return c.json(await deps.prices.set(sku, body.listPrice, by, requestId));
      },
    );
  };
}
