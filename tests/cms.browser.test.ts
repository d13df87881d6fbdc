/**
 * The CMS in a real browser (system Chromium through playwright-core; decision 0038): an editor saves a
 * draft of a published page, asks for its preview link and opens it without signing in: the draft's
 * components render (the public page still shows the published version); a tampered link says so. The
 * A/B readout page shows an experiment's exposures and clicks per variant, and picks up new events as
 * it refreshes. Screenshots: tests/artifacts/cms-preview.png, tests/artifacts/cms-experiments.png.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import type { HubNode } from "../hub-node.ts";
import { ARTIFACTS, openDashboardBrowser, requireChromium, signIn, waitInPage } from "./support/browser.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("cmsbrowser");
let node: HubNode;
let api: ApiClient;
let base: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const show = (r: { status: number; body: unknown }) => `${r.status} ${JSON.stringify(r.body)}`;

beforeAll(async () => {
  requireChromium();
  await requireServices();
  node = await startTestNode(ns, { ROLES: "gateway,actors" }, { listen: true });
  base = `http://127.0.0.1:${node.server!.port}`;
  api = new ApiClient(base);
  await api.login();
  // The tampered link's 401 is part of the test.
  ({ browser, page } = await openDashboardBrowser({ width: 1280, height: 900 }, pageErrors, (text) =>
    text.includes("401"),
  ));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await node?.stop();
  await cleanupNamespace(ns);
}, 20_000);

const until = <A>(fn: (arg: A) => unknown, arg: A, what: string, timeoutMs = 30_000) =>
  waitInPage(
    page,
    fn,
    arg,
    what,
    async (p) => `main: ${(await p.locator("main").evaluate((el) => el.textContent))?.slice(0, 600)}`,
    timeoutMs,
  );

async function ok(method: string, path: string, body?: unknown, status = 200) {
  const res = await api.call(method, path, body);
  expect(res.status, `${method} ${path}: ${show(res)}`).toBe(status);
  return res.body as Record<string, unknown>;
}

const landing = (title: string, text: string) => ({
  type: "campaign_landing",
  title,
  components: [
    { type: "banner", image: "https://cdn.example/spring.png", alt: `${title} banner`, title },
    {
      type: "rich_text",
      html: `<h2>${text}</h2><p>Only <strong>today</strong><img src="https://cdn.example/x.png" alt="deal"></p>`,
    },
    { type: "product_grid", title: "Hot phones", source: { category: "phones", limit: 8 } },
  ],
});

test("cms browser - an editor's draft opens from its preview link and renders its components", async () => {
  const slug = "spring-landing";
  await ok("PUT", `/v1/cms/pages/${slug}`, landing("Spring sale", "Published words"));
  await ok("POST", `/v1/cms/pages/${slug}/publish`, {});
  const draft = await ok("PUT", `/v1/cms/pages/${slug}`, landing("Spring sale (draft)", "Draft words 草稿"));
  expect(draft.version).toBe(2);
  const link = await ok("POST", `/v1/cms/pages/${slug}/preview`, { ttlSeconds: 600 });

  // A fresh visitor with the link: no sign-in.
  await page.goto(`${base}${link.path as string}`);
  await until(
    () => document.querySelector('[data-testid="preview-title"]')?.textContent === "Spring sale (draft)",
    undefined,
    "the draft's title",
  );
  await until(
    () => document.querySelectorAll('[data-testid="preview-component"]').length === 3,
    undefined,
    "three components",
  );
  const types = await page
    .locator('[data-testid="preview-component"]')
    .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.type));
  expect(types).toEqual(["banner", "rich_text", "product_grid"]);
  const rich = page.locator('[data-testid="preview-rich-text"]');
  expect(await rich.locator("h2").textContent()).toBe("Draft words 草稿");
  expect(await rich.locator("strong").textContent()).toBe("today");
  // Images are labelled placeholders (the pages load images from this origin only).
  expect(await page.locator('[data-testid="preview-image"]').count()).toBe(2);
  expect(await page.locator('[data-testid="preview-meta"]').getAttribute("data-version")).toBe("2");
  await page.screenshot({ path: `${ARTIFACTS}cms-preview.png`, fullPage: true });
  // The public page is still the published version.
  const pub = await api.call("GET", `/v1/content/pages/${slug}`, undefined, {}, false);
  expect(pub.body).toMatchObject({ version: 1, title: "Spring sale" });

  // A tampered link: the page says the link is not valid, and shows no content.
  const token = link.token as string;
  const tampered = `${token.slice(0, -3)}${token.endsWith("AAA") ? "BBB" : "AAA"}`;
  await page.goto(`${base}/dashboard/cms-preview.html?token=${encodeURIComponent(tampered)}`);
  await until(
    () => document.querySelector('[data-testid="preview-error"]')?.getAttribute("data-reason") === "invalid",
    undefined,
    "the invalid-link message",
  );
  expect(await page.locator('[data-testid="preview-component"]').count()).toBe(0);
  expect(pageErrors).toEqual([]);
}, 90_000);

test("cms browser - the A/B readout page shows exposures and clicks per variant and follows new events", async () => {
  const slug = "ab-landing";
  await ok("PUT", `/v1/cms/pages/${slug}`, landing("AB A", "A"));
  await ok("POST", `/v1/cms/pages/${slug}/publish`, {});
  await ok("PUT", `/v1/cms/pages/${slug}`, landing("AB B", "B"));
  const id = "exp-browser";
  await ok(
    "POST",
    "/v1/cms/experiments",
    {
      id,
      slug,
      name: "Landing banner",
      variants: [
        { key: "control", weight: 1 },
        { key: "b", weight: 1, version: 2 },
      ],
    },
    201,
  );
  await ok("POST", `/v1/cms/experiments/${id}/start`);
  const counts = new Map([
    ["control", { exposures: 0, clicks: 0 }],
    ["b", { exposures: 0, clicks: 0 }],
  ]);
  const send = async (visitorId: string, type: "exposure" | "click") => {
    const res = await api.call(
      "POST",
      `/v1/content/experiments/${id}/events`,
      { visitorId, type },
      {},
      false,
    );
    expect(res.status, show(res)).toBe(200);
    return (res.body as { variant: string }).variant;
  };
  for (let i = 0; i < 30; i++) {
    const variant = await send(`bv-${i}`, "exposure");
    counts.get(variant)!.exposures++;
    if (i % 4 === 0) {
      await send(`bv-${i}`, "click");
      counts.get(variant)!.clicks++;
    }
  }

  await signIn(page, base, api.token!);
  await page.goto(`${base}/dashboard/cms-experiments.html?id=${id}`);
  expect(await page.locator("h1").textContent()).toBe("A/B 实验");
  const cell = ([variant, testId, n]: [string, string, number]) =>
    Number(
      (
        document.querySelector(
          `[data-testid="ab-row"][data-variant="${variant}"] [data-testid="${testId}"]`,
        ) as HTMLElement | null
      )?.dataset.value,
    ) === n;
  for (const [variant, c] of counts) {
    await until(
      cell,
      [variant, "ab-exposures", c.exposures] as [string, string, number],
      `${variant} exposures ${c.exposures}`,
    );
    await until(
      cell,
      [variant, "ab-clicks", c.clicks] as [string, string, number],
      `${variant} clicks ${c.clicks}`,
    );
  }
  // The experiment is listed, and the test column is filled for b only.
  expect(await page.locator(`[data-testid="ab-item"][data-id="${id}"]`).count()).toBe(1);
  const readout = (await api.call("GET", `/v1/cms/experiments/${id}`)).body as {
    results: Array<{ key: string; test: { z: number } | null }>;
  };
  const bz = readout.results.find((r) => r.key === "b")!.test;
  expect(
    await page.locator('[data-testid="ab-row"][data-variant="control"] [data-testid="ab-z"]').textContent(),
  ).toBe("—");
  expect(
    await page.locator('[data-testid="ab-row"][data-variant="b"] [data-testid="ab-z"]').textContent(),
  ).toBe(bz === null ? "—" : bz.z.toFixed(2));

  // New events after the page loaded show up on its next refresh.
  const variant = await send("bv-late", "click");
  counts.get(variant)!.exposures++;
  counts.get(variant)!.clicks++;
  const now = counts.get(variant)!;
  await until(
    cell,
    [variant, "ab-clicks", now.clicks] as [string, string, number],
    `${variant} clicks ${now.clicks} after a new click`,
  );
  await until(
    cell,
    [variant, "ab-exposures", now.exposures] as [string, string, number],
    `${variant} exposures ${now.exposures}`,
  );
  await page.screenshot({ path: `${ARTIFACTS}cms-experiments.png`, fullPage: true });
  expect(pageErrors).toEqual([]);
}, 90_000);
