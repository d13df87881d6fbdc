import { randomBytes } from "node:crypto";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type Redis from "ioredis";
import type { Server as SocketServer } from "socket.io";
import {
  ActorClient,
  type ActorNode,
  clusterCoverage,
  type Logger,
  MetricsRegistry,
  openLeaseBuckets,
  Subjects,
} from "./actors/runtime/index.ts";
import type { Config } from "./config.ts";
import type { createApp } from "./gateway/app.ts";
import { TokenService } from "./gateway/auth.ts";
import { startActorHost } from "./node/actors.ts";
import { subscribeAlerts } from "./node/alerts.ts";
import { bootstrapIdentity, printNoticeWhenSettled } from "./node/bootstrap.ts";
import { carrierNetwork } from "./node/carriers.ts";
import { composeGateway } from "./node/gateway.ts";
import { openInfrastructure } from "./node/infrastructure.ts";
import { nodeLogger } from "./node/logger.ts";
import { PROJECTIONS, startProjectionRole } from "./node/projector.ts";
import { COVERAGE_CACHE_MS, coverageProbe, readinessCheck } from "./node/readiness.ts";
import { startRealtime } from "./node/realtime.ts";
import { type HttpServer, serve } from "./platform/serve.ts";
import type { RealtimeHub } from "./realtime/hub.ts";
import type { Sql } from "./storage/postgres/database.ts";
import { ParkedEvents, type Projector } from "./storage/projector.ts";
import { PostgresSessions } from "./storage/sessions.ts";

/** Every domain actor kind this build hosts (kept here for callers that import it from the root). */
export { ACTOR_KINDS } from "./node/actors.ts";

export interface HubNode {
  config: Config;
  nodeId: string;
  nc: NatsConnection;
  sql: Sql;
  redis: Redis;
  client: ActorClient;
  actorNode: ActorNode | undefined;
  projector: Projector | undefined;
  realtime: RealtimeHub | undefined;
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
  // Redacted by the masking policy: no personal data reaches the log (decision 0037).
  const log = options.log ?? nodeLogger(config.LOG_LEVEL, { node: nodeId });
  const roles = new Set(config.ROLES);
  const metrics = new MetricsRegistry();
  const subjects = new Subjects(config.HUB_NAMESPACE);

  const { nc, connection, js, jsm, streams, eventLogUsage, sql, requestSql, redis } =
    await openInfrastructure(config, nodeId, subjects, log, metrics);
  const { users, jwtSecret, secrets, notice } = await bootstrapIdentity(config, requestSql, log);
  // The carriers (simulated servers and their adapters), shared by the actor host and the gateway.
  const carriers = await carrierNetwork(sql, secrets, metrics);

  const kvm = new Kvm(js);
  const ns = config.HUB_NAMESPACE;
  const leaseBuckets = await openLeaseBuckets(nc, ns, {
    leaseTtlMs: config.LEASE_TTL,
    heartbeatTtlMs: Math.min(config.NODE_HEARTBEAT_TTL, config.LEASE_TTL),
    timeoutMs: config.NATS_TIMEOUT,
  });
  const singletons = await kvm.create(`${ns}_singletons`, { ttl: config.LEASE_TTL, history: 1 });

  const client = new ActorClient(nc, {
    namespace: ns,
    shardCount: config.SHARD_COUNT,
    attemptTimeoutMs: config.COMMAND_ATTEMPT_TIMEOUT,
    deadlineMs: config.COMMAND_DEADLINE,
    connection,
  });

  const actorHost = roles.has("actors")
    ? await startActorHost({
        config,
        nodeId,
        nc,
        js,
        jsm,
        subjects,
        streams,
        log,
        metrics,
        connection,
        sql,
        secrets,
        client,
        carriers,
        users,
      })
    : undefined;
  const actorNode = actorHost?.actorNode;
  // Commands from this process's gateway, jobs and projector hooks to actors it hosts stay in memory.
  if (actorNode) client.setLocal(actorNode);
  const projection = roles.has("projector")
    ? await startProjectionRole({
        config,
        nodeId,
        nc,
        sql,
        js,
        jsm,
        subjects,
        stream: streams.events,
        lease: singletons,
        log,
        metrics,
      })
    : undefined;
  const projector = projection?.projector;

  const readiness = readinessCheck({
    roles,
    connection,
    sql,
    redis,
    coverage: coverageProbe({
      actorNode,
      scan: () => clusterCoverage(leaseBuckets, config.SHARD_COUNT, config.NATS_TIMEOUT),
      maxAgeMs: Math.min(config.NODE_HEARTBEAT_TTL, config.LEASE_TTL),
      cacheMs: COVERAGE_CACHE_MS,
    }),
    actorNode,
    projector,
    eventLog: eventLogUsage,
  });

  // Permissions, disabled users and revocations are read from the user store on every check (cached
  // for ACCOUNT_CACHE_MS), so they apply within seconds on every node.
  const sessions = new PostgresSessions(requestSql);
  const tokens = new TokenService(jwtSecret, config.TOKEN_TTL, users, {
    secondFactorRoles: config.TOTP_REQUIRED_ROLES,
    sessionSeen: (id) => sessions.touch(id),
  });
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
      const shown = realtime;
      subscribeAlerts(nc, config.HUB_NAMESPACE, (alert) => shown.alert(alert), log);
    }
  }

  let app: HubNode["app"];
  let server: HttpServer | undefined;
  if (roles.has("gateway")) {
    app = await composeGateway({
      config,
      sql: requestSql,
      workSql: sql,
      redis,
      actors: client,
      users,
      tokens,
      secrets,
      metrics,
      log,
      readiness,
      carrierNetwork: carriers,
      parked: new ParkedEvents({
        sql: requestSql,
        jsm,
        stream: streams.events,
        subjects,
        projections: PROJECTIONS,
      }),
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
  if (notice) printNoticeWhenSettled(notice, actorNode, config.SHARD_COUNT);

  return {
    config,
    nodeId,
    nc,
    sql,
    redis,
    client,
    actorNode,
    projector,
    realtime,
    app,
    server,
    metrics,
    async stop() {
      await realtime?.stop();
      await server?.stop();
      await projector?.stop();
      await projection?.auditSealer.stop();
      actorHost?.stopSeeding();
      await actorNode?.stop();
      eventLogUsage.stop();
      connection.stop();
      await nc.drain().catch(() => undefined);
      await sql.end({ timeout: 2 });
      redis.disconnect();
    },
  };
}
