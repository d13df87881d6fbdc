import type { Context } from "hono";
import type { GatewayKit } from "../app.ts";
import { pagedRead } from "../cursor.ts";
import type { ActorCommand, InventoryReadModel, WarehouseDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import * as s from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";

export interface InventoryRouteDeps {
  warehouses: WarehouseDirectory;
  inventory: InventoryReadModel;
}

interface StockReply {
  stock: unknown;
}

/** Inventory: stock per SKU from its actor (strongly consistent) and its ledger from the read model. */
export function inventoryRoutes(deps: InventoryRouteDeps) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const skuParam = (c: Context) => parseParam(c.req.param("sku"), s.codeSchema, "sku");
    const orderParam = (c: Context) => parseParam(c.req.param("orderId"), s.codeSchema, "orderId");
    /** Sends a command to the SKU actor and turns a refusal into the matching problem. */
    const skuCommand = <T = Record<string, unknown>>(
      c: Context,
      sku: string,
      cmd: ActorCommand,
      id?: string,
    ) => kit.command<T>(c, "sku", sku, cmd, { ...(id ? { id } : {}), readOnly: cmd.type === "get" });
    const knownWarehouse = async (code: string | undefined) => {
      if (code && !(await deps.warehouses.exists(code))) {
        throw new ProblemError(
          422,
          "unknown-warehouse",
          `warehouse ${code} is not registered; PUT /v1/warehouses/${code} first`,
          { field: "warehouse" },
        );
      }
    };

    define(
      {
        method: "get",
        path: "/v1/inventory/:sku",
        summary: "Stock of a SKU, read from its actor (strongly consistent)",
        tag: "Inventory",
        permission: "inventory:read",
        response: { status: 200, schema: s.stockSchema, description: "Stock" },
      },
      async (c) => c.json(await skuCommand(c, skuParam(c), { type: "get" })),
    );
    define(
      {
        method: "post",
        path: "/v1/inventory/:sku/receipts",
        summary: "Receive stock into a warehouse",
        tag: "Inventory",
        permission: "inventory:write",
        body: s.receiptBody,
        idempotencyKey: "required",
        response: { status: 201, schema: s.stockSchema, description: "New stock" },
      },
      async (c) => {
        const sku = skuParam(c);
        const key = idempotencyKey(c, true);
        const body = await parseBody(c, s.receiptBody);
        await knownWarehouse(body.warehouse);
        const value = await skuCommand<StockReply>(c, sku, { type: "receive", ...body }, `receipt:${key}`);
        return c.json(value.stock, 201);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/inventory/:sku/inbound",
        summary: "Announce goods in transit (e.g. a purchase order sent)",
        tag: "Inventory",
        permission: "inventory:write",
        body: s.inboundBody,
        idempotencyKey: "required",
        response: { status: 201, schema: s.stockSchema, description: "New stock" },
      },
      async (c) => {
        const sku = skuParam(c);
        const key = idempotencyKey(c, true);
        const body = await parseBody(c, s.inboundBody);
        await knownWarehouse(body.warehouse);
        const cmd = { type: "announceInbound", ...body };
        const value = await skuCommand<StockReply>(c, sku, cmd, `inbound:${key}`);
        return c.json(value.stock, 201);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/inventory/:sku/reservations",
        summary: "Reserve stock for an order (idempotent per orderId)",
        tag: "Inventory",
        permission: "inventory:write",
        body: s.reservationBody,
        response: {
          status: 201,
          description: "Reserved: { orderId, lines, sellable }; 409 insufficient-stock",
        },
      },
      async (c) => {
        const sku = skuParam(c);
        const body = await parseBody(c, s.reservationBody);
        await knownWarehouse(body.warehouse);
        return c.json(await skuCommand(c, sku, { type: "reserve", ...body }, `reserve:${body.orderId}`), 201);
      },
    );
    define(
      {
        method: "delete",
        path: "/v1/inventory/:sku/reservations/:orderId",
        summary: "Release an order's reservation",
        tag: "Inventory",
        permission: "inventory:write",
        response: { status: 200, description: "Released" },
      },
      async (c) => {
        const sku = skuParam(c);
        const orderId = orderParam(c);
        return c.json(await skuCommand(c, sku, { type: "release", orderId }, `release:${orderId}`));
      },
    );
    define(
      {
        method: "post",
        path: "/v1/inventory/:sku/reservations/:orderId/commit",
        summary: "Deduct a reservation on shipment",
        tag: "Inventory",
        permission: "inventory:write",
        response: { status: 200, description: "Committed" },
      },
      async (c) => {
        const sku = skuParam(c);
        const orderId = orderParam(c);
        return c.json(await skuCommand(c, sku, { type: "commit", orderId }, `commit:${orderId}`));
      },
    );
    define(
      {
        method: "post",
        path: "/v1/inventory/:sku/adjustments",
        summary: "Cycle count: set physical stock with a reason",
        tag: "Inventory",
        permission: "inventory:write",
        body: s.adjustmentBody,
        idempotencyKey: "optional",
        response: { status: 201, schema: s.stockSchema, description: "New stock" },
      },
      async (c) => {
        const sku = skuParam(c);
        const key = idempotencyKey(c, false) ?? crypto.randomUUID();
        const body = await parseBody(c, s.adjustmentBody);
        await knownWarehouse(body.warehouse);
        const value = await skuCommand<StockReply>(c, sku, { type: "adjust", ...body }, `adjust:${key}`);
        return c.json(value.stock, 201);
      },
    );
    define(
      {
        method: "put",
        path: "/v1/inventory/:sku/safety-stock",
        summary: "Set the safety stock of a warehouse",
        tag: "Inventory",
        permission: "inventory:write",
        body: s.safetyStockBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: s.stockSchema, description: "New stock" },
      },
      async (c) => {
        const sku = skuParam(c);
        const key = idempotencyKey(c, false) ?? crypto.randomUUID();
        const body = await parseBody(c, s.safetyStockBody);
        await knownWarehouse(body.warehouse);
        const cmd = { type: "setSafetyStock", ...body };
        const value = await skuCommand<StockReply>(c, sku, cmd, `safety:${key}`);
        return c.json(value.stock);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/inventory/:sku/ledger",
        summary: "Stock movements, newest first (read model)",
        tag: "Inventory",
        permission: "inventory:read",
        query: s.pageQuery,
      },
      async (c) => {
        const sku = skuParam(c);
        const q = parseQuery(c, s.pageQuery);
        return c.json(await pagedRead(() => deps.inventory.ledger(sku, q.limit, q.cursor)));
      },
    );
  };
}
