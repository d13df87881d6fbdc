/**
 * Flash sale on one hot SKU: this system over HTTP and at the actor level, against Postgres (direct and
 * behind the same HTTP stack) and Redis Lua, plus the HTTP ceiling: the same hub's reservation route with
 * its auth, validation and middleware answering a constant (`BENCH_HTTP_CEILING=1`, bench only). Variants are interleaved (A B C D E A B C D E …) so machine
 * noise hits all alike; each is judged for correctness before its speed counts.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import Redis from "ioredis";
import postgres from "postgres";
import { ActorClient } from "../actors/runtime/index.ts";
import { dropNamespace } from "../scripts/namespaces.ts";
import { type LoadResult, type Outcome, runLoad } from "./load.ts";
import { pgFinal, reserveSql, setupPg } from "./pg-baseline.ts";
import { BENCH_PASSWORD, freePort, login, type Spawned, spawnBun, waitHttp } from "./servers.ts";
import { median } from "./stats.ts";

export interface FlashSaleOptions {
  stock: number;
  clients: number;
  repeats: number;
  rate?: number;
  quick: boolean;
  /** Each variant's run stops after this long (slow baselines would otherwise take minutes per round). */
  budgetSeconds: number;
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
  /** Run only these variants (profiling one path); ratios that need a missing variant print as not run. */
  only?: Variant[];
  /** Write the hub's CPU profile (Bun's markdown form) here when it exits, the projector's in `projector/`. */
  profileDir?: string;
}

export const VARIANTS = ["http", "actor", "pg", "pg-http", "redis", "ceiling"] as const;
export type Variant = (typeof VARIANTS)[number];

export const VARIANT_LABELS: Record<Variant, string> = {
  http: "hub over HTTP (end to end)",
  actor: "hub actor level (NATS)",
  pg: "Postgres guarded UPDATE",
  "pg-http": "Postgres UPDATE behind HTTP",
  redis: "Redis Lua check-and-decrement",
  ceiling: "HTTP ceiling (constant route)",
};

export interface Verdict {
  oversold: number;
  undersold: number;
  perUserBreaches: number;
  acknowledgedLost: number;
  ok: boolean;
}

export interface RunRecord {
  variant: Variant;
  round: number;
  load: LoadResult;
  verdict: Verdict;
  /** Successful reservations per second until the last success (the sale's own throughput). */
  salesPerSecond: number;
}

export interface VariantSummary {
  variant: Variant;
  label: string;
  runs: number;
  correct: boolean;
  salesPerSecond: number;
  attemptsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  note?: string;
}

const REDIS_SCRIPT = `
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return -2 end
local left = tonumber(redis.call('GET', KEYS[1]) or '0')
if left < 1 then return -1 end
redis.call('DECR', KEYS[1])
redis.call('SADD', KEYS[2], ARGV[1])
return left - 1`;

export async function runFlashSale(o: FlashSaleOptions, progress: (line: string) => void) {
  // Bun writes no profile into a directory that does not exist.
  if (o.profileDir) mkdirSync(join(o.profileDir, "projector"), { recursive: true });
  const ns = `bench_${Date.now().toString(36)}`;
  const password = BENCH_PASSWORD;
  const hubPort = await freePort();
  const basePort = await freePort();
  const servers: Spawned[] = [];
  /** The Postgres baseline's tables (public schema), dropped at the end. */
  const pgTables = new Set<string>();
  // The recommended layout for one machine (bench/README.md, "Process layout"): the gateway and the
  // actors in one process, the projector in another, so read-model writes never take turns with actors on
  // one event loop. BENCH_HUB_ROLES runs another layout (with "projector" in it: everything in one process).
  const hubRoles = process.env.BENCH_HUB_ROLES ?? "gateway,actors";
  const hubEnv = {
    HUB_NAMESPACE: ns,
    // JetStream reserves a stream's max_bytes up front: ten leftover 10 GiB bench streams fill the server.
    EVENTS_MAX_BYTES: "256MiB",
    ADMIN_PASSWORD: password,
    LOG_LEVEL: "warn",
    NATS_URL: o.natsUrl,
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    MAILBOX_MAX: "100000",
  };
  const hub = spawnBun(
    "hub",
    [...(o.profileDir ? ["--cpu-prof-md", `--cpu-prof-dir=${o.profileDir}`] : []), "main.ts"],
    {
      ...hubEnv,
      PORT: String(hubPort),
      ROLES: hubRoles,
      // Bench only: adds POST /v1/bench/ceiling/{sku}/reservations (refused outside a bench_ namespace).
      BENCH_HTTP_CEILING: "1",
    },
    hubPort,
  );
  servers.push(hub);
  if (!hubRoles.split(",").includes("projector")) {
    const projectorPort = await freePort();
    servers.push(
      spawnBun(
        "projector",
        [...(o.profileDir ? ["--cpu-prof-md", `--cpu-prof-dir=${o.profileDir}/projector`] : []), "main.ts"],
        { ...hubEnv, PORT: String(projectorPort), ROLES: "projector" },
        projectorPort,
      ),
    );
  }
  const baseline = spawnBun(
    "baseline",
    ["bench/baseline-server.ts"],
    { PORT: String(basePort), DATABASE_URL: o.databaseUrl },
    basePort,
  );
  servers.push(baseline);
  const nc = await connect({ servers: o.natsUrl, noAsyncTraces: true });
  // Two pools of 32 (here and in the baseline server) stay inside Postgres's default 100 connections.
  const sql = postgres(o.databaseUrl, { max: Math.min(o.clients, 32), onnotice: () => undefined });
  const redis = new Redis(o.redisUrl);
  try {
    progress(`starting the hub (namespace ${ns}) and the Postgres HTTP baseline…`);
    await waitHttp(`${hub.url}/readyz`);
    await waitHttp(`${baseline.url}/healthz`);
    const token = await login(hub.url, password);
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    await fetch(`${hub.url}/v1/warehouses/FS`, {
      method: "PUT",
      headers: auth,
      body: JSON.stringify({ name: "Flash", region: "bench" }),
    });
    const actors = new ActorClient(nc, {
      namespace: ns,
      shardCount: 64,
      attemptTimeoutMs: 10_000,
      deadlineMs: 20_000,
    });
    const redisDurability = await describeRedisDurability(redis);
    const scriptSha = (await redis.script("LOAD", REDIS_SCRIPT)) as string;

    const records: RunRecord[] = [];
    // Round 0 warms every variant up (the hub's JIT, connection pools, prepared statements) with a tenth
    // of the stock; it is judged for correctness like any round, but its speed is not counted.
    const warmStock = Math.max(100, Math.floor(o.stock / 10));
    for (let round = 0; round <= o.repeats; round++) {
      const stock = round === 0 ? warmStock : o.stock;
      const attempts = stock * 3;
      const users = Math.ceil(stock * 1.5);
      for (const variant of VARIANTS) {
        if (o.only && !o.only.includes(variant)) continue;
        const sku = `FS-${variant.replace(/\W/g, "")}-${round}`;
        const table = `bench_fs_${variant.replace(/\W/g, "")}_${round}`;
        const redisKeys = [`${ns}:fs:${sku}:stock`, `${ns}:fs:${sku}:users`];
        // Arrange: the same stock for every variant.
        if (variant === "http" || variant === "actor") {
          const res = await fetch(`${hub.url}/v1/inventory/${sku}/receipts`, {
            method: "POST",
            headers: { ...auth, "idempotency-key": `stock-${sku}` },
            body: JSON.stringify({ warehouse: "FS", qty: stock }),
          });
          if (res.status !== 201)
            throw new Error(`stocking ${sku} failed: ${res.status} ${await res.text()}`);
          // One unit per buyer: the SKU's operator-set purchase limit (never a field of the reservation).
          await actors.send(
            "sku",
            sku,
            { type: "setPurchaseLimit", maxPerUser: 1 },
            { id: `limit-${sku}`, meta: { by: "bench" } },
          );
        } else if (variant === "pg" || variant === "pg-http") {
          pgTables.add(`${table}_stock`).add(`${table}_claims`);
          await setupPg(sql, table, sku, stock);
        } else if (variant === "redis") {
          await redis.del(...redisKeys);
          await redis.set(redisKeys[0]!, String(stock));
        }

        const attempt = attemptFor(variant, {
          hubUrl: hub.url,
          baseUrl: baseline.url,
          auth,
          actors,
          sql,
          redis,
          scriptSha,
          sku,
          table,
          redisKeys,
        });
        const hubVariant = variant === "http" || variant === "actor";
        const appendsBefore = hubVariant ? await appendFigures(hub.url) : undefined;
        const perUser = new Map<string, number>();
        let lastOkAt = 0;
        const started = performance.now();
        const load = await runLoad(
          {
            attempts,
            concurrency: o.clients,
            ...(o.rate ? { rate: o.rate } : {}),
            timeoutMs: 10_000,
            maxSeconds: o.budgetSeconds,
          },
          async (i) => {
            const userId = `u${i % users}`;
            const outcome = await attempt(`${sku}-o${i}`, userId);
            if (outcome === "ok") {
              perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
              lastOkAt = performance.now();
            }
            return outcome;
          },
        );
        if (variant === "ceiling") {
          // No store behind it: correct when every request got the constant 201.
          const clean = load.errors === 0 && load.dropped === 0 && load.ok === load.attempts;
          const verdict: Verdict = {
            oversold: 0,
            undersold: 0,
            perUserBreaches: 0,
            acknowledgedLost: 0,
            ok: clean,
          };
          const salesPerSecond = lastOkAt ? load.ok / ((lastOkAt - started) / 1000) : 0;
          records.push({ variant, round, load, verdict, salesPerSecond });
          progress(
            `  ${round === 0 ? "warm-up  " : `round ${round}/${o.repeats}`} ${variant.padEnd(8)} ${Math.round(load.attemptsPerSecond)} requests/s, ` +
              `p99 ${load.p99.toFixed(1)} ms, ${load.errors} errors, ${clean ? "correct" : "INCORRECT (not every request got 201)"}` +
              `${load.firstError ? ` (first error: ${load.firstError})` : ""}`,
          );
          continue;
        }
        // Assert: what the store holds after the sale.
        const remaining = await finalStock(variant, {
          hubUrl: hub.url,
          auth,
          sql,
          redis,
          sku,
          table,
          redisKeys,
        });
        const sold = stock - remaining.stock;
        const appends = appendsBefore ? describeAppends(appendsBefore, await appendFigures(hub.url)) : "";
        const verdict: Verdict = {
          oversold: Math.max(0, load.ok - stock) + (remaining.stock < 0 ? 1 : 0),
          // Judged only when the whole demand was offered (a run cut by the time budget sells what it reached).
          undersold: load.attempts >= attempts && load.ok < stock ? stock - load.ok : 0,
          perUserBreaches: [...perUser.values()].filter((n) => n > 1).length,
          acknowledgedLost: Math.max(0, load.ok - sold),
          ok: true,
        };
        verdict.ok =
          verdict.oversold === 0 &&
          verdict.undersold === 0 &&
          verdict.perUserBreaches === 0 &&
          verdict.acknowledgedLost === 0;
        const salesPerSecond = lastOkAt ? load.ok / ((lastOkAt - started) / 1000) : 0;
        records.push({ variant, round, load, verdict, salesPerSecond });
        progress(
          `  ${round === 0 ? "warm-up  " : `round ${round}/${o.repeats}`} ${variant.padEnd(8)} ${Math.round(salesPerSecond)} sales/s, ` +
            `${Math.round(load.attemptsPerSecond)} attempts/s, p99 ${load.p99.toFixed(1)} ms, ` +
            `${load.errors} errors${load.attempts < attempts ? `, cut by the ${o.budgetSeconds} s budget after ${load.attempts} attempts` : ""}, ` +
            `${verdict.ok ? "correct" : `INCORRECT ${JSON.stringify(verdict)}`}${load.firstError ? ` (first error: ${load.firstError})` : ""}${appends}`,
        );
      }
    }
    return {
      namespace: ns,
      options: o,
      redisDurability,
      records,
      summaries: summarize(records, redisDurability),
    };
  } finally {
    await nc.close().catch(() => undefined);
    for (const table of pgTables) await sql.unsafe(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await sql.end({ timeout: 2 }).catch(() => undefined);
    redis.disconnect();
    for (const s of servers) await s.stop();
    // Nothing stays behind on the shared services: the hub's namespace and the baseline's tables.
    await dropNamespace(ns, o).catch((error) => progress(`could not drop namespace ${ns}: ${error}`));
  }
}

interface AttemptDeps {
  hubUrl: string;
  baseUrl: string;
  auth: Record<string, string>;
  actors: ActorClient;
  sql: postgres.Sql;
  redis: Redis;
  scriptSha: string;
  sku: string;
  table: string;
  redisKeys: string[];
}

function attemptFor(variant: Variant, d: AttemptDeps): (orderId: string, userId: string) => Promise<Outcome> {
  switch (variant) {
    case "http":
      return async (orderId, userId) => {
        const res = await fetch(`${d.hubUrl}/v1/inventory/${d.sku}/reservations`, {
          method: "POST",
          headers: d.auth,
          body: JSON.stringify({ orderId, qty: 1, userId }),
        });
        if (res.status === 201) {
          await res.arrayBuffer();
          return "ok";
        }
        const body = (await res.json().catch(() => ({}))) as { type?: string };
        if (res.status === 409) return body.type?.endsWith("insufficient-stock") ? "refused" : "limited";
        throw new Error(`HTTP ${res.status} ${body.type ?? ""}`);
      };
    case "actor":
      return async (orderId, userId) => {
        const reply = await d.actors.request(
          "sku",
          d.sku,
          { type: "reserve", orderId, qty: 1, userId },
          { id: `reserve:${orderId}` },
        );
        if (reply.ok) return "ok";
        if (reply.error.kind === "insufficient_stock") return "refused";
        if (reply.error.kind === "conflict") return "limited";
        throw new Error(`${reply.error.kind}: ${reply.error.message}`);
      };
    case "pg":
      return (orderId, userId) => reserveSql(d.sql, d.table, d.sku, userId, orderId);
    case "pg-http":
      return async (orderId, userId) => {
        const res = await fetch(`${d.baseUrl}/reserve/${d.table}/${d.sku}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ orderId, userId }),
        });
        const body = (await res.json()) as { outcome?: Outcome };
        if (!body.outcome || body.outcome === "error") throw new Error(`HTTP ${res.status}`);
        return body.outcome;
      };
    case "ceiling":
      return async (orderId, userId) => {
        const res = await fetch(`${d.hubUrl}/v1/bench/ceiling/${d.sku}/reservations`, {
          method: "POST",
          headers: d.auth,
          body: JSON.stringify({ orderId, qty: 1, userId }),
        });
        await res.arrayBuffer();
        if (res.status === 201) return "ok";
        throw new Error(`HTTP ${res.status}`);
      };
    case "redis":
      return async (_orderId, userId) => {
        const left = Number(await d.redis.evalsha(d.scriptSha, 2, d.redisKeys[0]!, d.redisKeys[1]!, userId));
        if (left >= 0) return "ok";
        return left === -2 ? "limited" : "refused";
      };
  }
}

async function finalStock(
  variant: Variant,
  d: {
    hubUrl: string;
    auth: Record<string, string>;
    sql: postgres.Sql;
    redis: Redis;
    sku: string;
    table: string;
    redisKeys: string[];
  },
): Promise<{ stock: number }> {
  if (variant === "http" || variant === "actor") {
    const res = await fetch(`${d.hubUrl}/v1/inventory/${d.sku}`, { headers: d.auth });
    const stock = (await res.json()) as { physical: number; reserved: number };
    return { stock: stock.physical - stock.reserved };
  }
  if (variant === "pg" || variant === "pg-http")
    return { stock: (await pgFinal(d.sql, d.table, d.sku)).stock };
  const left = Number(await d.redis.get(d.redisKeys[0]!));
  await d.redis.del(...d.redisKeys);
  return { stock: left };
}

/** The hub's group-commit counters (its /metrics): appends, commands persisted, append seconds. */
async function appendFigures(
  hubUrl: string,
): Promise<{ appends: number; commands: number; seconds: number }> {
  const text = await (await fetch(`${hubUrl}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{\\})? (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  return {
    appends: value("hub_actor_appends_total"),
    commands: value("hub_actor_commands_persisted_total"),
    seconds: value("hub_actor_append_seconds_sum"),
  };
}

/** What the run's appends looked like: how many, commands per append, mean append latency. */
function describeAppends(
  before: { appends: number; commands: number; seconds: number },
  after: { appends: number; commands: number; seconds: number },
): string {
  const appends = after.appends - before.appends;
  if (appends <= 0) return "";
  const perAppend = (after.commands - before.commands) / appends;
  const ms = ((after.seconds - before.seconds) / appends) * 1000;
  return `; ${appends} appends, ${perAppend.toFixed(1)} commands each, ${ms.toFixed(2)} ms mean append`;
}

async function describeRedisDurability(redis: Redis): Promise<string> {
  const aof = (await redis.config("GET", "appendonly")) as string[];
  const save = (await redis.config("GET", "save")) as string[];
  return `appendonly=${aof[1]}, save="${save[1]}"${aof[1] === "no" ? " (not durable per write)" : ""}`;
}

function summarize(records: RunRecord[], redisDurability: string): VariantSummary[] {
  return VARIANTS.map((variant) => {
    const all = records.filter((r) => r.variant === variant);
    const correct = all.every((r) => r.verdict.ok);
    // The warm-up round counts for correctness only.
    const runs = all.filter((r) => r.round > 0);
    return {
      variant,
      label: VARIANT_LABELS[variant],
      runs: runs.length,
      correct,
      // A variant that fails correctness gets no throughput figure.
      salesPerSecond: correct ? median(runs.map((r) => r.salesPerSecond)) : Number.NaN,
      attemptsPerSecond: correct ? median(runs.map((r) => r.load.attemptsPerSecond)) : Number.NaN,
      p50: median(runs.map((r) => r.load.p50)),
      p95: median(runs.map((r) => r.load.p95)),
      p99: median(runs.map((r) => r.load.p99)),
      errors: all.reduce((n, r) => n + r.load.errors + r.load.dropped, 0),
      ...(variant === "redis" ? { note: redisDurability } : {}),
      ...(variant === "pg" || variant === "pg-http" ? { note: "autocommit, synchronous_commit on" } : {}),
      ...(variant === "actor" || variant === "http" ? { note: "acknowledged after JetStream append" } : {}),
      ...(variant === "ceiling" ? { note: "no store: auth, validation, middleware" } : {}),
    };
  });
}
