import type { Context } from "hono";
import type { GatewayKit } from "../app.ts";
import { requireWarehouseFieldInScope } from "../data-scope.ts";
import type { ActorCommand, WarehouseDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import * as s from "../schemas.ts";
import { parseParam } from "../validate.ts";

/** What the inventory and hold routes share: SKU and order params, SKU commands, warehouse checks. */
export function skuRouteHelpers(kit: GatewayKit, warehouses: WarehouseDirectory) {
  const skuParam = (c: Context) => parseParam(c.req.param("sku"), s.codeSchema, "sku");
  const orderParam = (c: Context) => parseParam(c.req.param("orderId"), s.codeSchema, "orderId");
  /** Sends a command to the SKU actor and turns a refusal into the matching problem. */
  const skuCommand = <T = Record<string, unknown>>(c: Context, sku: string, cmd: ActorCommand, id?: string) =>
    kit.command<T>(c, "sku", sku, cmd, { ...(id ? { id } : {}), readOnly: cmd.type === "get" });
  /** A warehouse a command names: registered, and inside the caller's data scope (else unknown, 0033). */
  const knownWarehouse = async (c: Context, code: string | undefined) => {
    requireWarehouseFieldInScope(c, code);
    if (code && !(await warehouses.exists(code))) {
      throw new ProblemError(
        422,
        "unknown-warehouse",
        `warehouse ${code} is not registered; PUT /v1/warehouses/${code} first`,
        { field: "warehouse" },
      );
    }
  };

  return { skuParam, orderParam, skuCommand, knownWarehouse };
}
