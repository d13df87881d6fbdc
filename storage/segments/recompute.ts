import { BEHAVIOUR_RULES, type BehaviourProfile, behaviourTags } from "../../actors/segment/index.ts";
import type { Sql } from "../postgres/database.ts";

const DAY_MS = 86_400_000;
/** Members whose tags one transaction rewrites. */
const PAGE = 500;

export interface RecomputeSummary {
  members: number;
  tagged: number;
  added: number;
  removed: number;
}

/**
 * Recomputes every member's behaviour figures from the orders read model (paid orders, net of refunds;
 * categories through the catalogue) and then their behaviour tags by `behaviourTags`, page by page. The
 * same read models and `now` give the same tags, so a run repeated after a crash changes nothing more
 * (the job is idempotent per run). Manual tags are never touched.
 */
export async function recomputeMemberTags(
  sql: Sql,
  now: number,
  signal?: AbortSignal,
): Promise<RecomputeSummary> {
  const at = new Date(now);
  const recentFrom = new Date(now - BEHAVIOUR_RULES.loyalWindowDays * DAY_MS);
  await sql.begin(async (tx) => {
    await tx`
      WITH paid AS (
        SELECT user_id, sum(paid_amount - refunded_amount) AS spend, count(*) AS orders,
          count(*) FILTER (WHERE paid_at >= ${recentFrom}) AS recent_orders,
          min(paid_at) AS first_order_at, max(paid_at) AS last_order_at
        FROM orders WHERE paid_at IS NOT NULL AND paid_at <= ${at} GROUP BY user_id
      ), bought AS (
        SELECT o.user_id, array_agg(DISTINCT pr.category ORDER BY pr.category) AS categories
        FROM orders o CROSS JOIN LATERAL unnest(o.skus) AS s(sku)
          JOIN product_skus ps ON ps.sku = s.sku JOIN products pr ON pr.spu_code = ps.spu_code
        WHERE o.paid_at IS NOT NULL AND o.paid_at <= ${at} GROUP BY o.user_id
      )
      INSERT INTO member_profiles (user_id, spend, orders, recent_orders, first_order_at, last_order_at,
        categories, computed_at)
      SELECT paid.user_id, greatest(paid.spend, 0), paid.orders, paid.recent_orders, paid.first_order_at,
        paid.last_order_at, COALESCE(bought.categories, '{}'), ${at}
      FROM paid LEFT JOIN bought ON bought.user_id = paid.user_id
      ON CONFLICT (user_id) DO UPDATE SET spend = EXCLUDED.spend, orders = EXCLUDED.orders,
        recent_orders = EXCLUDED.recent_orders, first_order_at = EXCLUDED.first_order_at,
        last_order_at = EXCLUDED.last_order_at, categories = EXCLUDED.categories, computed_at = EXCLUDED.computed_at`;
    // Members whose paid orders are gone from the window (or never were): no figures.
    await tx`UPDATE member_profiles p SET spend = 0, orders = 0, recent_orders = 0, first_order_at = NULL,
        last_order_at = NULL, categories = '{}', computed_at = ${at}
      WHERE (p.computed_at IS NULL OR p.computed_at <> ${at})`;
  });

  const summary: RecomputeSummary = { members: 0, tagged: 0, added: 0, removed: 0 };
  let after = "";
  for (;;) {
    signal?.throwIfAborted();
    const rows =
      await sql`SELECT user_id, spend, orders, recent_orders, first_order_at, last_order_at, categories
      FROM member_profiles WHERE user_id COLLATE "C" > ${after} ORDER BY user_id COLLATE "C" LIMIT ${PAGE}`;
    if (rows.length === 0) break;
    const users: string[] = [];
    const tags: string[] = [];
    for (const r of rows) {
      const profile: BehaviourProfile = {
        spend: Number(r.spend),
        orders: Number(r.orders),
        recentOrders: Number(r.recent_orders),
        firstOrderAt: r.first_order_at ? (r.first_order_at as Date).getTime() : null,
        lastOrderAt: r.last_order_at ? (r.last_order_at as Date).getTime() : null,
        categories: r.categories as string[],
      };
      const mine = behaviourTags(profile, now);
      if (mine.length > 0) summary.tagged += 1;
      for (const tag of mine) {
        users.push(r.user_id as string);
        tags.push(tag);
      }
    }
    const page = rows.map((r) => r.user_id as string);
    await sql.begin(async (tx) => {
      const removed =
        await tx`DELETE FROM member_tags t WHERE t.source = 'behaviour' AND t.user_id = ANY(${page}::text[])
        AND NOT EXISTS (SELECT 1 FROM unnest(${users}::text[], ${tags}::text[]) AS n(user_id, tag)
          WHERE n.user_id = t.user_id AND n.tag = t.tag)`;
      const added = await tx`INSERT INTO member_tags (user_id, tag, source, added_at, added_by)
        SELECT n.user_id, n.tag, 'behaviour', ${at}, 'system:member-tags-recompute'
        FROM unnest(${users}::text[], ${tags}::text[]) AS n(user_id, tag)
        ON CONFLICT (user_id, source, tag) DO NOTHING`;
      summary.removed += removed.count;
      summary.added += added.count;
    });
    summary.members += rows.length;
    after = rows.at(-1)!.user_id as string;
  }
  return summary;
}
