import type postgres from "postgres";
import { claimExecution, type ExecutionClaim } from "./approvals/executions.ts";
import type { Sql } from "./postgres/database.ts";

type Tx = postgres.TransactionSql;

/**
 * THE write of a SKU's list price (the price store is the single source of prices): `sku_prices`, its
 * audit row and its change-history row (`catalogue_history`, kind 'price', keyed by sku), in the
 * caller's transaction. `PUT /v1/skus/{sku}/price` and `PUT /v1/products/{spu}` both go through it.
 * Returns the price before (null when the SKU had none). Writes no history row when nothing changed.
 */
export async function writeListPrice(
  tx: Tx,
  sku: string,
  listPrice: number,
  by: string,
  requestId: string,
): Promise<number | null> {
  const rows = await tx`SELECT list_price FROM sku_prices WHERE sku = ${sku} FOR UPDATE`;
  const before = rows[0] ? Number(rows[0].list_price) : null;
  await tx`INSERT INTO sku_prices (sku, list_price) VALUES (${sku}, ${listPrice})
    ON CONFLICT (sku) DO UPDATE SET list_price = EXCLUDED.list_price, updated_at = now()`;
  await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
    VALUES (${by}, 'price.set', ${`sku/${sku}`}, ${requestId}, ${tx.json({ before, after: listPrice })})`;
  if (before !== listPrice) {
    await tx`INSERT INTO catalogue_history (sku, kind, by, before, after)
      VALUES (${sku}, 'price', ${by}, ${before === null ? null : tx.json({ listPrice: before })},
              ${tx.json({ listPrice })})`;
  }
  return before;
}

/**
 * List prices per SKU in minor units. It fulfils the gateway's `PriceBook` port (gateway/ports.ts), a
 * narrow interface so the promotion engine can wrap it later; node/ checks the fit.
 */
export class PostgresPriceBook {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** `once`: an approved change (decision 0034), claimed in the same transaction so it is written once. */
  async set(sku: string, listPrice: number, by: string, requestId: string, once?: ExecutionClaim) {
    await this.#sql.begin(async (tx) => {
      if (once && !(await claimExecution(tx as unknown as Sql, once))) return;
      await writeListPrice(tx, sku, listPrice, by, requestId);
    });
    return { sku, listPrice, currency: "CNY" };
  }

  async get(skus: string[]): Promise<Map<string, number>> {
    const rows = await this.#sql`SELECT sku, list_price FROM sku_prices WHERE sku = ANY(${skus})`;
    return new Map(rows.map((r) => [r.sku as string, Number(r.list_price)]));
  }
}
