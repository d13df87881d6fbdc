import type { Context } from "hono";
import type { GatewayKit } from "../app.ts";
import * as s from "./warehouse-check-schemas.ts";
import { floorHelpers, KIND, type WarehouseFloorDeps } from "./warehouse-floor-helpers.ts";
/** The bin/lot invariant (operator endpoint) and the warehouse dashboard's figures (decision 0027). */
export function warehouseCheckRoutes(deps: Pick<WarehouseFloorDeps, "warehouses">) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const { code, read } = floorHelpers(kit, deps);
    define(
      {
        method: "get",
        path: "/v1/warehouses/:code/invariant",
        summary:
          "Operator check: units over bins, lots, receiving and staging equal each SKU actor's physical stock here (when no effect is pending)",
        tag: "Warehouse floor",
        permission: "warehouse:read",
        response: { status: 200, schema: s.invariantView, description: "Per SKU: bins vs physical" },
      },
      async (c) => {
        const warehouse = await code(c);
        return c.json(await checkInvariant(kit, c, warehouse));
      },
    );
    define(
      {
        method: "get",
        path: "/v1/warehouses/:code/floor-summary",
        summary:
          "The warehouse dashboard's figures: inbound due today, putaway backlog, waves, pick rate, short picks, bins near capacity, count differences",
        tag: "Warehouse floor",
        permission: "warehouse:read",
        response: { status: 200, schema: s.summaryView, description: "The figures now" },
      },
      async (c) => {
        const warehouse = await code(c);
        return c.json(await read(c, warehouse, { type: "summary", now: Date.now() }));
      },
    );
  };
}
/**
 * The bin/lot = physical invariant: the warehouse actor's units per SKU against each SKU actor's physical
 * stock in this warehouse. Only meaningful when nothing is pending (`pendingEffects` 0, and the SKU actors
 * have applied what the order actors sent them): tests poll it until it holds.
 */
export async function checkInvariant(kit: GatewayKit, c: Context, warehouse: string) {
  const totals = await kit.command<{ pendingEffects: number; skus: Array<{ sku: string; qty: number }> }>(
    c,
    KIND,
    warehouse,
    { type: "totals" },
    { readOnly: true },
  );
  const skus: Array<{ sku: string; bins: number; physical: number; ok: boolean }> = [];
  for (const { sku, qty } of totals.skus) {
    const stock = await kit.command<{ warehouses: Array<{ warehouse: string; physical: number }> }>(
      c,
      "sku",
      sku,
      { type: "get" },
      { readOnly: true },
    );
    const physical = stock.warehouses.find((w) => w.warehouse === warehouse)?.physical ?? 0;
    skus.push({ sku, bins: qty, physical, ok: qty === physical });
  }
  return {
    warehouse,
    ok: totals.pendingEffects === 0 && skus.every((x) => x.ok),
    pendingEffects: totals.pendingEffects,
    skus,
  };
}
