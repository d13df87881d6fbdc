import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type Redis from "ioredis";
import type { ActorNode } from "../actors/runtime/index.ts";
import type { ReadinessReport } from "../gateway/ports.ts";
import type { Sql } from "../storage/postgres/database.ts";
import type { Projector } from "../storage/projector.ts";

export interface ReadinessProbes {
  nc: NatsConnection;
  sql: Sql;
  redis: Redis;
  /** The shard lease bucket: every shard must be owned by some node in the cluster. */
  leases: KV;
  shardCount: number;
  actorNode: ActorNode | undefined;
  projector: Projector | undefined;
}

/**
 * `/readyz`: this node is ready when NATS, Postgres and Redis answer and every shard has an owner.
 * The projector's lag is reported but never makes the node unready (commands are still safe).
 */
export function readinessCheck(probes: ReadinessProbes): () => Promise<ReadinessReport> {
  const { nc, sql, redis, leases, shardCount, actorNode, projector } = probes;
  return async () => {
    const checks: ReadinessReport["checks"] = {};
    const check = async (name: string, probe: () => Promise<string | undefined>) => {
      try {
        const detail = await probe();
        checks[name] = { ok: true, ...(detail ? { detail } : {}) };
      } catch (error) {
        checks[name] = { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
    };
    await Promise.all([
      check("nats", async () => `rtt ${(await nc.rtt()).toFixed(1)} ms`),
      check("postgres", async () => void (await sql`SELECT 1`)),
      check("redis", async () => void (await redis.ping())),
      check("shards", async () => {
        let covered = 0;
        for await (const _ of await leases.keys()) covered++;
        const here = actorNode?.ownedShards.length ?? 0;
        if (covered < shardCount) throw new Error(`${covered}/${shardCount} shards owned in the cluster`);
        return `${covered}/${shardCount} covered, ${here} here`;
      }),
      check("projector", async () => {
        if (!projector) return "role not on this node";
        const status = projector.status();
        if (!status.running) return "standby (another node projects)";
        return `lag ${status.lagMessages} events, ${status.lagSeconds.toFixed(3)} s`;
      }),
    ]);
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };
}
