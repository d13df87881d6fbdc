/**
 * The logistics dashboard in a real browser (system Chromium through playwright-core): opened first, then
 * every figure follows the shipment actors live — shipments by status, the province heat table of
 * shipments in transit, tracking events per minute, a late shipment by carrier and route, an exception
 * with its compensation record, SLA attainment. The label PNG renders in the same browser.
 * Screenshot: tests/artifacts/dashboard-logistics.png.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import type { HubNode } from "../hub-node.ts";
import { ARTIFACTS, openDashboardBrowser, requireChromium, signIn } from "./support/browser.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("logistics-panel");
let node: HubNode;
let api: ApiClient;
let base: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let seq = 0;

async function create(id: string, over: Record<string, unknown> = {}) {
  seq += 1;
  const reply = await node.client.request(
    "shipment",
    id,
    {
      type: "create",
      orderId: `O-${id}`,
      carrier: "express",
      lines: [{ sku: "SKU-L", qty: 1 }],
      toRegion: "310115",
      declaredValue: 5_000,
      ...over,
    },
    { id: `panel-create-${seq}`, meta: { by: "panel-test" } },
  );
  if (!reply.ok) throw new Error(`create ${id}: ${JSON.stringify(reply.error)}`);
}

async function must(method: string, path: string, body?: unknown, status = 200) {
  const res = await api.call(method, path, body);
  if (res.status !== status) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown>;
}

async function waitWaybill(id: string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const res = await api.call("GET", `/v1/shipments/${id}`);
    if (res.status === 200 && (res.body as { waybillNo: string | null }).waybillNo) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no waybill for ${id}`);
}

/** Waits until the element `testid` shows `value` in `data-value` (reading what it last showed when not). */
async function figure(testid: string, value: number | string, timeoutMs = 30_000): Promise<void> {
  try {
    await page.waitForFunction(
      ([id, v]) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute("data-value") === String(v),
      [testid, value] as const,
      { timeout: timeoutMs, polling: 50 },
    );
  } catch {
    const shown = await page
      .locator(`[data-testid="${testid}"]`)
      .first()
      .getAttribute("data-value")
      .catch(() => null);
    throw new Error(`${testid} shows ${shown}, expected ${value}; page errors: ${pageErrors.join(" | ")}`);
  }
}

beforeAll(async () => {
  requireChromium();
  await requireServices();
  node = await startTestNode(ns, { ROLES: "gateway,actors,projector,realtime" }, { listen: true });
  base = `http://127.0.0.1:${node.server!.port}`;
  api = new ApiClient(base);
  await api.login();
  // One shipment exists before the page opens: the snapshot shows it.
  await create("L-0");
  await waitWaybill("L-0");
  await node.projector!.caughtUp(30_000);
  ({ browser, page } = await openDashboardBrowser({ width: 1440, height: 1400 }, pageErrors));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await node?.stop();
  await cleanupNamespace(ns);
}, 20_000);

test("logistics panel - every figure follows the shipments live", async () => {
  await signIn(page, base, api.token!);
  await page.goto(`${base}/dashboard/logistics.html`);
  await figure("status-awaiting_pickup", 1);
  await figure("kpi-in-transit", 0);

  // A second shipment, picked up and moving towards Shanghai: in transit there, two tracking events.
  await create("L-1");
  await waitWaybill("L-1");
  await figure("status-awaiting_pickup", 2);
  await must("POST", "/v1/carriers/express/simulate", { shipmentId: "L-1", type: "picked_up" });
  await must("POST", "/v1/carriers/express/simulate", { shipmentId: "L-1", type: "in_transit" });
  await figure("kpi-in-transit", 1);
  await figure("province-310000", 1);
  await figure("status-in_transit", 1);
  await figure("tracking-per-minute", 2);

  // Delivered on time: out of the heat table, SLA 100 %.
  await must("POST", "/v1/carriers/express/simulate", { shipmentId: "L-1", type: "delivered" });
  await figure("kpi-in-transit", 0);
  await figure("status-delivered", 1);
  await figure("sla-express", 100);

  // A shipment whose promise passes (a 2-second promise): late, by carrier and route.
  await create("L-2", { slaHours: 2 / 3600, warehouse: "WH-L" });
  await figure("kpi-late", 1, 60_000);
  const late = page.locator('[data-testid="late-row"]').first();
  expect(await late.getAttribute("data-carrier")).toBe("express");
  expect(await late.getAttribute("data-route")).toBe("WH-L>310000");

  // Lost in transit: an exception with its compensation record.
  await must("POST", "/v1/carriers/express/simulate", { shipmentId: "L-0", type: "picked_up" });
  await must("POST", "/v1/carriers/express/simulate", {
    shipmentId: "L-0",
    type: "exception",
    reason: "lost",
  });
  await figure("kpi-exception", 1);
  await figure("kpi-open-claims", 1);
  expect(await page.locator('[data-testid="exception-row"]').first().getAttribute("data-reason")).toBe(
    "lost",
  );
  await must("POST", "/v1/shipments/L-0/compensation/settle", { amount: 5_000 });
  await figure("kpi-open-claims", 0);
  expect(pageErrors).toEqual([]);
  await page.screenshot({ path: `${ARTIFACTS}dashboard-logistics.png`, fullPage: true });

  // A reload opens on the same figures from the read models.
  await node.projector!.caughtUp(30_000);
  await page.reload();
  await figure("status-delivered", 1);
  await figure("kpi-late", 1);
  await figure("kpi-exception", 1);
  await figure("sla-express", 100);
}, 120_000);

test("logistics panel - the e-waybill label renders in the browser with its barcode", async () => {
  const res = await fetch(`${base}/v1/shipments/L-1/label`, {
    headers: { authorization: `Bearer ${api.token}` },
  });
  expect(res.headers.get("content-type")).toBe("image/png");
  const png = Buffer.from(await res.arrayBuffer()).toString("base64");
  const size = await page.evaluate(async (data) => {
    const img = new Image();
    img.src = `data:image/png;base64,${data}`;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext("2d")!;
    ctx.drawImage(img, 0, 0);
    // Dark pixels along the barcode's middle row (the label draws it at y 300–480).
    const row = ctx.getImageData(0, 390, canvas.width, 1).data;
    let dark = 0;
    for (let i = 0; i < row.length; i += 4) if (row[i]! < 128) dark++;
    return { width: img.naturalWidth, height: img.naturalHeight, dark };
  }, png);
  expect(size.width).toBe(800);
  expect(size.height).toBe(1000);
  expect(size.dark).toBeGreaterThan(100);
});
