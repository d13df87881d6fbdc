/**
 * The live dashboards in a real browser (system Chromium through playwright-core): sign in through the
 * page, watch numbers move as the API produces events, and survive a dropped socket without a gap or a
 * duplicate. Screenshots land in tests/artifacts/dashboard-<name>.png.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import postgres from "postgres";
import { io, type Socket } from "socket.io-client";
import type { HubNode } from "../hub-node.ts";
import { type DemoCall, payOrder, shipOrder } from "../scripts/demo-shopper.ts";
import { ARTIFACTS, openDashboardBrowser, requireChromium } from "./support/browser.ts";
import {
  ADMIN_PASSWORD,
  ApiClient,
  cleanupNamespace,
  DATABASE_URL,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("dashboards");
const address = { region: "Shanghai", detail: "88 Nanjing Rd", phone: "13900000000", name: "Wang" };
const WH = "WH-DB";

let node: HubNode;
let api: ApiClient;
let base: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  requireChromium();
  await requireServices();
  node = await startTestNode(ns, { ROLES: "gateway,actors,projector,realtime" }, { listen: true });
  base = `http://127.0.0.1:${node.server!.port}`;
  api = new ApiClient(base);
  await api.login();
  await api.call("PUT", `/v1/warehouses/${WH}`, { name: "Dashboards", region: "east" });
  for (const [sku, qty, price] of [
    ["DB-1", 500, 12_900],
    ["DB-2", 300, 4_990],
    ["DB-LOW", 20, 1_500],
  ] as const) {
    await api.call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse: WH, qty },
      { "idempotency-key": `r-${sku}` },
    );
    await api.call("PUT", `/v1/skus/${sku}/price`, { listPrice: price });
  }
  // The wrong-password attempt is an expected 401.
  ({ browser, page } = await openDashboardBrowser({ width: 1440, height: 960 }, pageErrors, (text) =>
    text.includes("401"),
  ));
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await browser?.close();
  await node?.stop();
  await cleanupNamespace(ns);
}, 20_000);

let seq = 0;
async function placeOrder(sku: string, qty = 1): Promise<{ orderId: string; total: number }> {
  const key = `db-${++seq}-${Date.now()}`;
  const res = await api.call(
    "POST",
    "/v1/orders",
    { userId: `db-user-${seq % 7}`, lines: [{ sku, qty }], address },
    { "idempotency-key": key },
  );
  expect(res.status).toBe(201);
  const body = res.body as { orderId: string; amounts: { total: number } };
  return { orderId: body.orderId, total: body.amounts.total };
}

async function pay(orderId: string): Promise<void> {
  const created = await api.call("POST", "/v1/payments", { orderId, channel: "alipay" });
  expect(created.status).toBe(201);
  const { paymentId } = created.body as { paymentId: string };
  expect((await api.call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid" })).status).toBe(200);
}

/** Polls the page until `fn` (run in the page) returns something truthy. */
async function until<T>(fn: () => T, what: string, timeoutMs = 8_000): Promise<void> {
  try {
    await page.waitForFunction(fn, undefined, { timeout: timeoutMs, polling: 50 });
  } catch (error) {
    throw new Error(`timed out waiting in the page for ${what}: ${(error as Error).message.split("\n")[0]}`);
  }
}

const num = (testid: string) =>
  page.locator(`[data-testid="${testid}"]`).evaluate((el) => Number((el as HTMLElement).dataset.value));

/** The page is subscribed (its ack, and any snapshot, applied) and connected. */
async function openDashboard(name: string, dashboards: string[]): Promise<void> {
  await page.goto(`${base}/dashboard/${name}.html`);
  await until(
    () => document.querySelector('[data-testid="conn-status"]')?.getAttribute("data-state") === "connected",
    `${name} connected`,
  );
  await page.waitForFunction(
    (ds) => {
      const hub = (window as unknown as { __hub?: { lastIds(): Record<string, number | null> } }).__hub;
      return hub && ds.every((d) => hub.lastIds()[d] !== null);
    },
    dashboards,
    { timeout: 8_000, polling: 50 },
  );
}

const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}dashboard-${name}.png`, fullPage: true });

test("dashboards - sign in through the page (Chinese by default)", async () => {
  await page.goto(`${base}/dashboard/orders.html`);
  // Without a token a dashboard sends you to the login form, which brings you back afterwards.
  await page.waitForURL(/\/dashboard\/\?next=orders\.html/);
  expect(await page.locator("html").getAttribute("lang")).toBe("zh-CN");
  expect(await page.locator('[data-testid="login-submit"]').textContent()).toBe("登录");
  await page.fill('[data-testid="login-password"]', "wrong-password");
  await page.click('[data-testid="login-submit"]');
  await until(() => document.querySelector('[data-testid="login-error"]')?.textContent, "the login error");
  await page.fill('[data-testid="login-username"]', "admin");
  await page.fill('[data-testid="login-password"]', ADMIN_PASSWORD);
  await page.click('[data-testid="login-submit"]');
  await page.waitForURL(/\/dashboard\/orders\.html$/);
  expect(await page.evaluate(() => Boolean(sessionStorage.getItem("hub.token")))).toBe(true);
  await page.goto(`${base}/dashboard/`);
  await until(
    () => document.querySelector('[data-testid="whoami"]')?.textContent === "admin",
    "the signed-in home",
  );
  await until(
    () => document.querySelector('[data-testid="conn-status"]')?.getAttribute("data-state") === "connected",
    "the connection indicator",
  );
  expect(await page.locator('[data-testid="link-orders"] h2').textContent()).toBe("订单看板");
  await shot("index");
}, 20_000);

test("dashboards - orders: KPIs, funnel and latest orders follow placed and paid orders", async () => {
  await openDashboard("orders", ["orders"]);
  const before = { orders: await num("kpi-orders"), gmv: await num("kpi-gmv") };
  const placed = [];
  for (let i = 0; i < 4; i++) placed.push(await placeOrder(i % 2 ? "DB-1" : "DB-2", 1 + (i % 3)));
  for (const o of placed.slice(0, 3)) await pay(o.orderId);
  const paidTotal = placed.slice(0, 3).reduce((n, o) => n + o.total, 0);
  await page.waitForFunction(
    ([orders, gmv]) => {
      const v = (id: string) =>
        Number((document.querySelector(`[data-testid="${id}"]`) as HTMLElement | null)?.dataset.value);
      return v("kpi-orders") === orders && v("kpi-gmv") === gmv;
    },
    [before.orders + 4, before.gmv + paidTotal],
    { timeout: 8_000, polling: 50 },
  );
  expect(await num("kpi-orders-per-min")).toBeGreaterThanOrEqual(4);
  expect(await page.locator('[data-testid="kpi-gmv"]').textContent()).toBe(
    `¥${((before.gmv + paidTotal) / 100).toLocaleString("en-US", { minimumFractionDigits: 2 })}`,
  );
  await until(
    () =>
      document.querySelectorAll('[data-testid^="order-row-"][data-status="awaiting_shipment"]').length >= 3,
    "three paid rows",
  );
  const unpaid = placed[3]!.orderId;
  expect(await page.locator(`[data-testid="order-row-${unpaid}"]`).getAttribute("data-status")).toBe(
    "pending_payment",
  );
  // Newest first.
  expect(await page.locator('[data-testid^="order-row-"]').first().getAttribute("data-testid")).toBe(
    `order-row-${unpaid}`,
  );
  expect(
    Number(await page.locator('[data-testid="funnel-awaiting_shipment"]').getAttribute("data-count")),
  ).toBeGreaterThanOrEqual(3);
  await page.waitForTimeout(1_100); // one chart tick
  await shot("orders");
}, 20_000);

test("dashboards - the orders chart and orders/min open with the read model's last ten minutes", async () => {
  const placed = [];
  for (let i = 0; i < 3; i++) placed.push(await placeOrder("DB-2"));
  await pay(placed[0]!.orderId);
  // Everything is in the read model before the page opens: what the chart shows comes from the snapshot.
  await node.projector!.caughtUp();
  await openDashboard("orders", ["orders"]);
  const opened = await page.evaluate(() => {
    const w = window as unknown as {
      __hub: { received: number[]; state: { buckets: Record<string, { placed: number; paid: number }> } };
      __chart?: { data: number[][] };
    };
    const sum = (xs: number[]) => xs.reduce((n, x) => n + (x ?? 0), 0);
    return {
      live: w.__hub.received.length,
      placed: sum(Object.values(w.__hub.state.buckets).map((b) => b.placed)),
      paid: sum(Object.values(w.__hub.state.buckets).map((b) => b.paid)),
      chartPlaced: w.__chart ? sum(w.__chart.data[1]!) : null,
    };
  });
  const detail = JSON.stringify(opened);
  expect(opened.live, detail).toBe(0);
  // At least the orders of this file so far (all within the last ten minutes).
  expect(opened.placed, detail).toBeGreaterThanOrEqual(seq);
  expect(opened.paid, detail).toBeGreaterThanOrEqual(4);
  await until(
    () =>
      Number(document.querySelector('[data-testid="kpi-orders-per-min"]')?.getAttribute("data-value")) >= 3,
    "orders/min from the snapshot",
  );
  await page.waitForFunction(
    (n) => {
      const chart = (window as unknown as { __chart: { data: number[][] } }).__chart;
      return chart.data[1]!.reduce((a, b) => a + (b ?? 0), 0) >= n;
    },
    seq,
    { timeout: 3_000, polling: 100 },
  );
}, 20_000);

test("dashboards - chart legend and axes, and server reasons, follow the page language", async () => {
  await openDashboard("orders", ["orders"]);
  // A tampered callback (wrong amount) is refused: the alert carries the server's reason.
  const order = await placeOrder("DB-2");
  const created = await api.call("POST", "/v1/payments", { orderId: order.orderId, channel: "alipay" });
  expect(created.status).toBe(201);
  const { paymentId } = created.body as { paymentId: string };
  await api.call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid", amount: order.total + 1 });
  const detail = () =>
    page
      .locator('[data-testid="alert-item"][data-kind="alertCallbackRejected"] [data-testid="alert-detail"]')
      .first()
      .textContent({ timeout: 2_000 });
  await until(
    () => document.querySelector('[data-testid="alert-item"][data-kind="alertCallbackRejected"]'),
    "the rejected-callback alert",
  );
  const legend = () => page.locator('[data-testid="orders-chart"] .u-legend').textContent({ timeout: 2_000 });
  const axisLabels = () =>
    page.evaluate(() =>
      (window as unknown as { __chart: { axes: Array<{ label?: string }> } }).__chart.axes.map(
        (a) => a.label,
      ),
    );
  expect(await detail()).toContain("金额不符");
  expect(await legend()).toContain("下单");
  expect(await legend()).toContain("时间");
  expect(await axisLabels()).toEqual(["时间", "订单数"]);
  await page.selectOption('[data-testid="lang-switch"]', "en");
  expect(await detail()).toContain("amount mismatch");
  expect(await legend()).toContain("Placed");
  expect(await legend()).toContain("Time");
  expect(await legend()).not.toContain("下单");
  expect(await axisLabels()).toEqual(["Time", "Orders"]);
  await shot("orders-en");
  await page.selectOption('[data-testid="lang-switch"]', "zh-CN");
  expect(await legend()).toContain("支付");
}, 20_000);

test("dashboards - demo shoppers: a WeChat payment (its callback answers 204) counts as paid, and the order ships", async () => {
  const call: DemoCall = async (method, path, body, key) => {
    const res = await api.call(method, path, body, key ? { "idempotency-key": key } : {});
    return {
      status: res.status,
      body: (typeof res.body === "object" && res.body ? res.body : {}) as Record<string, unknown>,
    };
  };
  const order = await placeOrder("DB-2");
  expect(await payOrder(call, order, "wechat")).toBe(true);
  await waitFor(
    async () =>
      ((await api.call("GET", `/v1/orders/${order.orderId}`)).body as { status: string }).status ===
      "awaiting_shipment",
    5_000,
    "the WeChat-paid order to await shipment",
  );
  expect(await shipOrder(call, order.orderId, "SF", `T-${order.orderId}`)).toBe(true);
}, 20_000);

test("dashboards - inventory: live physical/reserved per SKU, low-stock alert, sell-through", async () => {
  await openDashboard("inventory", ["inventory"]);
  const row = (sku: string) => page.locator(`[data-testid="sku-row-${sku}"]`);
  await until(() => document.querySelector('[data-testid="sku-row-DB-1"]'), "DB-1 from the snapshot");
  const reservedBefore = Number(await row("DB-1").getAttribute("data-reserved"));
  const physicalBefore = Number(await row("DB-1").getAttribute("data-physical"));
  await api.call(
    "POST",
    "/v1/inventory/DB-1/receipts",
    { warehouse: WH, qty: 40 },
    { "idempotency-key": "r-db1-more" },
  );
  for (let i = 0; i < 12; i++)
    expect(
      (await api.call("POST", "/v1/inventory/DB-1/reservations", { orderId: `inv-${i}`, qty: 5 })).status,
    ).toBe(201);
  await page.waitForFunction(
    ([physical, reserved]) => {
      const el = document.querySelector('[data-testid="sku-row-DB-1"]') as HTMLElement | null;
      return Number(el?.dataset.physical) === physical && Number(el?.dataset.reserved) === reserved;
    },
    [physicalBefore + 40, reservedBefore + 60],
    { timeout: 8_000, polling: 50 },
  );
  expect(Number(await row("DB-1").getAttribute("data-sellable"))).toBe(
    physicalBefore + 40 - reservedBefore - 60,
  );
  // A safety stock above what is sellable: the SKU goes low and the page shows the alert.
  expect(
    (await api.call("POST", "/v1/inventory/DB-LOW/reservations", { orderId: "low-1", qty: 10 })).status,
  ).toBe(201);
  expect(
    (await api.call("PUT", "/v1/inventory/DB-LOW/safety-stock", { warehouse: WH, qty: 15 })).status,
  ).toBe(200);
  await until(
    () => document.querySelector('[data-testid="alert-item"][data-sku="DB-LOW"]'),
    "the low-stock alert",
  );
  await until(
    () => document.querySelector('[data-testid="sku-row-DB-LOW"]')?.getAttribute("data-reserved") === "10",
    "DB-LOW reserved",
  );
  await until(
    () => document.querySelector('[data-testid="sell-through"]')?.getAttribute("data-sku") === "DB-1",
    "the hottest SKU's sell-through",
  );
  await shot("inventory");
}, 20_000);

test("dashboards - after a reload, sell-through counts from the sale's starting stock and standing alerts keep their time", async () => {
  await node.projector!.caughtUp();
  await openDashboard("inventory", ["inventory"]);
  await until(
    () => document.querySelector('[data-testid="sell-through"]')?.getAttribute("data-sku") === "DB-1",
    "DB-1's sell-through from the snapshot",
  );
  // DB-1 opened with 500 and sold before 40 more arrived: the sale is measured against 500, not 540.
  const sell = page.locator('[data-testid="sell-through"]');
  expect(await sell.locator(".sell-meta span").textContent()).toEndWith("/ 500");
  expect(await sell.getAttribute("data-start")).toBe("500");
  const row = page.locator('[data-testid="sku-row-DB-1"]');
  const physical = Number(await row.getAttribute("data-physical"));
  const reserved = Number(await row.getAttribute("data-reserved"));
  expect(physical).toBe(540);
  expect(Number(await sell.getAttribute("data-ratio"))).toBeCloseTo((500 - (physical - reserved)) / 500, 3);
  const when = await page
    .locator('[data-testid="alert-item"][data-sku="DB-LOW"] .when')
    .first()
    .textContent();
  expect(when, "a standing low-stock alert from the snapshot shows when it was raised").toMatch(
    /\d{2}:\d{2}:\d{2}/,
  );
}, 20_000);

test("dashboards - logistics shows its live panel (tests/logistics-panel.browser.test.ts), the warehouse panel links to its dashboard, in both languages", async () => {
  await openDashboard("logistics", ["logistics", "warehouse"]);
  await until(() => document.querySelector('[data-testid="logistics-panel"]'), "the logistics panel");
  await until(() => document.querySelector('[data-testid="warehouse-link"]'), "the warehouse dashboard link");
  expect(await page.locator('[data-testid="logistics-panel"]').textContent()).toContain("在途");
  expect(await page.locator('[data-testid="warehouse-link"]').getAttribute("href")).toBe(
    "/dashboard/warehouse.html",
  );
  await shot("logistics");
  await page.selectOption('[data-testid="lang-switch"]', "en");
  expect(await page.locator('[data-testid="logistics-panel"]').textContent()).toContain("In transit");
  expect(await page.locator("h1").textContent()).toBe("Logistics & warehouse");
  await page.selectOption('[data-testid="lang-switch"]', "zh-CN");
  expect(await page.locator("h1").textContent()).toBe("物流与仓储");
}, 20_000);

test("dashboards - a dropped socket resumes without a gap or a duplicate", async () => {
  await openDashboard("orders", ["orders"]);
  const control = io(base, { auth: { token: api.token }, transports: ["websocket"], reconnection: false });
  sockets.push(control);
  const controlIds: number[] = [];
  control.on("event", (m: { id: number }) => controlIds.push(m.id));
  await new Promise<void>((resolve) => control.on("connect", () => resolve()));
  const ack = await new Promise<{ ok: boolean }>((resolve) =>
    control.emit("subscribe", { dashboard: "orders" }, resolve),
  );
  expect(ack.ok).toBe(true);
  const hub = () =>
    page.evaluate(() => {
      const h = (window as unknown as { __hub: { received: number[]; subscribes: number } }).__hub;
      return { received: [...h.received], subscribes: h.subscribes };
    });
  const subscribesBefore = (await hub()).subscribes;

  for (let i = 0; i < 3; i++) await placeOrder("DB-2");
  await waitFor(async () => (await hub()).received.length > 0, 5_000, "the page to see the first orders");
  // 1) The network drops mid-stream: the transport closes and the client reconnects by itself.
  await page.evaluate(() =>
    (
      window as unknown as { __hub: { socket: { io: { engine: { close(): void } } } } }
    ).__hub.socket.io.engine.close(),
  );
  for (let i = 0; i < 3; i++) await placeOrder("DB-2");
  await waitFor(
    async () => (await hub()).subscribes >= subscribesBefore + 1,
    5_000,
    "the page to reconnect by itself",
  );
  await until(
    () => document.querySelector('[data-testid="conn-status"]')?.getAttribute("data-state") === "connected",
    "the indicator back to connected after the drop",
  );
  // 2) A longer outage: disconnected while more orders are placed and paid, then connected again.
  await page.evaluate(() =>
    (window as unknown as { __hub: { socket: { disconnect(): void } } }).__hub.socket.disconnect(),
  );
  await until(
    () =>
      document.querySelector('[data-testid="conn-status"]')?.getAttribute("data-state") === "disconnected",
    "the indicator to show the outage",
  );
  for (let i = 0; i < 3; i++) await pay((await placeOrder("DB-1")).orderId);
  await page.evaluate(() =>
    (window as unknown as { __hub: { socket: { connect(): void } } }).__hub.socket.connect(),
  );
  for (let i = 0; i < 2; i++) await placeOrder("DB-2");

  await waitFor(
    async () => controlIds.length > 0 && (await hub()).received.at(-1) === controlIds.at(-1),
    8_000,
    "the page to catch up with the control socket",
  );
  await Bun.sleep(300); // anything doubled would arrive now
  const { received, subscribes } = await hub();
  expect(subscribes).toBeGreaterThanOrEqual(subscribesBefore + 2);
  expect(new Set(received).size).toBe(received.length);
  expect([...received].sort((a, b) => a - b)).toEqual(received);
  const tail = received.filter((id) => id >= controlIds[0]!);
  expect(tail).toEqual(controlIds);
  await until(
    () => document.querySelector('[data-testid="conn-status"]')?.getAttribute("data-state") === "connected",
    "the indicator back to connected",
  );
}, 20_000);

test("dashboards - catalogue: products by status, scheduled within the hour and pending reviews follow the catalogue live", async () => {
  const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => undefined, connection: { search_path: ns } });
  try {
    expect((await api.call("PUT", "/v1/categories/DB-CAT", { name: "看板类目", kind: "back" })).status).toBe(
      201,
    );
    for (const [spu, name] of [
      ["DB-SPU-1", "看板连衣裙"],
      ["DB-SPU-2", "看板衬衫"],
    ] as const) {
      const res = await api.call("PUT", `/v1/products/${spu}`, {
        name,
        category: "DB-CAT",
        skus: [{ sku: `${spu}-A`, specs: {}, listPrice: 9_900 }],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    await openDashboard("catalogue", ["catalogue"]);
    const panel = async () => ({
      total: await num("cat-total"),
      draft: await num("cat-status-draft"),
      onSale: await num("cat-status-on_sale"),
      hour: await num("cat-scheduled-hour"),
      reviews: await num("cat-reviews-pending"),
    });
    expect(await panel()).toEqual({ total: 2, draft: 2, onSale: 0, hour: 0, reviews: 0 });
    // A publish: the listing event is on the log at once (activity), the count follows once the
    // projector has written the status (NOTIFY at its commit).
    expect((await api.call("POST", "/v1/products/DB-SPU-1/publish")).status).toBe(200);
    await until(
      () =>
        document.querySelector('[data-testid="cat-status-on_sale"]')?.getAttribute("data-value") === "1" &&
        document.querySelector('[data-testid="cat-status-draft"]')?.getAttribute("data-value") === "1",
      "on sale 1, draft 1 after the publish",
    );
    await until(
      () => document.querySelector('[data-testid="cat-activity-item"][data-spu="DB-SPU-1"]'),
      "the publish in the activity list",
    );
    const at = new Date(Date.now() + 20 * 60_000).toISOString();
    expect((await api.call("POST", "/v1/products/DB-SPU-2/publish", { at })).status).toBe(202);
    await until(
      () => document.querySelector('[data-testid="cat-scheduled-hour"]')?.getAttribute("data-value") === "1",
      "one listing due within the hour",
    );
    await until(
      () => document.querySelector('[data-testid="cat-upcoming-item"][data-spu="DB-SPU-2"]'),
      "the upcoming change listed",
    );
    // A review arriving for moderation (the reviews module's table) moves the pending count.
    await sql`INSERT INTO reviews (id, order_id, sku, user_id, rating, text, created_by)
      VALUES ('rv-db-1', 'o-db-1', 'DB-SPU-1-A', 'u-db', 4, '不错', 'u-db')`;
    await until(
      () => document.querySelector('[data-testid="cat-reviews-pending"]')?.getAttribute("data-value") === "1",
      "one review awaiting moderation",
    );
    await shot("catalogue");
  } finally {
    await sql.end();
  }
}, 20_000);

test("dashboards - no script errors in any page", () => {
  expect(pageErrors).toEqual([]);
}, 20_000);
