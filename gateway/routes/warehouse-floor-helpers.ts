import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { z } from "zod";
import type { GatewayKit } from "../app.ts";
import { warehouseVisible } from "../data-scope.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { Catalogue, OrderReadModel, WarehouseDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam } from "../validate.ts";

export interface WarehouseFloorDeps {
  warehouses: WarehouseDirectory;
  orders: OrderReadModel;
  catalogue: Catalogue;
  autoCompleteMs: number;
}

export const KIND = "warehouse";

/** A wave id names its warehouse (`WV<12 hex>:<warehouse>`), so `/v1/waves/{id}` finds the actor. */
export const waveIdFor = (warehouse: string, seed: string): string =>
  `WV${createHash("sha256").update(seed).digest("hex").slice(0, 12)}:${warehouse}`;
const WAVE_ID = /^WV[0-9a-f]{12}:(.+)$/;

/** What the warehouse-floor routes share: path parameters, command ids, optional bodies, reads. */
export function floorHelpers(kit: GatewayKit, deps: Pick<WarehouseFloorDeps, "warehouses">) {
  return {
    code: async (c: Context) => {
      const value = parseParam(c.req.param("code"), codeSchema, "code");
      // Outside the caller's data scope (0033) reads as not registered.
      if (!warehouseVisible(c, value) || !(await deps.warehouses.exists(value)))
        throw new ProblemError(404, "not-found", `no warehouse ${value}`, { field: "code" });
      return value;
    },
    waveParam: (c: Context) => {
      const waveId = parseParam(c.req.param("waveId"), codeSchema, "waveId");
      const warehouse = WAVE_ID.exec(waveId)?.[1];
      if (!warehouse || !warehouseVisible(c, warehouse))
        throw new ProblemError(404, "not-found", `no wave ${waveId}`, { field: "waveId" });
      return { waveId, warehouse };
    },
    /** The command id: the caller's Idempotency-Key (with the request's fingerprint), else a fresh one. */
    commandId: (c: Context, operation: string, body: unknown) => {
      const key = idempotencyKey(c, false);
      return key ? idempotentCommand(c, operation, key, body) : { id: `${operation}:${crypto.randomUUID()}` };
    },
    read: <T>(c: Context, warehouse: string, cmd: { type: string; [k: string]: unknown }) =>
      kit.command<T>(c, KIND, warehouse, cmd, { readOnly: true }),
    /** An optional JSON body: nothing at all reads as `{}`. */
    optionalBody: async <T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> => {
      if ((await c.req.text()).trim() === "") return schema.parse({});
      return parseBody(c, schema);
    },
  };
}
