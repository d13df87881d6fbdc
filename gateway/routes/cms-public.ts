import type { Context } from "hono";
import type { GatewayKit } from "../app.ts";
import type { SitemapCache, SitemapEntry, SiteReads } from "../cms-ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { parseParam } from "../validate.ts";
import { publicProduct, redirectBody, sitemapXml } from "./cms-schemas.ts";

const CACHE_CONTROL = "public, no-cache";
/** URLs one sitemap lists at most (the sitemap protocol's own limit). */
export const SITEMAP_MAX_URLS = 50_000;

export interface SiteRouteDeps {
  site: SiteReads;
  sitemapCache: SitemapCache;
  /** The storefront's base URL the sitemap's locations start with (no trailing '/'). */
  siteUrl: string;
}

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The sitemap protocol's XML: one `<url>` per published page and on-sale product. */
export function renderSitemap(
  siteUrl: string,
  pages: readonly SitemapEntry[],
  products: readonly SitemapEntry[],
): string {
  const url = (loc: string, lastmod: string | null) =>
    `<url><loc>${xmlEscape(loc)}</loc>${lastmod ? `<lastmod>${xmlEscape(lastmod)}</lastmod>` : ""}</url>`;
  const lines = [
    ...pages.map((p) => url(p.canonical ?? `${siteUrl}/pages/${encodeURIComponent(p.slug)}`, p.lastModified)),
    ...products.map((p) =>
      url(p.canonical ?? `${siteUrl}/products/${encodeURIComponent(p.slug)}`, p.lastModified),
    ),
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${lines.join("\n")}\n</urlset>\n`;
}

/**
 * The public site reads (decision 0039), no bearer token: products by SEO slug (an old slug answers 301
 * to the current one) and the sitemap of published pages and on-sale products, cached in Redis and
 * rebuilt when the site generation (bumped with every change it shows) moves.
 */
export function siteRoutes(deps: SiteRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const slugOf = (c: Context) => parseParam(c.req.param("slug"), codeSchema, "slug");
    define(
      {
        method: "get",
        path: "/v1/content/products/:slug",
        summary:
          "PUBLIC: an on-sale product by its SEO slug (name, description, SEO fields); an old slug answers 301",
        tag: "CMS",
        public: true,
        response: { status: 200, schema: publicProduct, description: "The product" },
        responses: [
          {
            status: 301,
            schema: redirectBody,
            description: "The slug changed: `Location` is the current URL",
          },
        ],
      },
      async (c) => {
        const slug = slugOf(c);
        const found = await deps.site.productBySlug(slug);
        if (found === null) throw new ProblemError(404, "not-found", `no product ${slug}`);
        if ("redirectTo" in found) {
          const location = `/v1/content/products/${found.redirectTo.slug}`;
          c.header("Location", location);
          return c.json({ redirect: found.redirectTo.slug, location }, 301);
        }
        // On sale per the product actor (the listing projection may lag an acknowledged unpublish).
        const listing = await command<{ status: string }>(
          c,
          "product",
          found.product.spuCode,
          { type: "get" },
          { readOnly: true, meta: { by: "public", requestId: kit.requestId(c) } },
        );
        if (listing.status !== "on_sale") throw new ProblemError(404, "not-found", `no product ${slug}`);
        c.header("Cache-Control", CACHE_CONTROL);
        return c.json(found.product);
      },
    );

    define(
      {
        method: "get",
        path: "/v1/content/sitemap.xml",
        summary:
          "PUBLIC: the sitemap of published pages and on-sale products (cached; rebuilt when the site generation moves)",
        tag: "CMS",
        public: true,
        response: {
          status: 200,
          schema: sitemapXml,
          contentType: "application/xml",
          description: "The sitemap (sitemaps.org protocol)",
        },
      },
      async (c) => {
        const generation = await deps.site.generation();
        const cached = await deps.sitemapCache.get();
        let xml: string;
        if (cached !== null && cached.generation === generation) xml = cached.xml;
        else {
          const { pages, products } = await deps.site.sitemap(SITEMAP_MAX_URLS);
          xml = renderSitemap(deps.siteUrl, pages, products);
          await deps.sitemapCache.put(generation, xml);
        }
        c.header("Cache-Control", CACHE_CONTROL);
        return c.body(xml, 200, { "content-type": "application/xml; charset=utf-8" });
      },
    );
  };
}
