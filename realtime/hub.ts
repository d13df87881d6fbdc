import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { Server } from "socket.io";
import type { Logger, MetricsRegistry, Subjects } from "../actors/runtime/index.ts";
import { EventLogReader } from "../storage/jetstream/event-log-reader.ts";
import { CataloguePanel, type ChangeSource } from "./catalogue-panel.ts";
import { DashboardRooms, type DashboardSnapshots } from "./dashboard-rooms.ts";
import { Delivery } from "./delivery.ts";
import { EntityRooms } from "./entity-rooms.ts";
import { LogFollower } from "./log-follower.ts";
import { NotificationFeed, type NotificationSource } from "./notification-feed.ts";
import { PromotionsPanel } from "./promotions-panel.ts";
import { ScopeFacts } from "./scope-filter.ts";
import { type PiiReadAudit, type Principal, SocketAuth } from "./socket-auth.ts";

export type { DashboardSnapshots } from "./dashboard-rooms.ts";

export interface RealtimeOptions {
  /** Coalescing window for high-rate streams (stock of a hot SKU): at most 1000/coalesceMs updates/s per client. */
  coalesceMs: number;
  /** A client further behind than this many log entries gets a fresh snapshot instead of a replay. */
  resumeLimit: number;
  /** Packets waiting in one client's socket before it is dropped as too slow (it reconnects and resumes). */
  maxBufferedPackets: number;
  /** How often each socket's token is checked again (revocation, disabled user). */
  tokenRecheckMs: number;
}

/**
 * Live dashboards over Socket.IO, composed of: the log follower (every realtime node reads the event log
 * itself, so an event produced anywhere reaches browsers everywhere, in order, once), socket auth (token
 * at the handshake, until expiry or revocation), dashboard and entity rooms (snapshot or replay, then
 * live, per masking view), the stock coalescer and a delivery that drops clients too slow to keep up.
 */
export class RealtimeHub {
  readonly #io: Server;
  readonly #options: RealtimeOptions;
  readonly #follower: LogFollower;
  readonly #auth: SocketAuth;
  readonly #delivery: Delivery;
  readonly #dashboards: DashboardRooms;
  readonly #entities: EntityRooms;
  readonly #catalogue: CataloguePanel;
  readonly #promotions: PromotionsPanel;
  readonly #notifications: NotificationFeed | undefined;
  #timers: Array<ReturnType<typeof setInterval>> = [];

  constructor(deps: {
    io: Server;
    js: JetStreamClient;
    jsm: JetStreamManager;
    subjects: Subjects;
    /** The event stream. */
    stream: string;
    /** To find an entity's own subject for replays. */
    shardCount: number;
    snapshots: DashboardSnapshots;
    checkToken: (token: string) => Promise<Principal>;
    can: (p: Principal, permission: string) => boolean;
    log: Logger;
    metrics?: MetricsRegistry;
    options?: Partial<RealtimeOptions>;
    /** "The catalogue's Postgres data changed" (NOTIFY); without it the panel refreshes on a timer. */
    catalogueChanges?: ChangeSource;
    /** How often the catalogue panel is re-read without a change (its "next hour" window moves). */
    cataloguePeriodMs?: number;
    /** Operator notifications for the live feed (decision 0030); without it there is no feed. */
    notifications?: NotificationSource;
    /** Where subscriptions that show personal data unmasked are recorded (`pii.read`, decision 0037). */
    audit?: PiiReadAudit;
  }) {
    this.#io = deps.io;
    this.#options = {
      coalesceMs: 200,
      resumeLimit: 10_000,
      maxBufferedPackets: 2_000,
      tokenRecheckMs: 2_000,
      ...deps.options,
    };
    this.#follower = new LogFollower({
      reader: new EventLogReader(deps),
      subjects: deps.subjects,
      shardCount: deps.shardCount,
      log: deps.log,
      // Replays within the resume limit are served from memory, not from one log read per client.
      recent: this.#options.resumeLimit,
    });
    this.#auth = new SocketAuth({
      io: deps.io,
      checkToken: deps.checkToken,
      can: deps.can,
      log: deps.log,
      recheckMs: this.#options.tokenRecheckMs,
      ...(deps.audit ? { audit: deps.audit } : {}),
    });
    this.#delivery = new Delivery(deps.io, this.#options.maxBufferedPackets, deps.metrics);
    // One store of what the log told about orders, payments and shipments, for scoped viewers (0033).
    const facts = new ScopeFacts();
    const parts = { follower: this.#follower, auth: this.#auth, delivery: this.#delivery, facts };
    this.#dashboards = new DashboardRooms({
      ...parts,
      snapshots: deps.snapshots,
      log: deps.log,
      resumeLimit: this.#options.resumeLimit,
      onLive: (socket, dashboard) => {
        if (dashboard === "catalogue")
          this.#catalogue.joined(socket, (s, update) => this.#delivery.emit(s, "panel", update));
        if (dashboard === "promotions")
          this.#promotions.joined(socket, (s, update) => this.#delivery.emit(s, "panel", update));
      },
    });
    this.#entities = new EntityRooms(parts);
    this.#catalogue = new CataloguePanel({
      snapshots: deps.snapshots,
      watchers: () => this.#dashboards.watchers("catalogue"),
      broadcast: (update) => this.#dashboards.broadcastPanel("catalogue", update),
      ...(deps.catalogueChanges ? { changes: deps.catalogueChanges } : {}),
      ...(deps.cataloguePeriodMs ? { periodMs: deps.cataloguePeriodMs } : {}),
      log: deps.log,
    });
    this.#promotions = new PromotionsPanel({
      snapshots: deps.snapshots,
      watchers: () => this.#dashboards.watchers("promotions"),
      broadcast: (update) => this.#dashboards.broadcastPanel("promotions", update),
      log: deps.log,
    });
    this.#notifications = deps.notifications
      ? new NotificationFeed({ source: deps.notifications, ...parts, log: deps.log })
      : undefined;
  }

  async start(): Promise<void> {
    this.#auth.start();
    this.#io.on("connection", (socket) => {
      this.#dashboards.attach(socket);
      this.#entities.attach(socket);
      this.#notifications?.attach(socket);
    });
    await this.#follower.start((message) => {
      this.#dashboards.onMessage(message);
      this.#entities.onMessage(message);
      this.#promotions.onMessage(message);
    });
    await this.#catalogue.start();
    this.#promotions.start();
    await this.#notifications?.start();
    this.#timers.push(
      setInterval(() => this.#dashboards.flushStock(), this.#options.coalesceMs),
      setInterval(() => this.#delivery.dropSlowClients(), 1_000),
    );
  }

  /** The live feed's position in the log, and how often its read was reopened (faults, tests). */
  feedStatus(): { seq: number; reopened: number } {
    return { seq: this.#follower.liveSeq, reopened: this.#follower.reopened };
  }

  /** Shows an operations alert (from any node, see `node/alerts.ts`) on this node's dashboards. */
  alert(alert: Record<string, unknown>): void {
    this.#dashboards.broadcastAlert(alert);
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#auth.stop();
    await this.#catalogue.stop();
    this.#promotions.stop();
    await this.#notifications?.stop();
    await this.#follower.stop();
    // This node's sockets only: the Redis adapter would otherwise disconnect every node's dashboards.
    this.#io.local.disconnectSockets(true);
  }
}
