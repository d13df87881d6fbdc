import { createHash, randomUUID } from "node:crypto";
import type { Context } from "hono";
import {
  APPROVAL_KIND,
  type ApprovalPayload,
  type GuardedAction,
  permissionGrant,
  roleChange,
} from "../../actors/approval/index.ts";
import { stockAdjustment } from "../../actors/inventory/index.ts";
import { refundApproval } from "../../actors/order/index.ts";
import type { DataScope } from "../../actors/permissions/index.ts";
import { priceChange } from "../../actors/pricing/index.ts";
import { purchaseApproval } from "../../actors/purchasing/index.ts";
import type { GatewayKit } from "../app.ts";
import type { ApprovalStore } from "../approval-ports.ts";
import type { PriceBook, StaffDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";

export type { ApprovalStore };

import { principalOf } from "../auth.ts";
import { requestFingerprint } from "../idempotency.ts";
import { idempotencyKey } from "../validate.ts";
import { approvalPendingSchema } from "./approval-schemas.ts";

/** The 202 a guarded write documents beside its usual answer. */
export const PENDING_APPROVAL_RESPONSE = {
  status: 202,
  schema: approvalPendingSchema,
  description:
    "An approval rule holds the request: nothing was applied; it runs once the approval's chain approves (GET /v1/approvals/{approvalId})",
} as const;

/**
 * Holds a guarded write for approval when an enabled rule matches it (decision 0034): opens an approval
 * actor with the rule's chain and answers 202 with its id; the action runs once, when approved. Answers
 * null when no rule matches (or no approval store is wired): the caller applies the write as before. With
 * an `Idempotency-Key`, a retry finds the same approval.
 */
export async function holdForApproval<P extends ApprovalPayload>(
  command: GatewayKit["command"],
  approvals: ApprovalStore | undefined,
  c: Context,
  action: GuardedAction<P>,
  payload: P,
): Promise<Response | null> {
  if (!approvals) return null;
  const rule = await approvals.matchRule(action.name, action.measureOf(payload));
  if (!rule) return null;
  const requester = principalOf(c).username;
  const key = idempotencyKey(c, false);
  const id = key
    ? `apr_${createHash("sha256").update(`${requester}\n${action.name}\n${key}`).digest("hex").slice(0, 24)}`
    : `apr_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
  const expiresAt = Date.now() + rule.expiresInSeconds * 1000;
  const opened = await command<{ expiresAt: string }>(
    c,
    APPROVAL_KIND,
    id,
    {
      type: "open",
      action: action.name,
      subject: action.subject(payload),
      summary: action.describe(payload).slice(0, 500),
      payload,
      effect: action.effect(payload),
      requester,
      ruleId: rule.id,
      steps: rule.steps,
      expiresAt,
    },
    { id: `open:${id}`, fingerprint: requestFingerprint(c.req.method, c.req.path, payload) },
  );
  c.header("Location", `/v1/approvals/${id}`);
  return c.json(
    {
      approvalId: id,
      status: "pending" as const,
      action: action.name,
      ruleId: rule.id,
      expiresAt: opened.expiresAt,
    },
    202,
  );
}

/** `PATCH /v1/users/{username}` with `roles`: held while a `user.roles` rule is enabled. */
export function holdRoleChange(
  command: GatewayKit["command"],
  approvals: ApprovalStore | undefined,
  c: Context,
  username: string,
  body: { roles?: string[] | undefined; disabled?: boolean | undefined; manager?: string | null | undefined },
): Promise<Response | null> {
  if (body.roles === undefined) return Promise.resolve(null);
  // The whole change waits together: roles, and the disabled flag and manager sent with them.
  const payload = {
    username,
    roles: body.roles,
    ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
    ...(body.manager !== undefined ? { manager: body.manager } : {}),
  };
  return holdForApproval(command, approvals, c, roleChange, payload);
}

/** `PUT /v1/roles/{name}`: held while a `role.permissions` rule is enabled (a built-in role is refused first). */
export async function holdPermissionGrant(
  command: GatewayKit["command"],
  approvals: ApprovalStore | undefined,
  users: Pick<StaffDirectory, "roles">,
  c: Context,
  name: string,
  body: { permissions: string[]; description?: string | undefined; scope?: DataScope | undefined },
): Promise<Response | null> {
  if (!approvals) return null;
  if ((await users.roles()).some((r) => r.name === name && r.builtIn))
    throw new ProblemError(409, "conflict", `role ${name} is built in (defined by the code)`);
  const payload = {
    name,
    permissions: body.permissions,
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.scope?.warehouses ? { scopeWarehouses: body.scope.warehouses } : {}),
    ...(body.scope?.regions ? { scopeRegions: body.scope.regions } : {}),
    ...(body.scope?.channels ? { scopeChannels: body.scope.channels } : {}),
    ...(body.scope?.suppliers ? { scopeSuppliers: body.scope.suppliers } : {}),
    ...(body.scope?.createdByMe !== undefined ? { scopeCreatedByMe: body.scope.createdByMe } : {}),
  };
  return holdForApproval(command, approvals, c, permissionGrant, payload);
}

/** `POST /v1/inventory/{sku}/adjustments`: held when the count moves physical stock by a rule's quantity. */
export async function holdStockAdjustment(
  kit: Pick<GatewayKit, "command">,
  approvals: ApprovalStore | undefined,
  c: Context,
  sku: string,
  body: { warehouse: string; countedQty: number; reason: string },
): Promise<Response | null> {
  if (!approvals) return null;
  const stock = await kit
    .command<{ warehouses: Array<{ warehouse: string; physical: number }> }>(
      c,
      "sku",
      sku,
      { type: "get" },
      { readOnly: true },
    )
    .catch(() => ({ warehouses: [] }));
  const physical = stock.warehouses.find((w) => w.warehouse === body.warehouse)?.physical ?? 0;
  const payload = { sku, ...body, delta: body.countedQty - physical };
  return holdForApproval(kit.command, approvals, c, stockAdjustment, payload);
}

/** `POST /v1/purchase-orders/{id}/approve`: a submitted PO whose total reaches a rule's amount. */
export async function holdPurchaseApproval(
  kit: Pick<GatewayKit, "read" | "command">,
  approvals: ApprovalStore | undefined,
  c: Context,
  poId: string,
): Promise<Response | null> {
  if (!approvals) return null;
  const po = await kit
    .read<{ status: string; supplier: string; warehouse: string; total: number }>(c, "purchase-order", poId)
    .catch(() => null);
  // Anything but a submitted PO: the PO actor answers as it always has (404, 409).
  if (po?.status !== "submitted") return null;
  const payload = { poId, supplier: po.supplier, warehouse: po.warehouse, total: po.total };
  return holdForApproval(kit.command, approvals, c, purchaseApproval, payload);
}

/** An approving after-sales decision (`POST /v1/orders/{id}/after-sales/decision`) on a refund of a rule's amount. */
export async function holdRefund(
  kit: Pick<GatewayKit, "read" | "command">,
  approvals: ApprovalStore | undefined,
  c: Context,
  orderId: string,
  note: string | undefined,
): Promise<Response | null> {
  if (!approvals) return null;
  const order = await kit
    .read<{ afterSales?: { approved: boolean | null; amount?: number } | null; amounts: { total: number } }>(
      c,
      "order",
      orderId,
    )
    .catch(() => null);
  // Nothing waiting for a decision: the order actor answers as it always has (409).
  if (!order?.afterSales || order.afterSales.approved !== null) return null;
  const amount = order.afterSales.amount ?? order.amounts.total;
  const payload = { orderId, amount, ...(note ? { note } : {}) };
  return holdForApproval(kit.command, approvals, c, refundApproval, payload);
}

/** `PUT /v1/skus/{sku}/price`: held when the list price moves by a rule's percentage or more. */
export async function holdPriceChange(
  command: GatewayKit["command"],
  approvals: ApprovalStore | undefined,
  prices: Pick<PriceBook, "get">,
  c: Context,
  sku: string,
  listPrice: number,
): Promise<Response | null> {
  if (!approvals) return null;
  const from = (await prices.get([sku])).get(sku) ?? null;
  return holdForApproval(command, approvals, c, priceChange, { sku, from, listPrice });
}
