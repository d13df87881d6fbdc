import { randomBytes } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type Redis from "ioredis";
import type { Server as SocketServer } from "socket.io";
import { skuKind } from "./actors/inventory/index.ts";
import { memberKind } from "./actors/member/index.ts";
import { orderKind } from "./actors/order/index.ts";
import { paymentKind } from "./actors/payment/kind.ts";
import {
  ActorClient,
  ActorNode,
  createLogger,
  defaultInstanceOptions,
  type Logger,
  MetricsRegistry,
  Subjects,
} from "./actors/runtime/index.ts";
import type { Config } from "./config.ts";
import type { createApp } from "./gateway/app.ts";
import { TokenService } from "./gateway/auth.ts";
import { bootstrapIdentity } from "./node/bootstrap.ts";
import { connectNats, connectRedis, openMigratedDatabase } from "./node/connections.ts";
import { composeGateway } from "./node/gateway.ts";
import { readinessCheck } from "./node/readiness.ts";
import { startRealtime } from "./node/realtime.ts";
import { type HttpServer, serve } from "./platform/serve.ts";
import type { RealtimeHub } from "./realtime/hub.ts";
import { JetStreamEventStore, JetStreamTimerIndex } from "./storage/jetstream/jetstream-event-store.ts";
import { ensureStreams } from "./storage/jetstream/streams.ts";
import { type Sql, withQueryDeadline } from "./storage/postgres/database.ts";
import { Projector } from "./storage/projector.ts";
import { auditProjection } from "./storage/read-models/audit-projection.ts";
import { inventoryProjection } from "./storage/read-models/inventory-projection.ts";
import { ledgerProjection } from "./storage/read-models/ledger-projection.ts";
import { orderProjection } from "./storage/read-models/order-projection.ts";

/** Every domain actor kind this build hosts. The runtime only ever sees this list. */
export const ACTOR_KINDS = [skuKind, orderKind, paymentKind, memberKind];

export interface HubNode {
  config: Config;
  nodeId: string;
  nc: NatsConnection;
  sql: Sql;
  redis: Redis;
  client: ActorClient;
  actorNode: ActorNode | undefined;
  projector: Projector | undefined;
  app: ReturnType<typeof createApp> | undefined;
  server: HttpServer | undefined;
  metrics: MetricsRegistry;
  /** Graceful: hands shards back and closes connections. */
  stop(): Promise<void>;
}

/**
 * Starts one node with the roles in `config.ROLES`: the composition root, the only module that knows
 * every concrete implementation.
 */
export async function startHubNode(
  config: Config,
  options: { log?: Logger; listen?: boolean } = {},
): Promise<HubNode> {
  const nodeId = config.NODE_ID ?? `node-${randomBytes(4).toString("hex")}`;
  const log = options.log ?? createLogger(config.LOG_LEVEL, { node: nodeId });
  const roles = new Set(config.ROLES);
  const metrics = new MetricsRegistry();
  const subjects = new Subjects(config.HUB_NAMESPACE);

  const nc = await connectNats(config, nodeId);
  const js = jetstream(nc, { timeout: 5_000 });
  const jsm = await jetstreamManager(nc);
  const streams = await ensureStreams(jsm, subjects, { duplicateWindowMs: config.EVENTS_DUPLICATE_WINDOW });
  const sql = await openMigratedDatabase(config);
  // What serves requests waits at most PG_QUERY_DEADLINE per query, then answers 503 (the projector,
  // whose transactions are bounded by statement_timeout, keeps the plain pool).
  const requestSql = withQueryDeadline(sql, config.PG_QUERY_DEADLINE);
  const redis = await connectRedis(config, log);
  const { users, jwtSecret } = await bootstrapIdentity(config, requestSql);

  const kvm = new Kvm(nc);
  const ns = config.HUB_NAMESPACE;
  const leasesBucket = await kvm.create(`${ns}_shard_leases`, { ttl: config.LEASE_TTL, history: 1 });
  const singletons = await kvm.create(`${ns}_singletons`, { ttl: config.LEASE_TTL, history: 1 });

  const client = new ActorClient(nc, {
    namespace: ns,
    shardCount: config.SHARD_COUNT,
    attemptTimeoutMs: config.COMMAND_ATTEMPT_TIMEOUT,
    deadlineMs: config.COMMAND_DEADLINE,
  });

  let actorNode: ActorNode | undefined;
  if (roles.has("actors")) {
    actorNode = new ActorNode(
      nc,
      ACTOR_KINDS,
      {
        store: new JetStreamEventStore(js, jsm, subjects, streams),
        timerIndex: new JetStreamTimerIndex(js, subjects, streams),
      },
      {
        namespace: ns,
        nodeId,
        shardCount: config.SHARD_COUNT,
        leaseTtlMs: config.LEASE_TTL,
        idleMs: config.ACTOR_IDLE,
        maxActive: config.ACTOR_MAX_ACTIVE,
        maxPending: config.NODE_MAX_PENDING,
        instance: {
          ...defaultInstanceOptions,
          mailboxMax: config.MAILBOX_MAX,
          snapshotEvery: config.SNAPSHOT_EVERY,
          idempotencyRetentionMs: config.IDEMPOTENCY_RETENTION,
        },
      },
      { log, metrics },
    );
    await actorNode.start();
  }

  let projector: Projector | undefined;
  if (roles.has("projector")) {
    projector = new Projector({
      sql,
      js,
      jsm,
      subjects,
      stream: streams.events,
      projections: [inventoryProjection, orderProjection, ledgerProjection, auditProjection],
      lease: singletons,
      nodeId,
      log,
      metrics,
    });
    await projector.start(config.LEASE_TTL);
  }

  const readiness = readinessCheck({
    nc,
    sql,
    redis,
    leases: leasesBucket,
    shardCount: config.SHARD_COUNT,
    actorNode,
    projector,
  });

  const tokens = new TokenService(jwtSecret, config.TOKEN_TTL);
  let realtime: RealtimeHub | undefined;
  let socketServer: SocketServer | undefined;
  if (roles.has("realtime")) {
    if (!roles.has("gateway"))
      log.warn("the realtime role serves sockets on the gateway's port; add the gateway role");
    else {
      const infra = {
        config,
        js,
        jsm,
        subjects,
        stream: streams.events,
        sql: requestSql,
        redis,
        tokens,
        log,
        metrics,
      };
      ({ realtime, socketServer } = await startRealtime(infra));
    }
  }

  let app: HubNode["app"];
  let server: HttpServer | undefined;
  if (roles.has("gateway")) {
    app = await composeGateway({
      config,
      sql: requestSql,
      redis,
      actors: client,
      users,
      tokens,
      metrics,
      log,
      readiness,
    });
    if (options.listen !== false) {
      server = serve(app.fetch, {
        port: config.PORT,
        hostname: config.HOST,
        ...(socketServer ? { socketServer } : {}),
      });
      log.info("listening", { url: `http://${config.HOST}:${server.port}`, roles: [...roles] });
    }
  }

  return {
    config,
    nodeId,
    nc,
    sql,
    redis,
    client,
    actorNode,
    projector,
    app,
    server,
    metrics,
    async stop() {
      await realtime?.stop();
      await server?.stop();
      await projector?.stop();
      await actorNode?.stop();
      await nc.drain().catch(() => undefined);
      await sql.end({ timeout: 2 });
      redis.disconnect();
    },
  };
}
