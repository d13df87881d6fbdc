import type Redis from "ioredis";
import type { ActorNode, ConnectionWatch } from "../actors/runtime/index.ts";
import { withDeadline } from "../actors/runtime/index.ts";
import type { ReadinessReport } from "../gateway/ports.ts";
import type { EventLogUsage } from "../storage/jetstream/event-log-usage.ts";
import type { Sql } from "../storage/postgres/database.ts";
import type { Projector } from "../storage/projector.ts";

/** Cluster view for readiness: how many shards have a live owner (holder with a live heartbeat). */
export type CoverageProbe = () => Promise<{ live: number; shardCount: number }>;

export interface ReadinessProbes {
  roles: ReadonlySet<string>;
  connection: ConnectionWatch;
  sql: Sql;
  redis: Redis;
  /** Shards with a live owner in the cluster. */
  coverage: CoverageProbe;
  actorNode: ActorNode | undefined;
  projector: Projector | undefined;
  eventLog: EventLogUsage;
}

/** How long a gateway-only node reuses one lease scan for readiness. */
export const COVERAGE_CACHE_MS = 1_000;

/**
 * The cluster's lease view for readiness, without reading every lease key on every probe (a scan is one
 * request per shard plus the heartbeats, ~66 NATS requests):
 *
 * - on an actor node, the view its own lease round took (it scans every lease each round, every
 *   quarter heartbeat TTL), as long as it is younger than `maxAgeMs`;
 * - otherwise (a gateway-only node, or a lease round that has not run lately) one scan shared by every
 *   caller for `cacheMs`, and a scan in flight is shared too.
 *
 * So `/readyz` costs at most one scan per `cacheMs`, however often it is called, and none on a node
 * whose lease round is healthy; the view is at most `maxAgeMs` (or `cacheMs`) older than a fresh scan,
 * well inside the heartbeat TTL that decides liveness anyway.
 */
export function coverageProbe(o: {
  actorNode: Pick<ActorNode, "clusterCoverage"> | undefined;
  scan: CoverageProbe;
  maxAgeMs: number;
  cacheMs: number;
}): CoverageProbe {
  let cached: { at: number; view: ReturnType<CoverageProbe> } | undefined;
  return () => {
    const own = o.actorNode?.clusterCoverage();
    if (own && own.ageMs <= o.maxAgeMs)
      return Promise.resolve({ live: own.live, shardCount: own.shardCount });
    const now = performance.now();
    if (!cached || now - cached.at > o.cacheMs) {
      const view = o.scan();
      cached = { at: now, view };
      // A failed scan is not kept: the next probe asks again.
      view.catch(() => {
        if (cached?.view === view) cached = undefined;
      });
    }
    return cached.view;
  };
}

/** Each probe's own deadline; the whole answer is bounded below one second. */
const PROBE_DEADLINE_MS = 700;
/** Probes are shared by concurrent callers and reused this long, so a probe storm never piles up. */
const CACHE_MS = 500;

type Check = { ok: boolean; detail?: string };

/**
 * `/readyz`, answered within a second whatever the dependencies do, and true:
 *
 * - `status: "unavailable"` (503) when this node cannot serve writes for what it claims: an actor node
 *   with no valid shard, a lease it claims but may not write for, NATS down, or the event log full; a
 *   gateway-only node when some shard has no live owner.
 * - `status: "degraded"` (200) when writes work but something else does not: Postgres or Redis down (read
 *   models, login), the projector parked an event or stalls, the event log is above 80 % of its limit, a
 *   shard elsewhere in the cluster has no live owner.
 * - `status: "ready"` (200) otherwise.
 *
 * Details are our own words (counts, states, ratios), never a dependency's error text: the endpoint is
 * anonymous.
 */
export function readinessCheck(probes: ReadinessProbes): () => Promise<ReadinessReport> {
  let cached: { at: number; report: Promise<ReadinessReport> } | undefined;
  return () => {
    const now = performance.now();
    if (!cached || now - cached.at > CACHE_MS) cached = { at: now, report: evaluate(probes) };
    return cached.report;
  };
}

async function evaluate(probes: ReadinessProbes): Promise<ReadinessReport> {
  const { roles, connection, sql, redis, actorNode, projector, eventLog } = probes;
  const probe = async (what: Promise<unknown>): Promise<Check> => {
    const started = performance.now();
    try {
      await withDeadline(what, PROBE_DEADLINE_MS, "probe");
      return { ok: true, detail: `answered in ${Math.round(performance.now() - started)} ms` };
    } catch (error) {
      const timedOut = (error as Error)?.name === "DeadlineError";
      return { ok: false, detail: timedOut ? `no answer within ${PROBE_DEADLINE_MS} ms` : "unreachable" };
    }
  };
  const coverage = withDeadline(probes.coverage(), PROBE_DEADLINE_MS, "coverage").catch(() => undefined);
  const [postgres, redisCheck, cluster] = await Promise.all([
    probe(sql`SELECT 1`),
    probe(redis.ping()),
    connection.state === "down" ? Promise.resolve(undefined) : coverage,
  ]);

  const checks: Record<string, Check> = {};
  const rtt = connection.lastRttMs;
  checks.nats = {
    ok: connection.state === "up",
    detail:
      connection.state === "up"
        ? `up${rtt !== undefined ? `, rtt ${rtt.toFixed(1)} ms` : ""}`
        : connection.state === "slow"
          ? "slow: a ping is overdue"
          : "connection lost, reconnecting",
  };
  checks.postgres = postgres;
  checks.redis = redisCheck;

  const usage = eventLog.report();
  const pct = `${(usage.ratio * 100).toFixed(1)} % of ${usage.maxBytes} bytes`;
  checks["event log storage"] = {
    ok: usage.state === "ok" || usage.state === "warning",
    detail:
      usage.state === "unknown"
        ? "size not known (no recent answer)"
        : usage.maxBytes === 0
          ? `${usage.bytes} bytes, no limit`
          : usage.state === "full"
            ? `full: ${pct}; writes are refused`
            : usage.state === "warning"
              ? `warning: ${pct} used`
              : `${pct} used`,
  };

  const live = cluster?.live;
  const shardCount = cluster?.shardCount;
  checks.shards = {
    ok: live !== undefined && live === shardCount,
    detail:
      live === undefined
        ? "lease bucket did not answer"
        : `${live}/${shardCount} shards have a live owner${actorNode ? `, ${actorNode.validShards.length} served here` : ""}`,
  };

  const reasons: string[] = [];
  const capabilities: Record<string, Check> = {};
  const natsUp = connection.state === "up";
  const logWritable = usage.state !== "full";

  let writesOk: boolean;
  if (actorNode) {
    const claimed = actorNode.ownedShards.length;
    const valid = actorNode.validShards.length;
    writesOk = natsUp && logWritable && valid > 0 && valid === claimed;
    capabilities.writes = {
      ok: writesOk,
      detail: !natsUp
        ? "NATS is not reachable"
        : !logWritable
          ? "the event log is full"
          : valid === 0
            ? "this node serves no shard"
            : valid < claimed
              ? `${claimed - valid} of ${claimed} claimed shards cannot be written (lease or heartbeat not renewed)`
              : `${valid} shards served here`,
    };
  } else if (roles.has("gateway")) {
    writesOk = natsUp && checks.shards.ok && logWritable;
    capabilities.writes = {
      ok: writesOk,
      detail: !natsUp
        ? "NATS is not reachable"
        : !logWritable
          ? "the event log is full"
          : (checks.shards.detail ?? ""),
    };
  } else {
    writesOk = true;
  }
  if (actorNode && writesOk && !checks.shards.ok) reasons.push(`cluster: ${checks.shards.detail}`);
  if (usage.state === "warning") reasons.push(`event log ${checks["event log storage"].detail}`);

  const projection = projectorState(projector);
  checks.projector = { ok: projection.ok, detail: projection.detail };
  if (roles.has("gateway") || projector) {
    const ok = postgres.ok && projection.ok;
    capabilities["read models"] = {
      ok,
      detail: !postgres.ok ? "Postgres is not reachable" : projection.detail,
    };
    if (projection.parked) reasons.push(projection.detail);
  }
  if (roles.has("gateway")) {
    capabilities.login = {
      ok: postgres.ok && redisCheck.ok,
      detail: !postgres.ok ? "Postgres is not reachable" : !redisCheck.ok ? "Redis is not reachable" : "ok",
    };
  }
  if (roles.has("realtime")) {
    capabilities.realtime = {
      ok: natsUp && redisCheck.ok,
      detail: !natsUp ? "NATS is not reachable" : !redisCheck.ok ? "Redis is not reachable" : "ok",
    };
  }
  for (const [name, capability] of Object.entries(capabilities)) {
    if (!capability.ok && name !== "writes") reasons.push(`${name}: ${capability.detail}`);
  }

  const serving = roles.has("gateway") || actorNode ? writesOk : (capabilities["read models"]?.ok ?? true);
  const status = !serving ? "unavailable" : reasons.length > 0 ? "degraded" : "ready";
  if (!serving) reasons.unshift(`writes: ${capabilities.writes?.detail ?? "not served"}`);
  return { ready: serving, status, ...(reasons.length ? { reasons } : {}), capabilities, checks };
}

/** The projector as readiness sees it; `parked` and `stalled` come from its status when it reports them. */
function projectorState(projector: Projector | undefined): { ok: boolean; parked: boolean; detail: string } {
  if (!projector) return { ok: true, parked: false, detail: "projected by another node" };
  const status = projector.status() as ReturnType<Projector["status"]> & {
    parked?: number;
    stalled?: boolean;
  };
  if (!status.running) return { ok: true, parked: false, detail: "standby (another node projects)" };
  if (status.stalled)
    return {
      ok: false,
      parked: false,
      detail: `projector stalled: no progress while the log grows (lag ${status.lagMessages} events)`,
    };
  if (status.parked && status.parked > 0)
    return {
      ok: true,
      parked: true,
      detail: `projector parked ${status.parked} event(s) it could not apply (see the dead-letter list)`,
    };
  return {
    ok: true,
    parked: false,
    detail: `lag ${status.lagMessages} events, ${status.lagSeconds.toFixed(3)} s`,
  };
}
