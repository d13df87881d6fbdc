import type { Sql } from "./postgres/database.ts";

/**
 * List prices per SKU in minor units. It fulfils the gateway's `PriceBook` port (gateway/ports.ts), a
 * narrow interface so the promotion engine can wrap it later; node/ checks the fit.
 */
export class PostgresPriceBook {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async set(sku: string, listPrice: number, by: string, requestId: string) {
    await this.#sql.begin(async (tx) => {
      const before = await tx`SELECT list_price FROM sku_prices WHERE sku = ${sku}`;
      await tx`INSERT INTO sku_prices (sku, list_price) VALUES (${sku}, ${listPrice})
        ON CONFLICT (sku) DO UPDATE SET list_price = EXCLUDED.list_price, updated_at = now()`;
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${by}, 'price.set', ${`sku/${sku}`}, ${requestId},
                ${tx.json({ before: before[0] ? Number(before[0].list_price) : null, after: listPrice })})`;
    });
    return { sku, listPrice, currency: "CNY" };
  }

  async get(skus: string[]): Promise<Map<string, number>> {
    const rows = await this.#sql`SELECT sku, list_price FROM sku_prices WHERE sku = ANY(${skus})`;
    return new Map(rows.map((r) => [r.sku as string, Number(r.list_price)]));
  }
}
