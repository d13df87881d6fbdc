import type { Context } from "hono";
import type { GatewayKit } from "../app.ts";
import { can, principalOf } from "../auth.ts";
import { pagedRead } from "../cursor.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { ActorCommand, InventoryReadModel, WarehouseDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import * as s from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";

export interface InventoryRouteDeps {
  warehouses: WarehouseDirectory;
  inventory: InventoryReadModel;
}

/** The permission to ship: committing a hold deducts physical stock, exactly like a shipment. */
const SHIP_PERMISSION = "order:fulfil";

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
        const value = await kit.command<StockReply>(
          c,
          "sku",
          sku,
          { type: "receive", ...body },
          idempotentCommand(c, "receipt", key, body),
        );
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
        const value = await kit.command<StockReply>(
          c,
          "sku",
          sku,
          cmd,
          idempotentCommand(c, "inbound", key, body),
        );
        return c.json(value.stock, 201);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/inventory/:sku/reservations",
        summary:
          "Hold stock (operator action; orderId names the hold and need not be an order; idempotent per orderId)",
        tag: "Inventory",
        permission: "inventory:hold",
        body: s.reservationBody,
        response: {
          status: 201,
          description: "Held: { orderId, lines, sellable }; 409 insufficient-stock",
        },
      },
      async (c) => {
        const sku = skuParam(c);
        const { maxPerUser: _refused, ...body } = await parseBody(c, s.reservationBody);
        await knownWarehouse(body.warehouse);
        const cmd = { type: "reserve", ...body, hold: true };
        return c.json(await skuCommand(c, sku, cmd, `reserve:${body.orderId}`), 201);
      },
    );
    define(
      {
        method: "delete",
        path: "/v1/inventory/:sku/reservations/:orderId",
        summary: "Release a hold (an order's reservation is released by cancelling the order)",
        tag: "Inventory",
        permission: "inventory:hold",
        response: { status: 200, description: "Released" },
      },
      async (c) => {
        const sku = skuParam(c);
        const orderId = orderParam(c);
        const cmd = { type: "release", orderId, hold: true };
        return c.json(await skuCommand(c, sku, cmd, `release:${orderId}`));
      },
    );
    define(
      {
        method: "post",
        path: "/v1/inventory/:sku/reservations/:orderId/commit",
        summary: "Ship a hold: deducts its stock (needs order:fulfil as well, the permission to ship)",
        tag: "Inventory",
        permission: "inventory:hold",
        response: { status: 200, description: "Committed" },
      },
      async (c) => {
        const sku = skuParam(c);
        const orderId = orderParam(c);
        // Stock leaves the building only for someone allowed to ship; holding it is not enough.
        if (!can(principalOf(c), SHIP_PERMISSION)) {
          throw new ProblemError(
            403,
            "forbidden",
            `committing a hold requires permission ${SHIP_PERMISSION}`,
            {
              permission: SHIP_PERMISSION,
            },
          );
        }
        const cmd = { type: "commit", orderId, hold: true };
        return c.json(await skuCommand(c, sku, cmd, `commit:${orderId}`));
      },
    );
    define(
      {
        method: "put",
        path: "/v1/inventory/:sku/purchase-limit",
        summary: "Set the units one buyer may hold or have bought of this SKU (null lifts the limit)",
        tag: "Inventory",
        permission: "inventory:write",
        body: s.purchaseLimitBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: s.purchaseLimitSchema, description: "The limit now in force" },
      },
      async (c) => {
        const sku = skuParam(c);
        const key = idempotencyKey(c, false);
        const body = await parseBody(c, s.purchaseLimitBody);
        const cmd = { type: "setPurchaseLimit", maxPerUser: body.maxPerUser };
        const options = key
          ? idempotentCommand(c, "limit", key, body)
          : { id: `limit:${crypto.randomUUID()}` };
        return c.json(await kit.command(c, "sku", sku, cmd, options));
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
        const key = idempotencyKey(c, false);
        const body = await parseBody(c, s.adjustmentBody);
        await knownWarehouse(body.warehouse);
        const options = key
          ? idempotentCommand(c, "adjust", key, body)
          : { id: `adjust:${crypto.randomUUID()}` };
        const value = await kit.command<StockReply>(c, "sku", sku, { type: "adjust", ...body }, options);
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
        const key = idempotencyKey(c, false);
        const body = await parseBody(c, s.safetyStockBody);
        await knownWarehouse(body.warehouse);
        const cmd = { type: "setSafetyStock", ...body };
        const options = key
          ? idempotentCommand(c, "safety", key, body)
          : { id: `safety:${crypto.randomUUID()}` };
        const value = await kit.command<StockReply>(c, "sku", sku, cmd, options);
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
