/**
 * The warehouse dashboard in a real browser (system Chromium through playwright-core): opened first, then
 * every figure follows the warehouse actor live — inbound due today and the putaway backlog, bins near
 * capacity after the putaway, an open wave's progress, the pick rate, a short pick and a count difference.
 * Screenshot: tests/artifacts/dashboard-warehouse.png.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { warehouses } from "../actors/warehouse/index.ts";
import type { HubNode } from "../hub-node.ts";
import { ARTIFACTS, openDashboardBrowser, requireChromium, signIn } from "./support/browser.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("wms-panel");
const WH = "WH-P";
let node: HubNode;
let api: ApiClient;
let base: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let seq = 0;

async function actor(cmd: { type: string; [k: string]: unknown }) {
  seq += 1;
  const reply = await node.client.request("warehouse", WH, cmd, {
    id: `panel-${seq}`,
    meta: { by: "panel-test", requestId: `p-${seq}` },
  });
  if (!reply.ok) throw new Error(`${cmd.type}: ${JSON.stringify(reply.error)}`);
  return reply.value as Record<string, unknown>;
}

async function must(method: string, path: string, body?: unknown, status = 200) {
  const res = await api.call(method, path, body);
  if (res.status !== status) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown>;
}

/** Waits until the figure `testid` shows `value` (reading what it last showed when it does not). */
async function figure(testid: string, value: number, timeoutMs = 30_000): Promise<void> {
  try {
    await page.waitForFunction(
      ([id, v]) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute("data-value") === String(v),
      [testid, value] as const,
      { timeout: timeoutMs, polling: 50 },
    );
  } catch {
    const shown = await page.locator(`[data-testid="${testid}"]`).getAttribute("data-value");
    throw new Error(`${testid} shows ${shown}, expected ${value}; page errors: ${pageErrors.join(" | ")}`);
  }
}

async function rows(testid: string, timeoutMs = 30_000, what = testid): Promise<void> {
  try {
    await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`), testid, {
      timeout: timeoutMs,
      polling: 50,
    });
  } catch {
    throw new Error(`no ${what} row appeared; page errors: ${pageErrors.join(" | ")}`);
  }
}

beforeAll(async () => {
  requireChromium();
  await requireServices();
  node = await startTestNode(ns, { ROLES: "gateway,actors,projector,realtime" }, { listen: true });
  base = `http://127.0.0.1:${node.server!.port}`;
  api = new ApiClient(base);
  await api.login();
  await must("PUT", `/v1/warehouses/${WH}`, { name: "Panel", region: "east" }, 201);
  for (const [bin, aisle, bay] of [
    ["P-01", 1, 1],
    ["P-02", 1, 2],
  ] as const)
    await must("PUT", `/v1/warehouses/${WH}/bins/${bin}`, {
      zone: "ambient",
      aisle,
      bay,
      level: 1,
      capacity: 10,
    });
  ({ browser, page } = await openDashboardBrowser({ width: 1440, height: 960 }, pageErrors));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await node?.stop();
  await cleanupNamespace(ns);
}, 20_000);

test("warehouse panel - every figure follows the warehouse actor live", async () => {
  // Signed in (the token the login form would store), then the dashboard opens on an idle warehouse.
  await signIn(page, base, api.token!);
  await page.goto(`${base}/dashboard/warehouse.html?code=${WH}`);
  await page.waitForFunction(
    () => document.querySelector('[data-testid="conn-status"]')?.getAttribute("data-state") === "connected",
    undefined,
    { timeout: 30_000 },
  );
  await figure("kpi-backlog", 0);

  // A receipt arrives through the seam: due today, waiting for putaway.
  const call = warehouses.registerReceipt(WH, { receiptId: "RC-P1", lines: [{ sku: "PANEL-1", qty: 9 }] });
  await actor(call.cmd);
  await figure("kpi-inbound", 9);
  await figure("kpi-backlog", 9);

  // Put away: the backlog empties and P-01 holds 9 of 10 (near capacity).
  await must("POST", `/v1/warehouses/${WH}/putaways/RC-P1/confirm`, {});
  await figure("kpi-backlog", 0);
  await rows("bin-row", 30_000, "bin near capacity");
  expect(await page.locator('[data-testid="bin-row"]').first().getAttribute("data-bin")).toBe("P-01");

  // A wave of one order for 5: open, no progress.
  const wave = await actor({
    type: "createWave",
    waveId: `WV000000000001:${WH}`,
    orders: [{ orderId: "O-PANEL-1", lines: [{ sku: "PANEL-1", qty: 5 }] }],
  });
  await figure("kpi-waves", 1);
  await rows("wave-row", 30_000, "open wave");
  expect(await page.locator('[data-testid="wave-row"]').getAttribute("data-progress")).toBe("0");

  // Picked short (3 of 5): the pick rate counts 3 units, one short pick, the order an exception.
  const step = (wave.pickLists as Array<{ steps: Array<{ step: number }> }>)[0]!.steps[0]!.step;
  await actor({ type: "confirmPicks", waveId: wave.waveId, picks: [{ step, qty: 3 }] });
  await figure("kpi-pick-rate", 3);
  await figure("kpi-short-picks", 1);
  await figure("kpi-waves", 0);
  await rows("short-row", 30_000, "short pick");

  // The blind count of P-01 finds 4 instead of 6: a difference of 2, adjusted at once (under the threshold).
  const count = await must("POST", `/v1/warehouses/${WH}/counts`, { bin: "P-01" }, 201);
  await must("POST", `/v1/warehouses/${WH}/counts/${count.countId}`, { lines: [{ sku: "PANEL-1", qty: 4 }] });
  await figure("kpi-count-diffs", 2);
  await rows("diff-row", 30_000, "count difference");

  await page.screenshot({ path: `${ARTIFACTS}dashboard-warehouse.png`, fullPage: true });
  await page.selectOption('[data-testid="lang-switch"]', "en");
  expect(await page.locator("h1").textContent()).toBe("Warehouse floor");
  expect(pageErrors).toEqual([]);
}, 120_000);
