/**
 * A flash-sale campaign (秒杀, decision 0023) run through HTTP: one campaign of `stock` units, 10× as many
 * buyers as units (one attempt each, distinct users), every attempt a real `POST /v1/orders` with the
 * campaign id. Reports sold, refused (by reason), oversold (must be 0), units lost, and latency; then
 * checks what the campaign actor and the SKU actor hold.
 */
import { runLoad } from "./load.ts";
import { startBenchHub } from "./servers.ts";

export interface FlashCampaignOptions {
  stock: number;
  clients: number;
  /** Buyers per unit (the issue asks for 10). */
  factor: number;
  budgetSeconds: number;
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
}

const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Bench" };

export async function runFlashCampaign(o: FlashCampaignOptions, progress: (line: string) => void) {
  const { hub, headers, ns } = await startBenchHub("campaign", o, { ROLES: "gateway,actors,projector" });
  try {
    progress(`hub up (namespace ${ns}); stocking and creating the campaign…`);
    const call = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
      const res = await fetch(`${hub.url}${path}`, {
        method,
        headers: { ...headers, ...extra },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
    };
    await call("PUT", "/v1/warehouses/FC", { name: "Flash", region: "bench" });
    const sku = "FC-1";
    // Twice the campaign's stock on hand: the other half stays sellable and must stay untouched.
    const receipt = await call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse: "FC", qty: o.stock * 2 },
      { "idempotency-key": "stock" },
    );
    if (receipt.status !== 201) throw new Error(`stocking failed: ${JSON.stringify(receipt)}`);
    const created = await call("POST", "/v1/flash-sales", {
      name: "bench 秒杀",
      sku,
      price: 100,
      stock: o.stock,
      perUserLimit: 1,
      startsAt: new Date(Date.now() - 1_000).toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    if (created.status !== 201) throw new Error(`campaign failed: ${JSON.stringify(created)}`);
    const campaignId = String(created.body.campaignId);

    const buyers = o.stock * o.factor;
    const reasons = new Map<string, number>();
    let lastOk = 0;
    const started = performance.now();
    const load = await runLoad(
      { attempts: buyers, concurrency: o.clients, timeoutMs: 30_000, maxSeconds: o.budgetSeconds },
      async (i) => {
        const res = await fetch(`${hub.url}/v1/orders`, {
          method: "POST",
          headers: { ...headers, "idempotency-key": `buy-${i}` },
          body: JSON.stringify({ userId: `b${i}`, lines: [{ sku, qty: 1 }], address, campaignId }),
        });
        const body = (await res.json().catch(() => ({}))) as { type?: string };
        if (res.status === 201) {
          lastOk = performance.now();
          return "ok";
        }
        const reason = `${res.status} ${(body.type ?? "").split("/").at(-1)}`;
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        if (res.status === 409 || res.status === 429) return "refused";
        throw new Error(reason);
      },
    );
    const campaign = (await call("GET", `/v1/flash-sales/${campaignId}`)).body;
    const stock = (await call("GET", `/v1/inventory/${sku}`)).body;
    const sold = Number(campaign.sold);
    const reserved = Number(stock.reserved);
    const result = {
      stock: o.stock,
      buyers,
      attempts: load.attempts,
      sold: load.ok,
      refused: load.refused,
      refusedBy: Object.fromEntries([...reasons].sort()),
      errors: load.errors + load.timedOut,
      oversold: Math.max(0, load.ok - o.stock, sold - o.stock, reserved - o.stock),
      // Acknowledged orders the actors do not hold, or units the actors hold that no one was told of.
      lost: Math.abs(load.ok - sold) + Math.abs(sold - reserved),
      campaign: {
        sold,
        remaining: campaign.remaining,
        refused: campaign.refused,
        refusals: campaign.refusals,
      },
      sku: { reserved, allocated: stock.allocated, sellable: stock.sellable, physical: stock.physical },
      seconds: load.seconds,
      sellOutSeconds: lastOk ? (lastOk - started) / 1000 : Number.NaN,
      attemptsPerSecond: load.attemptsPerSecond,
      p50: load.p50,
      p95: load.p95,
      p99: load.p99,
      max: load.max,
      firstError: load.firstError,
    };
    const correct =
      result.oversold === 0 &&
      result.lost === 0 &&
      Number(stock.allocated) === o.stock - sold &&
      Number(stock.sellable) === o.stock &&
      result.errors === 0;
    return { namespace: ns, options: o, result, correct };
  } finally {
    await hub.stop();
  }
}
