import type { Sql } from "../postgres/database.ts";

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
  async compensations(filter: { status?: "open" | "settled"; limit: number }): Promise<CompensationRow[]> {
    const sql = this.#sql;
    const rows = await sql`SELECT * FROM shipment_compensations
      ${filter.status ? sql`WHERE status = ${filter.status}` : sql``}
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
