/**
 * A live demo of the dashboards: one node with every role, a seeded catalogue, and a simulated sale that
 * runs until Ctrl-C.
 *
 *   npm run demo            (PORT=3000, ADMIN_PASSWORD=demo-admin-password, namespace "demo")
 *
 * Everything goes through the public HTTP API, exactly as a storefront and a payment channel would: orders
 * are placed, ~80% are paid (a few after a rejected, tampered callback), some are cancelled, some left to
 * time out, paid ones are shipped; a flash-sale SKU and a low-stock SKU keep the inventory board busy.
 */
import { loadConfig } from "../config.ts";
import { startHubNode } from "../hub-node.ts";
import { cancelOrder, payOrder, shipOrder } from "./demo-shopper.ts";

const PORT = process.env.PORT ?? "3000";
const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD ?? "demo-admin-password";
const NAMESPACE = "demo";
const WORKERS = Number(process.env.DEMO_WORKERS ?? 3);
const address = { region: "上海市浦东新区", detail: "世纪大道 100 号", phone: "13800138000", name: "李雷" };
const WAREHOUSES = [
  { code: "WH-SH", name: "上海仓", region: "east" },
  { code: "WH-GZ", name: "广州仓", region: "south" },
];

interface Sku {
  sku: string;
  price: number;
  weight: number;
}

const env: Record<string, string | undefined> = { ...process.env };
delete env.ROLES; // every role in this one process
const config = loadConfig(env, {
  HUB_NAMESPACE: NAMESPACE,
  ADMIN_PASSWORD,
  PORT,
  LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
  // Short enough that "cancelled: payment timeout" alerts show up during a demo.
  ORDER_PAYMENT_TIMEOUT: process.env.ORDER_PAYMENT_TIMEOUT ?? "45s",
});

const node = await startHubNode(config, { listen: true });
const base = `http://127.0.0.1:${node.server!.port}`;
let stopping = false;
const timers = new Set<ReturnType<typeof setTimeout>>();
const stats = { placed: 0, paid: 0, cancelled: 0, shipped: 0, rejected: 0, outOfStock: 0, errors: 0 };

async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    console.log("\nforced exit");
    process.exit(1);
  }
  stopping = true;
  console.log(`\n${signal}: stopping the demo (Ctrl-C again to force)…`);
  for (const t of timers) clearTimeout(t);
  timers.clear();
  await Bun.sleep(200);
  await node.stop();
  console.log("demo stopped");
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

let token = "";
async function login(): Promise<void> {
  const res = await fetch(`${base}/v1/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
  });
  if (!res.ok) {
    throw new Error(
      `admin login failed (${res.status}): the "${NAMESPACE}" namespace may already have an admin with another password; set ADMIN_PASSWORD`,
    );
  }
  token = ((await res.json()) as { token: string }).token;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  key?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(key ? { "idempotency-key": key } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status === 401 && attempt === 0) {
      await login();
      continue;
    }
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed };
  }
}

const rand = (n: number) => Math.floor(Math.random() * n);
const chance = (p: number) => Math.random() < p;

function later(ms: number, fn: () => Promise<unknown>): void {
  if (stopping) return;
  const timer = setTimeout(() => {
    timers.delete(timer);
    if (!stopping) fn().catch(() => stats.errors++);
  }, ms);
  timers.add(timer);
}

// --- the catalogue --------------------------------------------------------------------------------

const catalogue: Sku[] = [];
async function seed(): Promise<void> {
  for (const w of WAREHOUSES)
    await call("PUT", `/v1/warehouses/${w.code}`, { name: w.name, region: w.region });
  const skus: Array<Sku & { stock: [number, number]; safety?: number }> = [];
  for (let i = 1; i <= 30; i++) {
    const sku = `SKU-${String(i).padStart(4, "0")}`;
    const price = [990, 1990, 2990, 4990, 9900, 12900, 19900, 29900, 59900][i % 9]!;
    skus.push({
      sku,
      price,
      weight: i <= 5 ? 6 : i <= 12 ? 3 : 1,
      stock: [200 + ((i * 137) % 1800), 100 + ((i * 71) % 900)],
      ...(i % 5 === 0 ? { safety: 40 } : {}),
    });
  }
  // The flash sale: one cheap, very popular SKU with little stock, in one warehouse.
  skus.push({ sku: "FLASH-0001", price: 990, weight: 25, stock: [600, 0] });
  // Runs low quickly: the inventory board's low-stock alerts.
  skus.push({ sku: "LOW-0001", price: 3990, weight: 4, stock: [60, 0], safety: 30 });
  for (const s of skus) {
    await call("PUT", `/v1/skus/${s.sku}/price`, { listPrice: s.price });
    for (const [i, qty] of s.stock.entries()) {
      if (qty <= 0) continue;
      const wh = WAREHOUSES[i]!.code;
      await call(
        "POST",
        `/v1/inventory/${s.sku}/receipts`,
        { warehouse: wh, qty },
        `demo-seed-${s.sku}-${wh}`,
      );
    }
    if (s.safety)
      await call("PUT", `/v1/inventory/${s.sku}/safety-stock`, { warehouse: "WH-SH", qty: s.safety });
    catalogue.push({ sku: s.sku, price: s.price, weight: s.weight });
  }
}

function pickSku(exclude: Set<string>): Sku {
  const options = catalogue.filter((s) => !exclude.has(s.sku));
  let r = Math.random() * options.reduce((n, s) => n + s.weight, 0);
  for (const s of options) {
    r -= s.weight;
    if (r <= 0) return s;
  }
  return options.at(-1)!;
}

/** Sold out: restock after a while (long enough to see the low-stock state on the board). */
const restocking = new Set<string>();
function restock(sku: string): void {
  if (restocking.has(sku)) return;
  restocking.add(sku);
  later(20_000 + rand(20_000), async () => {
    const qty = sku === "FLASH-0001" ? 600 : 200 + rand(300);
    await call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse: "WH-SH", qty },
      `demo-restock-${sku}-${Date.now()}`,
    );
    restocking.delete(sku);
  });
}

// --- the sale -------------------------------------------------------------------------------------

const runId = Date.now().toString(36);
let seq = 0;

async function pay(orderId: string, total: number): Promise<boolean> {
  const tamper = chance(0.03);
  const paid = await payOrder(call, { orderId, total }, chance(0.6) ? "alipay" : "wechat", tamper);
  if (tamper) stats.rejected++;
  if (paid) stats.paid++;
  return paid;
}

async function oneOrder(): Promise<void> {
  const n = ++seq;
  const picked = new Set<string>();
  const lines: Array<{ sku: string; qty: number }> = [];
  for (let i = 0, count = chance(0.75) ? 1 : 2 + rand(2); i < count; i++) {
    const s = pickSku(picked);
    picked.add(s.sku);
    lines.push({ sku: s.sku, qty: s.sku === "FLASH-0001" ? 1 : 1 + rand(2) });
  }
  const userId = `u${1 + rand(5_000)}`;
  const channel = ["app", "web", "mini_program", "live"][rand(4)]!;
  const res = await call("POST", "/v1/orders", { userId, lines, address, channel }, `demo-${runId}-${n}`);
  if (res.status === 409) {
    stats.outOfStock++;
    for (const l of lines) restock(l.sku);
    return;
  }
  if (res.status !== 201) {
    stats.errors++;
    return;
  }
  stats.placed++;
  const orderId = res.body.orderId as string;
  const total = (res.body.amounts as { total: number }).total;
  if (chance(0.8)) {
    // Pay a moment later, as a shopper would.
    later(300 + rand(3_000), async () => {
      if (!(await pay(orderId, total))) return;
      if (chance(0.6))
        later(5_000 + rand(15_000), async () => {
          const carrier = ["SF", "ZTO", "YTO", "JD"][rand(4)]!;
          if (await shipOrder(call, orderId, carrier, `T${Date.now()}${rand(1_000)}`)) stats.shipped++;
        });
    });
  } else if (chance(0.5)) {
    later(1_000 + rand(5_000), async () => {
      if (await cancelOrder(call, orderId, "buyer changed mind")) stats.cancelled++;
    });
  } // else: left unpaid, it cancels itself at the payment timeout
}

async function worker(): Promise<void> {
  while (!stopping) {
    await oneOrder().catch(() => stats.errors++);
    // A few orders a second across the workers, in bursts.
    await Bun.sleep(chance(0.1) ? 50 : 400 + rand(900));
  }
}

try {
  await login();
  console.log("seeding the catalogue (32 SKUs in 2 warehouses)…");
  await seed();
} catch (error) {
  console.error(`demo failed to start: ${(error as Error).message}`);
  await node.stop();
  process.exit(1);
}

const url = `http://127.0.0.1:${node.server!.port}/dashboard/`;
console.log(`
  Business Hub demo is running (namespace "${NAMESPACE}")

    Dashboards:  ${url}
    Sign in:     admin / ${ADMIN_PASSWORD}
    API docs:    http://127.0.0.1:${node.server!.port}/docs

  Simulating a sale with ${WORKERS} shoppers; Ctrl-C to stop.
`);
for (let i = 0; i < WORKERS; i++) void worker();
const report = setInterval(() => {
  if (stopping) return clearInterval(report);
  console.log(
    `placed ${stats.placed} · paid ${stats.paid} · cancelled ${stats.cancelled} · shipped ${stats.shipped} · rejected callbacks ${stats.rejected} · out of stock ${stats.outOfStock} · errors ${stats.errors}`,
  );
}, 10_000);
