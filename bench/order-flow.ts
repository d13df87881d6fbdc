/**
 * Order flow: place orders of 1–5 lines over 1,000 SKUs, pay each through the (simulated, signed) channel
 * callback, and measure orders/s, latency and read-model lag (event time → row written by the projector).
 */
import postgres from "postgres";
import { runLoad } from "./load.ts";
import { startBenchHub } from "./servers.ts";

export interface OrderFlowOptions {
  orders: number;
  clients: number;
  skus: number;
  quick: boolean;
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
  /**
   * Write the hub's CPU profile (.cpuprofile and Bun's markdown summary) here when it exits. The CLI's
   * `--profile DIR` (or `BENCH_PROFILE_DIR`).
   */
  profileDir?: string;
}

export async function runOrderFlow(o: OrderFlowOptions, progress: (line: string) => void) {
  const profileDir = o.profileDir ?? process.env.BENCH_PROFILE_DIR;
  // The one-machine layout flash-sale measures: the gateway and the actors in one process, the projector
  // in another, so read-model writes never wait for turns of the loop the requests keep busy (each of a
  // flush's round trips to Postgres costs one). BENCH_HUB_ROLES runs another layout ("projector" in it:
  // everything in one process).
  const roles = process.env.BENCH_HUB_ROLES ?? "gateway,actors";
  const { ns, hub, headers } = await startBenchHub(
    "orders",
    o,
    { PAYMENT_MAX_PER_USER_PER_HOUR: "1000000" },
    { roles, ...(profileDir ? { profileDir } : {}) },
  );
  const sql = postgres(o.databaseUrl, { max: 2, onnotice: () => undefined, connection: { search_path: ns } });
  try {
    const call = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
      const res = await fetch(`${hub.url}${path}`, {
        method,
        headers: { ...headers, ...extra },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 200)}`);
      // Channel callbacks answer in the channel's own format (e.g. Alipay's plain "success").
      return res.headers.get("content-type")?.includes("json") && text ? JSON.parse(text) : text;
    };
    progress(`order-flow: seeding ${o.skus} SKUs with stock and prices…`);
    await call("PUT", "/v1/warehouses/BENCH", { name: "Bench", region: "bench" });
    await runLoad({ attempts: o.skus, concurrency: 32, timeoutMs: 30_000, maxSeconds: 300 }, async (i) => {
      await call(
        "POST",
        `/v1/inventory/SKU${i}/receipts`,
        { warehouse: "BENCH", qty: 100_000 },
        { "idempotency-key": `seed-${i}` },
      );
      await call("PUT", `/v1/skus/SKU${i}/price`, { listPrice: 100 + (i % 50) * 10 });
      return "ok";
    });
    // The projector (its own process in the default layout) has started and caught up on the seeding
    // before orders start: the lag measured is the order flow's, not the projector process's start.
    const seeded = Date.now() + 60_000;
    while (Date.now() < seeded) {
      const [row] = await sql`SELECT count(*)::int AS n FROM inventory_stock WHERE warehouse = 'BENCH'`.catch(
        () => [{ n: 0 }],
      );
      if ((row?.n ?? 0) >= o.skus) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const address = { region: "Shanghai", detail: "Bench Road 1", phone: "13800000000", name: "Bench" };
    const channels = ["wechat", "alipay", "unionpay"];
    progress(`order-flow: ${o.orders} orders (place + pay by signed callback) from ${o.clients} clients…`);
    const started = Date.now();
    const load = await runLoad(
      { attempts: o.orders, concurrency: o.clients, timeoutMs: 30_000, maxSeconds: o.quick ? 60 : 180 },
      async (i) => {
        const n = 1 + (i % 5);
        const picked = new Set<number>();
        while (picked.size < n) picked.add(Math.floor(Math.random() * o.skus));
        const lines = [...picked].map((s) => ({ sku: `SKU${s}`, qty: 1 + (s % 3) }));
        const placed = await call(
          "POST",
          "/v1/orders",
          { userId: `U${i % 500}`, lines, address },
          { "idempotency-key": `bench-${i}` },
        );
        const payment = await call("POST", "/v1/payments", {
          orderId: placed.orderId,
          channel: channels[i % 3],
        });
        await call("POST", `/v1/payments/${payment.paymentId}/simulate`, { status: "paid" });
        return "ok";
      },
    );
    // Read-model lag: the projector's write time minus the payment event's time, per order.
    let lag: { p50: number; p99: number; rows: number } = { p50: Number.NaN, p99: Number.NaN, rows: 0 };
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const [row] =
        await sql`SELECT count(*)::int AS n FROM orders WHERE paid_at IS NOT NULL AND created_at >= ${new Date(started)}`;
      if ((row?.n ?? 0) >= load.ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const [stats] = await sql`
      SELECT count(*)::int AS rows,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM projected_at - paid_at) * 1000) AS p50,
        percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM projected_at - paid_at) * 1000) AS p99
      FROM orders WHERE paid_at IS NOT NULL AND projected_at IS NOT NULL AND created_at >= ${new Date(started)}`;
    if (stats) lag = { p50: Number(stats.p50), p99: Number(stats.p99), rows: stats.rows as number };
    const correct = load.errors === 0 && lag.rows === load.ok;
    progress(
      `  ${load.ok} orders paid in ${load.seconds.toFixed(1)} s: ${load.okPerSecond.toFixed(0)} orders/s, ` +
        `p50 ${load.p50.toFixed(0)} ms, p99 ${load.p99.toFixed(0)} ms per order (3 requests), ${load.errors} errors` +
        `${load.firstError ? ` (first: ${load.firstError})` : ""}; read-model lag p50 ${lag.p50.toFixed(1)} ms, p99 ${lag.p99.toFixed(1)} ms over ${lag.rows} rows`,
    );
    return { namespace: ns, options: o, roles, load, readModelLagMs: lag, correct };
  } finally {
    await sql.end({ timeout: 2 });
    await hub.stop();
  }
}
