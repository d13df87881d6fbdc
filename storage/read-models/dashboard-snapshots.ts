import type { ScopeFilter } from "../../actors/permissions/index.ts";
import { cataloguePanel, type PendingReviewCount } from "../catalogue-search/panel.ts";
import type { Sql } from "../postgres/database.ts";
import { logisticsPanel } from "../shipments/index.ts";
import { type FlashSaleProgress, promotionsPanel } from "./promotions-panel.ts";
import { orderScopeWhere, warehouseScopeWhere } from "./scope-sql.ts";

type Dashboard = "orders" | "inventory" | "logistics" | "warehouse" | "catalogue" | "promotions";

/**
 * What a dashboard shows when it opens, from the read models, tagged with the event-log sequence they
 * reflect (the projector's offset): the realtime hub replays everything after it, so nothing is missed.
 */
export class PostgresDashboardSnapshots {
  readonly #sql: Sql;
  readonly #pendingReviews: PendingReviewCount | undefined;
  readonly #flashSales: FlashSaleProgress | undefined;
  /**
   * `pendingReviews`: the reviews module's count of reviews awaiting moderation, when it is built in;
   * `flashSales`: the flash-sale module's campaign progress for the promotions panel, when it is built in.
   */
  constructor(
    sql: Sql,
    options: { pendingReviews?: PendingReviewCount; flashSales?: FlashSaleProgress } = {},
  ) {
    this.#sql = sql;
    this.#pendingReviews = options.pendingReviews;
    this.#flashSales = options.flashSales;
  }

  /**
   * `scope`: the viewer's data scope (decision 0033): the figures count only what it holds (in SQL), and a
   * panel the scope cannot describe (logistics, the warehouse placeholder) opens empty for a scoped viewer.
   */
  async snapshot(dashboard: Dashboard, scope?: ScopeFilter): Promise<{ asOf: number; data: unknown }> {
    const sql = this.#sql;
    return sql.begin("isolation level repeatable read read only", async (tx) => {
      const [offset] = await tx`SELECT seq FROM projection_offsets WHERE name = 'read-models'`;
      const asOf = Number(offset?.seq ?? 0);
      if (dashboard === "orders") {
        const [today] = await tx`
          SELECT count(*)::int AS orders, count(*) FILTER (WHERE paid_at IS NOT NULL)::int AS paid,
            COALESCE(sum(paid_amount), 0)::bigint AS gmv, COALESCE(sum(refunded_amount), 0)::bigint AS refunds
          FROM orders WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai'
          ${orderScopeWhere(tx, scope)}`;
        const funnel = await tx`SELECT status, count(*)::int AS n FROM orders
          WHERE created_at >= now() - interval '1 day' ${orderScopeWhere(tx, scope)} GROUP BY status`;
        const latest = await tx`SELECT order_id, user_id, status, total_amount, created_at FROM orders
          WHERE true ${orderScopeWhere(tx, scope)} ORDER BY created_at DESC, order_id DESC LIMIT 20`;
        // The chart's last ten minutes in 10-second buckets, so it opens with history instead of empty.
        // Paid orders were placed at most a day earlier (the funnel's window), which bounds the scan.
        const placed = await tx`
          SELECT (floor(extract(epoch FROM created_at) / 10) * 10000)::bigint AS at, count(*)::int AS n
          FROM orders WHERE created_at >= now() - interval '10 minutes' ${orderScopeWhere(tx, scope)} GROUP BY 1`;
        const paid = await tx`
          SELECT (floor(extract(epoch FROM paid_at) / 10) * 10000)::bigint AS at, count(*)::int AS n
          FROM orders WHERE created_at >= now() - interval '1 day' AND paid_at >= now() - interval '10 minutes'
          ${orderScopeWhere(tx, scope)} GROUP BY 1`;
        const buckets = new Map<number, { at: number; placed: number; paid: number }>();
        const bucket = (at: number) =>
          buckets.get(at) ?? buckets.set(at, { at, placed: 0, paid: 0 }).get(at)!;
        for (const r of placed) bucket(Number(r.at)).placed = r.n;
        for (const r of paid) bucket(Number(r.at)).paid = r.n;
        return {
          asOf,
          data: {
            today: {
              orders: today?.orders ?? 0,
              paid: today?.paid ?? 0,
              gmv: Number(today?.gmv ?? 0),
              refunds: Number(today?.refunds ?? 0),
            },
            funnel: Object.fromEntries(funnel.map((r) => [r.status, r.n])),
            latest: latest.map((r) => ({
              orderId: r.order_id,
              userId: r.user_id,
              status: r.status,
              total: Number(r.total_amount),
              createdAt: (r.created_at as Date).toISOString(),
            })),
            history: {
              bucketMs: 10_000,
              buckets: [...buckets.values()].sort((a, b) => a.at - b.at),
            },
          },
        };
      }
      if (dashboard === "inventory") {
        const skus = await tx`
          SELECT sku, sum(physical)::bigint AS physical, sum(reserved)::bigint AS reserved, sum(in_transit)::bigint AS in_transit,
            sum(sellable)::bigint AS sellable, sum(safety_stock)::bigint AS safety, bool_or(low_stock) AS low, max(updated_at) AS at
          FROM inventory_stock WHERE true ${warehouseScopeWhere(tx, "warehouse", scope)}
          GROUP BY sku ORDER BY max(updated_at) DESC LIMIT 50`;
        // A sale's progress is measured against the stock it started with: physical stock just before the
        // SKU's first reservation (or hold) today (now minus every physical movement since), not the highest seen.
        const starts = await tx`
          SELECT f.sku, COALESCE((SELECT sum(l.physical_delta) FROM stock_ledger l
            WHERE l.sku = f.sku AND l.seq >= f.seq ${warehouseScopeWhere(tx, "l.warehouse", scope)}), 0)::bigint AS moved
          FROM (SELECT sku, min(seq) AS seq FROM stock_ledger
            WHERE movement IN ('reservation', 'hold') AND sku = ANY(${skus.map((r) => r.sku as string)})
              AND at >= date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai'
              ${warehouseScopeWhere(tx, "warehouse", scope)}
            GROUP BY sku) f`;
        const movedSinceStart = new Map(starts.map((r) => [r.sku as string, Number(r.moved)]));
        // Alerts as they stand, each with the time of the change that left the stock low.
        const low = await tx`SELECT sku, warehouse, sellable, safety_stock, updated_at FROM inventory_stock
          WHERE low_stock ${warehouseScopeWhere(tx, "warehouse", scope)} ORDER BY updated_at DESC LIMIT 50`;
        return {
          asOf,
          data: {
            skus: skus.map((r) => ({
              sku: r.sku,
              physical: Number(r.physical),
              reserved: Number(r.reserved),
              inTransit: Number(r.in_transit),
              sellable: Number(r.sellable),
              safetyStock: Number(r.safety),
              lowStock: r.low,
              saleStart: movedSinceStart.has(r.sku) ? Number(r.physical) - movedSinceStart.get(r.sku)! : null,
            })),
            lowStockAlerts: low.map((r) => ({
              sku: r.sku,
              warehouse: r.warehouse,
              sellable: Number(r.sellable),
              safetyStock: Number(r.safety_stock),
              at: (r.updated_at as Date).getTime(),
            })),
          },
        };
      }
      if (dashboard === "catalogue") return { asOf, data: await cataloguePanel(tx, this.#pendingReviews) };
      if (dashboard === "promotions") return { asOf, data: await promotionsPanel(tx, this.#flashSales) };
      if (scope)
        return { asOf, data: { empty: true, reason: "not available under a data scope (decision 0033)" } };
      if (dashboard === "logistics") return { asOf, data: await logisticsPanel(tx) };
      return {
        asOf,
        data: { empty: true, reason: "this module is not built yet; its panels fill in when it lands" },
      };
    });
  }
}
