import type { CachedPage, ContentCache, SitemapCache, SiteReads } from "./cms-ports.ts";

/** An in-process content cache with the Redis cache's generation rule (route tests). */
export function memoryContentCache(): ContentCache {
  const pages = new Map<string, CachedPage>();
  const generations = new Map<string, number>();
  return {
    get: async (slug) => pages.get(slug) ?? null,
    generation: async (slug) => String(generations.get(slug) ?? 0),
    put: async (slug, page, generation) => {
      if (String(generations.get(slug) ?? 0) === generation) pages.set(slug, page);
    },
    invalidate: async (slug) => {
      generations.set(slug, (generations.get(slug) ?? 0) + 1);
      pages.delete(slug);
    },
  };
}

/** Site reads with nothing in them (route tests without Postgres). */
export function emptySiteReads(): SiteReads {
  return {
    generation: async () => "0",
    sitemap: async () => ({ pages: [], products: [] }),
    topSellers: async () => [],
    productBySlug: async () => null,
  };
}

/** An in-process sitemap cache. */
export function memorySitemapCache(): SitemapCache {
  let entry: { generation: string; xml: string } | null = null;
  return {
    get: async () => entry,
    put: async (generation, xml) => {
      entry = { generation, xml };
    },
  };
}

/** The site ports of a route test: nothing published, an in-process sitemap cache. */
export function siteTestingPorts() {
  return { site: emptySiteReads(), sitemapCache: memorySitemapCache(), siteUrl: "https://shop.example" };
}
