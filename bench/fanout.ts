/**
 * Live fan-out: N Socket.IO clients watch the inventory dashboard while one hot SKU is sold over HTTP.
 * Reports event-to-client latency (log append → client receipt, coalescing included), messages delivered,
 * and how much the reservation p99 grows compared with the same load without subscribers.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
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

interface Watchers {
  /** The next line of this type from the watcher process (rejects after `timeoutMs` or if it exits). */
  next(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(command: string): void;
  stop(): Promise<void>;
}

/** The dashboard clients in their own process (`fanout-watchers.ts`). */
function startWatchers(url: string, token: string, count: number): Watchers {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(import.meta.dirname, "fanout-watchers.ts"), url, token, String(count)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const lines: Array<Record<string, unknown>> = [];
  const waiting: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
    for (const wake of waiting.splice(0)) wake();
  });
  return {
    async next(type, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const i = lines.findIndex((l) => l.type === type);
        if (i >= 0) return lines.splice(i, 1)[0]!;
        if (child.exitCode !== null) throw new Error(`the watcher process exited before "${type}"`);
        if (Date.now() > deadline)
          throw new Error(`no "${type}" from the watcher process within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          setTimeout(resolve, 500);
        });
      }
    },
    send(command) {
      child.stdin?.write(`${command}\n`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.stdin?.write("close\n");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function runFanout(o: FanoutOptions, progress: (line: string) => void) {
  const { hub, token, headers } = await startBenchHub("fanout", o, { MAILBOX_MAX: "100000" });
  let watchers: Watchers | undefined;
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
    const connectStarted = performance.now();
    watchers = startWatchers(hub.url, token, o.subscribers);
    const subscribed = await watchers.next("subscribed");
    const connected = Number(subscribed.connected);
    if (connected !== o.subscribers) {
      throw new Error(
        `${o.subscribers - connected} of ${o.subscribers} subscriptions refused: ${subscribed.firstRefusal}`,
      );
    }
    // Subscribing is a snapshot, then a replay of the gap, then the live room. The sale is measured
    // with every client watching live: a receipt on its own SKU marks the moment each one is.
    const live = watchers.next("live", 60_000);
    await fetch(`${hub.url}/v1/inventory/FAN-SETTLE/receipts`, {
      method: "POST",
      headers: { ...headers, "idempotency-key": "stock-FAN-SETTLE" },
      body: JSON.stringify({ warehouse: "FAN", qty: 1 }),
    });
    await live;
    const catchUpSeconds = (performance.now() - connectStarted) / 1000;
    progress(
      `fanout: ${connected} subscribed and live ${catchUpSeconds.toFixed(1)} s after the first connected (in their own process); the same sale with them watching…`,
    );
    watchers.send("measure");
    const watched = await sale("FAN-HOT");
    await new Promise((r) => setTimeout(r, 1_000));
    const reportLine = watchers.next("report");
    watchers.send("report");
    const report = await reportLine;
    const delivered = Number(report.delivered);
    const latencies = (report.latencies as number[]).sort((a, b) => a - b);
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
    await watchers?.stop();
    await hub.stop();
  }
}
