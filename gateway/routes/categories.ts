import type { GatewayKit } from "../app.ts";
import type { Catalogue } from "../ports.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";
import { catalogueCall } from "./catalogue-errors.ts";
import { categoryBody, categoryList, categoryQuery, categorySchema } from "./catalogue-schemas.ts";

export interface CategoryRouteDeps {
  catalogue: Catalogue;
}

/**
 * Categories: a back-category tree (products and spec templates hang off it) and front categories,
 * mapped many-to-many onto back ones so the storefront can be reorganised without touching products.
 */
export function categoryRoutes(deps: CategoryRouteDeps) {
  return ({ define, meta }: GatewayKit) => {
    define(
      {
        method: "put",
        path: "/v1/categories/:code",
        summary: "Create, update or move a category (moves keep it a tree: a cycle is 409 on `parent`)",
        tag: "Catalogue",
        permission: "product:write",
        body: categoryBody,
        response: { status: 200, schema: categorySchema, description: "The category, updated" },
        responses: [{ status: 201, schema: categorySchema, description: "The category, created" }],
      },
      async (c) => {
        const code = parseParam(c.req.param("code"), codeSchema, "code");
        const body = await parseBody(c, categoryBody);
        const { by, requestId } = meta(c);
        const input = {
          code,
          name: body.name,
          kind: body.kind,
          parent: body.parent ?? null,
          backCategories: body.backCategories ?? [],
          specs: body.specs ?? [],
        };
        const { created, category } = await catalogueCall(() =>
          deps.catalogue.putCategory(input, by, requestId),
        );
        return c.json(category, created ? 201 : 200);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/categories",
        summary: "Every category (of one kind), flat in tree order with `parent` and `depth`",
        tag: "Catalogue",
        permission: "product:read",
        query: categoryQuery,
        response: { status: 200, schema: categoryList, description: "The categories (at most 5,000)" },
      },
      async (c) => {
        const q = parseQuery(c, categoryQuery);
        return c.json({ items: await deps.catalogue.listCategories(q.kind) });
      },
    );
    define(
      {
        method: "delete",
        path: "/v1/categories/:code",
        summary: "Delete a category (409 while it has children, products, or front categories showing it)",
        tag: "Catalogue",
        permission: "product:write",
        response: { status: 204, description: "Deleted" },
      },
      async (c) => {
        const code = parseParam(c.req.param("code"), codeSchema, "code");
        const { by, requestId } = meta(c);
        await catalogueCall(() => deps.catalogue.deleteCategory(code, by, requestId));
        return c.body(null, 204);
      },
    );
  };
}
