/** What the CMS delivery route asks of the content cache (Redis in production; decision 0031). */

/** A published page as the public read API serves it, ready to send. */
export interface CachedPage {
  /** The JSON body. */
  body: string;
  etag: string;
  /** When a scheduled publish is due (ms since epoch): the entry is stale from then on. */
  staleAt: number | null;
  /** A renamed page: the slug it redirects to now (chains already followed); `body` is then unused. */
  redirect?: string;
}

/**
 * The public content cache. `invalidate` bumps the slug's generation and drops its entry; `put` stores
 * only when the generation is still the one read before the actor was asked, so a read racing a publish
 * never puts the old version back after the publish invalidated it.
 */
export interface ContentCache {
  get(slug: string): Promise<CachedPage | null>;
  generation(slug: string): Promise<string>;
  put(slug: string, page: CachedPage, generation: string): Promise<void>;
  invalidate(slug: string): Promise<void>;
}

/** A URL of the sitemap. */
export interface SitemapEntry {
  /** The page slug or the product's SEO slug (its SPU code when it has none). */
  slug: string;
  canonical: string | null;
  lastModified: string | null;
}

/** A product as the public product read shows it (on sale only). */
export interface PublicProduct {
  spuCode: string;
  slug: string;
  name: string;
  description: string | null;
  seo: Record<string, unknown>;
}

/**
 * Site reads of the CMS (decision 0039): the sitemap's sources (published pages from the page projection,
 * on-sale products from the catalogue), its generation (bumped in the same transaction as any change to
 * them), top sellers for recommendation slots, and products by SEO slug with their old slugs' redirects.
 */
export interface SiteReads {
  generation(): Promise<string>;
  sitemap(limit: number): Promise<{ pages: SitemapEntry[]; products: SitemapEntry[] }>;
  topSellers(
    category: string,
    limit: number,
    days: number,
  ): Promise<{ spuCode: string; name: string; slug: string | null }[]>;
  /** The product whose SEO slug is `slug` (any status), or the SPU an old slug of it redirects to. */
  productBySlug(
    slug: string,
  ): Promise<{ product: PublicProduct } | { redirectTo: { spuCode: string; slug: string } } | null>;
}

/** The cached sitemap (Redis), valid while the site generation is the one it was built at. */
export interface SitemapCache {
  get(): Promise<{ generation: string; xml: string } | null>;
  put(generation: string, xml: string): Promise<void>;
}
