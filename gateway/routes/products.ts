import type { Context } from "hono";
import type { ListingView } from "../../actors/product/index.ts";
import type { GatewayKit } from "../app.ts";
import { pagedRead } from "../cursor.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { Catalogue, ProductRecord } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";
import { catalogueCall } from "./catalogue-errors.ts";
import {
  historyQuery,
  historySchema,
  listingBody,
  listingSchema,
  productBody,
  productSchema,
} from "./catalogue-schemas.ts";

export interface ProductRouteDeps {
  catalogue: Catalogue;
}

/** A product as the API shows it: its content (Postgres) with its listing from the product actor. */
const withListing = (record: ProductRecord, listing: ListingView) => ({
  ...record,
  status: listing.status,
  scheduled: listing.scheduled,
});

/**
 * Products (SPU content and SKUs, reference data in Postgres) and their listing (the `product` actor:
 * draft → on_sale ⇄ off_sale, now or at a time, on durable timers), plus their change history.
 */
export function productRoutes(deps: ProductRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, meta } = kit;
    const spuOf = (c: Context) => parseParam(c.req.param("spuCode"), codeSchema, "spuCode");
    const existing = async (spuCode: string) => {
      const record = await deps.catalogue.getProduct(spuCode);
      if (!record) throw new ProblemError(404, "not-found", `no product ${spuCode}`);
      return record;
    };
    // The status is the actor's (strongly consistent), never the projection's (it may lag).
    const listing = (c: Context, spuCode: string) => kit.read<ListingView>(c, "product", spuCode);

    define(
      {
        method: "put",
        path: "/v1/products/:spuCode",
        summary: "Create or replace a product and its SKUs (specs checked against the category's template)",
        tag: "Catalogue",
        permission: "product:write",
        body: productBody,
        response: { status: 200, schema: productSchema, description: "The product, updated" },
        responses: [{ status: 201, schema: productSchema, description: "The product, created (a draft)" }],
      },
      async (c) => {
        const spuCode = spuOf(c);
        const body = await parseBody(c, productBody);
        const { by, requestId } = meta(c);
        const { created, product } = await catalogueCall(() =>
          deps.catalogue.putProduct({ spuCode, ...body }, by, requestId),
        );
        return c.json(withListing(product, await listing(c, spuCode)), created ? 201 : 200);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/products/:spuCode",
        summary: "One product with its SKUs, list prices, status and any scheduled listing change",
        tag: "Catalogue",
        permission: "product:read",
        response: { status: 200, schema: productSchema, description: "The product" },
      },
      async (c) => {
        const spuCode = spuOf(c);
        const record = await existing(spuCode);
        return c.json(withListing(record, await listing(c, spuCode)));
      },
    );
    define(
      {
        method: "get",
        path: "/v1/products/:spuCode/history",
        summary: "Who changed the product, its SKUs, prices or listing, when, before/after (newest first)",
        tag: "Catalogue",
        permission: "product:read",
        query: historyQuery,
        response: { status: 200, schema: historySchema, description: "A page of changes" },
      },
      async (c) => {
        const spuCode = spuOf(c);
        const q = parseQuery(c, historyQuery);
        await existing(spuCode);
        return c.json(await pagedRead(() => deps.catalogue.history(spuCode, q.limit, q.cursor)));
      },
    );
    define(
      {
        method: "delete",
        path: "/v1/products/:spuCode/scheduled",
        summary: "Cancel the scheduled listing change, if any (the status stays as it is)",
        tag: "Catalogue",
        permission: "product:write",
        response: { status: 200, schema: listingSchema, description: "The listing, nothing scheduled" },
      },
      async (c) => {
        const spuCode = spuOf(c);
        await existing(spuCode);
        const cmd = { type: "cancelScheduled" };
        const reply = await kit.command<ListingView>(c, "product", spuCode, cmd, {
          id: `cancelScheduled:${crypto.randomUUID()}`,
        });
        return c.json(reply);
      },
    );
    for (const action of ["publish", "unpublish"] as const) {
      define(
        {
          method: "post",
          path: `/v1/products/:spuCode/${action}`,
          summary:
            action === "publish"
              ? "Put on sale now (200) or at `at` (202); a scheduled change fires once, across restarts"
              : "Take off sale now (200) or at `at` (202)",
          tag: "Catalogue",
          permission: "product:write",
          body: listingBody,
          idempotencyKey: "optional",
          response: { status: 200, schema: listingSchema, description: "Done now" },
          responses: [{ status: 202, schema: listingSchema, description: "Scheduled" }],
        },
        async (c) => {
          const spuCode = spuOf(c);
          const body = (await c.req.text()).trim() === "" ? {} : await parseBody(c, listingBody);
          const key = idempotencyKey(c, false);
          await existing(spuCode);
          const at = body.at !== undefined ? Date.parse(body.at) : undefined;
          const cmd = { type: action, ...(at !== undefined ? { at } : {}) };
          const options = key
            ? idempotentCommand(c, action, key, body)
            : { id: `${action}:${crypto.randomUUID()}` };
          const reply = await kit.command<ListingView>(c, "product", spuCode, cmd, options);
          const scheduled = at !== undefined && reply.scheduled?.at === new Date(at).toISOString();
          return c.json(reply, scheduled ? 202 : 200);
        },
      );
    }
  };
}
