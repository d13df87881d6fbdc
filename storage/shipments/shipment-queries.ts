import type { ScopeFilter } from "../../actors/permissions/index.ts";
import type { Sql } from "../postgres/database.ts";
import { warehouseScopeWhere } from "../read-models/scope-sql.ts";

export interface CompensationRow {
  compensationId: string;
  shipmentId: string;
  orderId: string;
  carrier: string;
  reason: string;
  amount: number;
  status: "open" | "settled";
  settledAmount: number | null;
  openedAt: string;
  settledAt: string | null;
}

/** Lists over the shipments read model (may lag the actors by the projector's delay). */
export class ShipmentQueries {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Compensation records, newest first, optionally only open or settled ones. */
  /** `scope`: the caller's data scope (decision 0033): compensations of shipments from its warehouses. */
  async compensations(
    filter: { status?: "open" | "settled"; limit: number },
    scope?: ScopeFilter,
  ): Promise<CompensationRow[]> {
    const sql = this.#sql;
    const rows = await sql`SELECT * FROM shipment_compensations c WHERE true
      ${filter.status ? sql`AND status = ${filter.status}` : sql``}
      ${scope ? sql`AND EXISTS (SELECT 1 FROM shipments s WHERE s.shipment_id = c.shipment_id ${warehouseScopeWhere(sql, "s.warehouse", scope)})` : sql``}
      ORDER BY opened_at DESC, compensation_id DESC LIMIT ${filter.limit}`;
    return rows.map((r) => ({
      compensationId: r.compensation_id as string,
      shipmentId: r.shipment_id as string,
      orderId: r.order_id as string,
      carrier: r.carrier as string,
      reason: r.reason as string,
      amount: Number(r.amount),
      status: r.status as "open" | "settled",
      settledAmount: r.settled_amount === null ? null : Number(r.settled_amount),
      openedAt: (r.opened_at as Date).toISOString(),
      settledAt: r.settled_at === null ? null : (r.settled_at as Date).toISOString(),
    }));
  }
}
