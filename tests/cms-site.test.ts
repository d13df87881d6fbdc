/**
 * The CMS site (decision 0039) over a real node (NATS, Postgres, Redis): unpublish now with the cache
 * invalidated before the API answers, ad slots with schedules, recommendation slots, templates, page
 * renames with 301 redirects (chains collapse, no loops), product SEO slugs with redirects, and the
 * sitemap (published pages and on-sale products only; rebuilt when the site changes).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("cms-site");
let node: HubNode;
let api: ApiClient;
let anon: ApiClient;

const show = (r: { status: number; body: unknown }) => `${r.status} ${JSON.stringify(r.body)}`;
const page = (title: string, components: unknown[] = [{ type: "rich_text", html: `<p>${title}</p>` }]) => ({
  type: "campaign_landing",
  title,
  components,
  seo: { title, canonical: `https://shop.example/c/${title.toLowerCase().replace(/\W+/g, "-")}` },
});
const publicRead = (slug: string) => anon.call("GET", `/v1/content/pages/${slug}`, undefined, {}, false);
const cacheKey = (slug: string) => `${ns}:cms:page:${slug}`;

async function ok(method: string, path: string, body?: unknown, status = 200) {
  const res = await api.call(method, path, body);
  expect(res.status, `${method} ${path}: ${show(res)}`).toBe(status);
  return res.body as Record<string, unknown>;
}
async function publishedPage(slug: string, title: string, components?: unknown[]) {
  await ok("PUT", `/v1/cms/pages/${slug}`, page(title, components));
  await ok("POST", `/v1/cms/pages/${slug}/publish`, {});
}
async function product(spu: string, category: string, slug?: string, onSale = true) {
  const res = await api.call("PUT", `/v1/products/${spu}`, {
    name: `Product ${spu}`,
    category,
    skus: [{ sku: `${spu}-A`, specs: {}, listPrice: 100 }],
    ...(slug ? { seo: { slug, title: `Buy ${spu}`, ogImage: "https://cdn.example/p.png" } } : {}),
  });
  expect([200, 201], show(res)).toContain(res.status);
  if (onSale) await ok("POST", `/v1/products/${spu}/publish`, {});
}

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  anon = new ApiClient(node.app!);
  await ok("PUT", "/v1/categories/shirts", { name: "Shirts", kind: "back" }, 201);
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("cms site - unpublish now: the public read is 404 the moment the API answers (cache dropped), publish brings it back", async () => {
  const slug = "gone-soon";
  await publishedPage(slug, "Gone soon");
  expect((await publicRead(slug)).status).toBe(200);
  expect(await node.redis.get(cacheKey(slug)), "the read cached the page").not.toBeNull();
  const res = await ok("POST", `/v1/cms/pages/${slug}/unpublish`, {});
  expect(res, JSON.stringify(res)).toMatchObject({ published: null, unpublishAt: null });
  expect(await node.redis.get(cacheKey(slug)), "unpublish dropped the cached page").toBeNull();
  const read = await publicRead(slug);
  expect(read.status, show(read)).toBe(404);
  // Unpublishing again is a no-op; a publish makes it readable again.
  await ok("POST", `/v1/cms/pages/${slug}/unpublish`, {});
  await ok("POST", `/v1/cms/pages/${slug}/publish`, {});
  expect((await publicRead(slug)).body).toMatchObject({ slug, version: 1 });
  const audited = await node.sql!`SELECT action FROM audit_log WHERE target = ${`cms-page/${slug}`}`;
  expect(audited.map((r) => r.action)).toContain("cms.page.unpublish");
});

test("cms site - ad slots show each ad only within its from/to window; content and recommendation slots resolve at delivery", async () => {
  await product("REC-1", "shirts", "rec-one");
  await product("REC-2", "shirts", "rec-two");
  await product("REC-OFF", "shirts", "rec-off", false);
  const now = Date.now();
  const edge = new Date(now + 2_500).toISOString();
  const banner = (alt: string) => ({ type: "banner", image: `https://cdn.example/${alt}.png`, alt });
  const slug = "slotted";
  await publishedPage(slug, "Slotted", [
    { type: "content_slot", name: "hero", components: [banner("hero")] },
    {
      type: "ad_slot",
      name: "top-ad",
      ads: [
        { to: edge, component: banner("early") },
        { from: edge, component: banner("late") },
        {
          from: new Date(now - 60_000).toISOString(),
          to: new Date(now - 1_000).toISOString(),
          component: banner("past"),
        },
      ],
    },
    {
      type: "recommendation_slot",
      name: "recs",
      rule: { kind: "top_sellers", category: "shirts", limit: 5 },
    },
  ]);
  type Delivered = {
    components: Array<{
      type: string;
      components?: Array<{ alt: string }>;
      products?: Array<{ spuCode: string }>;
    }>;
  };
  const ads = (b: unknown) => ((b as Delivered).components[1]!.components ?? []).map((c) => c.alt);
  const first = await publicRead(slug);
  expect(first.status, show(first)).toBe(200);
  const body = first.body as Delivered;
  expect(body.components[0], JSON.stringify(body)).toMatchObject({ type: "content_slot", name: "hero" });
  expect(ads(body), JSON.stringify(body)).toEqual(["early"]);
  // Recommendations: on-sale products of the category (the actor-acknowledged listing, projected).
  await waitFor(
    async () => {
      const recs = ((await publicRead(slug)).body as Delivered).components[2]!.products ?? [];
      return (
        recs
          .map((p) => p.spuCode)
          .sort()
          .join() === "REC-1,REC-2"
      );
    },
    45_000,
    "the recommendation slot to list the two on-sale shirts (never the off-sale one)",
  );
  // The cached page expires at the ad window's edge by itself: no write needed for the late ad to show.
  await waitFor(
    async () => ads((await publicRead(slug)).body).join() === "late",
    30_000,
    "the late ad to show",
  );
  // Validation per component schema: a window ending before it starts, a slot inside a slot.
  for (const [components, field] of [
    [
      [{ type: "ad_slot", name: "x", ads: [{ from: edge, to: edge, component: banner("x") }] }],
      "components.0.ads.0.to",
    ],
    [
      [{ type: "content_slot", name: "x", components: [{ type: "ad_slot", name: "y", ads: [] }] }],
      "components.0.components.0.type",
    ],
    [[{ type: "recommendation_slot", name: "x", rule: { kind: "random" } }], "components.0.rule.kind"],
  ] as const) {
    const res = await api.call("PUT", "/v1/cms/pages/bad-slots", page("Bad", [...components]));
    expect(res.status, show(res)).toBe(400);
    const problem = res.body as { field?: string; errors?: Array<{ field: string }> };
    expect([problem.field, ...(problem.errors ?? []).map((e) => e.field)], show(res)).toContain(field);
  }
});

test("cms site - templates: a new page starts from its type's layout; an existing slug is 409", async () => {
  const list = await ok("GET", "/v1/cms/templates");
  const home = (
    list.items as Array<{ type: string; components: Array<{ type: string; name: string }> }>
  ).find((t) => t.type === "home");
  expect(
    home?.components.map((c) => `${c.type}:${c.name}`),
    JSON.stringify(list),
  ).toEqual(["content_slot:hero", "ad_slot:top-ad", "content_slot:main", "content_slot:footer"]);
  const made = await ok(
    "POST",
    "/v1/cms/pages/new-home/from-template",
    { type: "home", title: "New home" },
    201,
  );
  expect(made).toMatchObject({ slug: "new-home", version: 1, created: true });
  const v1 = await ok("GET", "/v1/cms/pages/new-home/versions/1");
  expect(v1.components, JSON.stringify(v1)).toEqual(home!.components);
  const again = await api.call("POST", "/v1/cms/pages/new-home/from-template", { type: "home", title: "X" });
  expect(again.status, show(again)).toBe(409);
});

test("cms site - rename: the old slug answers 301 to the new, chains collapse to one hop, a taken slug is 409, renaming back never loops", async () => {
  await ok("PUT", "/v1/cms/pages/old-name", page("Moving v1"));
  await ok("PUT", "/v1/cms/pages/old-name", page("Moving v2"));
  await ok("POST", "/v1/cms/pages/old-name/publish", { version: 1 });
  expect((await publicRead("old-name")).status).toBe(200); // cached under the old slug
  const renamed = await ok("POST", "/v1/cms/pages/old-name/rename", { to: "new-name" });
  expect(renamed).toEqual({ slug: "new-name", from: "old-name", redirectsFrom: ["old-name"] });
  const moved = await publicRead("old-name");
  expect(moved.status, show(moved)).toBe(301);
  expect(moved.headers.get("location")).toBe("/v1/content/pages/new-name");
  expect(moved.body).toEqual({ redirect: "new-name", location: "/v1/content/pages/new-name" });
  expect((await publicRead("new-name")).body).toMatchObject({
    slug: "new-name",
    version: 1,
    title: "Moving v1",
  });
  // Every version moved with it; the old slug's editor view says where it went.
  const versions = await ok("GET", "/v1/cms/pages/new-name/versions");
  expect(versions).toMatchObject({ published: 1, movedTo: null, redirectsFrom: ["old-name"] });
  expect((versions.items as unknown[]).length).toBe(2);
  expect(await ok("GET", "/v1/cms/pages/old-name/versions")).toMatchObject({ movedTo: "new-name" });
  // The old slug takes no edits.
  const edit = await api.call("PUT", "/v1/cms/pages/old-name", page("Sneaky"));
  expect(edit.status, show(edit)).toBe(409);

  // A taken slug: refused, nothing changed.
  await publishedPage("taken", "Taken");
  const clash = await api.call("POST", "/v1/cms/pages/new-name/rename", { to: "taken" });
  expect(clash.status, show(clash)).toBe(409);
  expect((clash.body as { field?: string }).field).toBe("to");
  expect((await publicRead("new-name")).status).toBe(200);
  expect((await publicRead("taken")).body).toMatchObject({ title: "Taken" });

  // A second rename: both older slugs answer one hop to the newest.
  expect((await publicRead("old-name")).status).toBe(301); // cached redirect, dropped by the rename below
  const second = await ok("POST", "/v1/cms/pages/new-name/rename", { to: "newest-name" });
  expect(second.redirectsFrom).toEqual(["old-name", "new-name"]);
  for (const old of ["old-name", "new-name"]) {
    const r = await publicRead(old);
    expect(r.status, `${old}: ${show(r)}`).toBe(301);
    expect(r.headers.get("location")).toBe("/v1/content/pages/newest-name");
  }
  // Back to the first name (a redirect slug may be taken again): live there, the others point to it.
  const back = await ok("POST", "/v1/cms/pages/newest-name/rename", { to: "old-name" });
  expect(back.redirectsFrom).toEqual(["new-name", "newest-name"]);
  expect((await publicRead("old-name")).body).toMatchObject({ slug: "old-name", title: "Moving v1" });
  for (const old of ["new-name", "newest-name"]) {
    const r = await publicRead(old);
    expect(r.status, `${old}: ${show(r)}`).toBe(301);
    expect(r.headers.get("location")).toBe("/v1/content/pages/old-name");
  }
  // Renaming onto itself is refused.
  const self = await api.call("POST", "/v1/cms/pages/old-name/rename", { to: "old-name" });
  expect(self.status, show(self)).toBe(422);
  const audited = await node.sql!`SELECT count(*)::int AS n FROM audit_log WHERE action = 'cms.page.rename'`;
  expect(audited[0]!.n).toBe(3);
});

test("cms site - product SEO: canonical/Open Graph fields validated, slug unique, a changed slug answers 301 (chains collapse, no loops)", async () => {
  await product("SEO-1", "shirts", "red-shirt");
  const read = await anon.call("GET", "/v1/content/products/red-shirt", undefined, {}, false);
  expect(read.status, show(read)).toBe(200);
  expect(read.body).toMatchObject({
    spuCode: "SEO-1",
    slug: "red-shirt",
    seo: { ogImage: "https://cdn.example/p.png" },
  });
  const bad = await api.call("PUT", "/v1/products/SEO-2", {
    name: "x",
    category: "shirts",
    skus: [{ sku: "SEO-2-A", specs: {}, listPrice: 1 }],
    seo: { slug: "x", ogImage: "http://insecure.example/p.png" },
  });
  expect(bad.status, show(bad)).toBe(400);
  expect((bad.body as { field?: string }).field).toBe("seo.ogImage");
  const dup = await api.call("PUT", "/v1/products/SEO-2", {
    name: "x",
    category: "shirts",
    skus: [{ sku: "SEO-2-A", specs: {}, listPrice: 1 }],
    seo: { slug: "red-shirt" },
  });
  expect(dup.status, show(dup)).toBe(409);

  const follow = async (slug: string) =>
    anon.call("GET", `/v1/content/products/${slug}`, undefined, {}, false);
  await product("SEO-1", "shirts", "crimson-shirt", false);
  await product("SEO-1", "shirts", "scarlet-shirt", false);
  for (const old of ["red-shirt", "crimson-shirt"]) {
    const r = await follow(old);
    expect(r.status, `${old}: ${show(r)}`).toBe(301);
    expect(r.headers.get("location")).toBe("/v1/content/products/scarlet-shirt");
  }
  expect((await follow("scarlet-shirt")).status).toBe(200);
  // Back to the first slug: it is live again, the others point to it.
  await product("SEO-1", "shirts", "red-shirt", false);
  expect((await follow("red-shirt")).status).toBe(200);
  expect((await follow("scarlet-shirt")).headers.get("location")).toBe("/v1/content/products/red-shirt");
  // Off sale: the public read is 404 at once (the product actor's listing).
  await ok("POST", "/v1/products/SEO-1/unpublish", {});
  expect((await follow("red-shirt")).status).toBe(404);
  expect((await follow("no-such-slug")).status).toBe(404);
});

test("cms site - sitemap: published pages and on-sale products only, cached, rebuilt when a page or listing changes", async () => {
  await publishedPage("map-live", "Map live");
  await ok("PUT", "/v1/cms/pages/map-draft", page("Map draft"));
  await publishedPage("map-unpub", "Map unpub");
  await ok("POST", "/v1/cms/pages/map-unpub/unpublish", {});
  await publishedPage("map-old", "Map moved");
  await ok("POST", "/v1/cms/pages/map-old/rename", { to: "map-new" });
  await product("MAP-ON", "shirts", "map-on");
  await product("MAP-OFF", "shirts", "map-off");
  await ok("POST", "/v1/products/MAP-OFF/unpublish", {});
  await product("MAP-DRAFT", "shirts", "map-draft-product", false);

  const sitemap = async () => {
    const res = await anon.call("GET", "/v1/content/sitemap.xml", undefined, {}, false);
    expect(res.status, show(res)).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/xml");
    return res.body as string;
  };
  const locs = (xml: string) => [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]!);
  // The sitemap lists what the projections hold (lists may lag a write): wait for them.
  await waitFor(
    async () => {
      const l = locs(await sitemap());
      return l.includes("https://shop.example/c/map-moved") && l.some((u) => u.endsWith("/products/map-on"));
    },
    45_000,
    "the sitemap to list the renamed page and the on-sale product",
  );
  const xml = await sitemap();
  expect(xml).toStartWith('<?xml version="1.0" encoding="UTF-8"?>');
  expect(xml).toContain('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">');
  const l = locs(xml);
  expect(l, xml).toContain("https://shop.example/c/map-live"); // canonical URL when set
  expect(
    l.some((u) => u.endsWith("/products/map-on")),
    xml,
  ).toBe(true);
  for (const absent of ["map-draft", "map-unpub", "map-off", "map-draft-product", "/pages/map-old"])
    expect(
      l.some((u) => u.includes(absent)),
      `${absent} listed: ${xml}`,
    ).toBe(false);
  expect(xml).toMatch(/<lastmod>\d{4}-\d\d-\d\dT/);

  // Cached in Redis with its generation; a publish moves the generation and the next read shows it.
  const key = `${ns}:cms:sitemap`;
  const entry = JSON.parse((await node.redis.get(key)) ?? "null") as {
    generation: string;
    xml: string;
  } | null;
  expect(entry, "the sitemap is cached").not.toBeNull();
  // Served from the cache while the site generation stands: a marked entry shows as it is.
  const marked = entry!.xml.replace("</urlset>", "<!-- from redis --></urlset>");
  await node.redis.set(key, JSON.stringify({ ...entry, xml: marked }), "PX", 60_000);
  expect(await sitemap()).toContain("<!-- from redis -->");
  await publishedPage("map-later", "Map later");
  await waitFor(
    async () => {
      const now = await sitemap();
      return locs(now).includes("https://shop.example/c/map-later") && !now.includes("<!-- from redis -->");
    },
    45_000,
    "the new page in the sitemap",
  );
  await ok("POST", "/v1/products/MAP-ON/unpublish", {});
  await waitFor(
    async () => !(await sitemap()).includes("/products/map-on"),
    45_000,
    "the off-sale product to leave the sitemap",
  );
});

test("cms site - a rename carries a pending scheduled publish and unpublish: their timers fire on the new slug", async () => {
  await publishedPage("sched-old", "Sched v1");
  await ok("PUT", "/v1/cms/pages/sched-old", page("Sched v2"));
  const due = new Date(Date.now() + 2_000).toISOString();
  const off = new Date(Date.now() + 4_000).toISOString();
  await ok("POST", "/v1/cms/pages/sched-old/publish", { at: due });
  await ok("POST", "/v1/cms/pages/sched-old/unpublish", { at: off });
  await ok("POST", "/v1/cms/pages/sched-old/rename", { to: "sched-new" });
  expect(await ok("GET", "/v1/cms/pages/sched-new/versions")).toMatchObject({
    published: 1,
    scheduled: { version: 2, at: due },
    unpublishAt: off,
  });
  await waitFor(
    async () => ((await publicRead("sched-new")).body as { version?: number }).version === 2,
    30_000,
    "the carried scheduled publish to fire on the new slug",
  );
  await waitFor(
    async () => (await publicRead("sched-new")).status === 404,
    30_000,
    "the carried unpublish to fire",
  );
  expect((await publicRead("sched-old")).status).toBe(301);
});
