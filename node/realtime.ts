import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { createAdapter } from "@socket.io/redis-adapter";
import type Redis from "ioredis";
import { Server as SocketServer } from "socket.io";
import type { Logger, MetricsRegistry, Subjects } from "../actors/runtime/index.ts";
import type { Config } from "../config.ts";
import { can, type TokenService } from "../gateway/auth.ts";
import { RealtimeHub } from "../realtime/hub.ts";
import { PostgresAuditLog } from "../storage/audit-log.ts";
import { cataloguePanelChannel } from "../storage/catalogue-search/panel.ts";
import { flashSaleProgress } from "../storage/flash-sales/index.ts";
import { notificationChannel, PostgresNotifications } from "../storage/notifications/index.ts";
import type { Sql } from "../storage/postgres/database.ts";
import { PostgresDashboardSnapshots } from "../storage/read-models/dashboard-snapshots.ts";
import { pendingReviewCount } from "../storage/reviews/index.ts";
import { reportRedisErrors } from "./connections.ts";

export interface RealtimeInfrastructure {
  config: Config;
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: Subjects;
  stream: string;
  sql: Sql;
  redis: Redis;
  tokens: TokenService;
  log: Logger;
  metrics: MetricsRegistry;
}

/** Socket.IO dashboards, served on the gateway's port: the socket server and the hub feeding it. */
export async function startRealtime(
  infra: RealtimeInfrastructure,
): Promise<{ socketServer: SocketServer; realtime: RealtimeHub }> {
  const { config, redis, tokens } = infra;
  // The adapter (un)subscribes without handling a rejection: its clients wait for the connection (they
  // resubscribe after a Redis restart) instead of failing commands fast like the request-path client.
  const adapterClient = (name: string) =>
    reportRedisErrors(
      redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined }),
      name,
      infra.log,
    );
  const socketServer = new SocketServer({ serveClient: false, pingInterval: 10_000, pingTimeout: 8_000 });
  // The Redis adapter makes io-wide broadcasts reach every node; dashboard events reach every node
  // straight from the event log (ordered and resumable), so they are sent per socket.
  // Its channels live under the namespace: nodes of another namespace on the same Redis never hear them.
  socketServer.adapter(
    createAdapter(adapterClient("socket.io pub"), adapterClient("socket.io sub"), {
      key: `${config.HUB_NAMESPACE}:socket.io`,
    }),
  );
  const realtime = new RealtimeHub({
    io: socketServer,
    js: infra.js,
    jsm: infra.jsm,
    subjects: infra.subjects,
    shardCount: config.SHARD_COUNT,
    stream: infra.stream,
    // The catalogue panel counts reviews awaiting moderation (decision 0016).
    // The promotions panel shows flash-sale progress from the flash-sale read model (decision 0023).
    snapshots: new PostgresDashboardSnapshots(infra.sql, {
      pendingReviews: pendingReviewCount,
      flashSales: async (tx) =>
        (await flashSaleProgress(tx)).map((r) => ({
          campaignId: r.campaignId,
          name: r.name,
          sku: r.sku,
          status: r.status,
          allocated: r.allocated,
          sold: r.sold,
          refused: r.refused,
          // In flight per gateway node (GET /v1/flash-sales/{id} answers `queue`): not in the log.
          queueLength: null,
        })),
    }),
    checkToken: (token) => tokens.check(token),
    can,
    audit: new PostgresAuditLog(infra.sql),
    log: infra.log,
    metrics: infra.metrics,
    options: { coalesceMs: config.REALTIME_COALESCE },
    // Postgres NOTIFY at commit of a products/reviews change (migration 0012), on a dedicated connection.
    catalogueChanges: async (onChange) => {
      const channel = await cataloguePanelChannel(infra.sql);
      const listener = await infra.sql.listen(channel, () => onChange(), onChange);
      return { close: () => listener.unlisten() };
    },
    notifications: notificationSource(infra.sql),
  });
  await realtime.start();
  return { socketServer, realtime };
}

/** The live notification feed's reads and Postgres NOTIFY (migration 0025's trigger), on a dedicated connection. */
function notificationSource(sql: Sql) {
  const store = new PostgresNotifications(sql);
  return {
    latest: async (limit: number) => ({
      items: (await store.list({ limit, acknowledged: false })).items,
      open: await store.openCounts(),
    }),
    get: (id: string) => store.get(id),
    changes: async (onChange: (id: string) => void) => {
      const listener = await sql.listen(await notificationChannel(sql), onChange);
      return { close: () => listener.unlisten() };
    },
  };
}
