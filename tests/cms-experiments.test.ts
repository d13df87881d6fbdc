/**
 * CMS A/B experiments and preview links over a real node (NATS, Postgres, Redis; decision 0038): a
 * visitor's variant on the public read (stable across calls and a node restart, the split following the
 * weights), exposures and clicks counted once per visitor, the readout's z-test, rate limiting, stop, the
 * publish invalidation still correct beside an experiment, and signed preview links (draft content, no
 * caching, expiry, tampering).
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

const ns = testNamespace("cmsexp");
let node: HubNode;
let api: ApiClient;
let anon: ApiClient;

const show = (r: { status: number; body: unknown }) => `${r.status} ${JSON.stringify(r.body)}`;
const page = (title: string) => ({
  type: "campaign_landing",
  title,
  components: [
    { type: "banner", image: "https://cdn.example/b.png", alt: title },
    { type: "rich_text", html: `<p>${title}</p>` },
  ],
});

async function ok(method: string, path: string, body?: unknown, status = 200) {
  const res = await api.call(method, path, body);
  expect(res.status, `${method} ${path}: ${show(res)}`).toBe(status);
  return res.body as Record<string, unknown>;
}
const read = (slug: string, visitor?: string, headers: Record<string, string> = {}) =>
  anon.call(
    "GET",
    `/v1/content/pages/${slug}${visitor === undefined ? "" : `?visitor=${visitor}`}`,
    undefined,
    headers,
    false,
  );
const event = (id: string, visitorId: string, type: "exposure" | "click") =>
  anon.call("POST", `/v1/content/experiments/${id}/events`, { visitorId, type }, {}, false);

async function start(n: HubNode) {
  node = n;
  api = new ApiClient(node.app!);
  await api.login();
  anon = new ApiClient(node.app!);
}

beforeAll(async () => {
  await requireServices();
  await start(await startTestNode(ns));
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

/** A page with v1 published and v2 a draft; an experiment: control (published) 50 / b (v2) 50. */
async function pageUnderTest(slug: string, id: string) {
  await ok("PUT", `/v1/cms/pages/${slug}`, page(`${slug} A`));
  await ok("POST", `/v1/cms/pages/${slug}/publish`, {});
  await ok("PUT", `/v1/cms/pages/${slug}`, page(`${slug} B`));
  const created = await ok(
    "POST",
    "/v1/cms/experiments",
    {
      id,
      slug,
      name: "Banner test",
      variants: [
        { key: "control", weight: 50 },
        { key: "b", weight: 50, version: 2 },
      ],
    },
    201,
  );
  expect(created).toMatchObject({ id, slug, status: "draft", live: false });
}

test("cms experiments - a visitor gets a stable variant on the public read; the split follows the weights; restart keeps it", async () => {
  const slug = "ab-home";
  const id = "exp-home";
  await pageUnderTest(slug, id);
  // A draft experiment changes nothing.
  expect((await read(slug, "v-1")).body).toMatchObject({ version: 1, title: `${slug} A` });
  expect((await read(slug, "v-1")).body).not.toHaveProperty("experiment");
  const started = await ok("POST", `/v1/cms/experiments/${id}/start`);
  expect(started).toMatchObject({ status: "running", live: true });

  // Many visitors: each sees its variant's content, the same on every call (query or header).
  const assigned = new Map<string, string>();
  for (let i = 0; i < 200; i++) {
    const visitor = `visitor-${i}`;
    const res = await read(slug, visitor);
    expect(res.status, show(res)).toBe(200);
    const body = res.body as { version: number; title: string; experiment: { id: string; variant: string } };
    expect(body.experiment.id).toBe(id);
    const expected = body.experiment.variant === "b" ? [2, `${slug} B`] : [1, `${slug} A`];
    expect([body.version, body.title], show(res)).toEqual(expected);
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    expect(res.headers.get("vary")).toContain("X-Visitor-Id");
    assigned.set(visitor, body.experiment.variant);
  }
  const b = [...assigned.values()].filter((v) => v === "b").length;
  // 200 visitors at 50/50: b between 70 and 130 (> 4 standard deviations).
  expect(b, `b got ${b} of 200`).toBeGreaterThan(70);
  expect(b, `b got ${b} of 200`).toBeLessThan(130);
  for (const [visitor, variant] of [...assigned].slice(0, 40)) {
    const again = await read(slug, undefined, { "x-visitor-id": visitor });
    expect((again.body as { experiment: { variant: string } }).experiment.variant, visitor).toBe(variant);
  }
  // Each variant has its own ETag, and If-None-Match works per variant.
  const [vA, vB] = ["control", "b"].map((k) => [...assigned].find(([, v]) => v === k)![0]);
  const ra = await read(slug, vA);
  const rb = await read(slug, vB);
  expect(ra.headers.get("etag")).not.toBe(rb.headers.get("etag"));
  expect((await read(slug, vB, { "if-none-match": rb.headers.get("etag")! })).status).toBe(304);
  expect((await read(slug, vA, { "if-none-match": rb.headers.get("etag")! })).status).toBe(200);
  // Without a visitor id: the published page, publicly cacheable, no experiment.
  const plain = await read(slug);
  expect(plain.body).toMatchObject({ version: 1 });
  expect(plain.body).not.toHaveProperty("experiment");
  expect(plain.headers.get("cache-control")).toBe("public, no-cache");
  // A malformed visitor id is the caller's 400.
  const bad = await read(slug, "bad%20id");
  expect(bad.status, show(bad)).toBe(400);
  expect((bad.body as { field: string }).field).toBe("visitor");

  // From the caches (experiment entry, published page, variant version): measured, in process.
  const times: number[] = [];
  for (let i = 0; i < 300; i++) {
    const started = performance.now();
    const res = await node.app!.request(`/v1/content/pages/${slug}?visitor=visitor-${i % 200}`);
    await res.text();
    times.push(performance.now() - started);
  }
  times.sort((x, y) => x - y);
  console.log(
    `cms public read with a visitor id (variant) from cache: p50 ${times[150]!.toFixed(2)} ms, p95 ${times[285]!.toFixed(2)} ms (300 reads)`,
  );

  // A restart (a new node, Redis entries dropped): the same visitors get the same variants.
  await node.stop();
  await start(await startTestNode(ns));
  const keys = await node.redis.keys(`${ns}:cms:*`);
  if (keys.length > 0) await node.redis.del(...keys);
  for (const [visitor, variant] of [...assigned].slice(0, 60)) {
    const res = await read(slug, visitor);
    expect((res.body as { experiment: { variant: string } }).experiment.variant, visitor).toBe(variant);
  }
}, 120_000);

test("cms experiments - exposures and clicks count once per visitor; the readout tests each variant against the control", async () => {
  const slug = "ab-promo";
  const id = "exp-promo";
  await pageUnderTest(slug, id);
  // Not started: events are refused, nothing counted.
  const early = await event(id, "v-0", "exposure");
  expect(early.status, show(early)).toBe(409);
  expect((early.body as { type: string }).type).toContain("experiment-not-running");
  await ok("POST", `/v1/cms/experiments/${id}/start`);

  const variantOf = new Map<string, string>();
  const expected = new Map([
    ["control", { exposures: 0, clicks: 0 }],
    ["b", { exposures: 0, clicks: 0 }],
  ]);
  const eventTimes: number[] = [];
  for (let i = 0; i < 60; i++) {
    const visitor = `pv-${i}`;
    const began = performance.now();
    const first = await event(id, visitor, "exposure");
    eventTimes.push(performance.now() - began);
    expect(first.status, show(first)).toBe(200);
    const reply = first.body as { variant: string; counted: boolean };
    expect(reply.counted).toBe(true);
    // The server's variant is the one the public read shows this visitor.
    const shown = (await read(slug, visitor)).body as { experiment: { variant: string } };
    expect(shown.experiment.variant).toBe(reply.variant);
    variantOf.set(visitor, reply.variant);
    expected.get(reply.variant)!.exposures++;
    // A repeat exposure does not count.
    expect((await event(id, visitor, "exposure")).body).toMatchObject({ counted: false });
    // Every third visitor clicks (twice: counted once).
    if (i % 3 === 0) {
      expect((await event(id, visitor, "click")).body).toMatchObject({ counted: true });
      expect((await event(id, visitor, "click")).body).toMatchObject({ counted: false });
      expected.get(reply.variant)!.clicks++;
    }
  }
  eventTimes.sort((x, y) => x - y);
  console.log(
    `cms experiment exposure event (new visitor, in process): p50 ${eventTimes[30]!.toFixed(2)} ms, p95 ${eventTimes[57]!.toFixed(2)} ms (60 events)`,
  );
  // A click without an exposure first counts as both.
  const late = await event(id, "pv-late", "click");
  expect(late.body, show(late)).toMatchObject({ counted: true });
  const lateVariant = (late.body as { variant: string }).variant;
  expected.get(lateVariant)!.exposures++;
  expected.get(lateVariant)!.clicks++;

  const out = await ok("GET", `/v1/cms/experiments/${id}`);
  const results = out.results as Array<{
    key: string;
    control: boolean;
    exposures: number;
    clicks: number;
    rate: number | null;
    test: { z: number; pValue: number; significant: boolean } | null;
  }>;
  expect(results.map((r) => r.key)).toEqual(["control", "b"]);
  for (const r of results) {
    const want = expected.get(r.key)!;
    expect({ exposures: r.exposures, clicks: r.clicks }, JSON.stringify(out)).toEqual(want);
    expect(r.rate).toBeCloseTo(want.clicks / want.exposures, 10);
  }
  expect(results[0]!.control).toBe(true);
  expect(results[0]!.test).toBeNull();
  // The test of b against the control, recomputed here from the counts.
  const [c, v] = [expected.get("control")!, expected.get("b")!];
  const pooled = (c.clicks + v.clicks) / (c.exposures + v.exposures);
  const z =
    (v.clicks / v.exposures - c.clicks / c.exposures) /
    Math.sqrt(pooled * (1 - pooled) * (1 / c.exposures + 1 / v.exposures));
  expect(results[1]!.test!.z).toBeCloseTo(z, 9);
  expect(results[1]!.test!.significant).toBe(results[1]!.test!.pValue < 0.05);

  // Validated: an unknown type, a bad visitor id, an unknown experiment.
  const badType = await anon.call(
    "POST",
    `/v1/content/experiments/${id}/events`,
    { visitorId: "x", type: "view" },
    {},
    false,
  );
  expect(badType.status, show(badType)).toBe(400);
  expect((await event(id, "bad id", "click")).status).toBe(400);
  expect((await event("no-such-exp", "v1", "click")).status).toBe(404);

  // Rate-limited per visitor: past 30 events in 10 s, 429 with Retry-After; counts unchanged.
  let limited: { status: number; headers: Headers } | undefined;
  for (let i = 0; i < 40 && !limited; i++) {
    const res = await event(id, "pv-0", "exposure");
    if (res.status === 429) limited = res;
  }
  expect(limited?.status, "a 429 within 40 events").toBe(429);
  expect(limited!.headers.get("retry-after")).not.toBeNull();

  // Stop: the page is the published one again for every visitor, events refused, counts kept.
  const stopped = await ok("POST", `/v1/cms/experiments/${id}/stop`);
  expect(stopped).toMatchObject({ status: "stopped", live: false });
  for (const visitor of [...variantOf.keys()].slice(0, 10)) {
    const body = (await read(slug, visitor)).body as Record<string, unknown>;
    expect(body, visitor).toMatchObject({ version: 1 });
    expect(body).not.toHaveProperty("experiment");
  }
  expect((await event(id, "pv-1", "click")).status).toBe(409);
  const after = await ok("GET", `/v1/cms/experiments/${id}`);
  expect((after.results as Array<{ exposures: number }>).map((r) => r.exposures)).toEqual([
    expected.get("control")!.exposures,
    expected.get("b")!.exposures,
  ]);
  // A stopped experiment does not start again; the list shows it; every change audited.
  expect((await api.call("POST", `/v1/cms/experiments/${id}/start`)).status).toBe(409);
  const list = await ok("GET", `/v1/cms/experiments?slug=${slug}`);
  expect((list.items as Array<{ id: string }>).map((e) => e.id)).toEqual([id]);
  const audited = await node.sql`SELECT action FROM audit_log WHERE target = ${`cms-experiment/${id}`}`;
  expect(audited.map((r) => r.action).sort()).toEqual([
    "cms.experiment.create",
    "cms.experiment.start",
    "cms.experiment.stop",
  ]);
}, 120_000);

test("cms experiments - definitions are validated; one running experiment per page; publish still shows at once beside one", async () => {
  const slug = "ab-rules";
  await pageUnderTest(slug, "exp-rules-1");
  const bad: Array<[unknown, string]> = [
    [{ id: "x1", slug, variants: [{ key: "control", weight: 1 }] }, "variants"],
    [
      {
        id: "x2",
        slug,
        variants: [
          { key: "a", weight: 1 },
          { key: "a", weight: 1 },
        ],
      },
      "variants.1.key",
    ],
    [
      {
        id: "x3",
        slug,
        variants: [
          { key: "a", weight: 0 },
          { key: "b", weight: 0 },
        ],
      },
      "variants.0.weight",
    ],
    [
      {
        id: "x4",
        slug,
        variants: [
          { key: "a", weight: 1 },
          { key: "b", weight: 1, version: 9 },
        ],
      },
      "variants.1.version",
    ],
    [
      {
        id: "x5",
        slug: "no-such-page",
        variants: [
          { key: "a", weight: 1 },
          { key: "b", weight: 1 },
        ],
      },
      "slug",
    ],
    [
      {
        id: "x6",
        slug,
        variants: [
          { key: "a", weight: 1 },
          { key: "b", weight: 1 },
        ],
        startAt: "2030-01-02T00:00:00Z",
        stopAt: "2030-01-01T00:00:00Z",
      },
      "stopAt",
    ],
  ];
  for (const [body, field] of bad) {
    const res = await api.call("POST", "/v1/cms/experiments", body);
    expect([400, 422], show(res)).toContain(res.status);
    const problem = res.body as { field?: string; errors?: Array<{ field: string }> };
    expect([problem.field, ...(problem.errors ?? []).map((e) => e.field)], show(res)).toContain(field);
  }
  const dup = await api.call("POST", "/v1/cms/experiments", {
    id: "exp-rules-1",
    slug,
    variants: [
      { key: "a", weight: 1 },
      { key: "b", weight: 1 },
    ],
  });
  expect(dup.status, show(dup)).toBe(409);

  await ok("POST", "/v1/cms/experiments/exp-rules-1/start");
  await ok(
    "POST",
    "/v1/cms/experiments",
    {
      id: "exp-rules-2",
      slug,
      variants: [
        { key: "a", weight: 1 },
        { key: "b", weight: 1, version: 2 },
      ],
    },
    201,
  );
  const busy = await api.call("POST", "/v1/cms/experiments/exp-rules-2/start");
  expect(busy.status, show(busy)).toBe(409);
  expect(busy.body).toMatchObject({ reason: "page-busy" });

  // Ids named like Object.prototype members are ordinary experiments (pages too).
  await ok("PUT", "/v1/cms/pages/toString", page("toString A"));
  await ok("POST", "/v1/cms/pages/toString/publish", {});
  await ok(
    "POST",
    "/v1/cms/experiments",
    {
      id: "constructor",
      slug: "toString",
      variants: [
        { key: "constructor", weight: 1 },
        { key: "valueOf", weight: 1 },
      ],
    },
    201,
  );
  await ok("POST", "/v1/cms/experiments/constructor/start");
  const builtin = (await read("toString", "hasOwnProperty")).body as {
    experiment: { id: string; variant: string };
  };
  expect(builtin.experiment.id).toBe("constructor");
  expect(["constructor", "valueOf"]).toContain(builtin.experiment.variant);
  expect((await event("constructor", "hasOwnProperty", "click")).body).toMatchObject({ counted: true });
  const builtinOut = await ok("GET", "/v1/cms/experiments/constructor");
  expect(
    (builtinOut.results as Array<{ key: string; clicks: number }>).find(
      (r) => r.key === builtin.experiment.variant,
    ),
  ).toMatchObject({ clicks: 1 });

  // Beside a running experiment, a publish still shows at once to control visitors and plain reads.
  const visitors = Array.from({ length: 40 }, (_, i) => `rv-${i}`);
  const control = [];
  for (const v of visitors) {
    const body = (await read(slug, v)).body as { experiment: { variant: string } };
    if (body.experiment.variant === "control") control.push(v);
  }
  expect(control.length).toBeGreaterThan(0);
  await ok("PUT", `/v1/cms/pages/${slug}`, page(`${slug} C`));
  await ok("POST", `/v1/cms/pages/${slug}/publish`, {});
  expect((await read(slug)).body).toMatchObject({ version: 3, title: `${slug} C` });
  for (const v of control) expect((await read(slug, v)).body, v).toMatchObject({ version: 3 });
  // Rollback too.
  await ok("POST", `/v1/cms/pages/${slug}/rollback`, { version: 1 });
  for (const v of control) expect((await read(slug, v)).body, v).toMatchObject({ version: 1 });
  expect((await read(slug)).body).toMatchObject({ version: 1 });
}, 120_000);

test("cms previews - a signed link shows a draft until it expires; tampered links are refused; never cached", async () => {
  const slug = "preview-page";
  await ok("PUT", `/v1/cms/pages/${slug}`, page("Preview v1"));
  await ok("POST", `/v1/cms/pages/${slug}/publish`, {});
  await ok("PUT", `/v1/cms/pages/${slug}`, page("Preview draft"));
  const link = await ok("POST", `/v1/cms/pages/${slug}/preview`, {});
  expect(link).toMatchObject({ slug, version: 2 });
  expect(link.path).toBe(`/dashboard/cms-preview.html?token=${encodeURIComponent(link.token as string)}`);
  const res = await anon.call("GET", link.contentPath as string, undefined, {}, false);
  expect(res.status, show(res)).toBe(200);
  expect(res.body).toMatchObject({ slug, version: 2, title: "Preview draft" });
  expect(res.headers.get("cache-control")).toBe("no-store");
  // The public page is still v1: the preview published nothing.
  expect((await read(slug)).body).toMatchObject({ version: 1 });

  // An earlier version by number; a version that does not exist is 404.
  const v1 = await ok("POST", `/v1/cms/pages/${slug}/preview`, { version: 1 });
  const r1 = await anon.call("GET", v1.contentPath as string, undefined, {}, false);
  expect(r1.body).toMatchObject({ version: 1, title: "Preview v1" });
  expect((await api.call("POST", `/v1/cms/pages/${slug}/preview`, { version: 7 })).status).toBe(404);
  expect((await api.call("POST", "/v1/cms/pages/no-page/preview", {})).status).toBe(404);

  // The TTL is capped by the server (7 days).
  const long = await ok("POST", `/v1/cms/pages/${slug}/preview`, { ttlSeconds: 10_000_000 });
  const lifetime = Date.parse(long.expiresAt as string) - Date.now();
  expect(lifetime).toBeLessThanOrEqual(7 * 24 * 3_600_000);
  expect(lifetime).toBeGreaterThan(7 * 24 * 3_600_000 - 60_000);

  // Tampered: another version under the same signature, a cut signature, junk.
  const token = link.token as string;
  const [payload, mac] = token.split(".") as [string, string];
  const forgedPayload = Buffer.from(
    Buffer.from(payload, "base64url").toString().replace(`${slug}\n2\n`, `${slug}\n1\n`),
  ).toString("base64url");
  for (const bad of [`${forgedPayload}.${mac}`, `${payload}.${mac.slice(0, -2)}AA`, "junk"]) {
    const r = await anon.call(
      "GET",
      `/v1/content/preview?token=${encodeURIComponent(bad)}`,
      undefined,
      {},
      false,
    );
    expect(r.status, show(r)).toBe(401);
    expect(r.body).toMatchObject({ reason: "invalid", field: "token" });
  }
  // Expired: a one-second link refused once its time is up.
  const short = await ok("POST", `/v1/cms/pages/${slug}/preview`, { ttlSeconds: 1 });
  const shortPath = short.contentPath as string;
  expect((await anon.call("GET", shortPath, undefined, {}, false)).status).toBe(200);
  await waitFor(
    async () => (await anon.call("GET", shortPath, undefined, {}, false)).status === 401,
    10_000,
    "the short link to expire",
  );
  const expired = await anon.call("GET", shortPath, undefined, {}, false);
  expect(expired.body, show(expired)).toMatchObject({ reason: "expired" });
  // Issuing a link is audited.
  const audited = await node.sql`SELECT action FROM audit_log WHERE target = ${`cms-page/${slug}`}`;
  expect(audited.map((r) => r.action)).toContain("cms.page.preview-link");
}, 60_000);

test("cms experiments - the start/stop window is honoured at read time, also from the cached entry", async () => {
  const slug = "ab-window";
  await ok("PUT", `/v1/cms/pages/${slug}`, page(`${slug} A`));
  await ok("POST", `/v1/cms/pages/${slug}/publish`, {});
  await ok("PUT", `/v1/cms/pages/${slug}`, page(`${slug} B`));
  const stopAt = new Date(Date.now() + 1_500).toISOString();
  await ok(
    "POST",
    "/v1/cms/experiments",
    {
      id: "exp-window",
      slug,
      variants: [
        { key: "a", weight: 0 },
        { key: "b", weight: 1, version: 2 },
      ],
      stopAt,
    },
    201,
  );
  await ok("POST", "/v1/cms/experiments/exp-window/start");
  // Everyone is in b (a has weight 0) until stopAt; the running experiment is now cached in Redis.
  expect((await read(slug, "w-1")).body).toMatchObject({ version: 2, experiment: { variant: "b" } });
  expect(await node.redis.get(`${ns}:cms:exp:${slug}`)).not.toBeNull();
  expect((await event("exp-window", "w-1", "exposure")).status).toBe(200);
  await waitFor(
    async () => ((await read(slug, "w-1")).body as { version: number }).version === 1,
    10_000,
    "the experiment's window to close",
  );
  expect((await read(slug, "w-1")).body).not.toHaveProperty("experiment");
  const late = await event("exp-window", "w-2", "exposure");
  expect(late.status, show(late)).toBe(409);
  expect(await ok("GET", "/v1/cms/experiments/exp-window")).toMatchObject({ status: "running", live: false });
}, 30_000);
