import { z } from "zod";
import type { GatewayKit } from "../app.ts";
import { listScope, requireWarehouseInScope } from "../data-scope.ts";
import type { WarehouseDirectory } from "../ports.ts";
import * as s from "../schemas.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";

export interface WarehouseRouteDeps {
  warehouses: WarehouseDirectory;
}

/** Warehouses: reference data every stock command names. */
export function warehouseRoutes(deps: WarehouseRouteDeps) {
  return ({ define, meta }: GatewayKit) => {
    define(
      {
        method: "put",
        path: "/v1/warehouses/:code",
        summary: "Register or update a warehouse",
        tag: "Warehouses",
        permission: "warehouse:write",
        body: s.warehouseBody,
        response: { status: 200, schema: s.warehouseSchema, description: "The warehouse, updated" },
        responses: [{ status: 201, schema: s.warehouseSchema, description: "The warehouse, created" }],
      },
      async (c) => {
        const code = parseParam(c.req.param("code"), s.codeSchema, "code");
        requireWarehouseInScope(c, code);
        const body = await parseBody(c, s.warehouseBody);
        const { by, requestId } = meta(c);
        const { created, warehouse } = await deps.warehouses.upsert({ code, ...body }, by, requestId);
        return c.json(warehouse, created ? 201 : 200);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/warehouses",
        summary: "List warehouses (cursor = last code seen)",
        tag: "Warehouses",
        permission: "warehouse:read",
        query: s.pageQuery,
        response: {
          status: 200,
          schema: z.strictObject({ items: z.array(s.warehouseSchema), nextCursor: z.string().nullable() }),
          description: "A page of warehouses, by code",
        },
      },
      async (c) => {
        const q = parseQuery(c, s.pageQuery);
        const scope = listScope(c);
        const items = await deps.warehouses.list({
          limit: q.limit,
          ...(q.cursor ? { after: q.cursor } : {}),
          ...(scope ? { scope } : {}),
        });
        return c.json({ items, nextCursor: items.length === q.limit ? (items.at(-1)?.code ?? null) : null });
      },
    );
  };
}
