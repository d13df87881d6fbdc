/**
 * NATS-side faults against one node on a PRIVATE nats-server (the shared one is never touched): NATS
 * killed under load, a 1 s network delay, and the event stream full. Each case checks the answers
 * against the log (every 201 in it, nothing refused in it, nothing twice), the status codes and their
 * timing, `/readyz`, and the recovery time after the fault is healed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
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

let PORT = 0;
let NATS = "";
const dataDir = mkdtempSync(join(tmpdir(), "hub-nats-faults-"));
let nats: ServiceHandle;
const namespaces: string[] = [];
const nodes: HubNode[] = [];

beforeAll(async () => {
  await requireServices();
  PORT = await freePort();
  NATS = `nats://127.0.0.1:${PORT}`;
  nats = await startNats({ port: PORT, dataDir });
});

afterAll(async () => {
  for (const node of nodes) await node.stop().catch(() => undefined);
  for (const ns of namespaces) await cleanupNamespace(ns, NATS).catch(() => undefined);
  await nats?.stop("SIGKILL").catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

interface Answer {
  orderId: string;
  sku: string;
  status: number;
  body: unknown;
  sentAt: number;
  ms: number;
}

async function startNode(ns: string, natsUrl: string, extra: Record<string, string> = {}) {
  namespaces.push(ns);
  const node = await startTestNode(ns, { NATS_URL: natsUrl, ...extra });
  nodes.push(node);
  const api = new ApiClient(node.app!);
  await api.login();
  expect([200, 201]).toContain(
    (await api.call("PUT", "/v1/warehouses/WH-F", { name: "F", region: "east" })).status,
  );
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
    expect(res.status).toBe(201);
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
  expect({ missing, refusedButLanded, doubled, unknown }).toEqual({
    missing: [],
    refusedButLanded: [],
    doubled: [],
    unknown: [],
  });
}

test("faults - NATS killed 5 s under load: 503 within 2 s, /readyz truthful within 1 s, first write within 2 s of return, log matches", async () => {
  const ns = testNamespace("natskill");
  const { node, api } = await startNode(ns, NATS, { COMMAND_DEADLINE: "15s" });
  const skus = Array.from({ length: 16 }, (_, i) => `KILL-${i}`);
  await stock(api, skus);
  const traffic = load(api, skus, 16, "k");
  await waitFor(
    () => traffic.answers.filter((a) => a.status === 201).length >= 200,
    20_000,
    "200 writes before the fault",
  );

  const killedAt = performance.now();
  await nats.stop("SIGKILL");
  // While NATS is away: /readyz answers within 1 s and says 503; writes answer 503 quickly.
  const probesDuringOutage: Array<{ status: number; ms: number; body: unknown }> = [];
  while (performance.now() - killedAt < 5_000) {
    const t = performance.now();
    const res = await api.call("GET", "/readyz", undefined, {}, false);
    probesDuringOutage.push({ status: res.status, ms: performance.now() - t, body: res.body });
    await Bun.sleep(250);
  }
  nats = await startNats({ port: PORT, dataDir });
  const backAt = performance.now();
  await waitFor(
    () => traffic.answers.some((a) => a.status === 201 && a.sentAt >= backAt),
    10_000,
    "a write acknowledged after NATS returned",
  );
  const firstWriteMs = Math.min(
    ...traffic.answers
      .filter((a) => a.status === 201 && a.sentAt >= backAt)
      .map((a) => a.sentAt + a.ms - backAt),
  );
  let readyAfterMs = Number.NaN;
  await waitFor(
    async () => {
      const res = await api.call("GET", "/readyz", undefined, {}, false);
      if (res.status === 200) readyAfterMs = performance.now() - backAt;
      return res.status === 200;
    },
    10_000,
    "/readyz 200 after NATS returned",
  );
  await traffic.stop();

  // Requests sent while NATS was down (after the client could know) were answered 503 within 2 s.
  const duringOutage = traffic.answers.filter((a) => a.sentAt > killedAt + 500 && a.sentAt < backAt - 100);
  const slow = duringOutage.filter((a) => a.ms > 2_000 || a.status === 201 || a.status === 500);
  const wrongStatus = duringOutage.filter((a) => a.status !== 503).slice(0, 3);
  const noRetryAfter = duringOutage.filter((a) => a.status === 503).length === 0;
  console.log(
    `nats kill: ${duringOutage.length} requests during the outage, slowest ${Math.max(...duringOutage.map((a) => a.ms)).toFixed(0)} ms; ` +
      `/readyz slowest ${Math.max(...probesDuringOutage.map((p) => p.ms)).toFixed(0)} ms; first write ${firstWriteMs.toFixed(0)} ms ` +
      `and /readyz 200 ${readyAfterMs.toFixed(0)} ms after NATS returned; shards here ${node.actorNode?.validShards.length}`,
  );
  expect(duringOutage.length).toBeGreaterThan(0);
  expect({ slow: slow.slice(0, 3), wrongStatus, noRetryAfter }).toEqual({
    slow: [],
    wrongStatus: [],
    noRetryAfter: false,
  });
  expect(probesDuringOutage.filter((p) => p.ms > 1_000 || p.status === 200)).toEqual([]);
  expect(firstWriteMs).toBeLessThan(2_000);

  // Settle the unknown outcomes (503) by retrying with the same order id, then compare with the log.
  await settle(api, traffic.answers);
  checkAgainstLog(traffic.answers, await reservedInLog(ns, NATS));
}, 120_000);

test("faults - a 1 s network delay: 503 within 2 s during it, every shard served again within 5 s after it ends", async () => {
  const ns = testNamespace("natsdelay");
  const proxy = await startDelayProxy(PORT);
  try {
    const { node, api } = await startNode(ns, `nats://127.0.0.1:${proxy.port}`);
    const skus = Array.from({ length: 8 }, (_, i) => `DELAY-${i}`);
    await stock(api, skus);
    const traffic = load(api, skus, 8, "d");
    await waitFor(
      () => traffic.answers.filter((a) => a.status === 201).length >= 100,
      20_000,
      "writes before the delay",
    );
    const delayedAt = performance.now();
    proxy.setDelay(1_000);
    await Bun.sleep(5_000); // the fault's duration
    proxy.setDelay(0);
    const healedAt = performance.now();
    let servedAfterMs = Number.NaN;
    await waitFor(
      () => {
        if ((node.actorNode?.validShards.length ?? 0) < node.config.SHARD_COUNT) return false;
        servedAfterMs = performance.now() - healedAt;
        return true;
      },
      10_000,
      `every shard served again (now ${node.actorNode?.validShards.length})`,
    );
    await waitFor(
      () => traffic.answers.some((a) => a.status === 201 && a.sentAt > healedAt + 1_000),
      10_000,
      "a write acknowledged after the delay ended",
    );
    await traffic.stop();
    const during = traffic.answers.filter((a) => a.sentAt >= delayedAt && a.sentAt < healedAt - 2_000);
    console.log(
      `1 s delay: ${during.length} requests during it (${during.filter((a) => a.status === 503).length} × 503, slowest ${Math.max(0, ...during.map((a) => a.ms)).toFixed(0)} ms); ` +
        `every shard served ${servedAfterMs.toFixed(0)} ms after it ended`,
    );
    expect(during.length).toBeGreaterThan(0);
    expect(during.filter((a) => a.ms > 2_000 || (a.status !== 503 && a.status !== 201)).slice(0, 3)).toEqual(
      [],
    );
    expect(servedAfterMs).toBeLessThan(5_000);
    await settle(api, traffic.answers);
    checkAgainstLog(traffic.answers, await reservedInLog(ns, NATS));
  } finally {
    await proxy.close();
  }
}, 120_000);

test("faults - event stream full: storage-full problem within 2 s, 80 % warning in /metrics and /readyz, leases kept", async () => {
  const ns = testNamespace("natsfull");
  const { node, api } = await startNode(ns, NATS, { EVENTS_MAX_BYTES: "256KiB" });
  const sku = "FULL-1";
  await stock(api, [sku]);
  const shardsBefore = node.actorNode!.validShards.length;
  let warned = false;
  let full: { status: number; body: unknown; headers: Headers; ms: number } | undefined;
  for (let i = 0; i < 5_000 && !full; i++) {
    const t = performance.now();
    const res = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: `f-${i}`, qty: 1 });
    if (res.status !== 201) full = { ...res, ms: performance.now() - t };
    if (!warned && i % 50 === 0) {
      const metrics = String((await api.call("GET", "/metrics", undefined, {}, false)).body);
      warned = /hub_event_log_storage_warning(\{\})? 1/.test(metrics);
    }
  }
  if (!full) throw new Error("the event stream never filled up");
  expect({ status: full.status, type: (full.body as { type?: string }).type }).toEqual({
    status: 507,
    type: "https://business-hub.dev/problems/storage-full",
  });
  expect(full.ms).toBeLessThan(2_000);
  expect(full.headers.get("retry-after")).toBeTruthy();
  expect(warned).toBe(true);
  // Later writes are refused just as fast, and readiness says why.
  const t = performance.now();
  const again = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: "f-again", qty: 1 });
  expect({ status: again.status, fast: performance.now() - t < 2_000 }).toEqual({ status: 507, fast: true });
  let readyz: { status: number; body: unknown } = { status: 0, body: undefined };
  await waitFor(
    async () => {
      readyz = await api.call("GET", "/readyz", undefined, {}, false);
      return readyz.status === 503;
    },
    5_000,
    "/readyz 503 with the event log full",
  );
  expect(JSON.stringify(readyz.body)).toContain("event log is full");
  // Leases live in their own buckets: after more than a lease TTL the node still serves every shard.
  await Bun.sleep(node.config.LEASE_TTL + 500);
  expect(node.actorNode!.validShards.length).toBe(shardsBefore);
  // Reads still work.
  expect((await api.call("GET", `/v1/inventory/${sku}`)).status).toBe(200);
  console.log(
    `storage full: 507 after ${full.ms.toFixed(0)} ms, warning seen, shards kept ${node.actorNode!.validShards.length}/${shardsBefore}`,
  );
}, 120_000);
