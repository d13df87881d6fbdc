import type { Context } from "hono";
import {
  PURCHASING_SETTINGS_ID,
  type PurchasingSettings,
  purchaseOrders,
} from "../../actors/purchasing/index.ts";
import type { GatewayKit } from "../app.ts";
import type { ApprovalStore } from "../approval-ports.ts";
import {
  guardPurchaseOrderCommand,
  listScope,
  purchaseOrderInScopeOr404,
  requirePurchaseOrderFieldsInScope,
} from "../data-scope.ts";
import { optionalIdempotency } from "../idempotency.ts";
import type { WarehouseDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import type { PurchasingStore } from "../purchasing-ports.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";
import { holdPurchaseApproval, PENDING_APPROVAL_RESPONSE } from "./approval-guard.ts";
import { documentId, optionalBody, purchaseOrderProblem, supplierStatus } from "./purchasing-helpers.ts";
import {
  createdPurchaseOrder,
  poListQuery,
  purchaseOrderBody,
  purchaseOrderList,
  purchaseOrderView,
  reasonBody,
} from "./purchasing-schemas.ts";

export interface PurchaseOrderRouteDeps {
  purchasing: PurchasingStore;
  warehouses: WarehouseDirectory;
  /** A PO approval at or above a rule's amount goes through a generic approval (decision 0034). */
  approvals?: ApprovalStore | undefined;
}

const SETTINGS = "purchasing-settings";

/**
 * Purchase orders (issue 12 item 3): create, submit, approve (a second operator above the configured
 * amount), send, cancel, close; the list of purchase orders (read model).
 */
export function purchaseOrderRoutes(deps: PurchaseOrderRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const poId = (c: Context) => parseParam(c.req.param("poId"), codeSchema, "poId");
    type PoFacts = { supplier: string; warehouse: string };
    // Data scope (decision 0033): a command on a PO outside the caller's scope is a 404, as for none.
    const guard = (c: Context, id: string) =>
      guardPurchaseOrderCommand(c, id, () => kit.read<PoFacts>(c, purchaseOrders.kind, id));
    const step = (
      path: string,
      type: "approve" | "send" | "close" | "cancel",
      summary: string,
      permission: string,
    ) =>
      define(
        {
          method: "post",
          path: `/v1/purchase-orders/:poId/${path}`,
          summary,
          tag: "Purchasing",
          permission,
          ...(type === "close" || type === "cancel" ? { body: reasonBody } : {}),
          idempotencyKey: "optional",
          response: { status: 200, schema: purchaseOrderView, description: "The purchase order after it" },
          ...(type === "approve" ? { responses: [PENDING_APPROVAL_RESPONSE] } : {}),
        },
        async (c) => {
          const id = poId(c);
          await guard(c, id);
          const idempotency = optionalIdempotency(c);
          const body = type === "close" || type === "cancel" ? await optionalBody(c, reasonBody) : {};
          if (type === "approve") {
            const held = await holdPurchaseApproval(kit, deps.approvals, c, id);
            if (held) return held;
          }
          const cmd = { type, ...body };
          // Without a key, send/close/cancel happen once per PO (a double click is one); an approval is
          // decided anew, so one operator approving twice is told a second operator is needed.
          const options =
            idempotencyKey(c, false) || type === "approve"
              ? idempotency(`po-${type}`, body)
              : { id: `po-${type}:${id}` };
          return c.json(await command(c, purchaseOrders.kind, id, cmd, options).catch(purchaseOrderProblem));
        },
      );

    define(
      {
        method: "get",
        path: "/v1/purchase-orders",
        summary: "Purchase orders, newest first (read model: may lag a write by the projector's delay)",
        tag: "Purchasing",
        permission: "purchase:read",
        query: poListQuery,
        response: { status: 200, schema: purchaseOrderList, description: "Purchase orders" },
      },
      async (c) =>
        c.json({ items: await deps.purchasing.purchaseOrders(parseQuery(c, poListQuery), listScope(c)) }),
    );
    define(
      {
        method: "post",
        path: "/v1/purchase-orders",
        summary: "Create a draft purchase order with an approved supplier for one warehouse",
        tag: "Purchasing",
        permission: "purchase:write",
        body: purchaseOrderBody,
        idempotencyKey: "optional",
        response: {
          status: 201,
          schema: createdPurchaseOrder,
          description:
            "Created as draft; 409 supplier-not-approved; 422 unknown-supplier or unknown-warehouse",
        },
      },
      async (c) => {
        const key = idempotencyKey(c, false);
        const idempotency = optionalIdempotency(c);
        const body = await parseBody(c, purchaseOrderBody);
        requirePurchaseOrderFieldsInScope(c, body);
        if (!(await deps.warehouses.exists(body.warehouse)))
          throw new ProblemError(422, "unknown-warehouse", `no warehouse ${body.warehouse}`, {
            field: "warehouse",
          });
        const status = await supplierStatus(kit, c, body.supplier);
        const principal = kit.meta(c).by ?? "anonymous";
        const id = documentId("PO", key === undefined ? undefined : `${principal}\u0000${key}`);
        const call = purchaseOrders.create(id, {
          supplier: body.supplier,
          supplierStatus: status,
          warehouse: body.warehouse,
          lines: body.lines,
          ...(body.expectedAt ? { expectedAt: body.expectedAt.getTime() } : {}),
        });
        const created = await command(c, call.to.kind, id, call.cmd, idempotency("po-create", body)).catch(
          purchaseOrderProblem,
        );
        return c.json(created, 201);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/purchase-orders/:poId",
        summary:
          "A purchase order from its actor: lines with accepted, rejected and in-transit units, approvals, receipts with payables and returns",
        tag: "Purchasing",
        permission: "purchase:read",
        response: { status: 200, schema: purchaseOrderView, description: "The purchase order" },
      },
      async (c) => {
        const id = poId(c);
        return c.json(await purchaseOrderInScopeOr404(c, id, kit.read<PoFacts>(c, purchaseOrders.kind, id)));
      },
    );
    define(
      {
        method: "post",
        path: "/v1/purchase-orders/:poId/submit",
        summary: "Submit a draft for approval (it keeps the approval threshold and tolerance of this moment)",
        tag: "Purchasing",
        permission: "purchase:write",
        idempotencyKey: "optional",
        response: { status: 200, schema: purchaseOrderView, description: "Submitted" },
      },
      async (c) => {
        const id = poId(c);
        await guard(c, id);
        const idempotency = optionalIdempotency(c);
        const settings = await kit.read<PurchasingSettings>(c, SETTINGS, PURCHASING_SETTINGS_ID);
        const call = purchaseOrders.submit(id, { settings });
        const options = idempotencyKey(c, false) ? idempotency("po-submit", {}) : { id: `po-submit:${id}` };
        return c.json(await command(c, call.to.kind, id, call.cmd, options).catch(purchaseOrderProblem));
      },
    );
    step(
      "approve",
      "approve",
      "Approve a submitted PO (above the threshold: a second, different operator completes it); approved quantities show as in transit",
      "purchase:approve",
    );
    step(
      "send",
      "send",
      "Mark an approved PO as sent to the supplier (optional: receipts are accepted once approved)",
      "purchase:write",
    );
    step(
      "cancel",
      "cancel",
      "Cancel a PO before any receipt; what it had in transit is removed",
      "purchase:write",
    );
    step(
      "close",
      "close",
      "Close a partially or fully received PO; what was not delivered stops being in transit",
      "purchase:write",
    );
  };
}
