import type { CachedPage, ContentCache } from "./cms-ports.ts";

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
