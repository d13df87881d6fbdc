/**
 * Live fan-out: N Socket.IO clients watch the inventory dashboard while one hot SKU is sold over HTTP.
 * Reports event-to-client latency (log append → client receipt, coalescing included), messages delivered,
 * and how much the reservation p99 grows compared with the same load without subscribers.
 */
import { readFileSync } from "node:fs";
import { io, type Socket } from "socket.io-client";
import { type LoadResult, runLoad } from "./load.ts";
import { startBenchHub } from "./servers.ts";
import { percentile } from "./stats.ts";

export interface FanoutOptions {
  subscribers: number;
  stock: number;
  clients: number;
  quick: boolean;
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
}

/**
 * CPU seconds a process has used (Linux `/proc`, clock ticks of 1/100 s), or NaN elsewhere: the hub's own
 * work per sale, which the shared machine's load changes far less than it changes a p99.
 */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

export async function runFanout(o: FanoutOptions, progress: (line: string) => void) {
  const { hub, token, headers } = await startBenchHub("fanout", o, { MAILBOX_MAX: "100000" });
  const sockets: Socket[] = [];
  try {
    await fetch(`${hub.url}/v1/warehouses/FAN`, {
      method: "PUT",
      headers,
      body: JSON.stringify({ name: "Fan", region: "bench" }),
    });

    const hubCpu: Record<string, number> = {};
    const sale = async (sku: string, stock = o.stock): Promise<LoadResult> => {
      const cpuBefore = cpuSeconds(hub.child.pid);
      try {
        return await saleOnce(sku, stock);
      } finally {
        hubCpu[sku] = cpuSeconds(hub.child.pid) - cpuBefore;
      }
    };
    const saleOnce = async (sku: string, stock: number): Promise<LoadResult> => {
      await fetch(`${hub.url}/v1/inventory/${sku}/receipts`, {
        method: "POST",
        headers: { ...headers, "idempotency-key": `stock-${sku}` },
        body: JSON.stringify({ warehouse: "FAN", qty: stock }),
      });
      return runLoad(
        { attempts: stock * 2, concurrency: o.clients, timeoutMs: 10_000, maxSeconds: 60 },
        async (i) => {
          const res = await fetch(`${hub.url}/v1/inventory/${sku}/reservations`, {
            method: "POST",
            headers,
            body: JSON.stringify({ orderId: `${sku}-${i}`, qty: 1 }),
          });
          await res.arrayBuffer();
          if (res.status === 201) return "ok";
          if (res.status === 409) return "refused";
          throw new Error(`HTTP ${res.status}`);
        },
      );
    };

    // A cold hub (JIT, first activations, connection pools) would make the first sale, the baseline,
    // the slower one and hide the subscribers' cost: a smaller sale warms it up first, not counted.
    progress(`fanout: warm-up sale (stock ${Math.ceil(o.stock / 5)}, not counted)…`);
    await sale("FAN-WARM", Math.ceil(o.stock / 5));
    progress(`fanout: baseline sale without subscribers (stock ${o.stock}, ${o.clients} HTTP clients)…`);
    const baseline = await sale("FAN-BASE");

    progress(`fanout: connecting ${o.subscribers} Socket.IO clients to the inventory dashboard…`);
    const latencies: number[] = [];
    let delivered = 0;
    let connected = 0;
    let refused = 0;
    let firstRefusal: string | undefined;
    let measuring = false;
    // Clients that have seen the settle SKU's receipt: live (replay done, in the room).
    let settled = 0;
    let onSettled: () => void = () => undefined;
    const connectStarted = performance.now();
    await Promise.all(
      Array.from(
        { length: o.subscribers },
        () =>
          new Promise<void>((resolve, reject) => {
            const socket = io(hub.url, {
              auth: { token },
              transports: ["websocket"],
              reconnection: false,
              forceNew: true,
            });
            sockets.push(socket);
            socket.on("connect_error", reject);
            let live = false;
            socket.on("stock", (update: { at: number; deltas: Array<{ sku: string }> }) => {
              if (!live && update.deltas.some((d) => d.sku === "FAN-SETTLE")) {
                live = true;
                if (++settled === o.subscribers) onSettled();
              }
              if (!measuring) return;
              delivered++;
              latencies.push(Date.now() - update.at);
            });
            socket.on("connect", () => {
              socket.emit("subscribe", { dashboard: "inventory" }, (ack: { ok: boolean; error?: string }) => {
                // A refused subscription (e.g. its snapshot timed out) is not a watching client.
                if (!ack.ok) {
                  refused++;
                  firstRefusal ??= ack.error;
                  return resolve();
                }
                connected++;
                resolve();
              });
            });
          }),
      ),
    );
    if (refused > 0) throw new Error(`${refused} of ${o.subscribers} subscriptions refused: ${firstRefusal}`);
    // Subscribing is a snapshot, then a replay of the gap, then the live room. The sale is measured
    // with every client watching live: a receipt on its own SKU marks the moment each one is.
    await fetch(`${hub.url}/v1/inventory/FAN-SETTLE/receipts`, {
      method: "POST",
      headers: { ...headers, "idempotency-key": "stock-FAN-SETTLE" },
      body: JSON.stringify({ warehouse: "FAN", qty: 1 }),
    });
    await new Promise<void>((resolve, reject) => {
      if (settled === o.subscribers) return resolve();
      const timer = setTimeout(
        () => reject(new Error(`only ${settled} of ${o.subscribers} subscribers went live within 60 s`)),
        60_000,
      );
      onSettled = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const catchUpSeconds = (performance.now() - connectStarted) / 1000;
    progress(
      `fanout: ${connected} subscribed and live ${catchUpSeconds.toFixed(1)} s after the first connected; the same sale with them watching…`,
    );
    measuring = true;
    const watched = await sale("FAN-HOT");
    await new Promise((r) => setTimeout(r, 1_000));
    latencies.sort((a, b) => a - b);
    const growth = watched.p99 / baseline.p99 - 1;
    const result = {
      subscribers: connected,
      delivered,
      catchUpSeconds,
      hubCpuSeconds: { baseline: hubCpu["FAN-BASE"] ?? Number.NaN, watched: hubCpu["FAN-HOT"] ?? Number.NaN },
      latencyP50: percentile(latencies, 50),
      latencyP99: percentile(latencies, 99),
      baselineP99: baseline.p99,
      watchedP99: watched.p99,
      p99Growth: growth,
      baseline,
      watched,
      correct:
        baseline.ok === o.stock &&
        watched.ok === o.stock &&
        watched.errors === 0 &&
        connected === o.subscribers,
    };
    progress(
      `  ${connected} subscribers, ${delivered} messages delivered, event→client latency p50 ${result.latencyP50.toFixed(0)} ms ` +
        `p99 ${result.latencyP99.toFixed(0)} ms; reservation p99 ${baseline.p99.toFixed(1)} → ${watched.p99.toFixed(1)} ms (${(growth * 100).toFixed(0)}%); ` +
        `hub CPU per sale ${result.hubCpuSeconds.baseline.toFixed(2)} → ${result.hubCpuSeconds.watched.toFixed(2)} s`,
    );
    return result;
  } finally {
    for (const s of sockets) s.close();
    await hub.stop();
  }
}
