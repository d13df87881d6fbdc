import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { GatewayKit } from "../app.ts";
import type { CachedPage, ContentCache } from "../cms-ports.ts";
import { codeSchema } from "../schemas.ts";
import { parseParam } from "../validate.ts";
import { publicPage } from "./cms-schemas.ts";

const KIND = "cms-page";
/** Shared caches may keep the page but must revalidate (ETag) every time: a publish shows at once. */
const CACHE_CONTROL = "public, no-cache";

interface Content {
  slug: string;
  type: string;
  title: string;
  components: unknown[];
  version: number;
  seo: Record<string, unknown>;
  scheduledFor: number | null;
}

/**
 * The public delivery read of published CMS pages (decision 0031): no bearer token; served from the
 * Redis cache, which publish and rollback invalidate before they answer, and which an entry's own
 * `staleAt` (a scheduled publish coming due) expires; ETag with If-None-Match → 304.
 */
export function contentRoutes(deps: { contentCache: ContentCache }) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const slugOf = (c: Context) => parseParam(c.req.param("slug"), codeSchema, "slug");
    define(
      {
        method: "get",
        path: "/v1/content/pages/:slug",
        summary:
          "PUBLIC: a published page (Redis-cached, invalidated on publish and rollback; ETag and If-None-Match)",
        tag: "CMS",
        public: true,
        response: { status: 200, schema: publicPage, description: "The published page" },
        responses: [{ status: 304, description: "Not modified (the If-None-Match ETag is current)" }],
      },
      async (c) => {
        const slug = slugOf(c);
        let page = await deps.contentCache.get(slug);
        if (page === null || (page.staleAt !== null && Date.now() >= page.staleAt)) {
          const generation = await deps.contentCache.generation(slug);
          const content = await command<Content>(
            c,
            KIND,
            slug,
            { type: "content" },
            { readOnly: true, meta: { by: "public", requestId: kit.requestId(c) } },
          );
          const { scheduledFor, ...rest } = content;
          const body = JSON.stringify(rest);
          const hash = createHash("sha256").update(body).digest("base64url").slice(0, 16);
          page = { body, etag: `"v${content.version}-${hash}"`, staleAt: scheduledFor } satisfies CachedPage;
          await deps.contentCache.put(slug, page, generation);
        }
        c.header("ETag", page.etag);
        c.header("Cache-Control", CACHE_CONTROL);
        const match = c.req.header("if-none-match");
        if (match?.split(",").some((t) => t.trim().replace(/^W\//, "") === page.etag))
          return c.body(null, 304);
        return c.body(page.body, 200, { "content-type": "application/json" });
      },
    );
  };
}
