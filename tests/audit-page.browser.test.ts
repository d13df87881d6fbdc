/**
 * The audit page in a real browser (system Chromium through playwright-core): it lists the newest rows,
 * filters by action prefix and actor, follows the cursor with "more" (no row twice, none lost), and its
 * verify button shows the chain intact, then — after a sealed row is changed in SQL — broken at that
 * row's sequence. Screenshot: tests/artifacts/dashboard-audit.png.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import type { HubNode } from "../hub-node.ts";
import { PostgresAuditLog } from "../storage/audit-log.ts";
import { ARTIFACTS, openDashboardBrowser, requireChromium, signIn, waitInPage } from "./support/browser.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("auditpage");

let node: HubNode;
let api: ApiClient;
let base: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  requireChromium();
  await requireServices();
  node = await startTestNode(ns, { AUDIT_SEAL_INTERVAL: "100" }, { listen: true });
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

const until = <A>(fn: (arg: A) => unknown, arg: A, what: string, timeoutMs = 30_000) =>
  waitInPage(
    page,
    fn,
    arg,
    what,
    (p) =>
      p.evaluate(() => ({
        rows: document.querySelector('[data-testid="audit-rows"]')?.textContent?.slice(0, 400),
        verify: document.querySelector('[data-testid="audit-verify-result"]')?.textContent,
        error: document.querySelector('[data-testid="audit-error"]')?.textContent,
      })),
    timeoutMs,
  );

const rowIds = () =>
  page.locator('[data-testid="audit-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")));
const rowCount = (n: number) => document.querySelectorAll('[data-testid="audit-row"]').length === n;
const verifyState = (s: string) =>
  document.querySelector('[data-testid="audit-verify-result"]')?.getAttribute("data-state") === s;

test("audit page - filters, paging with the cursor, and the verify button (intact, then a tampered row)", async () => {
  const log = new PostgresAuditLog(node.sql);
  for (let i = 0; i < 5; i++)
    await log.record({
      principal: "page-tester",
      action: `widget.${i % 2 ? "paint" : "build"}`,
      target: `widget/W${i}`,
      requestId: `page-${i}`,
      detail: { before: { colour: "grey" }, after: { colour: `c${i}` } },
    });
  await waitFor(
    async () => (await node.sql`SELECT 1 FROM audit_log WHERE chain_seq IS NULL LIMIT 1`).length === 0,
    20_000,
    "every audit row sealed",
  );

  await signIn(page, base, api.token!);
  await page.goto(`${base}/dashboard/audit.html`);
  expect(await page.locator("h1").textContent()).toBe("审计日志");
  await until(
    () => document.querySelectorAll('[data-testid="audit-row"]').length > 0,
    undefined,
    "the newest rows",
  );

  // Filter: the widget rows of one actor, two a page; "more" follows the cursor to the end.
  await page.fill('[data-testid="audit-actor"]', "page-tester");
  await page.fill('[data-testid="audit-action"]', "widget.*");
  await page.selectOption('[data-testid="audit-limit"]', "20");
  await page.click('[data-testid="audit-search"]');
  await until(rowCount, 5, "the five widget rows");
  const all = await rowIds();
  expect(await page.locator('[data-testid="audit-row"]').first().getAttribute("data-action")).toBe(
    "widget.build",
  );
  expect(await page.locator('[data-testid="audit-change"]').first().textContent()).toBe(
    '{"colour":"grey"} → {"colour":"c4"}',
  );
  await page.evaluate(() => {
    const limit = document.querySelector('[data-testid="audit-limit"]') as HTMLSelectElement;
    limit.add(new Option("2", "2"));
    limit.value = "2";
  });
  await page.click('[data-testid="audit-search"]');
  await until(rowCount, 2, "the first page of two");
  await page.click('[data-testid="audit-more"]');
  await until(rowCount, 4, "two pages");
  await page.click('[data-testid="audit-more"]');
  await until(rowCount, 5, "three pages");
  await until(
    () => (document.querySelector('[data-testid="audit-more"]') as HTMLElement).hidden,
    undefined,
    "no more",
  );
  expect(await rowIds()).toEqual(all);

  // An exact action narrows further.
  await page.fill('[data-testid="audit-action"]', "widget.paint");
  await page.click('[data-testid="audit-search"]');
  await until(rowCount, 2, "the two paint rows");

  // Verify: intact.
  await page.click('[data-testid="audit-verify"]');
  await until(verifyState, "ok", "the chain intact");
  expect(await page.locator('[data-testid="audit-verify-result"]').textContent()).toContain(
    "哈希链完整：已校验",
  );

  // A sealed row changed in SQL: the button shows the break at its sequence.
  const [victim] = await node.sql`SELECT id, chain_seq FROM audit_log WHERE target = 'widget/W2'`;
  await node.sql`UPDATE audit_log SET detail = '{"after":{"colour":"forged"}}' WHERE id = ${victim!.id}`;
  await page.click('[data-testid="audit-verify"]');
  await until(verifyState, "broken", "the chain broken");
  expect(await page.locator('[data-testid="audit-verify-result"]').getAttribute("data-seq")).toBe(
    String(victim!.chain_seq),
  );
  expect(await page.locator('[data-testid="audit-verify-result"]').textContent()).toContain("内容被改动");

  await page.screenshot({ path: `${ARTIFACTS}dashboard-audit.png`, fullPage: true });
  expect(pageErrors).toEqual([]);
}, 120_000);
