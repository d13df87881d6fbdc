import { describe, expect, test } from "bun:test";
import type Redis from "ioredis";
import type { ActorNode, ConnectionWatch } from "../actors/runtime/index.ts";
import type { EventLogUsage, EventLogUsageReport } from "../storage/jetstream/event-log-usage.ts";
import type { Sql } from "../storage/postgres/database.ts";
import type { Projector } from "../storage/projector.ts";
import { type CoverageProbe, coverageProbe, type ReadinessProbes, readinessCheck } from "./readiness.ts";

const never = () => new Promise<never>(() => undefined);
const SECRET = "password authentication failed for user postgres at 10.0.0.7";

function probes(o: {
  roles?: readonly string[];
  nats?: "up" | "slow" | "down";
  postgres?: "ok" | "down" | "hang";
  redis?: "ok" | "down";
  live?: number;
  owned?: number;
  valid?: number;
  actors?: boolean;
  usage?: Partial<EventLogUsageReport>;
  projector?: Record<string, unknown>;
}): ReadinessProbes {
  const sql = (() =>
    o.postgres === "hang"
      ? never()
      : o.postgres === "down"
        ? Promise.reject(new Error(SECRET))
        : Promise.resolve([])) as unknown as Sql;
  const redis = {
    ping: () => (o.redis === "down" ? Promise.reject(new Error(SECRET)) : Promise.resolve("PONG")),
  } as unknown as Redis;
  const owned = Array.from({ length: o.owned ?? 64 }, (_, i) => i);
  const valid = owned.slice(0, o.valid ?? owned.length);
  return {
    roles: new Set(o.roles ?? ["gateway", "actors", "projector", "realtime"]),
    connection: { state: o.nats ?? "up", lastRttMs: 0.4 } as unknown as ConnectionWatch,
    sql,
    redis,
    coverage: async () => ({ live: o.live ?? 64, shardCount: 64 }),
    actorNode:
      o.actors === false ? undefined : ({ ownedShards: owned, validShards: valid } as unknown as ActorNode),
    projector: o.projector
      ? ({
          status: () => ({
            running: true,
            offset: 5,
            streamLastSeq: 5,
            lagMessages: 0,
            lagSeconds: 0,
            ...o.projector,
          }),
        } as unknown as Projector)
      : undefined,
    eventLog: {
      report: () => ({ state: "ok", bytes: 100, maxBytes: 1_000, ratio: 0.1, at: 0, ...o.usage }),
    } as unknown as EventLogUsage,
  };
}

const read = (p: ReadinessProbes) => readinessCheck(p)();

describe("readiness", () => {
  test("readiness - every dependency up on a node serving its shards is ready", async () => {
    const report = await read(probes({ projector: {} }));
    expect({ ready: report.ready, status: report.status, reasons: report.reasons }).toEqual({
      ready: true,
      status: "ready",
      reasons: undefined,
    });
    expect(Object.keys(report.capabilities ?? {}).sort()).toEqual([
      "login",
      "read models",
      "realtime",
      "writes",
    ]);
  });

  test("readiness - a node that owns no live shard is never ready", async () => {
    const report = await read(probes({ owned: 0 }));
    expect({ ready: report.ready, status: report.status }).toEqual({ ready: false, status: "unavailable" });
    expect(report.capabilities?.writes?.detail).toBe("this node serves no shard");
  });

  test("readiness - a claimed shard it may not write for (lease or heartbeat lapsed) makes it unavailable", async () => {
    const report = await read(probes({ owned: 32, valid: 30 }));
    expect({ ready: report.ready, detail: report.capabilities?.writes?.detail }).toEqual({
      ready: false,
      detail: "2 of 32 claimed shards cannot be written (lease or heartbeat not renewed)",
    });
  });

  test("readiness - NATS down or the event log full: unavailable; the 80 % warning: degraded", async () => {
    expect((await read(probes({ nats: "down" }))).status).toBe("unavailable");
    expect((await read(probes({ nats: "slow" }))).status).toBe("unavailable");
    const full = await read(probes({ usage: { state: "full", ratio: 1, bytes: 1_000 } }));
    expect({ status: full.status, detail: full.capabilities?.writes?.detail }).toEqual({
      status: "unavailable",
      detail: "the event log is full",
    });
    const warning = await read(probes({ usage: { state: "warning", ratio: 0.85, bytes: 850 } }));
    expect({ ready: warning.ready, status: warning.status }).toEqual({ ready: true, status: "degraded" });
    expect(warning.reasons?.join(" ")).toContain("85.0 %");
  });

  test("readiness - a gateway-only node is ready exactly when every shard has a live owner", async () => {
    const gatewayOnly = { roles: ["gateway"], actors: false } as const;
    expect((await read(probes({ ...gatewayOnly, live: 64 }))).status).toBe("ready");
    const missing = await read(probes({ ...gatewayOnly, live: 63 }));
    expect({ ready: missing.ready, detail: missing.capabilities?.writes?.detail }).toEqual({
      ready: false,
      detail: "63/64 shards have a live owner",
    });
  });

  test("readiness - a parked projector event is 200 degraded with the reason", async () => {
    const report = await read(probes({ projector: { parked: 2 } }));
    expect({ ready: report.ready, status: report.status }).toEqual({ ready: true, status: "degraded" });
    expect(report.reasons?.join(" ")).toContain("parked 2 event(s)");
  });

  test("readiness - Postgres or Redis down degrade read models and login but writes keep the node ready, with no error text", async () => {
    const report = await read(probes({ postgres: "down", redis: "down" }));
    expect({ ready: report.ready, status: report.status }).toEqual({ ready: true, status: "degraded" });
    expect(report.capabilities?.["read models"]?.ok).toBe(false);
    expect(report.capabilities?.login?.ok).toBe(false);
    expect(JSON.stringify(report)).not.toContain("password");
    expect(JSON.stringify(report)).not.toContain("10.0.0.7");
  });

  test("readiness - a hanging dependency cannot hold the answer past one second", async () => {
    const started = performance.now();
    const report = await read(probes({ postgres: "hang" }));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(report.checks.postgres).toEqual({ ok: false, detail: "no answer within 700 ms" });
  });
});

describe("readiness - the lease view", () => {
  /** A lease scan that counts itself; each real one costs ~66 NATS requests (64 leases + heartbeats). */
  function countingScan(answer: () => Promise<{ live: number; shardCount: number }>) {
    const scan = { calls: 0, probe: (() => undefined) as unknown as CoverageProbe };
    scan.probe = () => {
      scan.calls++;
      return answer();
    };
    return scan;
  }
  const actorNodeSeeing = (live: number, ageMs: number) => ({
    clusterCoverage: () => ({ live, shardCount: 64, ageMs }),
  });

  test("readiness - an actor node answers from its own lease round: no scan per /readyz", async () => {
    const scan = countingScan(async () => ({ live: 0, shardCount: 64 }));
    const coverage = coverageProbe({
      actorNode: actorNodeSeeing(61, 200),
      scan: scan.probe,
      maxAgeMs: 3_000,
      cacheMs: 1_000,
    });
    // Each /readyz evaluation after the report cache expired: a fresh readinessCheck each time.
    for (let i = 0; i < 20; i++) {
      const report = await readinessCheck({ ...probes({}), coverage })();
      expect(report.checks?.shards?.detail).toStartWith("61/64 shards have a live owner");
      expect(report.checks?.shards?.ok).toBe(false);
    }
    expect(scan.calls).toBe(0);
  });

  test("readiness - a stale lease round or a gateway-only node scans at most once per cache period, shared by callers", async () => {
    let clock = 0;
    const realNow = performance.now.bind(performance);
    performance.now = () => clock;
    try {
      for (const actorNode of [actorNodeSeeing(64, 10_000), undefined]) {
        const scan = countingScan(async () => ({ live: 64, shardCount: 64 }));
        const coverage = coverageProbe({ actorNode, scan: scan.probe, maxAgeMs: 3_000, cacheMs: 1_000 });
        const reports = await Promise.all(
          Array.from({ length: 50 }, () => readinessCheck({ ...probes({}), coverage })()),
        );
        expect(reports.every((r) => r.checks?.shards?.ok)).toBe(true);
        expect(scan.calls).toBe(1);
        clock += 999;
        await coverage();
        expect(scan.calls).toBe(1);
        clock += 2;
        await coverage();
        await coverage();
        expect(scan.calls).toBe(2);
      }
    } finally {
      performance.now = realNow;
    }
  });

  test("readiness - a failed scan is not reused: the next probe asks again and tells the truth", async () => {
    let fail = true;
    const scan = countingScan(async () => {
      if (fail) throw new Error("timeout");
      return { live: 64, shardCount: 64 };
    });
    const coverage = coverageProbe({
      actorNode: undefined,
      scan: scan.probe,
      maxAgeMs: 3_000,
      cacheMs: 60_000,
    });
    const down = await readinessCheck({ ...probes({ actors: false, roles: ["gateway"] }), coverage })();
    expect(down.status).toBe("unavailable");
    expect(down.checks?.shards?.detail).toBe("lease bucket did not answer");
    fail = false;
    const up = await readinessCheck({ ...probes({ actors: false, roles: ["gateway"] }), coverage })();
    expect(up.status).toBe("ready");
    expect(scan.calls).toBe(2);
  });
});
