import { warehouses } from "../../actors/warehouse/index.ts";
import type { GatewayKit } from "../app.ts";
import type { ApprovalStore } from "../approval-ports.ts";
import { pagedRead } from "../cursor.ts";
import { listScope, stockInScope } from "../data-scope.ts";
import { idempotentCommand, optionalIdempotency } from "../idempotency.ts";
import type { InventoryReadModel, WarehouseDirectory } from "../ports.ts";
import * as s from "../schemas.ts";
import { idempotencyKey, parseBody, parseQuery } from "../validate.ts";
import { holdStockAdjustment, PENDING_APPROVAL_RESPONSE } from "./approval-guard.ts";
import { ledgerPage } from "./inventory-responses.ts";
import { skuRouteHelpers } from "./sku-helpers.ts";

export interface InventoryRouteDeps {
  warehouses: WarehouseDirectory;
  inventory: InventoryReadModel;
  /** An adjustment of at least a rule's quantity waits for approval (decision 0034). */
  approvals?: ApprovalStore | undefined;
}

interface StockReply {
  stock: unknown;
}

/** Inventory: stock per SKU from its actor (strongly consistent) and its ledger from the read model. */
export function inventoryRoutes(deps: InventoryRouteDeps) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const { skuParam, skuCommand, knownWarehouse } = skuRouteHelpers(kit, deps.warehouses);

    define(
      {
        method: "get",
        path: "/v1/inventory/:sku",
        summary: "Stock of a SKU, read from its actor (strongly consistent)",
        tag: "Inventory",
        permission: "inventory:read",
        response: { status: 200, schema: s.stockSchema, description: "Stock" },
      },
      async (c) => c.json(stockInScope(c, await skuCommand(c, skuParam(c), { type: "get" }))),
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
        await knownWarehouse(c, body.warehouse);
        // A warehouse with bins keeps bin/lot stock equal to physical stock (decision 0027): the receipt
        // lands in its receiving location, through its actor, which then receives on the SKU actor.
        const bins = warehouses.binCount(body.warehouse);
        const layout = await kit.command<{ bins: number }>(c, bins.to.kind, bins.to.id, bins.cmd, {
          readOnly: true,
        });
        if (layout.bins > 0) {
          const { warehouse, ...fields } = body;
          const call = warehouses.receiveUnplaced(warehouse, { sku, ...fields });
          const value = await kit.command<StockReply>(
            c,
            call.to.kind,
            call.to.id,
            call.cmd,
            idempotentCommand(c, "receipt", key, body),
          );
          return c.json(stockInScope(c, value.stock), 201);
        }
        const value = await kit.command<StockReply>(
          c,
          "sku",
          sku,
          { type: "receive", ...body },
          idempotentCommand(c, "receipt", key, body),
        );
        return c.json(stockInScope(c, value.stock), 201);
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
        await knownWarehouse(c, body.warehouse);
        const cmd = { type: "announceInbound", ...body };
        const value = await kit.command<StockReply>(
          c,
          "sku",
          sku,
          cmd,
          idempotentCommand(c, "inbound", key, body),
        );
        return c.json(stockInScope(c, value.stock), 201);
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
        const idempotency = optionalIdempotency(c);
        const body = await parseBody(c, s.purchaseLimitBody);
        const cmd = { type: "setPurchaseLimit", maxPerUser: body.maxPerUser };
        return c.json(await kit.command(c, "sku", sku, cmd, idempotency("limit", body)));
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
        responses: [PENDING_APPROVAL_RESPONSE],
      },
      async (c) => {
        const sku = skuParam(c);
        const idempotency = optionalIdempotency(c);
        const body = await parseBody(c, s.adjustmentBody);
        await knownWarehouse(c, body.warehouse);
        const held = await holdStockAdjustment(kit, deps.approvals, c, sku, body);
        if (held) return held;
        const cmd = { type: "adjust", ...body };
        const value = await kit.command<StockReply>(c, "sku", sku, cmd, idempotency("adjust", body));
        return c.json(stockInScope(c, value.stock), 201);
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
        const idempotency = optionalIdempotency(c);
        const body = await parseBody(c, s.safetyStockBody);
        await knownWarehouse(c, body.warehouse);
        const cmd = { type: "setSafetyStock", ...body };
        const value = await kit.command<StockReply>(c, "sku", sku, cmd, idempotency("safety", body));
        return c.json(stockInScope(c, value.stock));
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
        response: { status: 200, schema: ledgerPage, description: "A page of movements" },
      },
      async (c) => {
        const sku = skuParam(c);
        const q = parseQuery(c, s.pageQuery);
        return c.json(await pagedRead(() => deps.inventory.ledger(sku, q.limit, q.cursor, listScope(c))));
      },
    );
  };
}
