import { connect, type NatsConnection } from "@nats-io/transport-node";
import Redis from "ioredis";
import type { Logger } from "../actors/runtime/index.ts";
import type { Config } from "../config.ts";
import { openDatabase, type Sql } from "../storage/postgres/database.ts";
import { migrate } from "../storage/postgres/migrate.ts";

const HINT = "(start it with: npm run services)";

export async function connectNats(config: Config, nodeId: string): Promise<NatsConnection> {
  return connect({
    servers: config.NATS_URL,
    name: `business-hub ${nodeId}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 5_000,
    // An Error (with stack capture) per request costs ~6% of a hot actor's CPU; our errors carry context.
    noAsyncTraces: true,
  }).catch((error) => {
    throw new Error(`cannot reach NATS at ${config.NATS_URL} ${HINT}: ${error.message}`);
  });
}

/** The pool on this namespace's schema, migrated to the current version. */
export async function openMigratedDatabase(config: Config): Promise<Sql> {
  const schema = config.HUB_NAMESPACE;
  const sql = await openDatabase(config.DATABASE_URL, schema, {
    timeouts: {
      connectTimeoutMs: config.PG_CONNECT_TIMEOUT,
      statementTimeoutMs: config.PG_STATEMENT_TIMEOUT,
      idleTimeoutMs: config.PG_IDLE_TIMEOUT,
      maxLifetimeMs: config.PG_MAX_LIFETIME,
      maxReconnectDelayMs: config.PG_RECONNECT_MAX,
    },
  }).catch((error) => {
    throw new Error(`cannot reach Postgres at ${config.DATABASE_URL} ${HINT}: ${error.message}`);
  });
  await migrate(sql, schema);
  return sql;
}

/**
 * Redis with deadlines: a command fails after REDIS_COMMAND_TIMEOUT, also while it waits in the offline
 * queue for a reconnect (so the queue is bounded in time), and after one failed reconnect attempt; a
 * route that needs Redis answers 503 within about a second. Reconnects every ≤ 500 ms. Clients made with
 * `duplicate()` inherit all of it but not the `error` handler: pass each one to `reportRedisErrors`.
 */
export async function connectRedis(config: Config, log?: Logger): Promise<Redis> {
  const redis = new Redis(config.REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: config.REDIS_COMMAND_TIMEOUT,
    connectTimeout: config.REDIS_CONNECT_TIMEOUT,
    retryStrategy: (attempt) => Math.min(50 * attempt, 500),
  });
  reportRedisErrors(redis, "main", log);
  await redis.connect().catch((error) => {
    throw new Error(`cannot reach Redis at ${config.REDIS_URL} ${HINT}: ${error.message}`);
  });
  return redis;
}

/**
 * Every ioredis client needs an `error` listener: without one, a lost connection prints
 * "[ioredis] Unhandled error event" on every reconnect attempt. Logged once per outage, not per attempt.
 */
export function reportRedisErrors(client: Redis, name: string, log?: Logger): Redis {
  let down = false;
  client.on("error", (error: Error) => {
    if (down) return;
    down = true;
    log?.warn("redis connection lost; retrying", { client: name, error: error.message });
  });
  client.on("ready", () => {
    if (!down) return;
    down = false;
    log?.info("redis connection back", { client: name });
  });
  return client;
}
