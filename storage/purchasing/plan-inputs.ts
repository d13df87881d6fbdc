import type postgres from "postgres";
import { PLAN_DEFAULTS, type PlanInput } from "../../actors/purchasing/index.ts";

/** A query handle: the pool, or the projector's transaction. */
export type Query = postgres.Sql | postgres.TransactionSql;

/** Orders in these states sold nothing (the order read model's statuses). */
const NOT_SOLD = ["cancelled", "failed"];

/**
 * What a plan line is computed from, per SKU, for one warehouse: units reserved by orders that were not
 * cancelled in the last `windowDays` (stock ledger joined with the order read model), the stock read
 * model's sellable, in-transit and safety stock, and the cheapest approved supplier listing the SKU
 * (shortest lead time on a tie). `skus` absent: every SKU with stock or a listing in that warehouse.
 */
export async function planInputs(
  sql: Query,
  warehouse: string,
  skus: string[] | undefined,
  options: { windowDays?: number; coverDays?: number; now?: number } = {},
): Promise<PlanInput[]> {
  const windowDays = options.windowDays ?? PLAN_DEFAULTS.windowDays;
  const coverDays = options.coverDays ?? PLAN_DEFAULTS.coverDays;
  const since = new Date((options.now ?? Date.now()) - windowDays * 86_400_000);
  const names: string[] =
    skus ??
    (
      await sql`SELECT sku FROM inventory_stock WHERE warehouse = ${warehouse}
        UNION SELECT ss.sku FROM supplier_skus ss JOIN suppliers s ON s.code = ss.supplier AND s.status = 'approved'
        ORDER BY 1 LIMIT 5000`
    ).map((r) => r.sku as string);
  if (names.length === 0) return [];
  const stock = new Map<string, { sellable: number; inTransit: number; safety: number }>();
  for (const r of await sql`SELECT sku, sellable, in_transit, safety_stock FROM inventory_stock
      WHERE warehouse = ${warehouse} AND sku = ANY(${names})`)
    stock.set(r.sku as string, {
      sellable: Number(r.sellable),
      inTransit: Number(r.in_transit),
      safety: Number(r.safety_stock),
    });
  const sold = new Map<string, number>();
  for (const r of await sql`SELECT l.sku, sum(l.reserved_delta)::bigint AS sold
      FROM stock_ledger l JOIN orders o ON o.order_id = l.order_id
      WHERE l.movement = 'reservation' AND l.warehouse = ${warehouse} AND l.sku = ANY(${names})
        AND l.at >= ${since} AND o.status <> ALL(${NOT_SOLD})
      GROUP BY l.sku`)
    sold.set(r.sku as string, Number(r.sold));
  const supplier = new Map<string, { code: string; cost: number; leadTimeDays: number }>();
  for (const r of await sql`SELECT DISTINCT ON (ss.sku) ss.sku, ss.supplier, ss.cost, ss.lead_time_days
      FROM supplier_skus ss JOIN suppliers s ON s.code = ss.supplier AND s.status = 'approved'
      WHERE ss.sku = ANY(${names})
      ORDER BY ss.sku, ss.cost, ss.lead_time_days, ss.supplier`)
    supplier.set(r.sku as string, {
      code: r.supplier as string,
      cost: Number(r.cost),
      leadTimeDays: Number(r.lead_time_days),
    });
  return names.map((sku) => {
    const s = stock.get(sku);
    return {
      sku,
      warehouse,
      soldUnits: sold.get(sku) ?? 0,
      windowDays,
      sellable: s?.sellable ?? 0,
      inTransit: s?.inTransit ?? 0,
      safetyStock: s?.safety ?? 0,
      supplier: supplier.get(sku) ?? null,
      coverDays,
    };
  });
}
