import type { Context } from "hono";
import {
  type DataScope,
  orderFactsOfView,
  orderInScope,
  type PurchaseOrderScopeFacts,
  purchaseOrderInScope,
  type ScopeFilter,
  scopeFor,
  supplierInScope,
  warehouseInScope,
} from "../actors/permissions/index.ts";
import { principalOf, routePermissionOf } from "./auth.ts";
import { ProblemError } from "./problem.ts";

/**
 * Data scope at the HTTP doors (decision 0033), one helper per door type. Every helper reads the scope the
 * caller holds the ROUTE's permission under (`RouteDoc.permission`), so a route needs no argument to get
 * it right. Out of scope reads as "does not exist" (404 `not-found`), never 403: existence does not leak.
 *
 * - lists (paginated, read models): `listScope(c)` → hand it to the storage query, which filters in SQL;
 * - single reads and actor commands on an order: `requireOrderInScope(c, id, view)`;
 * - anything bound to a warehouse (stock rows, waves, a warehouse's own routes and commands naming one):
 *   `requireWarehouseInScope(c, code)`, and `warehouseRowsInScope(c, rows)` for a reply that lists rows of
 *   several warehouses (a SKU's stock);
 * - a purchase order: `purchaseOrderInScopeOr404(c, id, read)` for its single read,
 *   `guardPurchaseOrderCommand(c, id, read)` before a command, `requirePurchaseOrderFieldsInScope` on create;
 * - a supplier: `requireSupplierInScope(c, code)` (single read, update, review).
 */
export function scopeOf(c: Context): DataScope | null {
  const permission = routePermissionOf(c);
  return permission ? scopeFor(principalOf(c), permission) : null;
}

/** The scope a list query applies in its WHERE clause; undefined when the caller is not limited. */
export function listScope(c: Context): ScopeFilter | undefined {
  const scope = scopeOf(c);
  return scope ? { scope, username: principalOf(c).username } : undefined;
}

/** Whether the order (its actor's view) is inside the caller's scope. */
export function orderVisible(c: Context, view: object): boolean {
  return orderInScope(scopeOf(c), orderFactsOfView(view), principalOf(c).username);
}

/** 404 for an order outside the caller's scope (the same answer as an order that does not exist). */
export function requireOrderInScope(c: Context, orderId: string, view: object) {
  if (!orderVisible(c, view)) throw new ProblemError(404, "not-found", `no order ${orderId}`);
}

/** A single read (the order from its actor): the view, or 404 when it lies outside the caller's scope. */
export async function orderInScopeOr404<T extends object>(
  c: Context,
  orderId: string,
  read: Promise<T>,
): Promise<T> {
  const view = await read;
  requireOrderInScope(c, orderId, view);
  return view;
}

/** A shipment from its actor: the view, or 404 when it ships from a warehouse outside the caller's scope. */
export async function shipmentInScopeOr404<T extends { warehouse: string | null }>(
  c: Context,
  shipmentId: string,
  read: Promise<T>,
): Promise<T> {
  const view = await read;
  const scope = scopeOf(c);
  if (scope && (view.warehouse === null || !warehouseInScope(scope, view.warehouse)))
    throw new ProblemError(404, "not-found", `no shipment ${shipmentId}`);
  return view;
}

/** Whether the warehouse (and what it holds) is inside the caller's scope. */
export function warehouseVisible(c: Context, code: string): boolean {
  return warehouseInScope(scopeOf(c), code);
}

/** 404 for a warehouse outside the caller's scope, as for one that does not exist. */
export function requireWarehouseInScope(
  c: Context,
  code: string | undefined,
  what = `warehouse ${code}`,
): void {
  if (code !== undefined && !warehouseVisible(c, code))
    throw new ProblemError(404, "not-found", `no ${what}`);
}

/** Only the rows of warehouses inside the caller's scope. */
export function warehouseRowsInScope<T extends { warehouse: string }>(c: Context, rows: readonly T[]): T[] {
  const scope = scopeOf(c);
  return scope ? rows.filter((r) => warehouseInScope(scope, r.warehouse)) : [...rows];
}

/**
 * Before an actor command on an order (cancel, ship, address, after-sales, routing): a scoped caller's
 * command on an order outside the scope is refused as 404 before it reaches the actor. Unscoped callers pay
 * nothing (no extra read).
 */
export async function guardOrderCommand(
  c: Context,
  orderId: string,
  read: () => Promise<object>,
): Promise<void> {
  if (!scopeOf(c)) return;
  requireOrderInScope(c, orderId, await read());
}

/**
 * A command body naming a warehouse outside the caller's scope: refused exactly as an unregistered
 * warehouse is (422 `unknown-warehouse`), so the answer does not tell it exists.
 */
export function requireWarehouseFieldInScope(
  c: Context,
  code: string | undefined,
  field = "warehouse",
): void {
  if (code === undefined) {
    // "Any warehouse" could reach stock outside the scope: a scoped caller names one.
    if (scopeOf(c) === null) return;
    throw new ProblemError(422, "validation", "your data scope is limited to some warehouses: name one", {
      field,
    });
  }
  if (warehouseVisible(c, code)) return;
  throw new ProblemError(
    422,
    "unknown-warehouse",
    `warehouse ${code} is not registered; PUT /v1/warehouses/${code} first`,
    { field },
  );
}

const STOCK_FIGURES = ["physical", "reserved", "sellable", "inTransit", "allocated", "safetyStock"] as const;

/**
 * A SKU's stock as the caller may see it: only the rows of warehouses inside the scope, and the totals
 * summed over those rows (a total over every warehouse would tell what the hidden ones hold).
 */
export function stockInScope(c: Context, stock: unknown): unknown {
  const scope = scopeOf(c);
  if (!scope || !isRecord(stock) || !Array.isArray(stock.warehouses)) return stock;
  const rows = stock.warehouses.filter(
    (r): r is Record<string, unknown> =>
      isRecord(r) && typeof r.warehouse === "string" && warehouseInScope(scope, r.warehouse),
  );
  const totals: Record<string, number> = {};
  for (const figure of STOCK_FIGURES) {
    if (typeof stock[figure] === "number")
      totals[figure] = rows.reduce((n, r) => n + numberOr0(r[figure]), 0);
  }
  return { ...stock, ...totals, warehouses: rows };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const numberOr0 = (v: unknown): number => (typeof v === "number" ? v : 0);

/** 404 for a purchase order outside the caller's scope (supplier and destination warehouse, decision 0033). */
function requirePurchaseOrderInScope(c: Context, poId: string, view: PurchaseOrderScopeFacts): void {
  if (!purchaseOrderInScope(scopeOf(c), view))
    throw new ProblemError(404, "not-found", `no purchase order ${poId}`);
}

/** A PO's single read (from its actor): the view, or 404 when it lies outside the caller's scope. */
export async function purchaseOrderInScopeOr404<T extends PurchaseOrderScopeFacts>(
  c: Context,
  poId: string,
  read: Promise<T>,
): Promise<T> {
  const view = await read;
  requirePurchaseOrderInScope(c, poId, view);
  return view;
}

/**
 * Before a command on a PO (submit, approve, send, cancel, close, receive): a scoped caller's command on a
 * PO outside the scope is refused as 404 before it reaches the actor (or an approval). Unscoped callers pay
 * nothing (no extra read).
 */
export async function guardPurchaseOrderCommand(
  c: Context,
  poId: string,
  read: () => Promise<PurchaseOrderScopeFacts>,
): Promise<void> {
  if (!scopeOf(c)) return;
  requirePurchaseOrderInScope(c, poId, await read());
}

/**
 * A new PO whose supplier or warehouse puts it outside the caller's scope: refused as an unknown supplier
 * (or warehouse) is, 422 with the field, so the answer does not tell it exists.
 */
export function requirePurchaseOrderFieldsInScope(c: Context, po: PurchaseOrderScopeFacts): void {
  const scope = scopeOf(c);
  if (purchaseOrderInScope(scope, po)) return;
  if (!supplierInScope(scope, po.supplier))
    throw new ProblemError(422, "unknown-supplier", `no supplier ${po.supplier}`, { field: "supplier" });
  throw new ProblemError(422, "unknown-warehouse", `no warehouse ${po.warehouse}`, { field: "warehouse" });
}

/** 404 for a supplier outside the caller's scope, as for one that does not exist. */
export function requireSupplierInScope(c: Context, code: string): void {
  if (!supplierInScope(scopeOf(c), code)) throw new ProblemError(404, "not-found", `no supplier ${code}`);
}
