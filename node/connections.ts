import { connect, type NatsConnection } from "@nats-io/transport-node";
import Redis from "ioredis";
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
  const sql = await openDatabase(config.DATABASE_URL, schema).catch((error) => {
    throw new Error(`cannot reach Postgres at ${config.DATABASE_URL} ${HINT}: ${error.message}`);
  });
  await migrate(sql, schema);
  return sql;
}

export async function connectRedis(config: Config): Promise<Redis> {
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect().catch((error) => {
    throw new Error(`cannot reach Redis at ${config.REDIS_URL} ${HINT}: ${error.message}`);
  });
  return redis;
}
