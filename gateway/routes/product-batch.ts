import type { Context } from "hono";
import { z } from "zod";
import type { ListingView } from "../../actors/product/index.ts";
import { moneySchema } from "../../actors/shared/index.ts";
import type { GatewayKit } from "../app.ts";
import type { AuditLog, Catalogue, PriceBook, ProductInput, ProductRecord } from "../ports.ts";
import { ProblemError, validationProblem } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody } from "../validate.ts";
import { type ItemOutcome, runItem } from "./batch-items.ts";
import { listingBody, listingSchema } from "./catalogue-schemas.ts";

export interface ProductBatchDeps {
  catalogue: Catalogue;
  prices: PriceBook;
  audit: AuditLog;
}

/** Items per batch: a batch runs its items one after another within one request. */
export const BATCH_MAX_ITEMS = 100;

const ACTIONS = ["publish", "unpublish", "price", "category"] as const;
type Action = (typeof ACTIONS)[number];

export const batchBody = z
  .object({
    action: z.enum(ACTIONS),
    items: z
      .array(z.unknown())
      .min(1)
      .max(BATCH_MAX_ITEMS)
      .describe(
        "publish/unpublish: { spuCode, at? }; price: { sku, listPrice }; category: { spuCode, category }. " +
          "Each item is checked on its own: a malformed one is reported (400) and the others still run",
      ),
  })
  .strict();

const ITEM_SCHEMAS = {
  publish: listingBody.extend({ spuCode: codeSchema }),
  unpublish: listingBody.extend({ spuCode: codeSchema }),
  price: z.object({ sku: codeSchema, listPrice: moneySchema }).strict(),
  category: z.object({ spuCode: codeSchema, category: codeSchema }).strict(),
} satisfies Record<Action, z.ZodType>;

const problemSchema = z
  .object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string().optional() })
  .describe("RFC 9457 problem: what a single request for this item would have answered");
export const batchResult = z.object({
  action: z.enum(ACTIONS),
  succeeded: z.number().int(),
  failed: z.number().int(),
  results: z.array(
    z.object({
      index: z.number().int().describe("Position in `items`"),
      spuCode: z.string().optional(),
      sku: z.string().optional(),
      ok: z.boolean(),
      status: z.number().int().describe("The status a single request for this item would have had"),
      result: z
        .union([
          listingSchema,
          z.strictObject({ sku: z.string(), listPrice: z.number().int(), currency: z.string() }),
          z.strictObject({ spuCode: z.string(), category: z.string() }),
        ])
        .optional()
        .describe(
          "The listing (publish/unpublish), price (price) or product's category (category) after the change",
        ),
      problem: problemSchema.optional(),
    }),
  ),
});

/** A product as `putProduct` takes it back, with another category; its SKUs keep their list prices. */
export function withCategory(record: ProductRecord, category: string): ProductInput {
  return {
    spuCode: record.spuCode,
    name: record.name,
    category,
    ...(record.brand !== null ? { brand: record.brand } : {}),
    ...(record.description !== null ? { description: record.description } : {}),
    attributes: record.attributes,
    media: record.media,
    ...(record.seo !== null ? { seo: record.seo } : {}),
    skus: record.skus.map((s, i) => {
      if (s.listPrice === null)
        throw new ProblemError(409, "conflict", `SKU ${s.sku} has no list price; set one first`, {
          field: `skus.${i}.listPrice`,
        });
      return {
        sku: s.sku,
        specs: s.specs,
        listPrice: s.listPrice,
        ...(s.barcode !== null ? { barcode: s.barcode } : {}),
        ...(s.weightGrams !== null ? { weightGrams: s.weightGrams } : {}),
        ...(s.volumeCm3 !== null ? { volumeCm3: s.volumeCm3 } : {}),
      };
    }),
  };
}

/**
 * `POST /v1/products/batch`: publish, unpublish, price or category change for many products or SKUs,
 * with one result per item. Each item goes through the same port or actor command as its single route
 * (the listing actor, the price book, the catalogue store's product write), so it is validated the same
 * way and applies atomically or not at all; items run in order, one after another.
 */
export function productBatchRoutes(deps: ProductBatchDeps) {
  return (kit: GatewayKit) => {
    const { define, meta } = kit;
    const existing = async (spuCode: string) => {
      const record = await deps.catalogue.getProduct(spuCode);
      if (!record) throw new ProblemError(404, "not-found", `no product ${spuCode}`, { field: "spuCode" });
      return record;
    };

    const listing = async (c: Context, action: "publish" | "unpublish", raw: unknown) => {
      const item = ITEM_SCHEMAS[action].parse(raw);
      await existing(item.spuCode);
      const at = item.at !== undefined ? Date.parse(item.at) : undefined;
      const cmd = { type: action, ...(at !== undefined ? { at } : {}) };
      const reply = await kit.command<ListingView>(c, "product", item.spuCode, cmd, {
        id: `batch-${action}:${crypto.randomUUID()}`,
      });
      const scheduled = at !== undefined && reply.scheduled?.at === new Date(at).toISOString();
      return { status: scheduled ? 202 : 200, result: reply };
    };
    const price = async (c: Context, raw: unknown) => {
      const item = ITEM_SCHEMAS.price.parse(raw);
      const { by, requestId } = meta(c);
      return { status: 200, result: await deps.prices.set(item.sku, item.listPrice, by, requestId) };
    };
    const category = async (c: Context, raw: unknown) => {
      const item = ITEM_SCHEMAS.category.parse(raw);
      const { by, requestId } = meta(c);
      const record = await existing(item.spuCode);
      const { product } = await deps.catalogue.putProduct(withCategory(record, item.category), by, requestId);
      return { status: 200, result: { spuCode: product.spuCode, category: product.category } };
    };
    const runOne = (c: Context, action: Action, raw: unknown): Promise<ItemOutcome> =>
      runItem(async () => {
        try {
          if (action === "price") return await price(c, raw);
          if (action === "category") return await category(c, raw);
          return await listing(c, action, raw);
        } catch (error) {
          if (error instanceof z.ZodError) throw validationProblem(error);
          throw error;
        }
      }, meta(c).requestId);

    define(
      {
        method: "post",
        path: "/v1/products/batch",
        summary: `Publish, unpublish, reprice or recategorise up to ${BATCH_MAX_ITEMS} items, one result each`,
        tag: "Catalogue",
        permission: "product:write",
        body: batchBody,
        response: {
          status: 200,
          schema: batchResult,
          description: "Every item's outcome (a refused item never stops the others; none is half-applied)",
        },
      },
      async (c) => {
        const body = await parseBody(c, batchBody);
        const results = [];
        for (const [index, raw] of body.items.entries()) {
          results.push({ index, ...keyOf(raw), ...(await runOne(c, body.action, raw)) });
        }
        const succeeded = results.filter((r) => r.ok).length;
        const { by, requestId } = meta(c);
        await deps.audit.record({
          principal: by,
          action: `product.batch.${body.action}`,
          target: "products",
          requestId,
          detail: { items: results.length, succeeded, failed: results.length - succeeded },
        });
        return c.json({ action: body.action, succeeded, failed: results.length - succeeded, results });
      },
    );
  };
}

/** The item's own key, echoed in its result when it has one that reads as a code. */
const itemKeys = z.object({
  spuCode: codeSchema.optional().catch(undefined),
  sku: codeSchema.optional().catch(undefined),
});
function keyOf(raw: unknown): { spuCode?: string; sku?: string } {
  const keys = itemKeys.safeParse(raw);
  if (!keys.success) return {};
  return {
    ...(keys.data.spuCode !== undefined ? { spuCode: keys.data.spuCode } : {}),
    ...(keys.data.sku !== undefined ? { sku: keys.data.sku } : {}),
  };
}
