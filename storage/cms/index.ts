import type { CmsEvent } from "../../actors/cms/index.ts";
import type { Sql } from "../postgres/database.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

/**
 * cms-page events → `cms_pages` / `cms_page_versions` (migration 0034, decision 0039): what each slug
 * has published and where a renamed slug points, for the sitemap. Every change the sitemap shows bumps
 * the site generation in the same transaction, so a cached sitemap is rebuilt exactly when it changed.
 * Rows are state, written in log order (the newest event of a page wins).
 */
export const cmsPageProjection: ReadModelProjection = {
  name: "cms-pages",
  orderSensitive: ["cms-page"],
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    let changed = false;
    for (const { ref, batch } of batches) {
      if (ref.kind !== "cms-page") continue;
      for (const event of batch.ev as CmsEvent[]) changed = (await applyPage(tx, ref.id, event)) || changed;
    }
    if (changed) await tx`UPDATE cms_site_generation SET generation = generation + 1 WHERE id = 1`;
  },
};

/** Applies one event; true when the sitemap may show something else now. */
async function applyPage(tx: ProjectionTx, slug: string, e: CmsEvent): Promise<boolean> {
  const at = new Date(e.at);
  const touch = () => tx`INSERT INTO cms_pages (slug, updated_at) VALUES (${slug}, ${at})
    ON CONFLICT (slug) DO UPDATE SET updated_at = EXCLUDED.updated_at`;
  switch (e.type) {
    case "saved":
      await tx`INSERT INTO cms_page_versions (slug, version, type, title, seo)
        VALUES (${slug}, ${e.version}, ${e.page.type}, ${e.page.title}, ${tx.json((e.page.seo ?? {}) as never)})
        ON CONFLICT (slug, version) DO UPDATE SET type = EXCLUDED.type, title = EXCLUDED.title, seo = EXCLUDED.seo`;
      await touch();
      return false;
    case "published":
      await touch();
      await tx`UPDATE cms_pages SET published_version = ${e.version}, published_at = ${at} WHERE slug = ${slug}`;
      return true;
    case "unpublished":
      await touch();
      await tx`UPDATE cms_pages SET published_version = NULL, published_at = NULL WHERE slug = ${slug}`;
      return true;
    case "moved":
      await touch();
      await tx`UPDATE cms_pages SET moved_to = ${e.to} WHERE slug = ${slug}`;
      return true;
    case "moveUndone":
      await touch();
      await tx`UPDATE cms_pages SET moved_to = NULL WHERE slug = ${slug}`;
      return true;
    case "adopted": {
      await tx`DELETE FROM cms_page_versions WHERE slug = ${slug}`;
      for (const v of e.versions)
        await tx`INSERT INTO cms_page_versions (slug, version, type, title, seo)
          VALUES (${slug}, ${v.version}, ${v.page.type}, ${v.page.title}, ${tx.json((v.page.seo ?? {}) as never)})`;
      const publishedAt = e.publishedAt === null ? null : new Date(e.publishedAt);
      await tx`INSERT INTO cms_pages (slug, published_version, published_at, moved_to, updated_at)
        VALUES (${slug}, ${e.published}, ${publishedAt}, NULL, ${at})
        ON CONFLICT (slug) DO UPDATE SET published_version = EXCLUDED.published_version,
          published_at = EXCLUDED.published_at, moved_to = NULL, updated_at = EXCLUDED.updated_at`;
      return true;
    }
    default:
      return false;
  }
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);
const seoText = (seo: unknown, key: string): string | null => {
  if (seo === null || typeof seo !== "object") return null;
  const v = (seo as Record<string, unknown>)[key];
  return typeof v === "string" ? v : null;
};

/** The site reads (the gateway's `SiteReads` port) over Postgres. */
export class PostgresSiteReads {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async generation(): Promise<string> {
    const [row] = await this.#sql`SELECT generation FROM cms_site_generation WHERE id = 1`;
    return String(row?.generation ?? "0");
  }

  /** Published pages (not renamed) and on-sale products, `limit` URLs at most in all. */
  async sitemap(limit: number) {
    const pages = await this.#sql`SELECT p.slug, v.seo, p.published_at FROM cms_pages p
      JOIN cms_page_versions v ON v.slug = p.slug AND v.version = p.published_version
      WHERE p.published_version IS NOT NULL AND p.moved_to IS NULL
      ORDER BY p.slug LIMIT ${limit}`;
    const products = await this.#sql`SELECT spu_code, seo, updated_at FROM products
      WHERE status = 'on_sale' ORDER BY spu_code LIMIT ${Math.max(0, limit - pages.length)}`;
    return {
      pages: pages.map((r) => ({
        slug: r.slug as string,
        canonical: seoText(r.seo, "canonical"),
        lastModified: iso(r.published_at),
      })),
      products: products.map((r) => ({
        slug: seoText(r.seo, "slug") ?? (r.spu_code as string),
        canonical: seoText(r.seo, "canonical"),
        lastModified: iso(r.updated_at),
      })),
    };
  }

  /**
   * On-sale products of a category ranked by paid orders holding one of their SKUs over the last `days`
   * (the orders read model; products without sales follow, by code), `limit` at most.
   */
  async topSellers(category: string, limit: number, days: number) {
    const since = new Date(Date.now() - days * 86_400_000);
    const rows = await this.#sql`SELECT p.spu_code, p.name, p.seo ->> 'slug' AS slug,
        (SELECT count(*) FROM orders o
          WHERE o.skus && ARRAY(SELECT s.sku FROM product_skus s WHERE s.spu_code = p.spu_code)
            AND o.paid_at IS NOT NULL AND o.created_at >= ${since}) AS sold
      FROM products p
      WHERE p.category = ${category} AND p.status = 'on_sale'
      ORDER BY sold DESC, p.spu_code LIMIT ${limit}`;
    return rows.map((r) => ({
      spuCode: r.spu_code as string,
      name: r.name as string,
      slug: (r.slug as string | null) ?? null,
    }));
  }

  async productBySlug(slug: string) {
    const [row] = await this.#sql`SELECT spu_code, name, description, seo FROM products
      WHERE seo ->> 'slug' = ${slug}`;
    if (row)
      return {
        product: {
          spuCode: row.spu_code as string,
          slug,
          name: row.name as string,
          description: (row.description as string | null) ?? null,
          seo: row.seo as Record<string, unknown>,
        },
      };
    const [moved] = await this.#sql`SELECT r.spu_code, p.seo ->> 'slug' AS slug FROM product_slug_redirects r
      JOIN products p ON p.spu_code = r.spu_code WHERE r.slug = ${slug}`;
    if (!moved || moved.slug === null) return null;
    return { redirectTo: { spuCode: moved.spu_code as string, slug: moved.slug as string } };
  }
}
