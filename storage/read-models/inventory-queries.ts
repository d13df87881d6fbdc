import type { ScopeFilter } from "../../actors/permissions/index.ts";
import type { Sql } from "../postgres/database.ts";
import { decodeCursor, encodeCursor, InvalidCursorError } from "./cursor.ts";
import { warehouseScopeWhere } from "./scope-sql.ts";

export { decodeCursor, encodeCursor, InvalidCursorError };

export interface LedgerEntry {
  sku: string;
  warehouse: string;
  movement: string;
  physicalDelta: number;
  reservedDelta: number;
  inTransitDelta: number;
  orderId: string | null;
  reference: string | null;
  reason: string | null;
  by: string | null;
  requestId: string | null;
  at: string;
  sequence: string;
}

/** Read side of the inventory read model. Cursors are opaque: base64url of `seq:idx`. */
export class InventoryQueries {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async ledger(
    sku: string,
    limit: number,
    cursor?: string,
    /** The caller's data scope (decision 0033): only its warehouses' movements. */
    scope?: ScopeFilter,
  ): Promise<{ items: LedgerEntry[]; nextCursor: string | null }> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    if (cursor && !after) throw new InvalidCursorError(cursor);
    const rows = await this.#sql`
      SELECT * FROM stock_ledger WHERE sku = ${sku}
      ${after ? this.#sql`AND (seq, idx) < (${after.seq}, ${after.idx})` : this.#sql``}
      ${warehouseScopeWhere(this.#sql, "warehouse", scope)}
      ORDER BY seq DESC, idx DESC LIMIT ${limit + 1}`;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        sku: r.sku,
        warehouse: r.warehouse,
        movement: r.movement,
        physicalDelta: Number(r.physical_delta),
        reservedDelta: Number(r.reserved_delta),
        inTransitDelta: Number(r.in_transit_delta),
        orderId: r.order_id,
        reference: r.reference,
        reason: r.reason,
        by: r.principal,
        requestId: r.request_id,
        at: (r.at as Date).toISOString(),
        sequence: `${r.seq}.${r.idx}`,
      })),
      nextCursor: rows.length > limit && last ? encodeCursor(Number(last.seq), Number(last.idx)) : null,
    };
  }
}
