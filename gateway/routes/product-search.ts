import { z } from "zod";
import { MAX_AMOUNT, text } from "../../actors/shared/index.ts";
import type { GatewayKit } from "../app.ts";
import { pagedRead } from "../cursor.ts";
import type { ProductSearch } from "../ports.ts";
import { codeSchema, filterText } from "../schemas.ts";
import { parseQuery } from "../validate.ts";

export interface ProductSearchRouteDeps {
  productSearch: ProductSearch;
}

/** Page size cap of the search (a larger `limit` is refused, not silently cut). */
export const SEARCH_MAX_LIMIT = 100;

const price = z.coerce.number().int().min(0).max(MAX_AMOUNT);
export const productSearchQuery = z
  .object({
    q: text({ max: 100, min: 0 })
      .optional()
      .describe("Substring of the name in any script (`连衣裙`), case-insensitive; or the exact SPU code"),
    category: codeSchema
      .optional()
      .describe("A back category with its descendants, or a front category (its mapped back categories)"),
    brand: text({ max: 100 }).optional(),
    status: z.enum(["draft", "on_sale", "off_sale"]).optional(),
    minPrice: price.optional().describe("Fen: products with an SKU listed at or above"),
    maxPrice: price.optional().describe("Fen: products with an SKU listed at or below (both: within)"),
    stock: z
      .enum(["in_stock", "low", "out"])
      .optional()
      .describe("out: nothing sellable; low: some SKU out or below safety stock; in_stock: otherwise"),
    limit: z.coerce.number().int().min(1).max(SEARCH_MAX_LIMIT).default(20),
    cursor: filterText(400).optional(),
  })
  .strict()
  .refine((q) => q.minPrice === undefined || q.maxPrice === undefined || q.minPrice <= q.maxPrice, {
    path: ["maxPrice"],
    message: "maxPrice must not be below minPrice",
  });

export const productSearchItem = z.object({
  spuCode: z.string(),
  name: z.string(),
  status: z.string(),
  brand: z.string().nullable(),
  category: z.string(),
  minPrice: z.number().int().nullable().describe("Lowest SKU list price (fen); null without prices"),
  maxPrice: z.number().int().nullable(),
  stock: z.enum(["in_stock", "low", "out"]),
  sellable: z.number().int().describe("Sellable units over every SKU and warehouse"),
  skuCount: z.number().int(),
  scheduled: z
    .object({ action: z.enum(["publish", "unpublish"]), at: z.string() })
    .nullable()
    .describe("The scheduled listing change, or null"),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const searchPage = z.object({ items: z.array(productSearchItem), nextCursor: z.string().nullable() });

/** `GET /v1/products`: the operators' product search (read model; may lag a write by the projector). */
export function productSearchRoutes(deps: ProductSearchRouteDeps) {
  return ({ define }: GatewayKit) => {
    define(
      {
        method: "get",
        path: "/v1/products",
        summary: "Search products: keyword, category tree, brand, status, price range, stock state",
        tag: "Products",
        permission: "product:read",
        query: productSearchQuery,
        response: { status: 200, schema: searchPage, description: "A page of products, newest first" },
      },
      async (c) => {
        const { q, ...rest } = parseQuery(c, productSearchQuery);
        const filter = { ...rest, ...(q ? { q } : {}) };
        return c.json(await pagedRead(() => deps.productSearch.search(filter)));
      },
    );
  };
}
