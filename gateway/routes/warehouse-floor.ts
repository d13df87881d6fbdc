import type { GatewayKit } from "../app.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";
import { floorHelpers, KIND, type WarehouseFloorDeps } from "./warehouse-floor-helpers.ts";
import * as s from "./warehouse-floor-schemas.ts";
/** The warehouse floor's layout (decision 0027): bins, SKU zones, settings, stock per bin and lot. */
export function warehouseFloorRoutes(deps: Pick<WarehouseFloorDeps, "warehouses">) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const { code, commandId, read } = floorHelpers(kit, deps);
    define(
      {
        method: "put",
        path: "/v1/warehouses/:code/bins/:bin",
        summary:
          "Create or change a bin: zone (ambient, chilled, valuables), aisle, bay, level, capacity in units",
        tag: "Warehouse floor",
        permission: "warehouse:write",
        body: s.binBody,
        response: {
          status: 200,
          schema: s.binView,
          description: "The bin (`created` says whether it is new)",
        },
      },
      async (c) => {
        const warehouse = await code(c);
        const bin = parseParam(c.req.param("bin"), codeSchema, "bin");
        const body = await parseBody(c, s.binBody);
        const value = await kit.command(
          c,
          KIND,
          warehouse,
          { type: "setBin", bin, ...body },
          commandId(c, "bin", { bin, body }),
        );
        return c.json(value);
      },
    );
    define(
      {
        method: "put",
        path: "/v1/warehouses/:code/sku-zones/:sku",
        summary: "The zones an SKU may be stored in here (absent: ambient only)",
        tag: "Warehouse floor",
        permission: "warehouse:write",
        body: s.skuZonesBody,
        response: { status: 200, schema: s.skuZonesView, description: "The SKU's zones" },
      },
      async (c) => {
        const warehouse = await code(c);
        const sku = parseParam(c.req.param("sku"), codeSchema, "sku");
        const body = await parseBody(c, s.skuZonesBody);
        return c.json(
          await kit.command(
            c,
            KIND,
            warehouse,
            { type: "setSkuZones", sku, ...body },
            commandId(c, "zones", body),
          ),
        );
      },
    );
    define(
      {
        method: "put",
        path: "/v1/warehouses/:code/floor-settings",
        summary: "Count approval threshold (units) and pack weight tolerance (share)",
        tag: "Warehouse floor",
        permission: "warehouse:write",
        body: s.settingsBody,
        response: { status: 200, schema: s.settingsView, description: "The settings now" },
      },
      async (c) => {
        const warehouse = await code(c);
        const body = await parseBody(c, s.settingsBody);
        return c.json(
          await kit.command(
            c,
            KIND,
            warehouse,
            { type: "configure", ...body },
            commandId(c, "configure", body),
          ),
        );
      },
    );
    define(
      {
        method: "get",
        path: "/v1/warehouses/:code/layout",
        summary: "Bins with their load, SKU zones and floor settings",
        tag: "Warehouse floor",
        permission: "warehouse:read",
        response: { status: 200, schema: s.layoutView, description: "The layout" },
      },
      async (c) => c.json(await read(c, await code(c), { type: "get" })),
    );
    define(
      {
        method: "get",
        path: "/v1/warehouses/:code/stock",
        summary: "Stock per bin and lot (and staged for handover), from the warehouse's actor",
        tag: "Warehouse floor",
        permission: "warehouse:read",
        query: s.stockQuery,
        response: { status: 200, schema: s.stockPage, description: "Stock per bin and lot" },
      },
      async (c) => {
        const warehouse = await code(c);
        const q = parseQuery(c, s.stockQuery);
        return c.json(await read(c, warehouse, { type: "stock", ...(q.sku ? { sku: q.sku } : {}) }));
      },
    );
  };
}
