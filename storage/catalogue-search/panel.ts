import type postgres from "postgres";

type Queryable = postgres.Sql | postgres.TransactionSql;

/** Where the panel's count of reviews awaiting moderation comes from (the reviews module's store). */
export type PendingReviewCount = (sql: Queryable) => Promise<number>;

export interface CataloguePanelData {
  /** Database time the counts were taken at: a client keeps the newest panel it has seen. */
  takenAt: string;
  total: number;
  byStatus: { draft: number; on_sale: number; off_sale: number };
  /** Scheduled listing changes due within the next hour, and the soonest of them. */
  scheduledNextHour: number;
  upcoming: Array<{ spuCode: string; name: string; action: string; at: string }>;
  /** Reviews waiting for moderation; null when this build has no reviews module bound. */
  reviewsPending: number | null;
}

/** The NOTIFY channel migration 0012's triggers signal on for this namespace (per database, so hashed). */
export function cataloguePanelChannel(sql: Queryable): Promise<string> {
  return sql`SELECT 'catalogue_panel_' || left(md5(current_schema()), 20) AS channel`.then(
    (rows) => rows[0]?.channel as string,
  );
}

/** The catalogue panel's figures (products by status, scheduled listings due soon, pending reviews). */
export async function cataloguePanel(
  tx: Queryable,
  pendingReviews?: PendingReviewCount,
): Promise<CataloguePanelData> {
  const [now] = await tx`SELECT now()::timestamptz AS at`;
  const takenAt = now ? (now.at as Date).toISOString() : new Date().toISOString();
  const byStatus = { draft: 0, on_sale: 0, off_sale: 0 };
  let total = 0;
  for (const row of await tx`SELECT status, count(*)::int AS n FROM products GROUP BY status`) {
    total += row.n as number;
    if (row.status === "draft" || row.status === "on_sale" || row.status === "off_sale")
      byStatus[row.status as keyof typeof byStatus] = row.n as number;
  }
  // `scheduled` is { action, at } (ISO-8601) while a change waits for its timer.
  const due = await tx`
    SELECT spu_code, name, scheduled ->> 'action' AS action, (scheduled ->> 'at')::timestamptz AS at
    FROM products
    WHERE scheduled IS NOT NULL AND jsonb_typeof(scheduled -> 'at') = 'string'
      AND (scheduled ->> 'at')::timestamptz >= now() AND (scheduled ->> 'at')::timestamptz < now() + interval '1 hour'
    ORDER BY 4, 1`;
  return {
    takenAt,
    total,
    byStatus,
    scheduledNextHour: due.length,
    upcoming: due.slice(0, 10).map((r) => ({
      spuCode: r.spu_code,
      name: r.name,
      action: r.action ?? "",
      at: (r.at as Date).toISOString(),
    })),
    reviewsPending: pendingReviews ? await pendingReviews(tx) : null,
  };
}
