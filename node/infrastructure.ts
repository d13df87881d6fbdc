import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type Redis from "ioredis";
import {
  ConnectionWatch,
  type Logger,
  type MetricsRegistry,
  type Subjects,
} from "../actors/runtime/index.ts";
import type { Config } from "../config.ts";
import { EventLogUsage } from "../storage/jetstream/event-log-usage.ts";
import { ensureStreams } from "../storage/jetstream/streams.ts";
import { type Sql, withQueryDeadline } from "../storage/postgres/database.ts";
import { connectNats, connectRedis, openMigratedDatabase } from "./connections.ts";

/** The connections every role of a node shares: NATS with JetStream and its streams, Postgres, Redis. */
export interface Infrastructure {
  nc: NatsConnection;
  connection: ConnectionWatch;
  js: JetStreamClient;
  jsm: JetStreamManager;
  streams: Awaited<ReturnType<typeof ensureStreams>>;
  eventLogUsage: EventLogUsage;
  /** The plain pool (the projector, whose transactions are bounded by statement_timeout). */
  sql: Sql;
  /** What serves requests: at most PG_QUERY_DEADLINE per query, then 503. */
  requestSql: Sql;
  redis: Redis;
}

/** Connects to NATS, JetStream (creating the streams), Postgres (migrated) and Redis, in that order. */
export async function openInfrastructure(
  config: Config,
  nodeId: string,
  subjects: Subjects,
  log: Logger,
  metrics: MetricsRegistry,
): Promise<Infrastructure> {
  const nc = await connectNats(config, nodeId);
  // Every NATS call has a deadline (NATS_TIMEOUT); the watch lets callers fail fast while NATS is away.
  // "Slow" at half the deadline: a command can still be answered 503 well within two seconds.
  const connection = new ConnectionWatch(nc, {
    slowAfterMs: Math.max(250, Math.min(1_000, config.NATS_TIMEOUT / 2)),
  });
  const js = jetstream(nc, { timeout: config.NATS_TIMEOUT });
  const jsm = await jetstreamManager(nc, { timeout: config.NATS_TIMEOUT });
  const streams = await ensureStreams(jsm, subjects, {
    duplicateWindowMs: config.EVENTS_DUPLICATE_WINDOW,
    eventsMaxBytes: config.EVENTS_MAX_BYTES,
  });
  const eventLogUsage = new EventLogUsage(jsm, streams.events, { timeoutMs: config.NATS_TIMEOUT });
  eventLogUsage.start();
  eventLogUsage.registerMetrics(metrics);
  const sql = await openMigratedDatabase(config);
  const requestSql = withQueryDeadline(sql, config.PG_QUERY_DEADLINE);
  const redis = await connectRedis(config, log);
  return { nc, connection, js, jsm, streams, eventLogUsage, sql, requestSql, redis };
}
