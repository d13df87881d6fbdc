/**
 * The notifications page in a real browser (system Chromium through playwright-core): it opens with the
 * open notifications and counts by severity, a notification raised after loading shows up live, the
 * page's own Acknowledge button and an acknowledgement made elsewhere (the API) both take it off the list
 * and the counts. Screenshot: tests/artifacts/dashboard-notifications.png.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import type { HubNode } from "../hub-node.ts";
import { PostgresNotifications } from "../storage/notifications/index.ts";
import { ARTIFACTS, openDashboardBrowser, requireChromium, signIn, waitInPage } from "./support/browser.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("ntfpage");

let node: HubNode;
let api: ApiClient;
let base: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const raise = (key: string, severity: "info" | "warning" | "critical", message: string) =>
  new PostgresNotifications(node.sql).raise({ kind: "testPage", severity, source: "tests", message, key });

beforeAll(async () => {
  requireChromium();
  await requireServices();
  node = await startTestNode(ns, { ROLES: "gateway,actors,projector,realtime" }, { listen: true });
  base = `http://127.0.0.1:${node.server!.port}`;
  api = new ApiClient(base);
  await api.login();
  ({ browser, page } = await openDashboardBrowser({ width: 1280, height: 900 }, pageErrors));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await node?.stop();
  await cleanupNamespace(ns);
}, 20_000);

const until = <A>(fn: (arg: A) => unknown, arg: A, what: string, timeoutMs = 60_000) =>
  waitInPage(
    page,
    fn,
    arg,
    what,
    async (p) => `list: ${await p.locator('[data-testid="ntf-list"]').evaluate((el) => el.textContent)}`,
    timeoutMs,
  );

const count = ([severity, n]: [string, number]) =>
  Number(
    (document.querySelector(`[data-testid="ntf-open-${severity}"]`) as HTMLElement | null)?.dataset.value,
  ) === n;
const listed = ([id, present]: [string, boolean]) =>
  (document.querySelector(`[data-testid="ntf-item"][data-id="${id}"]`) !== null) === present;

test("notifications page - snapshot, live raise, acknowledge from the page and from elsewhere", async () => {
  const before = await raise("page:1", "critical", "对账差异：wechat 2 条");
  await raise("page:2", "warning", "SKU PG-1 低于安全库存");
  await signIn(page, base, api.token!);
  await page.goto(`${base}/dashboard/notifications.html`);
  await until(
    () => document.querySelector('[data-testid="conn-status"]')?.getAttribute("data-state") === "connected",
    undefined,
    "connected",
  );
  await until(count, ["critical", 1] as [string, number], "one open critical from the snapshot");
  await until(count, ["warning", 1] as [string, number], "one open warning from the snapshot");
  expect(await page.locator("h1").textContent()).toBe("运营通知");
  await until(listed, [before.id, true] as [string, boolean], "the critical one listed");

  // Raised after the page loaded: arrives live.
  const live = await raise("page:3", "warning", "发货超时：SH-9");
  await until(listed, [live.id, true] as [string, boolean], "the live raise");
  await until(count, ["warning", 2] as [string, number], "two open warnings");

  // Acknowledged with the page's button.
  await page.locator(`[data-testid="ntf-item"][data-id="${before.id}"] [data-testid="ntf-ack"]`).click();
  await until(listed, [before.id, false] as [string, boolean], "the acknowledged one gone");
  await until(count, ["critical", 0] as [string, number], "no open critical");
  const acked = (await api.call("GET", `/v1/notifications/${before.id}`)).body as {
    acknowledged: { by: string };
  };
  expect(acked.acknowledged.by).toBe("admin");

  // Acknowledged elsewhere (the API): taken off the page live.
  expect((await api.call("POST", `/v1/notifications/${live.id}/ack`)).status).toBe(200);
  await until(listed, [live.id, false] as [string, boolean], "the API acknowledgement reaching the page");
  await until(count, ["warning", 1] as [string, number], "one open warning left");

  await page.screenshot({ path: `${ARTIFACTS}dashboard-notifications.png`, fullPage: true });
  expect(pageErrors).toEqual([]);
}, 120_000);
