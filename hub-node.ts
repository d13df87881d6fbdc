import { randomBytes } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createAdapter } from "@socket.io/redis-adapter";
import Redis from "ioredis";
import { Server as SocketServer } from "socket.io";
import { skuKind } from "./actors/inventory/index.ts";
import { memberKind } from "./actors/member/index.ts";
import { orderKind } from "./actors/order/index.ts";
import {
  createChannels,
  generateChannelKeys,
  type SimulatedChannelKeys,
} from "./actors/payment/channels/index.ts";
import { paymentKind } from "./actors/payment/kind.ts";
import {
  ActorClient,
  ActorNode,
  ConnectionWatch,
  createLogger,
  defaultInstanceOptions,
  type Logger,
  MetricsRegistry,
  Subjects,
} from "./actors/runtime/index.ts";
import type { Config } from "./config.ts";
import { createApp, type ReadinessReport } from "./gateway/app.ts";
import { can, TokenService } from "./gateway/auth.ts";
import { orderRoutes } from "./gateway/routes/orders.ts";
import { paymentRoutes } from "./gateway/routes/payments.ts";
import { type HttpServer, serve } from "./platform/serve.ts";
import { RealtimeHub } from "./realtime/hub.ts";
import { EventLogUsage } from "./storage/jetstream/event-log-usage.ts";
import { JetStreamEventStore, JetStreamTimerIndex } from "./storage/jetstream/jetstream-event-store.ts";
import { ensureStreams } from "./storage/jetstream/streams.ts";
import { openDatabase, type Sql } from "./storage/postgres/database.ts";
import { migrate } from "./storage/postgres/migrate.ts";
import { PostgresPriceBook } from "./storage/prices.ts";
import { Projector } from "./storage/projector.ts";
import { auditProjection } from "./storage/read-models/audit-projection.ts";
import { PostgresDashboardSnapshots } from "./storage/read-models/dashboard-snapshots.ts";
import { inventoryProjection } from "./storage/read-models/inventory-projection.ts";
import { InventoryQueries } from "./storage/read-models/inventory-queries.ts";
import { ledgerProjection } from "./storage/read-models/ledger-projection.ts";
import { orderProjection } from "./storage/read-models/order-projection.ts";
import { OrderQueries } from "./storage/read-models/order-queries.ts";
import { sharedSetting, UserStore } from "./storage/users.ts";
import { PostgresWarehouseDirectory } from "./storage/warehouses.ts";

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

  const nc = await connect({
    servers: config.NATS_URL,
    name: `business-hub ${nodeId}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 5_000,
    // An Error (with stack capture) per request costs ~6% of a hot actor's CPU; our errors carry context.
    noAsyncTraces: true,
  }).catch((error) => {
    throw new Error(
      `cannot reach NATS at ${config.NATS_URL} (start it with: npm run services): ${error.message}`,
    );
  });
  // Every NATS call has a deadline (NATS_TIMEOUT); the watch lets callers fail fast while NATS is away.
  const connection = new ConnectionWatch(nc, { slowAfterMs: config.NATS_TIMEOUT });
  const js = jetstream(nc, { timeout: config.NATS_TIMEOUT });
  const jsm = await jetstreamManager(nc, { timeout: config.NATS_TIMEOUT });
  const streams = await ensureStreams(jsm, subjects, {
    duplicateWindowMs: config.EVENTS_DUPLICATE_WINDOW,
    eventsMaxBytes: config.EVENTS_MAX_BYTES,
  });
  const eventLogUsage = new EventLogUsage(jsm, streams.events, { timeoutMs: config.NATS_TIMEOUT });
  eventLogUsage.start();

  const schema = config.HUB_NAMESPACE;
  const sql = await openDatabase(config.DATABASE_URL, schema).catch((error) => {
    throw new Error(
      `cannot reach Postgres at ${config.DATABASE_URL} (start it with: npm run services): ${error.message}`,
    );
  });
  await migrate(sql, schema);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect().catch((error) => {
    throw new Error(
      `cannot reach Redis at ${config.REDIS_URL} (start it with: npm run services): ${error.message}`,
    );
  });

  const users = new UserStore(sql);
  await users.ensureRoles();
  const adminPassword = config.ADMIN_PASSWORD ?? randomBytes(12).toString("base64url");
  if ((await users.ensureAdmin(adminPassword)) && !config.ADMIN_PASSWORD) {
    // Printed once, on the start that created the user; never logged again.
    process.stdout.write(
      `\n  Created user "admin" with password: ${adminPassword}\n  (set ADMIN_PASSWORD to choose it)\n\n`,
    );
  }
  const jwtSecret =
    config.JWT_SECRET ??
    (await sharedSetting(sql, "jwt_secret", () => randomBytes(48).toString("base64url")));

  const kvm = new Kvm(js);
  const ns = config.HUB_NAMESPACE;
  const leasesBucket = await kvm.create(`${ns}_shard_leases`, { ttl: config.LEASE_TTL, history: 1 });
  const singletons = await kvm.create(`${ns}_singletons`, { ttl: config.LEASE_TTL, history: 1 });

  const client = new ActorClient(nc, {
    namespace: ns,
    shardCount: config.SHARD_COUNT,
    attemptTimeoutMs: config.COMMAND_ATTEMPT_TIMEOUT,
    deadlineMs: config.COMMAND_DEADLINE,
    connection,
  });

  let actorNode: ActorNode | undefined;
  if (roles.has("actors")) {
    actorNode = new ActorNode(
      nc,
      ACTOR_KINDS,
      {
        store: new JetStreamEventStore(js, jsm, subjects, streams, { timeoutMs: config.NATS_TIMEOUT }),
        timerIndex: new JetStreamTimerIndex(js, subjects, streams),
      },
      {
        namespace: ns,
        nodeId,
        shardCount: config.SHARD_COUNT,
        leaseTtlMs: config.LEASE_TTL,
        heartbeatTtlMs: config.NODE_HEARTBEAT_TTL,
        natsTimeoutMs: config.NATS_TIMEOUT,
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
      { log, metrics, connection },
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

  const readiness = async (): Promise<ReadinessReport> => {
    const checks: ReadinessReport["checks"] = {};
    const check = async (name: string, probe: () => Promise<string | undefined>) => {
      try {
        const detail = await probe();
        checks[name] = { ok: true, ...(detail ? { detail } : {}) };
      } catch (error) {
        checks[name] = { ok: false, detail: (error as Error).message };
      }
    };
    await Promise.all([
      check("nats", async () => `rtt ${(await nc.rtt()).toFixed(1)} ms`),
      check("postgres", async () => void (await sql`SELECT 1`)),
      check("redis", async () => void (await redis.ping())),
      check("shards", async () => {
        let covered = 0;
        for await (const _ of await leasesBucket.keys()) covered++;
        const here = actorNode?.ownedShards.length ?? 0;
        if (covered < config.SHARD_COUNT)
          throw new Error(`${covered}/${config.SHARD_COUNT} shards owned in the cluster`);
        return `${covered}/${config.SHARD_COUNT} covered, ${here} here`;
      }),
      // Informational: a lagging read model does not make the node unready (commands are still safe).
      check("projector", async () => {
        if (!projector) return "role not on this node";
        const status = projector.status();
        if (!status.running) return "standby (another node projects)";
        return `lag ${status.lagMessages} events, ${status.lagSeconds.toFixed(3)} s`;
      }),
    ]);
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };

  const tokens = new TokenService(jwtSecret, config.TOKEN_TTL);
  let realtime: RealtimeHub | undefined;
  let socketServer: SocketServer | undefined;
  if (roles.has("realtime")) {
    if (!roles.has("gateway"))
      log.warn("the realtime role serves sockets on the gateway's port; add the gateway role");
    else {
      socketServer = new SocketServer({ serveClient: false, pingInterval: 10_000, pingTimeout: 8_000 });
      // The Redis adapter makes io-wide broadcasts reach every node; dashboard events reach every node
      // straight from the event log (ordered and resumable), so they are sent per socket.
      socketServer.adapter(createAdapter(redis.duplicate(), redis.duplicate()));
      realtime = new RealtimeHub({
        io: socketServer,
        js,
        jsm,
        subjects,
        shardCount: config.SHARD_COUNT,
        stream: streams.events,
        snapshots: new PostgresDashboardSnapshots(sql),
        checkToken: (token) => tokens.check(token),
        can,
        log,
        metrics,
        options: { coalesceMs: config.REALTIME_COALESCE },
      });
      await realtime.start();
    }
  }

  let app: HubNode["app"];
  let server: HttpServer | undefined;
  if (roles.has("gateway")) {
    const channels = createChannels(await channelKeys(sql));
    const publicUrl = config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`;
    app = createApp({
      routeModules: [
        orderRoutes({
          prices: new PostgresPriceBook(sql),
          orders: new OrderQueries(sql),
          paymentTimeoutMs: config.ORDER_PAYMENT_TIMEOUT,
          autoCompleteMs: config.ORDER_AUTO_COMPLETE,
        }),
        paymentRoutes({
          channels,
          sql,
          publicUrl,
          risk: {
            maxAmount: config.PAYMENT_MAX_AMOUNT,
            maxPerUserPerHour: config.PAYMENT_MAX_PER_USER_PER_HOUR,
            blacklist: new Set(config.PAYMENT_BLACKLIST),
          },
          velocity: async (userId) => {
            const key = `${ns}:payvel:${userId}:${Math.floor(Date.now() / 3_600_000)}`;
            const count = await redis.incr(key);
            if (count === 1) await redis.expire(key, 3_700);
            return count;
          },
        }),
      ],
      actors: client,
      warehouses: new PostgresWarehouseDirectory(sql, redis, ns),
      users,
      tokens,
      inventory: new InventoryQueries(sql),
      redis,
      namespace: ns,
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
      eventLogUsage.stop();
      connection.stop();
      await nc.drain().catch(() => undefined);
      await sql.end({ timeout: 2 });
      redis.disconnect();
    },
  };
}

/**
 * The simulated channels' keys, created once per cluster and shared through Postgres (every node must
 * verify callbacks with the same keys). Generating RSA keys is slow, so it happens only when none exist.
 */
async function channelKeys(sql: Sql): Promise<SimulatedChannelKeys> {
  const existing = await sql`SELECT value FROM settings WHERE key = 'payment_channel_keys'`;
  if (existing[0]) return JSON.parse(existing[0].value as string) as SimulatedChannelKeys;
  const generated = JSON.stringify(await generateChannelKeys());
  return JSON.parse(
    await sharedSetting(sql, "payment_channel_keys", () => generated),
  ) as SimulatedChannelKeys;
}
