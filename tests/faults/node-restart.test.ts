/**
 * A node SIGKILLed and restarted (same NODE_ID, default 6 s lease TTL): `/readyz` never says 200 while
 * nobody serves the shards, the restarted node serves them long before its old leases would expire
 * (its earlier run is recognised as dead), and a gateway-only node's `/readyz` follows whether every shard
 * has a live owner. Every probe answers within a second.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createServer } from "node:net";
import type { HubNode } from "../../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "../support/harness.ts";
import { type NodeProcess, spawnNode } from "../support/processes.ts";

const ns = testNamespace("restart");
const LEASE_TTL_MS = 6_000;
let port = 0;
let node: NodeProcess | undefined;
let gateway: HubNode;
let gatewayApi: ApiClient;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function start(nodeId = "r1"): NodeProcess {
  return spawnNode(ns, nodeId, {
    ROLES: "gateway,actors",
    PORT: String(port),
    LEASE_TTL: String(LEASE_TTL_MS),
  });
}

interface Probe {
  at: number;
  status: number;
  ms: number;
  body: { status?: string; capabilities?: Record<string, { ok: boolean; detail?: string }> } | undefined;
}

async function probe(url: string, at: number): Promise<Probe> {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return {
      at,
      status: res.status,
      ms: performance.now() - started,
      body: (await res.json()) as Probe["body"],
    };
  } catch {
    return { at, status: 0, ms: performance.now() - started, body: undefined };
  }
}

beforeAll(async () => {
  await requireServices();
  port = await freePort();
  node = start();
  await waitFor(
    async () => (await probe(`http://127.0.0.1:${port}/readyz`, 0)).status === 200,
    30_000,
    "r1 ready",
  );
  gateway = await startTestNode(
    ns,
    { ROLES: "gateway", LEASE_TTL: String(LEASE_TTL_MS) },
    { waitForShards: false },
  );
  gatewayApi = new ApiClient(gateway.app!);
});

afterAll(async () => {
  node?.kill("SIGKILL");
  await gateway?.stop();
  await cleanupNamespace(ns);
});

test("faults - node SIGKILL + restart: /readyz never 200 while nobody serves, shards back well within the lease TTL", async () => {
  const gatewayReady = await gatewayApi.call("GET", "/readyz", undefined, {}, false);
  expect({ status: gatewayReady.status, body: gatewayReady.body }).toMatchObject({ status: 200 });

  node!.kill("SIGKILL");
  await node!.exited;
  const killedAt = performance.now();
  // The gateway-only node stops saying 200 once the dead owner's heartbeat is gone.
  let gatewayDownMs = Number.NaN;
  await waitFor(
    async () => {
      const res = await gatewayApi.call("GET", "/readyz", undefined, {}, false);
      if (res.status === 503) gatewayDownMs = performance.now() - killedAt;
      return res.status === 503;
    },
    LEASE_TTL_MS + 2_000,
    "the gateway-only node's /readyz to say 503 with the only actor node dead",
  );

  const restartedAt = performance.now();
  node = start();
  const probes: Probe[] = [];
  let servedMs = Number.NaN;
  await waitFor(
    async () => {
      const p = await probe(`http://127.0.0.1:${port}/readyz`, performance.now() - restartedAt);
      probes.push(p);
      if (p.status === 200) servedMs = p.at;
      return p.status === 200;
    },
    LEASE_TTL_MS + 10_000,
    "the restarted node to be ready",
  );
  const first200 = probes.at(-1)!;
  // It says 200 only when it writes for every shard it claims.
  expect(first200.body?.capabilities?.writes).toMatchObject({ ok: true });
  expect(first200.body?.capabilities?.writes?.detail).toMatch(/^\d+ shards served here$/);
  // Proof by writing: a reservation through the gateway-only node is served right away.
  await gatewayApi.login();
  await gatewayApi.call("PUT", "/v1/warehouses/WH-R", { name: "R", region: "east" });
  const writeStarted = performance.now();
  const receipt = await gatewayApi.call(
    "POST",
    "/v1/inventory/SKU-R/receipts",
    { warehouse: "WH-R", qty: 5 },
    { "idempotency-key": "r-1" },
  );
  expect({ status: receipt.status, body: receipt.body }).toMatchObject({ status: 201 });
  const writeMs = performance.now() - writeStarted;
  let gatewayUpMs = Number.NaN;
  await waitFor(
    async () => {
      const res = await gatewayApi.call("GET", "/readyz", undefined, {}, false);
      if (res.status === 200) gatewayUpMs = performance.now() - restartedAt;
      return res.status === 200;
    },
    5_000,
    "the gateway-only node's /readyz to say 200 again",
  );
  const answered = probes.filter((p) => p.status !== 0);
  console.log(
    `node restart: gateway-only /readyz 503 ${gatewayDownMs.toFixed(0)} ms after the kill; restarted node ready ` +
      `${servedMs.toFixed(0)} ms after the restart (lease TTL ${LEASE_TTL_MS} ms), first write ${writeMs.toFixed(0)} ms, ` +
      `gateway 200 again at ${gatewayUpMs.toFixed(0)} ms; ${answered.length} probes answered, slowest ${Math.max(...answered.map((p) => p.ms)).toFixed(0)} ms; ` +
      `statuses ${[...new Set(probes.map((p) => `${p.status}:${p.body?.capabilities?.writes?.detail ?? "-"}`))].join(" | ")}`,
  );
  expect(servedMs).toBeLessThan(LEASE_TTL_MS + 1_000);
  expect(answered.filter((p) => p.ms > 1_000)).toEqual([]);
  expect(gatewayDownMs).toBeLessThan(LEASE_TTL_MS);
}, 90_000);

test("faults - a replacement node with another NODE_ID: 503 until the dead owner's heartbeat is gone, then served within the lease TTL", async () => {
  node!.kill("SIGKILL");
  await node!.exited;
  const restartedAt = performance.now();
  node = start("r2");
  const probes: Probe[] = [];
  await waitFor(
    async () => {
      const p = await probe(`http://127.0.0.1:${port}/readyz`, performance.now() - restartedAt);
      probes.push(p);
      return p.status === 200;
    },
    LEASE_TTL_MS + 10_000,
    "the replacement node to be ready",
  );
  const answered = probes.filter((p) => p.status !== 0);
  const servedMs = answered.at(-1)!.at;
  const before = answered.slice(0, -1);
  console.log(
    `replacement node: ready ${servedMs.toFixed(0)} ms after start (lease TTL ${LEASE_TTL_MS} ms); ` +
      `${before.length} probes before that, statuses ${[...new Set(before.map((p) => `${p.status}:${p.body?.capabilities?.writes?.detail ?? "-"}`))].join(" | ")}`,
  );
  // While the dead node's leases were still in the bucket, this node served nothing and said so.
  expect(before.filter((p) => p.status !== 503)).toEqual([]);
  expect(answered.at(-1)!.body?.capabilities?.writes).toMatchObject({ ok: true });
  expect(answered.filter((p) => p.ms > 1_000)).toEqual([]);
  expect(servedMs).toBeLessThan(LEASE_TTL_MS + 1_000);
}, 60_000);
