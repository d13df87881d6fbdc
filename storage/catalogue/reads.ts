import type { Sql } from "../postgres/database.ts";

/**
 * The catalogue's small read port for other modules (pricing, reviews, search, order checks): which
 * product an SKU belongs to, and which SKUs a product has. Reads Postgres directly, so an acknowledged
 * catalogue write shows on the next call.
 */
export class CatalogueReads {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** sku → spuCode for the SKUs that belong to a product; SKUs of no product are absent. One query. */
  async spuOfSkus(skus: readonly string[]): Promise<Map<string, string>> {
    if (skus.length === 0) return new Map();
    const unique = [...new Set(skus)];
    const rows = await this.#sql`SELECT sku, spu_code FROM product_skus WHERE sku = ANY(${unique})`;
    return new Map(rows.map((r) => [r.sku as string, r.spu_code as string]));
  }

  /** sku → weight (g) and volume (cm³) per unit, for freight (issue 13); unknown or unset count as 0. One query. */
  async dimensionsOf(
    skus: readonly string[],
  ): Promise<Map<string, { weightGrams: number; volumeCm3: number }>> {
    if (skus.length === 0) return new Map();
    const unique = [...new Set(skus)];
    const rows = await this
      .#sql`SELECT sku, weight_grams, volume_cm3 FROM product_skus WHERE sku = ANY(${unique})`;
    return new Map(
      rows.map((r) => [
        r.sku as string,
        { weightGrams: Number(r.weight_grams ?? 0), volumeCm3: Number(r.volume_cm3 ?? 0) },
      ]),
    );
  }

  /** The SKUs of a product (empty when it has none or does not exist). */
  async skusOf(spuCode: string): Promise<string[]> {
    const rows = await this.#sql`SELECT sku FROM product_skus WHERE spu_code = ${spuCode} ORDER BY sku`;
    return rows.map((r) => r.sku as string);
  }
}
