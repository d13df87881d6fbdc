import type { PendingQuery, Row, TransactionSql } from "postgres";
import type { DataScope, ScopeFilter } from "../../actors/permissions/index.ts";
import type { Sql } from "../postgres/database.ts";

/** A connection or a transaction: the fragments are built with whichever runs the query. */
type Tag = Sql | TransactionSql;

/**
 * Data scope in SQL (decision 0033): the WHERE fragments a scoped list adds, one per entity type, with the
 * same meaning as `orderInScope` / `warehouseInScope` in `actors/permissions/scope.ts`. A list filters in
 * the query (so pages and cursors stay right), never by fetching everything and dropping rows in JS.
 */

/** `AND …` keeping the `orders` rows inside the scope (none: every row). */
export function orderScopeWhere(sql: Tag, filter: ScopeFilter | undefined) {
  if (!filter) return sql``;
  return sql`AND ${orderScopeCondition(sql, filter.scope, filter.username)}`;
}

/** The condition an `orders` row meets inside one scope (several roles' scopes: inside one of them). */
function orderScopeCondition(sql: Tag, scope: DataScope, username: string): PendingQuery<Row[]> {
  if (scope.anyOf) {
    const [first, ...rest] = scope.anyOf.map((one) => orderScopeCondition(sql, one, username));
    if (!first) return sql`false`;
    return sql`(${rest.reduce((either, next) => sql`${either} OR ${next}`, first)})`;
  }
  // An order carries no supplier: a scope limited to suppliers holds no order.
  if (scope.suppliers) return sql`false`;
  return sql`(true
    ${scope.warehouses ? sql`AND warehouses && ${scope.warehouses}::text[]` : sql``}
    ${scope.regions ? sql`AND region = ANY(${scope.regions}::text[])` : sql``}
    ${scope.channels ? sql`AND channel = ANY(${scope.channels}::text[])` : sql``}
    ${scope.createdByMe ? sql`AND created_by = ${username}` : sql``})`;
}

/** `AND …` keeping rows whose warehouse column (`column`, a trusted identifier) is inside the scope. */
export function warehouseScopeWhere(sql: Tag, column: string, filter: ScopeFilter | undefined) {
  if (!filter) return sql``;
  // Only `warehouses` describes a warehouse-bound row; several roles' scopes: any of their warehouses.
  const warehouses = [
    ...new Set((filter.scope.anyOf ?? [filter.scope]).flatMap((one) => one.warehouses ?? [])),
  ];
  if (warehouses.length === 0) return sql`AND false`;
  const [table, name] = column.includes(".") ? column.split(".") : [undefined, column];
  const ref = table ? sql`${sql(table)}.${sql(name!)}` : sql(column);
  return sql`AND ${ref} = ANY(${warehouses}::text[])`;
}

/** `AND …` keeping `purchase_orders` rows inside the scope (`purchaseOrderInScope`; none: every row). */
export function purchaseOrderScopeWhere(sql: Tag, filter: ScopeFilter | undefined) {
  if (!filter) return sql``;
  return sql`AND ${purchaseOrderScopeCondition(sql, filter.scope)}`;
}

function purchaseOrderScopeCondition(sql: Tag, scope: DataScope): PendingQuery<Row[]> {
  if (scope.anyOf)
    return anyOfCondition(
      sql,
      scope.anyOf.map((one) => purchaseOrderScopeCondition(sql, one)),
    );
  // Regions, channels and created by me describe orders: a scope limiting neither holds no PO.
  if (!scope.suppliers && !scope.warehouses) return sql`false`;
  return sql`(true
    ${scope.suppliers ? sql`AND supplier = ANY(${scope.suppliers}::text[])` : sql``}
    ${scope.warehouses ? sql`AND warehouse = ANY(${scope.warehouses}::text[])` : sql``})`;
}

/** `AND …` keeping rows of a table with a `po_id` (payables) whose purchase order is inside the scope. */
export function purchaseOrderIdScopeWhere(sql: Tag, filter: ScopeFilter | undefined) {
  if (!filter) return sql``;
  return sql`AND po_id IN (SELECT po_id FROM purchase_orders
    WHERE ${purchaseOrderScopeCondition(sql, filter.scope)})`;
}

/** `AND …` keeping `suppliers` rows inside the scope (`supplierInScope`; none: every row). */
export function supplierScopeWhere(sql: Tag, filter: ScopeFilter | undefined) {
  if (!filter) return sql``;
  return sql`AND ${supplierScopeCondition(sql, filter.scope)}`;
}

function supplierScopeCondition(sql: Tag, scope: DataScope): PendingQuery<Row[]> {
  if (scope.anyOf)
    return anyOfCondition(
      sql,
      scope.anyOf.map((one) => supplierScopeCondition(sql, one)),
    );
  return scope.suppliers ? sql`code = ANY(${scope.suppliers}::text[])` : sql`true`;
}

/** Several roles' scopes: inside one of them. */
function anyOfCondition(sql: Tag, conditions: PendingQuery<Row[]>[]): PendingQuery<Row[]> {
  const [first, ...rest] = conditions;
  if (!first) return sql`false`;
  return sql`(${rest.reduce((either, next) => sql`${either} OR ${next}`, first)})`;
}
