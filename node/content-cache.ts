import type Redis from "ioredis";
import type { CachedPage, ContentCache, SitemapCache } from "../gateway/cms-ports.ts";

/** KEYS: entry, generation. ARGV: generation read before the actor was asked, entry, TTL ms. */
const PUT_SCRIPT = `
local gen = redis.call("GET", KEYS[2]) or "0"
if gen == ARGV[1] then redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3]) return 1 end
return 0
`;

/**
 * Published pages in Redis, shared by every gateway node (decision 0031). Entries live `ttlMs` at most;
 * publish and rollback invalidate before they answer, so the next read anywhere asks the actor.
 */
export class RedisContentCache implements ContentCache {
  readonly #redis: Redis;
  readonly #ns: string;
  readonly #ttlMs: number;
  constructor(redis: Redis, namespace: string, ttlMs = 300_000) {
    this.#redis = redis;
    this.#ns = namespace;
    this.#ttlMs = ttlMs;
  }
  #entry(slug: string) {
    return `${this.#ns}:cms:page:${slug}`;
  }
  #gen(slug: string) {
    return `${this.#ns}:cms:gen:${slug}`;
  }

  async get(slug: string): Promise<CachedPage | null> {
    const raw = await this.#redis.get(this.#entry(slug));
    if (raw === null) return null;
    try {
      return JSON.parse(raw) as CachedPage;
    } catch {
      return null;
    }
  }

  async generation(slug: string): Promise<string> {
    return (await this.#redis.get(this.#gen(slug))) ?? "0";
  }

  async put(slug: string, page: CachedPage, generation: string): Promise<void> {
    await this.#redis.eval(
      PUT_SCRIPT,
      2,
      this.#entry(slug),
      this.#gen(slug),
      generation,
      JSON.stringify(page),
      this.#ttlMs,
    );
  }

  async invalidate(slug: string): Promise<void> {
    await this.#redis.multi().incr(this.#gen(slug)).del(this.#entry(slug)).exec();
  }
}

/** The sitemap in Redis with the site generation it was built at (decision 0039). */
export class RedisSitemapCache implements SitemapCache {
  readonly #redis: Redis;
  readonly #key: string;
  constructor(
    redis: Redis,
    namespace: string,
    readonly ttlMs = 3_600_000,
  ) {
    this.#redis = redis;
    this.#key = `${namespace}:cms:sitemap`;
  }
  async get(): Promise<{ generation: string; xml: string } | null> {
    const raw = await this.#redis.get(this.#key);
    if (raw === null) return null;
    try {
      return JSON.parse(raw) as { generation: string; xml: string };
    } catch {
      return null;
    }
  }
  async put(generation: string, xml: string): Promise<void> {
    await this.#redis.set(this.#key, JSON.stringify({ generation, xml }), "PX", this.ttlMs);
  }
}
