import type postgres from "postgres";
import type { SegmentFilter } from "../../actors/segment/index.ts";

type Queryable = postgres.Sql | postgres.TransactionSql;
const DAY_MS = 86_400_000;

/**
 * A segment filter as a SQL condition over `member_profiles p` (every condition must hold). Tags match
 * either source; `tagsAll` counts distinct matching tags.
 */
export function filterCondition(
  sql: Queryable,
  f: SegmentFilter,
  now: number,
): postgres.PendingQuery<postgres.Row[]> {
  const conds: postgres.PendingQuery<postgres.Row[]>[] = [];
  const tagged = (tags: string[]) =>
    sql`EXISTS (SELECT 1 FROM member_tags t WHERE t.user_id = p.user_id AND t.tag = ANY(${tags}::text[]))`;
  if (f.tagsAll) {
    const all = [...new Set(f.tagsAll)];
    conds.push(sql`(SELECT count(DISTINCT t.tag) FROM member_tags t
      WHERE t.user_id = p.user_id AND t.tag = ANY(${all}::text[])) = ${all.length}`);
  }
  if (f.tagsAny) conds.push(tagged(f.tagsAny));
  if (f.tagsNone) conds.push(sql`NOT ${tagged(f.tagsNone)}`);
  if (f.levels) conds.push(sql`p.level = ANY(${f.levels}::text[])`);
  if (f.minSpend !== undefined) conds.push(sql`p.spend >= ${f.minSpend}`);
  if (f.maxSpend !== undefined) conds.push(sql`p.spend <= ${f.maxSpend}`);
  if (f.minOrders !== undefined) conds.push(sql`p.orders >= ${f.minOrders}`);
  if (f.maxOrders !== undefined) conds.push(sql`p.orders <= ${f.maxOrders}`);
  if (f.lastOrderWithinDays !== undefined)
    conds.push(sql`p.last_order_at >= ${new Date(now - f.lastOrderWithinDays * DAY_MS)}`);
  if (f.noOrderWithinDays !== undefined)
    conds.push(
      sql`(p.last_order_at IS NULL OR p.last_order_at < ${new Date(now - f.noOrderWithinDays * DAY_MS)})`,
    );
  if (f.categories) conds.push(sql`p.categories && ${f.categories}::text[]`);
  return conds.reduce((a, b) => sql`${a} AND ${b}`, sql`TRUE`);
}
