import type postgres from "postgres";
import { checkSkuSpecs, type SpecTemplate } from "../../actors/product/index.ts";
import { DependencyUnavailableError, type Sql } from "../postgres/database.ts";
import { writeListPrice } from "../prices.ts";
import { decodeCursor, encodeCursor, InvalidCursorError } from "../read-models/cursor.ts";
import { CatalogueError } from "./errors.ts";
import { CatalogueReads } from "./reads.ts";

type Tx = postgres.TransactionSql;
type Row = Record<string, unknown>;

/** The shapes below are the gateway's `Catalogue` port (gateway/ports.ts); node/ checks the fit. */
interface CategoryInput {
  code: string;
  name: string;
  kind: "back" | "front";
  parent: string | null;
  backCategories: string[];
  specs: SpecTemplate[];
}
interface SkuInput {
  sku: string;
  specs: Record<string, string>;
  listPrice: number;
  barcode?: string | undefined;
  weightGrams?: number | undefined;
  volumeCm3?: number | undefined;
}
/** A product's SEO fields (decision 0039; migration 0034 keeps a redirect when the slug changes). */
interface ProductSeo {
  slug: string;
  title?: string | undefined;
  description?: string | undefined;
  canonical?: string | undefined;
  ogTitle?: string | undefined;
  ogDescription?: string | undefined;
  ogImage?: string | undefined;
}
interface ProductInput {
  spuCode: string;
  name: string;
  category: string;
  brand?: string | undefined;
  description?: string | undefined;
  attributes?: Record<string, string> | undefined;
  media?: string[] | undefined;
  seo?: ProductSeo | undefined;
  skus: SkuInput[];
}

/** Categories listed at most (a category tree is small; the cap keeps one answer bounded). */
export const MAX_CATEGORIES = 5_000;
const SERIALIZATION_RETRIES = 10;

/** JSON with object keys sorted, so "did it change?" does not depend on key order (jsonb reorders keys). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Row)[k]]),
        )
      : v,
  );
}

/** A record read back from jsonb, as a null-prototype object (its keys came from outside). */
function record(value: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true });
  return out;
}

const pgCode = (error: unknown) => (error as { code?: string } | null)?.code;
const pgConstraint = (error: unknown) => (error as { constraint_name?: string } | null)?.constraint_name;

/** Ends a dry run's transaction after its last statement: everything is judged, nothing is kept. */
class RolledBack extends Error {
  readonly created: boolean;
  constructor(created: boolean) {
    super("dry run");
    this.created = created;
  }
}

/**
 * Categories, products (SPU content) and their SKUs in Postgres. Every write is one transaction with
 * its audit row and `catalogue_history` rows (who, when, before/after); list prices go through the
 * price store's `writeListPrice` in the same transaction. Category and product writes run SERIALIZABLE
 * (retried on a serialization failure), so two concurrent moves can never close a cycle, and a template
 * change and a product written against the old template cannot both commit.
 */
export class PostgresCatalogue {
  readonly #sql: Sql;
  readonly #reads: CatalogueReads;
  constructor(sql: Sql) {
    this.#sql = sql;
    this.#reads = new CatalogueReads(sql);
  }

  spuOfSkus(skus: string[]): Promise<Map<string, string>> {
    return this.#reads.spuOfSkus(skus);
  }

  /** Runs `work` SERIALIZABLE, again on a serialization failure or deadlock (it must be repeatable). */
  async #serializable<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return (await this.#sql.begin("isolation level serializable", work)) as T;
      } catch (error) {
        const code = pgCode(error);
        if (code !== "40001" && code !== "40P01") throw error;
        // Still contended after every retry: a transient refusal (503 + Retry-After), never a 500.
        if (attempt >= SERIALIZATION_RETRIES)
          throw new DependencyUnavailableError("postgres", "too many concurrent catalogue writes", {
            cause: error,
            retryAfterSeconds: 1,
          });
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  }

  async putCategory(input: CategoryInput, by: string, requestId: string) {
    const { code, kind } = input;
    if (kind === "front" && input.specs.length > 0)
      throw new CatalogueError("invalid", "only back categories carry a spec template", "specs");
    if (kind === "back" && input.backCategories.length > 0)
      throw new CatalogueError("invalid", "only front categories map onto back categories", "backCategories");
    const created = await this.#serializable(async (tx) => {
      const [existing] = await tx`SELECT kind, name, parent, specs FROM categories WHERE code = ${code}`;
      if (existing && existing.kind !== kind)
        throw new CatalogueError("conflict", `category ${code} is a ${existing.kind} category`, "kind");
      if (input.parent !== null) await checkParent(tx, code, kind, input.parent);
      const links = kind === "front" ? await checkBackCategories(tx, input.backCategories) : [];
      const before = existing ? await categorySnapshot(tx, code) : null;
      if (existing && kind === "back" && canonical(existing.specs) !== canonical(input.specs))
        await checkTemplateKeepsProducts(tx, code, input.specs);
      await tx`INSERT INTO categories (code, kind, name, parent, specs)
        VALUES (${code}, ${kind}, ${input.name}, ${input.parent}, ${tx.json(input.specs as never)})
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, parent = EXCLUDED.parent,
          specs = EXCLUDED.specs, updated_at = now()`;
      if (kind === "front") {
        await tx`DELETE FROM front_category_links WHERE front = ${code}`;
        if (links.length > 0)
          await tx`INSERT INTO front_category_links ${tx(links.map((back) => ({ front: code, back })))}`;
      }
      const after = await categorySnapshot(tx, code);
      if (canonical(before) !== canonical(after)) {
        await tx`INSERT INTO catalogue_history (kind, by, before, after)
          VALUES ('category', ${by}, ${before ? tx.json(before as never) : null}, ${tx.json(after as never)})`;
      }
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${by}, 'category.put', ${`category/${code}`}, ${requestId}, ${tx.json({ before, after } as never)})`;
      return !existing;
    });
    const [row] = await this.#sql`
      WITH RECURSIVE up(code, parent, depth) AS (
        SELECT code, parent, 0 FROM categories WHERE code = ${code}
        UNION ALL SELECT c.code, c.parent, up.depth + 1 FROM categories c JOIN up ON c.code = up.parent
        WHERE up.depth < 1000)
      SELECT c.code, c.kind, c.name, c.parent, c.specs, c.created_at, c.updated_at,
        COALESCE((SELECT array_agg(l.back ORDER BY l.back) FROM front_category_links l WHERE l.front = c.code),
                 '{}') AS back_categories,
        (SELECT max(depth) FROM up)::int AS depth
      FROM categories c WHERE c.code = ${code}`;
    if (!row) throw new CatalogueError("not-found", `category ${code} was deleted meanwhile`);
    return { created, category: toCategory(row, row.depth as number) };
  }

  async listCategories(kind?: "back" | "front") {
    const rows = await this.#sql`
      SELECT c.code, c.kind, c.name, c.parent, c.specs, c.created_at, c.updated_at,
        COALESCE((SELECT array_agg(l.back ORDER BY l.back) FROM front_category_links l WHERE l.front = c.code),
                 '{}') AS back_categories
      FROM categories c ${kind ? this.#sql`WHERE c.kind = ${kind}` : this.#sql``}
      ORDER BY c.code LIMIT ${MAX_CATEGORIES}`;
    // Tree order: depth first from the roots, siblings by code (rows come sorted by code).
    const children = new Map<string | null, Row[]>();
    const codes = new Set(rows.map((r) => r.code as string));
    for (const row of rows) {
      const parent =
        (row.parent as string | null) !== null && codes.has(row.parent as string) ? row.parent : null;
      const list = children.get(parent as string | null) ?? [];
      list.push(row);
      children.set(parent as string | null, list);
    }
    const out: ReturnType<typeof toCategory>[] = [];
    const walk = (parent: string | null, depth: number) => {
      for (const row of children.get(parent) ?? []) {
        out.push(toCategory(row, depth));
        walk(row.code as string, depth + 1);
      }
    };
    walk(null, 0);
    return out;
  }

  async deleteCategory(code: string, by: string, requestId: string): Promise<void> {
    await this.#serializable(async (tx) => {
      const before = await categorySnapshot(tx, code);
      if (!before) throw new CatalogueError("not-found", `no category ${code}`);
      const [use] = await tx`SELECT
        (SELECT count(*) FROM categories WHERE parent = ${code})::int AS children,
        (SELECT count(*) FROM products WHERE category = ${code})::int AS products,
        (SELECT count(*) FROM front_category_links WHERE back = ${code})::int AS fronts`;
      if (use?.children)
        throw new CatalogueError("conflict", `category ${code} has ${use.children} children`, "code");
      if (use?.products)
        throw new CatalogueError("conflict", `category ${code} has ${use.products} products`, "code");
      if (use?.fronts)
        throw new CatalogueError(
          "conflict",
          `category ${code} is shown by ${use.fronts} front categories`,
          "code",
        );
      await tx`DELETE FROM categories WHERE code = ${code}`;
      await tx`INSERT INTO catalogue_history (kind, by, before, after)
        VALUES ('category', ${by}, ${tx.json(before as never)}, NULL)`;
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${by}, 'category.delete', ${`category/${code}`}, ${requestId}, ${tx.json({ before } as never)})`;
    }).catch((error) => {
      // A product or child added by a concurrent writer: the foreign key refuses the delete.
      if (pgCode(error) === "23503")
        throw new CatalogueError("conflict", `category ${code} is in use`, "code");
      throw error;
    });
  }

  async putProduct(input: ProductInput, by: string, requestId: string) {
    const created = await this.#writeProduct(input, by, requestId, false);
    const product = await this.getProduct(input.spuCode);
    if (!product) throw new CatalogueError("not-found", `product ${input.spuCode} vanished`);
    return { created, product };
  }

  /**
   * Judges a product write exactly as `putProduct` would (every check, every statement, in its
   * transaction), then rolls it back: the import's dry run (catalogue-ops). `created`: it would be new.
   */
  async checkProduct(input: ProductInput, by: string, requestId: string): Promise<{ created: boolean }> {
    return { created: await this.#writeProduct(input, by, requestId, true) };
  }

  async #writeProduct(input: ProductInput, by: string, requestId: string, dryRun: boolean): Promise<boolean> {
    const { spuCode } = input;
    try {
      return await this.#serializable(async (tx) => {
        const [category] =
          await tx`SELECT kind, specs FROM categories WHERE code = ${input.category} FOR SHARE`;
        if (!category) throw new CatalogueError("invalid", `no category ${input.category}`, "category");
        if (category.kind !== "back")
          throw new CatalogueError("invalid", "products belong to back categories", "category");
        const problem = checkSkuSpecs(category.specs as SpecTemplate[], input.skus);
        if (problem) throw new CatalogueError("invalid", problem.message, problem.field);
        const skus = input.skus.map((s) => s.sku);
        const taken = await tx`SELECT sku, spu_code FROM product_skus
          WHERE sku = ANY(${skus}) AND spu_code <> ${spuCode}`;
        if (taken[0]) {
          const i = skus.indexOf(taken[0].sku as string);
          throw new CatalogueError(
            "conflict",
            `SKU ${taken[0].sku} belongs to product ${taken[0].spu_code}`,
            `skus.${i}.sku`,
          );
        }
        const [old] = await tx`SELECT * FROM products WHERE spu_code = ${spuCode} FOR UPDATE`;
        const content = {
          name: input.name,
          category: input.category,
          brand: input.brand ?? null,
          description: input.description ?? null,
          attributes: input.attributes ?? {},
          media: input.media ?? [],
          seo: input.seo ?? null,
        };
        const before = old ? productContent(old) : null;
        await tx`INSERT INTO products (spu_code, name, category, brand, description, attributes, media, seo)
          VALUES (${spuCode}, ${content.name}, ${content.category}, ${content.brand}, ${content.description},
            ${tx.json(content.attributes as never)}, ${tx.json(content.media)},
            ${content.seo ? tx.json(content.seo as never) : null})
          ON CONFLICT (spu_code) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category,
            brand = EXCLUDED.brand, description = EXCLUDED.description, attributes = EXCLUDED.attributes,
            media = EXCLUDED.media, seo = EXCLUDED.seo, updated_at = now()`;
        if (canonical(before) !== canonical(content)) {
          await tx`INSERT INTO catalogue_history (spu_code, kind, by, before, after)
            VALUES (${spuCode}, 'product', ${by}, ${before ? tx.json(before as never) : null}, ${tx.json(content as never)})`;
        }
        // SKUs no longer listed are detached: they stay sellable as bare SKUs (stock and price untouched).
        const detached = await tx`DELETE FROM product_skus WHERE spu_code = ${spuCode} AND sku <> ALL(${skus})
          RETURNING sku, specs, barcode, weight_grams, volume_cm3`;
        for (const row of detached) {
          await tx`INSERT INTO catalogue_history (spu_code, sku, kind, by, before, after)
            VALUES (${spuCode}, ${row.sku as string}, 'sku', ${by}, ${tx.json(skuContent(row) as never)}, NULL)`;
        }
        const oldSkus = new Map(
          (
            await tx`SELECT sku, specs, barcode, weight_grams, volume_cm3 FROM product_skus WHERE spu_code = ${spuCode}`
          ).map((r) => [r.sku as string, skuContent(r)]),
        );
        for (const s of input.skus) {
          const after = {
            specs: s.specs,
            barcode: s.barcode ?? null,
            weightGrams: s.weightGrams ?? null,
            volumeCm3: s.volumeCm3 ?? null,
          };
          const [mine] =
            await tx`INSERT INTO product_skus (sku, spu_code, specs, barcode, weight_grams, volume_cm3)
            VALUES (${s.sku}, ${spuCode}, ${tx.json(s.specs as never)}, ${after.barcode}, ${after.weightGrams}, ${after.volumeCm3})
            ON CONFLICT (sku) DO UPDATE SET specs = EXCLUDED.specs, barcode = EXCLUDED.barcode,
              weight_grams = EXCLUDED.weight_grams, volume_cm3 = EXCLUDED.volume_cm3
            WHERE product_skus.spu_code = EXCLUDED.spu_code RETURNING sku`;
          // Claimed by another product after the check above (its insert committed first).
          if (!mine)
            throw new CatalogueError(
              "conflict",
              `SKU ${s.sku} belongs to another product`,
              `skus.${skus.indexOf(s.sku)}.sku`,
            );
          const was = oldSkus.get(s.sku) ?? null;
          if (canonical(was) !== canonical(after)) {
            await tx`INSERT INTO catalogue_history (spu_code, sku, kind, by, before, after)
              VALUES (${spuCode}, ${s.sku}, 'sku', ${by}, ${was ? tx.json(was as never) : null}, ${tx.json(after as never)})`;
          }
          await writeListPrice(tx, s.sku, s.listPrice, by, requestId);
        }
        await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
          VALUES (${by}, 'product.put', ${`product/${spuCode}`}, ${requestId},
            ${tx.json({ created: !old, skus, detached: detached.map((r) => r.sku as string) })})`;
        if (dryRun) throw new RolledBack(!old);
        return !old;
      });
    } catch (error) {
      if (error instanceof RolledBack) return error.created;
      if (pgCode(error) === "23505" && pgConstraint(error) === "products_seo_slug")
        throw new CatalogueError("conflict", "another product has this SEO slug", "seo.slug");
      if (pgCode(error) === "23505" && pgConstraint(error) === "product_skus_pkey")
        throw new CatalogueError("conflict", "an SKU was claimed by another product meanwhile", "skus");
      if (pgCode(error) === "23503")
        throw new CatalogueError("invalid", `no category ${input.category}`, "category");
      throw error;
    }
  }

  async getProduct(spuCode: string) {
    const [row] = await this.#sql`SELECT * FROM products WHERE spu_code = ${spuCode}`;
    if (!row) return undefined;
    const skus = await this.#sql`SELECT s.sku, s.specs, s.barcode, s.weight_grams, s.volume_cm3, p.list_price
      FROM product_skus s LEFT JOIN sku_prices p ON p.sku = s.sku WHERE s.spu_code = ${spuCode} ORDER BY s.sku`;
    const content = productContent(row);
    return {
      spuCode,
      ...content,
      skus: skus.map((s) => ({
        sku: s.sku as string,
        ...skuContent(s),
        listPrice: s.list_price === null ? null : Number(s.list_price),
      })),
      createdAt: (row.created_at as Date).toISOString(),
      updatedAt: (row.updated_at as Date).toISOString(),
    };
  }

  /** Rows of the SPU and of its current SKUs (price rows included), newest first; cursor = last id seen. */
  async history(spuCode: string, limit: number, cursor?: string) {
    const after = cursor ? decodeCursor(cursor) : undefined;
    if (cursor && !after) throw new InvalidCursorError(cursor);
    const below = after ? after.seq : Number.MAX_SAFE_INTEGER;
    const skus = await this.#reads.skusOf(spuCode);
    const rows = await this.#sql`
      SELECT id, at, by, kind, spu_code, sku, before, after FROM (
        (SELECT * FROM catalogue_history WHERE spu_code = ${spuCode} AND id < ${below} ORDER BY id DESC LIMIT ${limit})
        UNION
        (SELECT * FROM catalogue_history WHERE sku = ANY(${skus}) AND id < ${below} ORDER BY id DESC LIMIT ${limit})
      ) h ORDER BY id DESC LIMIT ${limit}`;
    const items = rows.map((r) => ({
      at: (r.at as Date).toISOString(),
      by: r.by as string,
      kind: r.kind as string,
      spuCode: (r.spu_code as string | null) ?? null,
      sku: (r.sku as string | null) ?? null,
      before: r.before ?? null,
      after: r.after ?? null,
    }));
    const last = rows.at(-1);
    return { items, nextCursor: rows.length === limit && last ? encodeCursor(Number(last.id), 0) : null };
  }
}

async function checkParent(tx: Tx, code: string, kind: string, parent: string): Promise<void> {
  if (parent === code) throw new CatalogueError("conflict", "a category cannot be its own parent", "parent");
  const [row] = await tx`SELECT kind FROM categories WHERE code = ${parent}`;
  if (!row) throw new CatalogueError("invalid", `no category ${parent}`, "parent");
  if (row.kind !== kind)
    throw new CatalogueError("invalid", `parent ${parent} is a ${row.kind} category, not ${kind}`, "parent");
  // The new parent's ancestors (itself included) must not contain the category: that would close a cycle.
  const [cycle] = await tx`WITH RECURSIVE up(code, parent, depth) AS (
      SELECT code, parent, 0 FROM categories WHERE code = ${parent}
      UNION ALL SELECT c.code, c.parent, up.depth + 1 FROM categories c JOIN up ON c.code = up.parent
      WHERE up.depth < 1000)
    SELECT 1 FROM up WHERE code = ${code} LIMIT 1`;
  if (cycle)
    throw new CatalogueError(
      "conflict",
      `${parent} is ${code} or one of its descendants: that would make a cycle`,
      "parent",
    );
}

async function checkBackCategories(tx: Tx, codes: string[]): Promise<string[]> {
  const rows = await tx`SELECT code, kind FROM categories WHERE code = ANY(${codes})`;
  const kinds = new Map(rows.map((r) => [r.code as string, r.kind as string]));
  for (const [i, code] of codes.entries()) {
    const kind = kinds.get(code);
    if (kind === undefined) throw new CatalogueError("invalid", `no category ${code}`, `backCategories.${i}`);
    if (kind !== "back")
      throw new CatalogueError("invalid", `${code} is not a back category`, `backCategories.${i}`);
  }
  return [...new Set(codes)];
}

/** A new template must keep every product of the category valid (otherwise its SKUs could no longer be saved). */
async function checkTemplateKeepsProducts(tx: Tx, code: string, specs: SpecTemplate[]): Promise<void> {
  const rows = await tx`SELECT s.spu_code, s.sku, s.specs FROM product_skus s JOIN products p USING (spu_code)
    WHERE p.category = ${code} ORDER BY s.spu_code, s.sku`;
  const bySpu = new Map<string, Array<{ sku: string; specs: Record<string, string> }>>();
  for (const r of rows) {
    const list = bySpu.get(r.spu_code as string) ?? [];
    list.push({ sku: r.sku as string, specs: record(r.specs) });
    bySpu.set(r.spu_code as string, list);
  }
  for (const [spu, skus] of bySpu) {
    const problem = checkSkuSpecs(specs, skus);
    if (problem) {
      const sku = skus[Number(problem.field.split(".")[1])]?.sku;
      throw new CatalogueError(
        "conflict",
        `product ${spu} (SKU ${sku}) would not fit the new template: ${problem.message}`,
        "specs",
      );
    }
  }
}

async function categorySnapshot(tx: Tx, code: string) {
  const [row] = await tx`SELECT code, kind, name, parent, specs,
      COALESCE((SELECT array_agg(back ORDER BY back) FROM front_category_links WHERE front = ${code}), '{}') AS back_categories
    FROM categories WHERE code = ${code}`;
  if (!row) return null;
  return {
    code,
    kind: row.kind as string,
    name: row.name as string,
    parent: (row.parent as string | null) ?? null,
    backCategories: row.back_categories as string[],
    specs: row.specs as SpecTemplate[],
  };
}

function toCategory(row: Row, depth: number) {
  return {
    code: row.code as string,
    name: row.name as string,
    kind: row.kind as "back" | "front",
    parent: (row.parent as string | null) ?? null,
    backCategories: row.back_categories as string[],
    specs: row.specs as SpecTemplate[],
    depth,
    createdAt: (row.created_at as Date).toISOString(),
    updatedAt: (row.updated_at as Date).toISOString(),
  };
}

function productContent(row: Row) {
  return {
    name: row.name as string,
    category: row.category as string,
    brand: (row.brand as string | null) ?? null,
    description: (row.description as string | null) ?? null,
    attributes: record(row.attributes),
    media: (row.media as string[] | null) ?? [],
    seo: (row.seo as ProductSeo | null) ?? null,
  };
}

function skuContent(row: Row) {
  return {
    specs: record(row.specs),
    barcode: (row.barcode as string | null) ?? null,
    weightGrams: (row.weight_grams as number | null) ?? null,
    volumeCm3: (row.volume_cm3 as number | null) ?? null,
  };
}
