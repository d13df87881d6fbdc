import type { TransactionSql } from "postgres";
import type { ScopeFilter } from "../../actors/permissions/index.ts";
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
  const { scope, username } = filter;
  // An order carries no supplier: a scope limited to suppliers holds no order.
  if (scope.suppliers) return sql`AND false`;
  return sql`
    ${scope.warehouses ? sql`AND warehouses && ${scope.warehouses}::text[]` : sql``}
    ${scope.regions ? sql`AND region = ANY(${scope.regions}::text[])` : sql``}
    ${scope.channels ? sql`AND channel = ANY(${scope.channels}::text[])` : sql``}
    ${scope.createdByMe ? sql`AND created_by = ${username}` : sql``}`;
}

/** `AND …` keeping rows whose warehouse column (`column`, a trusted identifier) is inside the scope. */
export function warehouseScopeWhere(sql: Tag, column: string, filter: ScopeFilter | undefined) {
  if (!filter) return sql``;
  if (!filter.scope.warehouses) return sql`AND false`;
  const [table, name] = column.includes(".") ? column.split(".") : [undefined, column];
  const ref = table ? sql`${sql(table)}.${sql(name!)}` : sql(column);
  return sql`AND ${ref} = ANY(${filter.scope.warehouses}::text[])`;
}
