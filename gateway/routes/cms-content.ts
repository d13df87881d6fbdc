import { createHash } from "node:crypto";
import type { Context } from "hono";
import { z } from "zod";
import {
  assignVariant,
  type Component,
  isLive,
  type RecommendationRule,
  resolveSlots,
  visitorIdSchema,
} from "../../actors/cms/index.ts";
import type { GatewayKit } from "../app.ts";
import type { ExperimentStore } from "../cms-experiment-ports.ts";
import type { CachedPage, ContentCache, SiteReads } from "../cms-ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { parseParam } from "../validate.ts";
import { publicPage, redirectBody } from "./cms-schemas.ts";

const KIND = "cms-page";
/** Renames followed at most when a chain of old slugs is resolved (a chain is one hop in steady state). */
const MAX_HOPS = 8;

/** The JSON body and its strong ETag. */
function rendered(
  content: Omit<Content, "scheduledFor" | "components"> & { components: readonly unknown[] },
) {
  const body = JSON.stringify(content);
  const hash = createHash("sha256").update(body).digest("base64url").slice(0, 16);
  return { body, etag: `"v${content.version}-${hash}"` };
}

/** The body with `experiment: { id, variant }` added, and an ETag of its own per variant. */
function withExperiment(page: CachedPage, id: string, variant: string): CachedPage {
  const tag = JSON.stringify({ id, variant });
  return {
    body: `${page.body.slice(0, -1)},"experiment":${tag}}`,
    etag: `${page.etag.slice(0, -1)}.${variant}"`,
    staleAt: page.staleAt,
  };
}

/** The earliest of the times given (null: none). */
const earliest = (...times: Array<number | null>) => {
  const set = times.filter((t): t is number => t !== null);
  return set.length === 0 ? null : Math.min(...set);
};

/** The visitor id of an A/B experiment: `?visitor=` or the `X-Visitor-Id` header; null without one. */
function visitorOf(c: Context): string | null {
  const raw = c.req.query("visitor") ?? c.req.header("x-visitor-id");
  if (raw === undefined || raw === "") return null;
  const parsed = visitorIdSchema.safeParse(raw);
  if (!parsed.success)
    throw new ProblemError(400, "validation", parsed.error.issues[0]!.message, { field: "visitor" });
  return parsed.data;
}
/** Shared caches may keep the page but must revalidate (ETag) every time: a publish shows at once. */
const CACHE_CONTROL = "public, no-cache";

interface Content {
  slug: string;
  type: string;
  title: string;
  components: Component[];
  version: number;
  seo: Record<string, unknown>;
  scheduledFor: number | null;
}

/**
 * The public delivery read of published CMS pages (decisions 0031, 0039): no bearer token; served from
 * the Redis cache, which publish, rollback, unpublish and rename invalidate before they answer, and which
 * an entry's own `staleAt` (a scheduled publish/unpublish, an ad window edge, a recommendation refresh)
 * expires; ETag with If-None-Match → 304; an old slug of a renamed page answers 301 to the current one.
 */
export function contentRoutes(deps: {
  contentCache: ContentCache;
  /** Recommendation slots' read model (decision 0039). */
  site: Pick<SiteReads, "topSellers">;
  /** A/B experiments (decision 0038): a visitor id picks the running experiment's variant. */
  experiments?: Pick<ExperimentStore, "runningOn">;
}) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const slugOf = (c: Context) => parseParam(c.req.param("slug"), codeSchema, "slug");
    const recommend = (rule: RecommendationRule) =>
      deps.site.topSellers(rule.category, rule.limit, rule.days);
    /** Slots resolved for delivery now: ad windows, recommendations (decision 0039). */
    const delivered = async (content: Omit<Content, "scheduledFor">, staleAt: number | null) => {
      const resolved = await resolveSlots(content.components, Date.now(), recommend);
      const page = rendered({ ...content, components: resolved.components });
      return { ...page, staleAt: earliest(staleAt, resolved.staleAt) } satisfies CachedPage;
    };
    /** What the cache holds for `slug`, from its actor: following renames to a redirect, else the page. */
    const render = async (c: Context, slug: string): Promise<CachedPage> => {
      const seen = new Set<string>([slug]);
      let at = slug;
      for (let hop = 0; ; hop++) {
        const content = await command<Content | { slug: string; movedTo: string }>(
          c,
          KIND,
          at,
          { type: "content" },
          { readOnly: true, meta: { by: "public", requestId: kit.requestId(c) } },
        ).catch((error: unknown) => {
          // A renamed page that is not published (now) still redirects: its new slug answers 404 itself.
          if (at !== slug && error instanceof ProblemError && error.status === 404) return null;
          throw error;
        });
        if (content === null) return { body: "", etag: "", staleAt: null, redirect: at };
        if (!("movedTo" in content)) {
          if (at !== slug) return { body: "", etag: "", staleAt: null, redirect: at };
          const { scheduledFor, ...rest } = content;
          return delivered(rest, scheduledFor);
        }
        if (seen.has(content.movedTo) || hop >= MAX_HOPS)
          throw new ProblemError(404, "not-found", `page ${slug} redirects in a loop or too far`);
        seen.add(content.movedTo);
        at = content.movedTo;
      }
    };
    /** The published page (or its redirect): from the cache, else rendered (stored unless a write raced it). */
    const published = async (c: Context, slug: string): Promise<CachedPage> => {
      const cached = await deps.contentCache.get(slug);
      if (cached !== null && (cached.staleAt === null || Date.now() < cached.staleAt)) return cached;
      const generation = await deps.contentCache.generation(slug);
      const page = await render(c, slug);
      await deps.contentCache.put(slug, page, generation);
      return page;
    };
    /**
     * One saved version, as an experiment variant shows it. A version's content never changes, so its
     * entry (`<slug>@v<n>`: '@' is never in a slug) needs no invalidation; it expires with the cache TTL.
     */
    const versionPage = async (c: Context, slug: string, version: number): Promise<CachedPage> => {
      const key = `${slug}@v${version}`;
      const cached = await deps.contentCache.get(key);
      if (cached !== null && (cached.staleAt === null || Date.now() < cached.staleAt)) return cached;
      const v = await command<Omit<Content, "scheduledFor"> & { createdAt: string }>(
        c,
        KIND,
        slug,
        { type: "version", version },
        { readOnly: true, meta: { by: "public", requestId: kit.requestId(c) } },
      );
      const content = {
        slug,
        type: v.type,
        title: v.title,
        components: v.components,
        version: v.version,
        seo: v.seo ?? {},
      };
      const page = await delivered(content, null);
      await deps.contentCache.put(key, page, "0");
      return page;
    };
    define(
      {
        method: "get",
        path: "/v1/content/pages/:slug",
        summary:
          "PUBLIC: a published page (Redis-cached, invalidated on publish, rollback, unpublish and rename; ETag and If-None-Match); an old slug of a renamed page answers 301",
        tag: "CMS",
        public: true,
        query: z.object({
          visitor: visitorIdSchema
            .optional()
            .describe(
              "The storefront's visitor id (or the X-Visitor-Id header): while an A/B experiment runs on the page, its variant for this visitor (with `experiment`)",
            ),
        }),
        response: { status: 200, schema: publicPage, description: "The published page" },
        responses: [
          { status: 301, schema: redirectBody, description: "Renamed: `Location` is the page's current URL" },
          { status: 304, description: "Not modified (the If-None-Match ETag is current)" },
        ],
      },
      async (c) => {
        const slug = slugOf(c);
        const visitor = visitorOf(c);
        let page = await published(c, slug);
        if (page.redirect !== undefined) {
          const location = `/v1/content/pages/${page.redirect}`;
          c.header("Location", location);
          c.header("Cache-Control", CACHE_CONTROL);
          return c.json({ redirect: page.redirect, location }, 301);
        }
        let cacheControl = CACHE_CONTROL;
        const experiment = visitor === null ? null : await deps.experiments?.runningOn(slug);
        if (experiment && visitor !== null && isLive(experiment, Date.now())) {
          // The visitor's variant: a fixed saved version (immutable, cached per version) or the published one.
          const variant = assignVariant(experiment.id, experiment.variants, visitor);
          if (variant.version !== undefined && !page.etag.startsWith(`"v${variant.version}-`))
            page = await versionPage(c, slug, variant.version);
          page = withExperiment(page, experiment.id, variant.key);
          // Per visitor: never one visitor's variant from a shared cache to another.
          cacheControl = "private, no-cache";
        }
        // The answer depends on the header: a shared cache must not give one visitor's answer to another.
        c.header("Vary", "X-Visitor-Id");
        c.header("ETag", page.etag);
        c.header("Cache-Control", cacheControl);
        const match = c.req.header("if-none-match");
        if (match?.split(",").some((t) => t.trim().replace(/^W\//, "") === page.etag))
          return c.body(null, 304);
        return c.body(page.body, 200, { "content-type": "application/json" });
      },
    );
  };
}
