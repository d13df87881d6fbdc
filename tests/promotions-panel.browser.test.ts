/**
 * The promotions panel in a real browser (system Chromium through playwright-core): it opens with the
 * coupon figures from the read models, and a claim and a redemption made after the page loaded show up
 * live (the figures once the projector wrote them, the events at once in the activity list). The
 * flash-sale section shows campaigns, or says honestly that there are none / the module is not built in.
 * Screenshot: tests/artifacts/dashboard-promotions.png.
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

const ns = testNamespace("promopanel");
const DAY = 86_400_000;
const address = { region: "Shanghai", detail: "88 Nanjing Rd", phone: "13900000000", name: "Wang" };

let node: HubNode;
let api: ApiClient;
let base: string;
let browser: Browser;
let page: Page;
let templateId = "";
const pageErrors: string[] = [];

beforeAll(async () => {
  requireChromium();
  await requireServices();
  node = await startTestNode(ns, { ROLES: "gateway,actors,projector,realtime" }, { listen: true });
  base = `http://127.0.0.1:${node.server!.port}`;
  api = new ApiClient(base);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-PP", { name: "Promotions", region: "east" });
  await api.call(
    "POST",
    "/v1/inventory/PP-1/receipts",
    { warehouse: "WH-PP", qty: 50 },
    { "idempotency-key": "pp" },
  );
  expect((await api.call("PUT", "/v1/skus/PP-1/price", { listPrice: 6_000 })).status).toBe(200);
  const created = await api.call("POST", "/v1/coupon-templates", {
    name: "看板券",
    kind: "amount_off",
    value: 1_000,
    totalQuantity: 10,
    perUserLimit: 2,
    validFrom: new Date(Date.now() - DAY).toISOString(),
    validTo: new Date(Date.now() + DAY).toISOString(),
  });
  expect(created.status).toBe(201);
  templateId = (created.body as { templateId: string }).templateId;
  // One claim before the page opens: the snapshot must show it.
  expect(
    (await api.call("POST", `/v1/coupon-templates/${templateId}/claims`, { userId: "pp-u0" })).status,
  ).toBe(201);
  await node.projector!.caughtUp(30_000);

  ({ browser, page } = await openDashboardBrowser({ width: 1440, height: 1100 }, pageErrors));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await node?.stop();
  await cleanupNamespace(ns);
}, 20_000);

/** Polls the page until `fn` (run in the page with `arg`) is truthy; says what it waited for and what it saw. */
const until = <A extends string | [string, number] | undefined>(
  fn: (arg: A) => unknown,
  arg: A,
  what: string,
  timeoutMs = 60_000,
) =>
  waitInPage(
    page,
    fn,
    arg,
    what,
    async (p) =>
      `saw ${(
        await p
          .locator('[data-testid="panel-promotions"]')
          .evaluate((el) =>
            Array.from(
              el.querySelectorAll("[data-testid]"),
              (n) => `${n.getAttribute("data-testid")}=${(n as HTMLElement).dataset.value}`,
            ),
          )
      ).join(", ")}`,
    timeoutMs,
  );

const value = (testid: string) =>
  page.locator(`[data-testid="${testid}"]`).evaluate((el) => Number((el as HTMLElement).dataset.value));
const valueIs = ([testid, n]: [string, number]) =>
  Number((document.querySelector(`[data-testid="${testid}"]`) as HTMLElement | null)?.dataset.value) === n;

test("promotions panel - opens with the coupon figures; a claim and a redemption after loading show up live", async () => {
  // Signed in as the API client is (the login page's own flow is covered by the dashboards test).
  await signIn(page, base, api.token!);
  await page.goto(`${base}/dashboard/promotions.html`);
  await until(
    () => document.querySelector('[data-testid="conn-status"]')?.getAttribute("data-state") === "connected",
    undefined,
    "connected",
  );
  await until(valueIs, ["promo-issued", 1] as [string, number], "the snapshot's one issued coupon");
  expect(await page.locator("h1").textContent()).toBe("营销看板");
  expect(await value("promo-claims-minute")).toBe(1);
  expect(await value("promo-used")).toBe(0);
  // Flash sales: campaigns, or an honest empty state (never a blank section).
  await until(
    () =>
      document.querySelector('[data-testid="promo-flash-empty"]') ||
      document.querySelector('[data-testid="promo-flash-campaign"]'),
    undefined,
    "the flash-sale section",
  );

  // A claim after the page loaded.
  const claimed = await api.call("POST", `/v1/coupon-templates/${templateId}/claims`, { userId: "pp-u1" });
  expect(claimed.status).toBe(201);
  const { couponId } = claimed.body as { couponId: string };
  await until(
    (id) => document.querySelector(`[data-testid="promo-activity-item"][data-entity="${id}"]`),
    templateId,
    "the claim in the live activity",
  );
  await until(valueIs, ["promo-issued", 2] as [string, number], "two coupons issued after the claim");
  await until(valueIs, ["promo-claims-minute", 2] as [string, number], "two claims in the last minute");
  await until(
    (id) =>
      document
        .querySelector(`[data-testid="promo-template"][data-template="${id}"]`)
        ?.getAttribute("data-issued") === "2",
    templateId,
    "the template row at 2 issued",
  );

  // A redemption: an order with the coupon, paid.
  const placed = await api.call(
    "POST",
    "/v1/orders",
    { userId: "pp-u1", lines: [{ sku: "PP-1", qty: 2 }], address, couponIds: [couponId] },
    { "idempotency-key": "pp-order-1" },
  );
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const { orderId, amounts } = placed.body as {
    orderId: string;
    amounts: { total: number; discount: number };
  };
  expect(amounts.discount).toBe(1_000);
  const payment = await api.call("POST", "/v1/payments", { orderId, channel: "alipay" });
  expect(payment.status).toBe(201);
  const { paymentId } = payment.body as { paymentId: string };
  expect((await api.call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid" })).status).toBe(200);
  await until(valueIs, ["promo-used", 1] as [string, number], "one coupon redeemed");
  await until(
    valueIs,
    ["promo-redemptions-minute", 1] as [string, number],
    "one redemption in the last minute",
  );
  await until(valueIs, ["promo-coupon-gmv", amounts.total] as [string, number], "the GMV the coupon drove");
  await until(valueIs, ["promo-gmv-today", amounts.total] as [string, number], "today's discounted GMV");
  await until(valueIs, ["promo-discount-today", 1_000] as [string, number], "today's discount");
  expect(await page.locator('[data-testid="promo-coupon-gmv"]').textContent()).toBe(
    `¥${(amounts.total / 100).toLocaleString("en-US", { minimumFractionDigits: 2 })}`,
  );
  await page.screenshot({ path: `${ARTIFACTS}dashboard-promotions.png`, fullPage: true });
}, 180_000);

test("promotions panel - English labels, and no script errors", async () => {
  await page.selectOption('[data-testid="lang-switch"]', "en");
  await until(
    () => document.querySelector("h1")?.textContent === "Promotions",
    undefined,
    "the English title",
  );
  expect(pageErrors).toEqual([]);
}, 30_000);
