import { createHash } from "node:crypto";
import type { GatewayKit } from "../app.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam } from "../validate.ts";
import { floorHelpers, KIND, type WarehouseFloorDeps } from "./warehouse-floor-helpers.ts";
import * as s from "./warehouse-floor-schemas.ts";
/** Putaway of receipts and blind cycle counts (decision 0027). */
export function warehousePutawayRoutes(deps: Pick<WarehouseFloorDeps, "warehouses">) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const { code, commandId, read, optionalBody } = floorHelpers(kit, deps);
    define(
      {
        method: "get",
        path: "/v1/warehouses/:code/putaways/:receiptId",
        summary: "A receipt's putaway: suggested (pending) or confirmed bins",
        tag: "Warehouse floor",
        permission: "warehouse:read",
        response: { status: 200, schema: s.putawayView, description: "The putaway" },
      },
      async (c) => {
        const warehouse = await code(c);
        const receiptId = parseParam(c.req.param("receiptId"), codeSchema, "receiptId");
        return c.json(await read(c, warehouse, { type: "receipt", receiptId }));
      },
    );
    define(
      {
        method: "post",
        path: "/v1/warehouses/:code/putaways/:receiptId/confirm",
        summary:
          "Confirm a receipt's putaway (empty body: the suggested bins): the goods become physical stock on the SKU actors",
        tag: "Warehouse floor",
        permission: "warehouse:write",
        body: s.putawayBody,
        idempotencyKey: "optional",
        response: {
          status: 200,
          schema: s.putawayView,
          description: "Put away; the SKU actors hold the stock",
        },
      },
      async (c) => {
        const warehouse = await code(c);
        const receiptId = parseParam(c.req.param("receiptId"), codeSchema, "receiptId");
        const body = await optionalBody(c, s.putawayBody);
        const value = await kit.command(
          c,
          KIND,
          warehouse,
          { type: "confirmPutaway", receiptId, ...body },
          commandId(c, `putaway:${receiptId}`, body),
        );
        return c.json(value);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/warehouses/:code/counts",
        summary: "Open a blind cycle count of one bin (the counter is not told what it should hold)",
        tag: "Warehouse floor",
        permission: "warehouse:write",
        body: s.countBody,
        idempotencyKey: "optional",
        response: { status: 201, schema: s.countOpened, description: "The count, open" },
      },
      async (c) => {
        const warehouse = await code(c);
        const key = idempotencyKey(c, false);
        const body = await parseBody(c, s.countBody);
        const countId = `CC${createHash("sha256")
          .update(key === undefined ? crypto.randomUUID() : `${kit.meta(c).by}\u0000${key}`)
          .digest("hex")
          .slice(0, 16)}`;
        const value = await kit.command(
          c,
          KIND,
          warehouse,
          { type: "openCount", countId, ...body },
          commandId(c, "count", body),
        );
        return c.json(value, 201);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/warehouses/:code/counts/:countId",
        summary:
          "Record what was counted in the bin; differences within the threshold are adjusted at once (SKU actor, with the reason), larger ones wait for approval",
        tag: "Warehouse floor",
        permission: "warehouse:write",
        body: s.countRecordBody,
        idempotencyKey: "optional",
        response: {
          status: 200,
          schema: s.countView,
          description: "The differences and what happened to them",
        },
      },
      async (c) => {
        const warehouse = await code(c);
        const countId = parseParam(c.req.param("countId"), codeSchema, "countId");
        const body = await parseBody(c, s.countRecordBody);
        return c.json(
          await kit.command(
            c,
            KIND,
            warehouse,
            { type: "recordCount", countId, ...body },
            commandId(c, "record-count", body),
          ),
        );
      },
    );
    define(
      {
        method: "post",
        path: "/v1/warehouses/:code/counts/:countId/approve",
        summary:
          "Approve a count's differences (another operator than the counter): adjusts the bin and the SKU actors",
        tag: "Warehouse floor",
        permission: "warehouse:write",
        idempotencyKey: "optional",
        response: { status: 200, schema: s.countView, description: "Applied" },
      },
      async (c) => {
        const warehouse = await code(c);
        const countId = parseParam(c.req.param("countId"), codeSchema, "countId");
        return c.json(
          await kit.command(
            c,
            KIND,
            warehouse,
            { type: "approveCount", countId },
            commandId(c, "approve-count", { countId }),
          ),
        );
      },
    );
  };
}
