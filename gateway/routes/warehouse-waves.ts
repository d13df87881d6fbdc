import type { GatewayKit } from "../app.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { Catalogue } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam } from "../validate.ts";
import { floorHelpers, KIND, type WarehouseFloorDeps, waveIdFor } from "./warehouse-floor-helpers.ts";
import * as s from "./warehouse-floor-schemas.ts";

/** Orders one wave takes when none are named: the oldest waiting first (by the read model's order). */
const WAVE_BATCH = 50;

interface OrderRead {
  status: string;
  lines: Array<{ sku: string; allocation: Array<{ warehouse: string; qty: number }> }>;
}
/** Outbound (decision 0027): waves on demand, picks, pack and check, handover to logistics. */
export function warehouseWaveRoutes(deps: WarehouseFloorDeps) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const { code, waveParam, commandId, read, optionalBody } = floorHelpers(kit, deps);
    define(
      {
        method: "post",
        path: "/v1/warehouses/:code/waves",
        summary:
          "Form a wave on demand from the named orders (or the oldest orders awaiting shipment allocated here): pick lists per zone along the pick path",
        tag: "Warehouse floor",
        permission: "warehouse:write",
        body: s.waveBody,
        idempotencyKey: "optional",
        response: { status: 201, schema: s.createdWave, description: "The wave and its pick lists" },
      },
      async (c) => {
        const warehouse = await code(c);
        const key = idempotencyKey(c, false);
        const body = await optionalBody(c, s.waveBody);
        const named = body.orderIds !== undefined;
        let ids = body.orderIds;
        if (!ids) {
          const page = await deps.orders.list({ status: "awaiting_shipment", limit: 200 });
          ids = page.items.map((o) => o.orderId);
        }
        const orders: Array<{ orderId: string; lines: Array<{ sku: string; qty: number }> }> = [];
        for (const orderId of ids) {
          if (orders.length >= WAVE_BATCH && !named) break;
          let order: OrderRead;
          try {
            order = await kit.command<OrderRead>(c, "order", orderId, { type: "get" }, { readOnly: true });
          } catch (error) {
            if (named) throw error;
            continue;
          }
          const lines = order.lines.flatMap((l) =>
            l.allocation.filter((a) => a.warehouse === warehouse).map((a) => ({ sku: l.sku, qty: a.qty })),
          );
          if (order.status !== "awaiting_shipment" || lines.length === 0) {
            if (!named) continue;
            throw new ProblemError(
              409,
              "conflict",
              order.status !== "awaiting_shipment"
                ? `order ${orderId} is ${order.status}, not awaiting shipment`
                : `order ${orderId} has nothing allocated to ${warehouse}`,
              { field: "orderIds", orderId },
            );
          }
          orders.push({ orderId, lines });
        }
        if (orders.length === 0)
          throw new ProblemError(409, "conflict", `no order awaiting shipment from ${warehouse}`, {
            field: "orderIds",
          });
        const waveId = waveIdFor(
          warehouse,
          key === undefined ? crypto.randomUUID() : `${kit.meta(c).by}\u0000${key}`,
        );
        const value = await kit.command(
          c,
          KIND,
          warehouse,
          { type: "createWave", waveId, orders, ...(named ? {} : { skipWaved: true }) },
          key ? idempotentCommand(c, "wave", key, body) : { id: `wave:${waveId}` },
        );
        return c.json(value, 201);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/waves/:waveId",
        summary: "A wave: pick lists, orders and progress",
        tag: "Warehouse floor",
        permission: "warehouse:read",
        response: { status: 200, schema: s.waveView, description: "The wave" },
      },
      async (c) => {
        const { waveId, warehouse } = waveParam(c);
        return c.json(await read(c, warehouse, { type: "wave", waveId }));
      },
    );
    define(
      {
        method: "post",
        path: "/v1/waves/:waveId/picks",
        summary:
          "Confirm picks by step (fewer units than asked is a short pick: reallocated from other lots, or the order becomes an exception)",
        tag: "Warehouse floor",
        permission: "warehouse:write",
        body: s.picksBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: s.picksReply, description: "The wave after the picks" },
      },
      async (c) => {
        const { waveId, warehouse } = waveParam(c);
        const body = await parseBody(c, s.picksBody);
        return c.json(
          await kit.command(
            c,
            KIND,
            warehouse,
            { type: "confirmPicks", waveId, ...body },
            commandId(c, "picks", body),
          ),
        );
      },
    );
    define(
      {
        method: "post",
        path: "/v1/waves/:waveId/orders/:orderId/pack",
        summary:
          "Pack and check: the parcel's weight against the SKUs' weights (product center) within the tolerance",
        tag: "Warehouse floor",
        permission: "warehouse:write",
        body: s.packBody,
        response: {
          status: 200,
          schema: s.packReply,
          description: "The check (a failed check leaves the order picked)",
        },
      },
      async (c) => {
        const { waveId, warehouse } = waveParam(c);
        const orderId = parseParam(c.req.param("orderId"), codeSchema, "orderId");
        const body = await parseBody(c, s.packBody);
        const wave = await read<{ pickLists: Array<{ steps: Array<{ sku: string; orderId: string }> }> }>(
          c,
          warehouse,
          {
            type: "wave",
            waveId,
          },
        );
        const skus = [
          ...new Set(
            wave.pickLists.flatMap((l) => l.steps.filter((x) => x.orderId === orderId).map((x) => x.sku)),
          ),
        ];
        const unitWeights = await weightsOf(deps.catalogue, skus);
        const value = await kit.command(
          c,
          KIND,
          warehouse,
          { type: "pack", waveId, orderId, weightGrams: body.weightGrams, unitWeights },
          commandId(c, "pack", { orderId, body }),
        );
        return c.json(value);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/waves/:waveId/orders/:orderId/handover",
        summary: "Hand a packed order to logistics: the order is shipped and its reservations committed",
        tag: "Warehouse floor",
        permission: "order:fulfil",
        body: s.handoverBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: s.handoverReply, description: "Shipped" },
      },
      async (c) => {
        const { waveId, warehouse } = waveParam(c);
        const orderId = parseParam(c.req.param("orderId"), codeSchema, "orderId");
        const body = await parseBody(c, s.handoverBody);
        const value = await kit.command(
          c,
          KIND,
          warehouse,
          { type: "handover", waveId, orderId, ...body, autoCompleteMs: deps.autoCompleteMs },
          commandId(c, "handover", { orderId, body }),
        );
        return c.json(value);
      },
    );
  };
}

/** Grams per unit of each SKU, from the product center (null: not recorded). */
async function weightsOf(
  catalogue: Catalogue,
  skus: string[],
): Promise<Array<{ sku: string; grams: number | null }>> {
  const spus = await catalogue.spuOfSkus(skus);
  const grams = new Map<string, number | null>();
  for (const spu of new Set(spus.values())) {
    const product = await catalogue.getProduct(spu);
    for (const s of product?.skus ?? []) grams.set(s.sku, s.weightGrams);
  }
  return skus.map((sku) => ({ sku, grams: grams.get(sku) ?? null }));
}
