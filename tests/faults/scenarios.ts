/**
 * Fault scenarios shared by the quick tests (`npm test`) and the long run (`npm run faults`): a node
 * on a private stack under mixed load, a fault injected for `outageMs`, then the answers checked against
 * the JetStream log and the recovery measured. Each returns figures; assertions live in the callers.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { HubNode } from "../../hub-node.ts";
import { contractLog } from "../support/contract.ts";
import { ADMIN_PASSWORD, ApiClient, cleanupNamespace, NATS_URL, waitFor } from "../support/harness.ts";
import { ARTIFACTS, spawnNode } from "../support/processes.ts";
import {
  type Answer,
  cleanupFaultNamespace,
  freePort,
  Load,
  type LoggedBatch,
  LoopStallMonitor,
  type PrivateService,
  type PrivateStack,
  readEventLog,
  startFaultNode,
  startPrivateStack,
  tally,
  testNamespace,
  timed,
  timeUntil,
} from "./harness.ts";

export const ADDRESS = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };
const SKU = "FAULT-SKU";
const WAREHOUSE = "WH-F";

export interface ScenarioFigures {
  scenario: string;
  outageMs: number;
  answers: Record<string, number>;
  /** Answers during the outage, by op and status. */
  during: Record<string, number>;
  /** Slowest answer of a route that needs the faulty dependency, during the outage (ms), and which. */
  slowestDependentMs: number;
  slowestDependent: string;
  /** Longest event-loop stall of the test process during the scenario (a busy machine delays timers). */
  loopStallMs: number;
  /** 503 answers without Retry-After, 500s, transport errors (must all be 0). */
  missingRetryAfter: number;
  serverErrors: number;
  /** /readyz probes during the outage: slowest answer (ms) and statuses seen. */
  readyzSlowestMs: number;
  readyzStatuses: Record<string, number>;
  /** From the heal: first 2xx of a dependent route, /readyz 200, read models caught up (ms). */
  recovery: { firstSuccessMs: number; readyzMs: number; readModelsMs: number };
  /** Log check: acknowledged writes missing from the log, and log entries nobody was told about. */
  lostAcknowledged: number;
  unacknowledgedLanded: number;
  nodeAlive: boolean;
}

/** One private-stack node with stock, a price and a logged-in client. */
export interface FaultRig {
  namespace: string;
  stack: PrivateStack;
  node: HubNode;
  api: ApiClient;
  natsUrl: string;
  close(): Promise<void>;
}

export async function startRig(
  label: string,
  kinds: Array<"nats" | "postgres" | "redis">,
): Promise<FaultRig> {
  const namespace = testNamespace(label);
  const stack = await startPrivateStack(label, kinds);
  const node = await startFaultNode(namespace, stack, { COMMAND_DEADLINE: "5s" });
  const api = new ApiClient(node.app!);
  await prepare(api);
  return {
    namespace,
    stack,
    node,
    api,
    natsUrl: stack.nats?.url ?? NATS_URL,
    async close() {
      // A graceful stop after repeated NATS pauses has hung past the hook's 60 s once in CI (the node
      // drains a connection that just came back): bound it, the private servers go down regardless.
      const stopped = await Promise.race([
        node.stop().then(
          () => true,
          () => true,
        ),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 15_000).unref()),
      ]);
      if (!stopped) console.error(`fault rig ${namespace}: node.stop() did not finish within 15 s`);
      await cleanupFaultNamespace(namespace, stack);
      await stack.destroy();
    },
  };
}

/** Logs in and creates the warehouse, the stock and the price the mixed load uses. */
export async function prepare(api: ApiClient): Promise<void> {
  await api.login();
  const must = async (method: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await api.call(method, path, body, headers);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  await must("PUT", `/v1/warehouses/${WAREHOUSE}`, { name: "Faults", region: "east" });
  await must(
    "POST",
    `/v1/inventory/${SKU}/receipts`,
    { warehouse: WAREHOUSE, qty: 1_000_000 },
    {
      "idempotency-key": "stock-1",
    },
  );
  await must("PUT", `/v1/skus/${SKU}/price`, { listPrice: 100 });
}

/** Three kinds of requests: a reservation (NATS only), an order (Postgres price + NATS), a list (Postgres). */
export function mixedLoad(api: ApiClient, runId: string): Load {
  return new Load(async (i) => {
    const pick = i % 4;
    if (pick <= 1) {
      const key = `${runId}-r${i}`;
      const res = await api.call("POST", `/v1/inventory/${SKU}/reservations`, { orderId: key, qty: 1 });
      return answer(key, "reserve", res);
    }
    if (pick === 2) {
      const key = `${runId}-o${i}`;
      const res = await api.call(
        "POST",
        "/v1/orders",
        { userId: `u${i % 50}`, lines: [{ sku: SKU, qty: 1 }], address: ADDRESS },
        { "idempotency-key": key },
      );
      const orderId = (res.body as { orderId?: string }).orderId;
      return answer(orderId ? `order:${orderId}` : `order-key:${key}`, "order", res);
    }
    return answer(String(i), "list", await api.call("GET", "/v1/orders?limit=5"));
  }, 6);
}

function answer(key: string, op: string, res: { status: number; body: unknown; headers: Headers }) {
  const type = (res.body as { type?: string } | undefined)?.type;
  return { key, op, status: res.status, retryAfter: res.headers.get("retry-after"), problemType: type };
}

/** Which reservations and orders the log holds. */
export function loggedWrites(log: LoggedBatch[]): { reservations: Set<string>; orders: Set<string> } {
  const reservations = new Set<string>();
  const orders = new Set<string>();
  for (const m of log) {
    for (const e of m.batch.ev) {
      if (e.type === "reserved" && typeof e.orderId === "string") reservations.add(e.orderId);
      if (e.type === "placed") orders.add(`order:${m.subject.split(".").slice(4).join(".")}`);
    }
  }
  return { reservations, orders };
}

/**
 * Every acknowledged (201) reservation and order is in the log; nothing answered with a definite
 * refusal (4xx, or a 503 from a dependency the route checks before sending the command) landed.
 */
export function checkAgainstLog(answers: Answer[], log: LoggedBatch[]) {
  const { reservations, orders } = loggedWrites(log);
  const acknowledged = new Set<string>();
  const refused = new Set<string>();
  const inLog = (key: string) => reservations.has(key) || orders.has(key);
  for (const a of answers) {
    if (a.op !== "reserve" && a.op !== "order") continue;
    if (a.status === 201) acknowledged.add(a.key);
    // A dependency 503 is answered before any command is sent (price lookup, or the read): definite.
    else if (a.status >= 400 && a.status < 500) refused.add(a.key);
    else if (a.status === 503 && /unavailable$/.test(a.problemType ?? "") && a.op === "order")
      refused.add(a.key);
  }
  const lost = [...acknowledged].filter((k) => !inLog(k));
  const landed = [...refused].filter((k) => inLog(k));
  return { lost, landed, acknowledged: acknowledged.size };
}

/** How long until `GET path` answers 2xx, polled every 50 ms. */
export function until2xx(api: ApiClient, path: string, timeoutMs: number): Promise<number> {
  return timeUntil(async () => (await api.call("GET", path)).status < 300, timeoutMs, `GET ${path} 2xx`);
}

/** Polls /readyz every 250 ms while `active()`, recording how long each probe took. */
export function probeReadiness(node: HubNode, active: () => boolean) {
  const probes: Array<{ status: number; ms: number }> = [];
  const done = (async () => {
    while (active()) {
      const r = await timed(async () => (await node.app!.request("/readyz")).status, 5_000);
      probes.push({ status: r.value ?? 0, ms: r.ms });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return { probes, done };
}

/**
 * Postgres-backed routes during a Postgres outage (`fault`: stop, kill or pause), under load. The
 * heal is `restart` for stop/kill and SIGCONT for pause.
 */
export async function postgresOutage(
  rig: FaultRig,
  fault: "stop" | "kill" | "pause",
  outageMs: number,
): Promise<ScenarioFigures> {
  const pg = rig.stack.postgres as PrivateService;
  const stalls = new LoopStallMonitor();
  const load = mixedLoad(rig.api, `${fault}${Date.now().toString(36)}`);
  await waitFor(() => load.answers.length >= 60, 20_000, "load warming up");
  const faultAt = load.now();
  if (fault === "pause") pg.pause();
  else if (fault === "kill") await pg.kill();
  else await pg.stop();
  let outage = true;
  const readiness = probeReadiness(rig.node, () => outage);
  await new Promise((r) => setTimeout(r, outageMs));
  outage = false;
  await readiness.done;
  const healAt = load.now();
  if (fault === "pause") pg.resume();
  else await pg.start();
  const healed = performance.now();
  const firstSuccessMs = await until2xx(rig.api, "/v1/orders?limit=1", 30_000);
  await timeUntil(async () => (await rig.node.app!.request("/readyz")).status === 200, 30_000, "/readyz 200");
  const readyzMs = performance.now() - healed;
  const answers = await load.stop();
  // Read models caught up: the projector's stored offset reaches the log's last sequence.
  await timeUntil(
    async () => {
      const log = await readEventLog(rig.natsUrl, rig.namespace);
      return (await rig.node.projector!.storedOffset()) >= (log.at(-1)?.seq ?? 0);
    },
    30_000,
    "read models caught up",
    100,
  );
  const readModelsMs = performance.now() - healed;
  const log = await readEventLog(rig.natsUrl, rig.namespace);
  const check = checkAgainstLog(answers, log);
  const during = answers.filter((a) => a.at >= faultAt && a.at < healAt);
  const dependent = during.filter((a) => a.op !== "reserve");
  const slowest = dependent.reduce<Answer | undefined>(
    (max, a) => (!max || a.ms > max.ms ? a : max),
    undefined,
  );
  return {
    scenario: `postgres-${fault}`,
    outageMs,
    answers: tally(answers),
    during: tally(during),
    loopStallMs: stalls.stop(),
    slowestDependentMs: Math.round(slowest?.ms ?? 0),
    slowestDependent: slowest
      ? `${slowest.op} ${slowest.status} at ${Math.round(slowest.at - faultAt)} ms`
      : "",
    missingRetryAfter: answers.filter((a) => a.status === 503 && !a.retryAfter).length,
    serverErrors:
      answers.filter((a) => a.status >= 500 && a.status !== 503).length +
      answers.filter((a) => a.status === 0).length,
    readyzSlowestMs: Math.round(Math.max(0, ...readiness.probes.map((p) => p.ms))),
    readyzStatuses: countBy(readiness.probes.map((p) => String(p.status))),
    recovery: {
      firstSuccessMs: Math.round(firstSuccessMs),
      readyzMs: Math.round(readyzMs),
      readModelsMs: Math.round(readModelsMs),
    },
    lostAcknowledged: check.lost.length,
    unacknowledgedLanded: check.landed.length,
    nodeAlive: true,
  };
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = Object.create(null);
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export interface RestartFigures {
  restarts: number;
  survived: number;
  answers: Record<string, number>;
  serverErrors: number;
  /** Per restart: ms from Postgres back to the first 2xx of a Postgres-backed route. */
  recoveryMs: number[];
  crashLines: string[];
  contractDeviations: string[];
  lostAcknowledged: number;
  unacknowledgedLanded: number;
}

/**
 * A real node process (`bun main.ts`) on a private Postgres, under write load, while Postgres is
 * stopped (fast shutdown: connections closed with writes queued, the postgres.js race) and started
 * `count` times. The process must be alive after every restart.
 */
export async function postgresRestarts(count: number): Promise<RestartFigures> {
  const namespace = testNamespace("pgrestarts");
  const stack = await startPrivateStack("pgrestarts", ["postgres"]);
  const pg = stack.postgres as PrivateService;
  const port = await freePort();
  const node = spawnNode(namespace, "restarts", {
    ...stack.env,
    ROLES: "gateway,actors,projector",
    PORT: String(port),
  });
  const logFile = join(ARTIFACTS, `${namespace}-restarts.log`);
  const api = new ApiClient(`http://127.0.0.1:${port}`);
  const alive = () => node.child.exitCode === null && node.child.signalCode === null;
  let load: Load | undefined;
  try {
    await timeUntil(
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
      60_000,
      "node listening",
    );
    await prepare(api);
    load = mixedLoad(api, `rs${Date.now().toString(36)}`);
    const recoveryMs: number[] = [];
    let survived = 0;
    for (let i = 0; i < count; i++) {
      const seen = load.answers.length;
      await waitFor(() => load!.answers.length >= seen + 20 || !alive(), 30_000, "load between restarts");
      await pg.stop();
      await pg.start();
      recoveryMs.push(Math.round(await until2xx(api, "/v1/orders?limit=1", 30_000).catch(() => -1)));
      if (!alive()) break;
      survived++;
    }
    const answers = await load.stop();
    load = undefined;
    // Checked here against the node's /openapi.json, while the node still runs.
    const contractDeviations = await contractLog.drain();
    const log = await readEventLog(NATS_URL, namespace);
    const check = checkAgainstLog(answers, log);
    const text = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
    return {
      restarts: count,
      survived,
      answers: tally(answers),
      serverErrors: answers.filter((a) => a.status === 0 || (a.status >= 500 && a.status !== 503)).length,
      recoveryMs,
      crashLines: text
        .split("\n")
        .filter((l) => /TypeError|uncaught|Unhandled/i.test(l))
        .slice(0, 10),
      lostAcknowledged: check.lost.length,
      unacknowledgedLanded: check.landed.length,
      contractDeviations: contractDeviations.slice(0, 10),
    };
  } finally {
    await load?.stop();
    node.kill("SIGTERM");
    await Promise.race([node.exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (alive()) node.kill("SIGKILL");
    await cleanupNamespace(namespace).catch(() => undefined);
    await stack.destroy();
  }
}

export interface RedisFigures {
  scenario: string;
  outageMs: number;
  /** Logins during the outage: statuses, slowest answer, whether each 503 had Retry-After. */
  logins: Record<string, number>;
  slowestLoginMs: number;
  missingRetryAfter: number;
  /** The mixed load (reservations, orders, order list: none needs Redis) during the outage. */
  during: Record<string, number>;
  serverErrors: number;
  readyzSlowestMs: number;
  readyzStatuses: Record<string, number>;
  recovery: { loginMs: number; readyzMs: number };
}

/** Redis SIGKILLed for `outageMs` under load, then started again. */
export async function redisOutage(rig: FaultRig, outageMs: number): Promise<RedisFigures> {
  const redis = rig.stack.redis as PrivateService;
  const anonymous = new ApiClient(rig.node.app!);
  const login = () =>
    anonymous.call("POST", "/v1/auth/token", { username: "admin", password: ADMIN_PASSWORD }, {}, false);
  const load = mixedLoad(rig.api, `redis${Date.now().toString(36)}`);
  await waitFor(() => load.answers.length >= 60, 20_000, "load warming up");
  const faultAt = load.now();
  await redis.kill();
  let outage = true;
  const readiness = probeReadiness(rig.node, () => outage);
  const logins: Array<{ status: number; ms: number; retryAfter: string | null }> = [];
  const loginsDone = (async () => {
    while (outage) {
      const r = await timed(login, 10_000);
      logins.push({
        status: r.value?.status ?? 0,
        ms: r.ms,
        retryAfter: r.value?.headers.get("retry-after") ?? null,
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  await new Promise((r) => setTimeout(r, outageMs));
  outage = false;
  await Promise.all([readiness.done, loginsDone]);
  const healAt = load.now();
  await redis.start();
  const healed = performance.now();
  await timeUntil(async () => (await login()).status === 200, 30_000, "login after Redis returned");
  const loginMs = performance.now() - healed;
  await timeUntil(async () => (await rig.node.app!.request("/readyz")).status === 200, 30_000, "/readyz 200");
  const readyzMs = performance.now() - healed;
  const answers = await load.stop();
  const during = answers.filter((a) => a.at >= faultAt && a.at < healAt);
  return {
    scenario: "redis-kill",
    outageMs,
    logins: countBy(logins.map((l) => String(l.status))),
    slowestLoginMs: Math.round(Math.max(0, ...logins.map((l) => l.ms))),
    missingRetryAfter: logins.filter((l) => l.status === 503 && !l.retryAfter).length,
    during: tally(during),
    serverErrors: answers.filter((a) => a.status === 0 || (a.status >= 500 && a.status !== 503)).length,
    readyzSlowestMs: Math.round(Math.max(0, ...readiness.probes.map((p) => p.ms))),
    readyzStatuses: countBy(readiness.probes.map((p) => String(p.status))),
    recovery: { loginMs: Math.round(loginMs), readyzMs: Math.round(readyzMs) },
  };
}
