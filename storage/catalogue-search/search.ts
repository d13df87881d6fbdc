import type { TransactionSql } from "postgres";
import type { Sql } from "../postgres/database.ts";
import { InvalidCursorError } from "../read-models/cursor.ts";

export type StockState = "in_stock" | "low" | "out";

export interface ProductSearchFilter {
  /** Substring of the name (any script; case-insensitive), or the exact SPU code. */
  q?: string;
  /** A back category (with its descendants) or a front one (its mapped back categories, with theirs). */
  category?: string;
  brand?: string;
  status?: string;
  /** Products with at least one SKU whose list price (fen) lies within [minPrice, maxPrice]. */
  minPrice?: number;
  maxPrice?: number;
  stock?: StockState;
  limit: number;
  cursor?: string;
}

export interface ProductSearchItem {
  spuCode: string;
  name: string;
  status: string;
  brand: string | null;
  category: string;
  minPrice: number | null;
  maxPrice: number | null;
  stock: StockState;
  /** Sellable units over every SKU and warehouse (inventory read model). */
  sellable: number;
  skuCount: number;
  scheduled: unknown;
  createdAt: string;
  updatedAt: string;
}

/** `%`, `_` and the escape character itself are literal in a keyword. */
export function likePattern(keyword: string): string {
  return `%${keyword.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/** One or two characters (code points, so an emoji is one): answered by the short-substring index. */
export function isShortKeyword(keyword: string): boolean {
  let n = 0;
  for (const _ of keyword) if (++n > 2) return false;
  return n > 0;
}

/** Opaque keyset cursor: the last item's creation time (Postgres text, microseconds kept) and code. */
export function encodeSearchCursor(createdAt: string, spuCode: string): string {
  return Buffer.from(JSON.stringify([createdAt, spuCode])).toString("base64url");
}

export function decodeSearchCursor(cursor: string): { createdAt: string; spuCode: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString());
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== "string" ||
    typeof parsed[1] !== "string" ||
    !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/.test(parsed[0]) ||
    parsed[1].length === 0 ||
    parsed[1].length > 96
  )
    throw new InvalidCursorError(cursor);
  return { createdAt: parsed[0], spuCode: parsed[1] };
}

/**
 * Operator search over products (issue 10 item 5): one indexed query over `products` and `product_facts`
 * (price range and stock state per product, kept in step by the triggers of migration 0012), newest
 * first with the code breaking ties, keyset-paged so pages never repeat or skip a product.
 */
export class PostgresProductSearch {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /**
   * A front category stands for its front subtree's mapped back categories; a back one for itself.
   * Either way every back descendant counts.
   */
  async #categoryCodes(category: string): Promise<string[]> {
    const rows = await this.#sql`
      WITH RECURSIVE fronts(code) AS (
        SELECT code FROM categories WHERE code = ${category} AND kind = 'front'
        UNION SELECT c.code FROM categories c JOIN fronts t ON c.parent = t.code WHERE c.kind = 'front'
      ), backs(code) AS (
        SELECT code FROM (
          SELECT code FROM categories WHERE code = ${category} AND kind = 'back'
          UNION SELECT l.back FROM front_category_links l JOIN fronts t ON l.front = t.code) seed
        UNION SELECT c.code FROM categories c JOIN backs b ON c.parent = b.code
      ) SELECT code FROM backs`;
    return rows.map((r) => r.code as string);
  }

  async search(f: ProductSearchFilter): Promise<{ items: ProductSearchItem[]; nextCursor: string | null }> {
    const sql = this.#sql;
    const after = f.cursor ? decodeSearchCursor(f.cursor) : undefined;
    const low = f.minPrice ?? 0;
    const high = f.maxPrice ?? Number.MAX_SAFE_INTEGER;
    const priced = f.minPrice !== undefined || f.maxPrice !== undefined;
    // A front category stands for its front subtree's mapped back categories; a back one for itself.
    // Either way every back descendant counts.
    // The category filter as the set of back categories it stands for (one small recursive query), so
    // the main query tests membership in an array instead of planning a join against a CTE.
    let categories = sql``;
    if (f.category) {
      const codes = await this.#categoryCodes(f.category);
      if (codes.length === 0) return { items: [], nextCursor: null };
      categories = sql`AND p.category = ANY(${codes}::text[])`;
    }
    // A keyword of one or two characters has no trigram: its set of short substrings answers it instead
    // (migration 0016, ADR 0018); the same containment ILIKE would test, but indexed.
    let keyword = sql``;
    if (f.q !== undefined && f.q !== "") {
      keyword = isShortKeyword(f.q)
        ? sql`AND (p.name_grams @> ARRAY[lower(${f.q}::text)] OR p.spu_code = ${f.q})`
        : sql`AND (p.name ILIKE ${likePattern(f.q)} OR p.spu_code = ${f.q})`;
    }
    // Both tables hold the creation time; the order is walked on the side whose index narrows most:
    // the facts' (stock, created_at) for a stock filter, the products' otherwise (category, keyword).
    const byFacts = f.stock !== undefined;
    const key = after ? sql`(${after.createdAt}::text::timestamptz, ${after.spuCode}::text)` : sql``;
    const query = (db: Sql | TransactionSql) => db`
      SELECT p.spu_code, p.name, p.status, p.brand, p.category, p.scheduled, p.created_at, p.created_at::text AS created,
        p.updated_at, f.min_price, f.max_price, f.stock, f.skus
      FROM product_facts f JOIN products p ON p.spu_code = f.spu_code
      WHERE true
      ${keyword}
      ${categories}
      ${f.brand ? sql`AND p.brand = ${f.brand}` : sql``}
      ${f.status ? sql`AND p.status = ${f.status}` : sql``}
      ${f.stock ? sql`AND f.stock = ${f.stock}` : sql``}
      ${
        priced
          ? // A product whose whole price range lies inside the filter's matches without looking at
            // its SKUs; only one that straddles a bound needs the EXISTS over them.
            sql`AND f.min_price <= ${high} AND f.max_price >= ${low} AND (
              (f.min_price >= ${low} AND f.max_price <= ${high}) OR EXISTS (
              SELECT 1 FROM product_skus s JOIN sku_prices sp ON sp.sku = s.sku
              WHERE s.spu_code = p.spu_code AND sp.list_price BETWEEN ${low} AND ${high}))`
          : sql``
      }
      ${after ? (byFacts ? sql`AND (f.created_at, f.spu_code) < ${key}` : sql`AND (p.created_at, p.spu_code) < ${key}`) : sql``}
      ${byFacts ? sql`ORDER BY f.created_at DESC, f.spu_code DESC` : sql`ORDER BY p.created_at DESC, p.spu_code DESC`}
      LIMIT ${f.limit + 1}`;
    // Which plan is right depends on the keyword itself: a common character is found by the newest-first
    // walk within a few hundred rows, a rare one only through the index. A prepared statement may switch
    // to one generic plan after five runs, chosen without the value (the bench saw the walk over every
    // product, 95 ms, for an absent character), so this query is always planned for its own keyword.
    const rows =
      f.q !== undefined && isShortKeyword(f.q)
        ? await sql.begin(async (tx) => {
            await tx`SET LOCAL plan_cache_mode = force_custom_plan`;
            return query(tx);
          })
        : await query(sql);
    const page = rows.slice(0, f.limit);
    const codes = page.map((r) => r.spu_code as string);
    const sellable = new Map<string, number>();
    if (codes.length > 0) {
      const stock = await sql`
        SELECT s.spu_code, COALESCE(sum(i.sellable), 0)::bigint AS sellable
        FROM product_skus s JOIN inventory_stock i ON i.sku = s.sku
        WHERE s.spu_code = ANY(${codes}) GROUP BY s.spu_code`;
      for (const r of stock) sellable.set(r.spu_code as string, Number(r.sellable));
    }
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        spuCode: r.spu_code,
        name: r.name,
        status: r.status,
        brand: r.brand ?? null,
        category: r.category,
        minPrice: r.min_price === null ? null : Number(r.min_price),
        maxPrice: r.max_price === null ? null : Number(r.max_price),
        stock: r.stock,
        sellable: sellable.get(r.spu_code) ?? 0,
        skuCount: r.skus,
        scheduled: r.scheduled ?? null,
        createdAt: (r.created_at as Date).toISOString(),
        updatedAt: (r.updated_at as Date).toISOString(),
      })),
      nextCursor: rows.length > f.limit && last ? encodeSearchCursor(last.created, last.spu_code) : null,
    };
  }
}
