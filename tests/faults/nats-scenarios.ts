/**
 * NATS-side fault scenarios against one node on a PRIVATE nats-server (the shared one is never touched):
 * NATS killed under load, a network delay, and the event stream full. Each checks the answers against
 * the log (every 201 in it, nothing refused in it, nothing twice; it throws otherwise) and returns the
 * measured figures; the quick tests (nats-outage.test.ts) assert the required bounds on them and
 * `npm run faults` runs the long versions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { LogBatch } from "../../actors/runtime/index.ts";
import type { HubNode } from "../../hub-node.ts";
import { type ServiceHandle, startNats } from "../../scripts/local-services.ts";
import { streamNames } from "../../storage/jetstream/streams.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "../support/harness.ts";
import { startDelayProxy } from "./delay-proxy.ts";
import { freePort } from "./harness.ts";

/** A private nats-server and the namespaces and nodes started on it. */
export interface NatsRig {
  url: string;
  port: number;
  nats: ServiceHandle;
  dataDir: string;
  namespaces: string[];
  nodes: HubNode[];
  /** SIGKILLs NATS and starts it again on the same port and data folder after `downMs`. */
  restart(downMs: number, during?: () => Promise<void>): Promise<number>;
  close(): Promise<void>;
}

export async function startNatsRig(): Promise<NatsRig> {
  await requireServices();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "hub-nats-faults-"));
  const rig: NatsRig = {
    url: `nats://127.0.0.1:${port}`,
    port,
    nats: await startNats({ port, dataDir }),
    dataDir,
    namespaces: [],
    nodes: [],
    async restart(downMs, during) {
      const killedAt = performance.now();
      await rig.nats.stop("SIGKILL");
      if (during) await during();
      const left = downMs - (performance.now() - killedAt);
      if (left > 0) await Bun.sleep(left); // the fault's duration
      rig.nats = await startNats({ port, dataDir });
      return performance.now();
    },
    async close() {
      for (const node of rig.nodes) await node.stop().catch(() => undefined);
      for (const ns of rig.namespaces) await cleanupNamespace(ns, rig.url).catch(() => undefined);
      await rig.nats.stop("SIGKILL").catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return rig;
}

export interface Answer {
  orderId: string;
  sku: string;
  status: number;
  body: unknown;
  sentAt: number;
  ms: number;
}

async function startNode(rig: NatsRig, ns: string, natsUrl: string, extra: Record<string, string> = {}) {
  rig.namespaces.push(ns);
  const node = await startTestNode(ns, { NATS_URL: natsUrl, ...extra });
  rig.nodes.push(node);
  const api = new ApiClient(node.app!);
  await api.login();
  const warehouse = await api.call("PUT", "/v1/warehouses/WH-F", { name: "F", region: "east" });
  if (warehouse.status !== 200 && warehouse.status !== 201)
    throw new Error(`warehouse: ${warehouse.status} ${JSON.stringify(warehouse.body)}`);
  return { node, api };
}

async function stock(api: ApiClient, skus: string[]) {
  for (const sku of skus) {
    const res = await api.call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse: "WH-F", qty: 1_000_000 },
      { "idempotency-key": `stock-${sku}` },
    );
    if (res.status !== 201) throw new Error(`stocking ${sku}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** Reservations from `workers` concurrent callers over `skus` until `stop()` says so. */
function load(api: ApiClient, skus: string[], workers: number, prefix: string) {
  const answers: Answer[] = [];
  let next = 0;
  let running = true;
  const worker = async () => {
    while (running) {
      const n = next++;
      const orderId = `${prefix}-${n}`;
      const sku = skus[n % skus.length]!;
      const sentAt = performance.now();
      const res = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId, qty: 1 });
      answers.push({
        orderId,
        sku,
        status: res.status,
        body: res.body,
        sentAt,
        ms: performance.now() - sentAt,
      });
      // Keep the event loop breathing when answers come back instantly (503 while NATS is down).
      if (res.status !== 201) await Bun.sleep(20);
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker));
  return {
    answers,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Every `reserved` order id in the log for these SKUs, with how often it appears. */
async function reservedInLog(ns: string, natsUrl: string): Promise<Map<string, number>> {
  const nc = await connect({ servers: natsUrl });
  const js = jetstream(nc);
  const consumer = await js.consumers.get(streamNames(ns).events, {});
  const counts = new Map<string, number>();
  const messages = await consumer.consume();
  for await (const msg of messages) {
    for (const event of msg.json<LogBatch>().ev) {
      if (event.type === "reserved") {
        const id = String(event.orderId);
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    if (msg.info.pending === 0) break;
  }
  await messages.close();
  await nc.close();
  return counts;
}

/**
 * Retries every 503 (outcome unknown) with the same order id until it is acknowledged, as a real client
 * would; fails with the last problem if one never is.
 */
async function settle(api: ApiClient, answers: Answer[]) {
  for (const a of answers.filter((x) => x.status === 503)) {
    let last: { status: number; body: unknown } = { status: 0, body: undefined };
    const deadline = performance.now() + 20_000;
    while (last.status !== 201 && performance.now() < deadline) {
      last = await api.call("POST", `/v1/inventory/${a.sku}/reservations`, { orderId: a.orderId, qty: 1 });
      if (last.status !== 201) await Bun.sleep(100);
    }
    if (last.status !== 201)
      throw new Error(
        `retry of ${a.orderId} never acknowledged: ${last.status} ${JSON.stringify(last.body)}`,
      );
  }
}

/** The log agrees with the answers: every 201 is in it once, no refused (4xx) command is in it, nothing twice. */
function checkAgainstLog(answers: Answer[], log: Map<string, number>) {
  const sent = new Set(answers.map((a) => a.orderId));
  const acknowledged = answers.filter((a) => a.status === 201).map((a) => a.orderId);
  const missing = acknowledged.filter((id) => !log.has(id));
  const refusedButLanded = answers.filter((a) => a.status >= 400 && a.status < 500 && log.has(a.orderId));
  const doubled = [...log].filter(([, count]) => count > 1).map(([id]) => id);
  const unknown = [...log.keys()].filter((id) => !sent.has(id));
  const problems = { missing, refusedButLanded, doubled, unknown };
  if (Object.values(problems).some((list) => list.length > 0))
    throw new Error(`the log disagrees with the answers: ${JSON.stringify(problems).slice(0, 2_000)}`);
  return { acknowledged: acknowledged.length, inLog: log.size };
}

const slowest = (values: number[]) => Math.round(Math.max(0, ...values));

export interface NatsKillFigures {
  outageMs: number;
  requestsDuringOutage: number;
  /** Requests sent during the outage that were not answered 503 within 2 s (first few). */
  badAnswersDuringOutage: Array<{ status: number; ms: number }>;
  slowestAnswerDuringOutageMs: number;
  readyzProbesDuringOutage: number;
  /** Probes during the outage that took over 1 s or said 200. */
  badReadyzDuringOutage: Array<{ status: number; ms: number }>;
  slowestReadyzMs: number;
  firstWriteAfterReturnMs: number;
  readyAfterReturnMs: number;
  acknowledged: number;
  inLog: number;
}

/** NATS SIGKILLed for `outageMs` under reservation load; restarted on the same data folder. */
export async function natsKillScenario(rig: NatsRig, outageMs: number): Promise<NatsKillFigures> {
  const ns = testNamespace("natskill");
  const { api } = await startNode(rig, ns, rig.url, { COMMAND_DEADLINE: "15s" });
  const skus = Array.from({ length: 16 }, (_, i) => `KILL-${i}`);
  await stock(api, skus);
  const traffic = load(api, skus, 16, "k");
  await waitFor(
    () => traffic.answers.filter((a) => a.status === 201).length >= 200,
    20_000,
    "200 writes before the fault",
  );
  const killedAt = performance.now();
  const probes: Array<{ status: number; ms: number }> = [];
  const backAt = await rig.restart(outageMs, async () => {
    // While NATS is away: /readyz answers within 1 s and says 503.
    while (performance.now() - killedAt < outageMs - 250) {
      const t = performance.now();
      const res = await api.call("GET", "/readyz", undefined, {}, false);
      probes.push({ status: res.status, ms: performance.now() - t });
      await Bun.sleep(250);
    }
  });
  await waitFor(
    () => traffic.answers.some((a) => a.status === 201 && a.sentAt >= backAt),
    10_000,
    "a write acknowledged after NATS returned",
  );
  const after = traffic.answers.filter((a) => a.status === 201 && a.sentAt >= backAt);
  const firstWriteAfterReturnMs = Math.round(Math.min(...after.map((a) => a.sentAt + a.ms - backAt)));
  let readyAfterReturnMs = Number.NaN;
  await waitFor(
    async () => {
      const res = await api.call("GET", "/readyz", undefined, {}, false);
      if (res.status === 200) readyAfterReturnMs = Math.round(performance.now() - backAt);
      return res.status === 200;
    },
    10_000,
    "/readyz 200 after NATS returned",
  );
  await traffic.stop();
  // Requests sent once the client could know (0.5 s after the kill) until just before NATS returned.
  const during = traffic.answers.filter((a) => a.sentAt > killedAt + 500 && a.sentAt < backAt - 100);
  await settle(api, traffic.answers);
  const counts = checkAgainstLog(traffic.answers, await reservedInLog(ns, rig.url));
  return {
    outageMs,
    requestsDuringOutage: during.length,
    badAnswersDuringOutage: during
      .filter((a) => a.status !== 503 || a.ms > 2_000)
      .slice(0, 3)
      .map((a) => ({ status: a.status, ms: Math.round(a.ms) })),
    slowestAnswerDuringOutageMs: slowest(during.map((a) => a.ms)),
    readyzProbesDuringOutage: probes.length,
    badReadyzDuringOutage: probes.filter((p) => p.ms > 1_000 || p.status === 200).slice(0, 3),
    slowestReadyzMs: slowest(probes.map((p) => p.ms)),
    firstWriteAfterReturnMs,
    readyAfterReturnMs,
    ...counts,
  };
}

export interface NatsDelayFigures {
  delayMs: number;
  durationMs: number;
  requestsDuringDelay: number;
  badAnswersDuringDelay: Array<{ status: number; ms: number }>;
  slowestAnswerDuringDelayMs: number;
  everyShardServedAfterMs: number;
  acknowledged: number;
  inLog: number;
}

/** A one-way delay of `delayMs` (node → NATS, through a TCP proxy) for `durationMs` under load. */
export async function natsDelayScenario(
  rig: NatsRig,
  delayMs: number,
  durationMs: number,
): Promise<NatsDelayFigures> {
  const ns = testNamespace("natsdelay");
  const proxy = await startDelayProxy(rig.port);
  try {
    const { node, api } = await startNode(rig, ns, `nats://127.0.0.1:${proxy.port}`);
    const skus = Array.from({ length: 8 }, (_, i) => `DELAY-${i}`);
    await stock(api, skus);
    const traffic = load(api, skus, 8, "d");
    await waitFor(
      () => traffic.answers.filter((a) => a.status === 201).length >= 100,
      20_000,
      "writes before the delay",
    );
    const delayedAt = performance.now();
    proxy.setDelay(delayMs);
    await Bun.sleep(durationMs); // the fault's duration
    proxy.setDelay(0);
    const healedAt = performance.now();
    let everyShardServedAfterMs = Number.NaN;
    await waitFor(
      () => {
        if ((node.actorNode?.validShards.length ?? 0) < node.config.SHARD_COUNT) return false;
        everyShardServedAfterMs = Math.round(performance.now() - healedAt);
        return true;
      },
      15_000,
      `every shard served again (now ${node.actorNode?.validShards.length})`,
    );
    await waitFor(
      () => traffic.answers.some((a) => a.status === 201 && a.sentAt > healedAt + 1_000),
      10_000,
      "a write acknowledged after the delay ended",
    );
    await traffic.stop();
    // Sent during the delay, early enough to be answered before it ended.
    const during = traffic.answers.filter((a) => a.sentAt >= delayedAt && a.sentAt < healedAt - 2_000);
    await settle(api, traffic.answers);
    const counts = checkAgainstLog(traffic.answers, await reservedInLog(ns, rig.url));
    return {
      delayMs,
      durationMs,
      requestsDuringDelay: during.length,
      badAnswersDuringDelay: during
        .filter((a) => a.ms > 2_000 || (a.status !== 503 && a.status !== 201))
        .slice(0, 3)
        .map((a) => ({ status: a.status, ms: Math.round(a.ms) })),
      slowestAnswerDuringDelayMs: slowest(during.map((a) => a.ms)),
      everyShardServedAfterMs,
      ...counts,
    };
  } finally {
    await proxy.close();
  }
}

export interface StorageFullFigures {
  maxBytes: string;
  writesBeforeFull: number;
  fullAnswer: { status: number; type: string | undefined; retryAfter: string | null; ms: number };
  againMs: number;
  againStatus: number;
  warningSeenInMetrics: boolean;
  readyzWhenFull: { status: number; body: unknown };
  shardsBefore: number;
  shardsAfterLeaseTtl: number;
  readStatus: number;
}

/** Fills the event stream up to `maxBytes` (its configured limit) with reservations. */
export async function eventLogFullScenario(rig: NatsRig, maxBytes = "256KiB"): Promise<StorageFullFigures> {
  const ns = testNamespace("natsfull");
  const { node, api } = await startNode(rig, ns, rig.url, { EVENTS_MAX_BYTES: maxBytes });
  const sku = "FULL-1";
  await stock(api, [sku]);
  const shardsBefore = node.actorNode!.validShards.length;
  let warned = false;
  let writes = 0;
  let full: { status: number; body: unknown; headers: Headers; ms: number } | undefined;
  for (let i = 0; i < 100_000 && !full; i++) {
    const t = performance.now();
    const res = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: `f-${i}`, qty: 1 });
    if (res.status !== 201) full = { ...res, ms: performance.now() - t };
    else writes++;
    if (!warned && i % 50 === 0) {
      const metrics = String((await api.call("GET", "/metrics", undefined, {}, false)).body);
      warned = /hub_event_log_storage_warning(\{\})? 1/.test(metrics);
    }
  }
  if (!full) throw new Error("the event stream never filled up");
  const t = performance.now();
  const again = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: "f-again", qty: 1 });
  const againMs = Math.round(performance.now() - t);
  let readyz: { status: number; body: unknown } = { status: 0, body: undefined };
  await waitFor(
    async () => {
      const res = await api.call("GET", "/readyz", undefined, {}, false);
      readyz = { status: res.status, body: res.body };
      return readyz.status === 503;
    },
    5_000,
    "/readyz 503 with the event log full",
  );
  // Leases live in their own buckets: after more than a lease TTL the node still serves every shard.
  await Bun.sleep(node.config.LEASE_TTL + 500);
  return {
    maxBytes,
    writesBeforeFull: writes,
    fullAnswer: {
      status: full.status,
      type: (full.body as { type?: string }).type,
      retryAfter: full.headers.get("retry-after"),
      ms: Math.round(full.ms),
    },
    againMs,
    againStatus: again.status,
    warningSeenInMetrics: warned,
    readyzWhenFull: readyz,
    shardsBefore,
    shardsAfterLeaseTtl: node.actorNode!.validShards.length,
    readStatus: (await api.call("GET", `/v1/inventory/${sku}`)).status,
  };
}
