/**
 * Data scope (decision 0033): a role grant limited to warehouses, regions, sales channels, suppliers or
 * what the user created. Pure functions: the gateway, the realtime hub and storage queries all decide
 * "is this entity inside the caller's scope" with the definitions below, so no door answers differently.
 */
import { z } from "zod";

/** What one role's grant is limited to. Absent dimension: not limited by it. */
export interface DataScope {
  warehouses?: string[];
  regions?: string[];
  channels?: string[];
  suppliers?: string[];
  createdByMe?: boolean;
  /**
   * Set only by `scopeFor` when the permission comes through several differently scoped roles: inside the
   * scope = inside ONE of them (every limited dimension of that role holding). Merging them dimension by
   * dimension would grant cross combinations no role grants (WH1 + channel A and WH2 + channel B must not
   * add WH2 + channel A). Never stored: `dataScopeSchema` is strict and `normalizeScope` drops it.
   */
  anyOf?: DataScope[];
}

/** A role the principal holds: its permissions and, when limited, its data scope. */
export interface Grant {
  role: string;
  permissions: readonly string[];
  scope?: DataScope;
}

/** A list query's scope: the caller's scope for the permission the route requires, and who the caller is. */
export interface ScopeFilter {
  scope: DataScope;
  username: string;
}

/** Who asks, as far as the scope is concerned. */
export interface ScopedPrincipal {
  username: string;
  permissions: readonly string[];
  grants?: readonly Grant[];
}

const code = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, "a code (letters, digits, '_', '.', ':', '-')");
const codes = z
  .array(code)
  .min(1, "name at least one, or leave the dimension out")
  .max(200)
  .refine((v) => new Set(v).size === v.length, "must be distinct");

/** The `scope` of `PUT /v1/roles/{name}`; an empty object means "not limited" and is stored as none. */
export const dataScopeSchema = z
  .object({
    warehouses: codes.optional(),
    regions: z
      .array(
        z
          .string()
          .min(1)
          .max(100)
          .refine((v) => v.trim() === v && !/\p{Cc}/u.test(v), "no control characters or outer spaces"),
      )
      .min(1)
      .max(200)
      .refine((v) => new Set(v).size === v.length, "must be distinct")
      .optional(),
    channels: codes.optional(),
    suppliers: codes.optional(),
    createdByMe: z.boolean().optional(),
  })
  .strict();

/** A scope that limits nothing (no dimension, `createdByMe` not true) is no scope at all. */
export function normalizeScope(scope: DataScope | null | undefined): DataScope | undefined {
  if (!scope) return undefined;
  const out: DataScope = {};
  if (scope.warehouses?.length) out.warehouses = [...scope.warehouses];
  if (scope.regions?.length) out.regions = [...scope.regions];
  if (scope.channels?.length) out.channels = [...scope.channels];
  if (scope.suppliers?.length) out.suppliers = [...scope.suppliers];
  if (scope.createdByMe === true) out.createdByMe = true;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Whether a permission list grants `permission` (`*` and `area:*` wildcards, as `can` reads them). */
export function listGrants(permissions: readonly string[], permission: string): boolean {
  const [area] = permission.split(":");
  return permissions.some((p) => p === "*" || p === permission || p === `${area}:*`);
}

/**
 * The data scope the principal holds `permission` under: null = unrestricted (some role granting it has no
 * scope, or the principal carries no grants: a system caller); the granting role's scope when one role (or
 * several with the same scope) grants it; otherwise `{ anyOf: [each distinct scope] }`: inside one of them.
 */
export function scopeFor(principal: ScopedPrincipal, permission: string): DataScope | null {
  const grants = principal.grants;
  if (!grants) return null;
  const granting = grants.filter((g) => listGrants(g.permissions, permission));
  // No grant names it (e.g. the implicit self permission): nothing to limit.
  if (granting.length === 0) return null;
  const scopes = granting.map((g) => normalizeScope(g.scope));
  if (scopes.some((s) => s === undefined)) return null;
  const distinct = new Map<string, DataScope>();
  for (const scope of scopes as DataScope[]) distinct.set(canonicalScope(scope), scope);
  const [only, ...more] = distinct.values();
  return more.length === 0 ? only! : { anyOf: [...distinct.values()] };
}

/** One text per scope meaning (lists sorted), for telling equal scopes apart and for room keys. */
function canonicalScope(scope: DataScope): string {
  const sorted = (v?: string[]) => (v ? [...v].sort() : null);
  if (scope.anyOf) return JSON.stringify({ anyOf: scope.anyOf.map(canonicalScope).sort() });
  return JSON.stringify([
    sorted(scope.warehouses),
    sorted(scope.regions),
    sorted(scope.channels),
    sorted(scope.suppliers),
    scope.createdByMe === true,
  ]);
}

/**
 * What an order is, for its scope (decision 0033):
 * - in warehouse X when some unit of one of its lines is (or was) reserved in X (its allocation);
 * - in region Y when its delivery address's `region` is Y (the address in force);
 * - in channel Z when it was placed through sales channel Z;
 * - created by U when U (the staff user or API client) placed it.
 * An order carries no supplier: a scope limited to suppliers holds no order.
 */
export interface OrderScopeFacts {
  warehouses: readonly string[];
  region: string | null;
  channel: string | null;
  createdBy: string | null;
}

/** A warehouse-bound entity (stock of a warehouse, a wave, the warehouse itself). */
export interface WarehouseScopeFacts {
  warehouse: string;
}

/** Whether an order lies inside the scope (null scope: everything does). Every limited dimension must hold. */
export function orderInScope(scope: DataScope | null, order: OrderScopeFacts, username: string): boolean {
  if (!scope) return true;
  if (scope.anyOf) return scope.anyOf.some((one) => orderInScope(one, order, username));
  if (scope.suppliers) return false;
  if (scope.warehouses && !order.warehouses.some((w) => scope.warehouses!.includes(w))) return false;
  if (scope.regions && (order.region === null || !scope.regions.includes(order.region))) return false;
  if (scope.channels && (order.channel === null || !scope.channels.includes(order.channel))) return false;
  if (scope.createdByMe && order.createdBy !== username) return false;
  return true;
}

/**
 * Whether a warehouse (and what it holds: stock, waves, pick lists) lies inside the scope. Only the
 * `warehouses` dimension describes a warehouse; a scope without it (limited by regions, channels,
 * suppliers or created by me only) holds no warehouse-bound data: it limits orders, not stock.
 */
export function warehouseInScope(scope: DataScope | null, warehouse: string): boolean {
  if (!scope) return true;
  if (scope.anyOf) return scope.anyOf.some((one) => warehouseInScope(one, warehouse));
  return scope.warehouses?.includes(warehouse) === true;
}

/** The parts of an order actor's view (`get`, its state) the scope reads. */
export interface OrderScopeView {
  lines?: ReadonlyArray<{ allocation?: ReadonlyArray<{ warehouse: string }> }>;
  address?: { region?: string } | null;
  channel?: string;
  timeline?: ReadonlyArray<{ status: string; by: string }>;
}

/** The order facts an order actor's view (`get`) holds (any object: the fields above are read if present). */
export function orderFactsOfView(order: object): OrderScopeFacts {
  const view = order as OrderScopeView;
  const warehouses = new Set<string>();
  for (const line of view.lines ?? [])
    for (const part of line.allocation ?? []) warehouses.add(part.warehouse);
  return {
    warehouses: [...warehouses],
    region: view.address?.region ?? null,
    channel: view.channel || null,
    createdBy: view.timeline?.find((t) => t.status === "placing")?.by ?? null,
  };
}

/**
 * Whether a supplier (its record: profile, SKUs, rating) lies inside the scope. Only the `suppliers`
 * dimension describes a supplier: a scope that does not limit suppliers (warehouses, regions, channels or
 * created by me only) sees every supplier; one that does sees only those it names.
 */
export function supplierInScope(scope: DataScope | null, supplier: string): boolean {
  if (!scope) return true;
  if (scope.anyOf) return scope.anyOf.some((one) => supplierInScope(one, supplier));
  return !scope.suppliers || scope.suppliers.includes(supplier);
}

/** What a purchase order is, for its scope: who supplies it and the warehouse it delivers into. */
export interface PurchaseOrderScopeFacts {
  supplier: string;
  warehouse: string;
}

/**
 * Whether a purchase order lies inside the scope (decision 0033): its supplier is among the scope's
 * suppliers (when limited) AND its destination warehouse among the scope's warehouses (when limited), so a
 * warehouse-only scope sees the POs delivering into its warehouses. A scope limiting neither (regions,
 * channels or created by me only: dimensions of orders) holds no purchase order.
 */
export function purchaseOrderInScope(scope: DataScope | null, po: PurchaseOrderScopeFacts): boolean {
  if (!scope) return true;
  if (scope.anyOf) return scope.anyOf.some((one) => purchaseOrderInScope(one, po));
  if (!scope.suppliers && !scope.warehouses) return false;
  if (scope.suppliers && !scope.suppliers.includes(po.supplier)) return false;
  if (scope.warehouses && !scope.warehouses.includes(po.warehouse)) return false;
  return true;
}
