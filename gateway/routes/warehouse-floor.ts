import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { z } from "zod";
import type { GatewayKit } from "../app.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { Catalogue, OrderReadModel, WarehouseDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";
import * as s from "./warehouse-floor-schemas.ts";

export interface WarehouseFloorDeps {
  warehouses: WarehouseDirectory;
  orders: OrderReadModel;
  catalogue: Catalogue;
  autoCompleteMs: number;
}

const KIND = "warehouse";
/** Orders one wave takes when none are named: the oldest waiting first (by the read model's order). */
const WAVE_BATCH = 50;

/** A wave id names its warehouse (`WV<12 hex>:<warehouse>`), so `/v1/waves/{id}` finds the actor. */
export const waveIdFor = (warehouse: string, seed: string): string =>
  `WV${createHash("sha256").update(seed).digest("hex").slice(0, 12)}:${warehouse}`;
const WAVE_ID = /^WV[0-9a-f]{12}:(.+)$/;

interface OrderRead {
  status: string;
  lines: Array<{ sku: string; allocation: Array<{ warehouse: string; qty: number }> }>;
}

/**
 * The warehouse floor (issue 12 items 5–10, decision 0027): layout, stock per bin and lot, putaway,
 * waves, picks, pack and check, handover, cycle counts, the bin/lot invariant and the dashboard figures.
 * Every write goes to the warehouse's actor (its log is the audit trail: each event carries who and the
 * request id).
 */
export function warehouseFloorRoutes(deps: WarehouseFloorDeps) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const code = async (c: Context) => {
      const value = parseParam(c.req.param("code"), codeSchema, "code");
      if (!(await deps.warehouses.exists(value)))
        throw new ProblemError(404, "not-found", `no warehouse ${value}`, { field: "code" });
      return value;
    };
    const waveParam = (c: Context) => {
      const waveId = parseParam(c.req.param("waveId"), codeSchema, "waveId");
      const warehouse = WAVE_ID.exec(waveId)?.[1];
      if (!warehouse) throw new ProblemError(404, "not-found", `no wave ${waveId}`, { field: "waveId" });
      return { waveId, warehouse };
    };
    /** The command id: the caller's Idempotency-Key (with the request's fingerprint), else a fresh one. */
    const commandId = (c: Context, operation: string, body: unknown) => {
      const key = idempotencyKey(c, false);
      return key ? idempotentCommand(c, operation, key, body) : { id: `${operation}:${crypto.randomUUID()}` };
    };
    const read = <T>(c: Context, warehouse: string, cmd: { type: string; [k: string]: unknown }) =>
      kit.command<T>(c, KIND, warehouse, cmd, { readOnly: true });
    /** An optional JSON body: nothing at all reads as `{}`. */
    const optionalBody = async <T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> => {
      if ((await c.req.text()).trim() === "") return schema.parse({});
      return parseBody(c, schema);
    };

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
