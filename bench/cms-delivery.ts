/**
 * CMS delivery (decisions 0031, 0039): `GET /v1/content/pages/{slug}` over real HTTP (a separate hub
 * process, the bench's fetch over a socket) while Redis holds the page. A published page of a typical
 * size (banner, product grid, content slot, ad slot, rich text) is read `reads` times from `clients`
 * closed-loop clients; every answer is checked (200, the published version, the same ETag). Then a
 * publish of v2 and the very next read must show v2 (the cache is invalidated before the API answers).
 */
import { runLoad } from "./load.ts";
import { startBenchHub } from "./servers.ts";

export interface CmsDeliveryOptions {
  reads: number;
  clients: number;
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
}

const page = (title: string) => ({
  type: "home",
  title,
  components: [
    { type: "banner", image: "https://cdn.example/hero.png", alt: "Hero", link: "https://shop.example/sale" },
    { type: "product_grid", title: "Hot", source: { category: "phones", limit: 12 } },
    {
      type: "content_slot",
      name: "main",
      components: [{ type: "rich_text", html: `<p>${title}: ${"lorem ipsum ".repeat(60)}</p>` }],
    },
    {
      type: "ad_slot",
      name: "top-ad",
      ads: [{ component: { type: "banner", image: "https://cdn.example/ad.png", alt: "Ad" } }],
    },
  ],
  seo: { title, description: "Bench page", canonical: "https://shop.example/" },
});

export async function runCmsDelivery(o: CmsDeliveryOptions, progress: (line: string) => void) {
  const { hub, headers, ns } = await startBenchHub("cms", o, { ROLES: "gateway,actors,projector" });
  try {
    progress(`hub up (namespace ${ns}); publishing the page…`);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${hub.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
    };
    const slug = "bench-home";
    for (const step of [
      () => call("PUT", `/v1/cms/pages/${slug}`, page("Bench v1")),
      () => call("POST", `/v1/cms/pages/${slug}/publish`, {}),
    ]) {
      const res = await step();
      if (res.status !== 200) throw new Error(`setup failed: ${JSON.stringify(res)}`);
    }
    const url = `${hub.url}/v1/content/pages/${slug}`;
    // The first read fills the cache; its ETag is what every later read must carry.
    const first = await fetch(url);
    const etag = first.headers.get("etag");
    const bytes = (await first.text()).length;
    if (first.status !== 200 || !etag) throw new Error(`first read: ${first.status}`);
    let wrong = 0;
    const load = await runLoad(
      { attempts: o.reads, concurrency: o.clients, timeoutMs: 10_000, maxSeconds: 120 },
      async () => {
        const res = await fetch(url);
        const body = await res.text();
        if (res.status !== 200 || res.headers.get("etag") !== etag || !body.includes('"version":1')) {
          wrong++;
          return "refused";
        }
        return "ok";
      },
    );
    // Invalidation: after the publish answers, the very next read is v2.
    await call("PUT", `/v1/cms/pages/${slug}`, page("Bench v2"));
    const published = await call("POST", `/v1/cms/pages/${slug}/publish`, {});
    const next = await fetch(url);
    const nextBody = (await next.json()) as { version?: number };
    const invalidated = published.status === 200 && next.status === 200 && nextBody.version === 2;
    const correct = wrong === 0 && load.errors === 0 && load.ok === o.reads && invalidated;
    return { result: { ...load, bytes, wrong, invalidated }, correct };
  } finally {
    await hub.stop();
  }
}
