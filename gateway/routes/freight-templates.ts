import type { Context } from "hono";
import { z } from "zod";
import { freightRuleSchema, freightTemplateBody } from "../../actors/freight/index.ts";
import type { GatewayKit } from "../app.ts";
import type { FreightTemplateStore } from "../freight-ports.ts";
import type { WarehouseDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema, pageQuery } from "../schemas.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";

export interface FreightTemplateRouteDeps {
  freightTemplates: FreightTemplateStore;
  warehouses: WarehouseDirectory;
}

const ruleView = z.object({
  regions: z.array(z.string()),
  first: z.number().int(),
  firstFee: z.number().int(),
  additional: z.number().int(),
  additionalFee: z.number().int(),
});
export const freightTemplateSchema = z.object({
  code: z.string(),
  warehouse: z.string(),
  basis: z.enum(["weight", "volume", "piece"]),
  rules: z.array(ruleView),
  freeOver: z.number().int().optional(),
  excluded: z.array(z.string()).optional(),
  volumetricDivisor: z.number().int().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const listQuery = pageQuery.extend({ warehouse: codeSchema.optional() }).strict();
// The rule schema is the request's; the response view above mirrors it without refinements.
void freightRuleSchema;

/** Freight templates (decision 0028): per warehouse, by destination region, weight/volume/piece basis. */
export function freightTemplateRoutes(deps: FreightTemplateRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, meta } = kit;
    const code = (c: Context) => parseParam(c.req.param("code"), codeSchema, "code");
    define(
      {
        method: "put",
        path: "/v1/freight-templates/:code",
        summary: "Create or replace a freight template (fen, grams, cm³; GB/T 2260 region codes)",
        tag: "Freight",
        permission: "warehouse:write",
        body: freightTemplateBody,
        response: {
          status: 200,
          schema: freightTemplateSchema,
          description: "Replaced; the next quote uses it",
        },
        responses: [{ status: 201, schema: freightTemplateSchema, description: "Created" }],
      },
      async (c) => {
        const id = code(c);
        const body = await parseBody(c, freightTemplateBody);
        if (!(await deps.warehouses.exists(body.warehouse)))
          throw new ProblemError(422, "unknown-warehouse", `no warehouse ${body.warehouse}; PUT it first`, {
            field: "warehouse",
          });
        const { created, template } = await deps.freightTemplates.put(id, body, meta(c));
        return c.json(template, created ? 201 : 200);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/freight-templates",
        summary: "List freight templates by code (cursor = last code seen), optionally of one warehouse",
        tag: "Freight",
        permission: "warehouse:read",
        query: listQuery,
        response: {
          status: 200,
          schema: z.object({ items: z.array(freightTemplateSchema), nextCursor: z.string().nullable() }),
          description: "A page of templates",
        },
      },
      async (c) => {
        const q = parseQuery(c, listQuery);
        const items = await deps.freightTemplates.list({
          limit: q.limit,
          ...(q.cursor ? { after: q.cursor } : {}),
          ...(q.warehouse ? { warehouse: q.warehouse } : {}),
        });
        return c.json({ items, nextCursor: items.length === q.limit ? (items.at(-1)?.code ?? null) : null });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/freight-templates/:code",
        summary: "One freight template",
        tag: "Freight",
        permission: "warehouse:read",
        response: { status: 200, schema: freightTemplateSchema, description: "The template" },
      },
      async (c) => {
        const id = code(c);
        const t = await deps.freightTemplates.get(id);
        if (t === undefined)
          throw new ProblemError(404, "not-found", `no freight template ${id}`, { field: "code" });
        return c.json(t);
      },
    );
    define(
      {
        method: "delete",
        path: "/v1/freight-templates/:code",
        summary: "Delete a freight template (its warehouse then quotes freight 0 where no other applies)",
        tag: "Freight",
        permission: "warehouse:write",
        response: {
          status: 200,
          schema: z.object({ code: z.string(), deleted: z.literal(true) }),
          description: "Deleted",
        },
      },
      async (c) => {
        const id = code(c);
        if (!(await deps.freightTemplates.delete(id, meta(c))))
          throw new ProblemError(404, "not-found", `no freight template ${id}`, { field: "code" });
        return c.json({ code: id, deleted: true as const });
      },
    );
  };
}
