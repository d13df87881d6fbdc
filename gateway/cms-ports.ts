/** What the CMS delivery route asks of the content cache (Redis in production; decision 0031). */

/** A published page as the public read API serves it, ready to send. */
export interface CachedPage {
  /** The JSON body. */
  body: string;
  etag: string;
  /** When a scheduled publish is due (ms since epoch): the entry is stale from then on. */
  staleAt: number | null;
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
