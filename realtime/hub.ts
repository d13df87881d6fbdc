import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { Server, Socket } from "socket.io";
import type { Logger } from "../actors/runtime/log.ts";
import type { MetricsRegistry } from "../actors/runtime/metrics.ts";
import type { LogBatch } from "../actors/runtime/protocol.ts";
import { type Subjects, shardOf } from "../actors/runtime/shard.ts";
import {
  DASHBOARDS,
  type DashboardName,
  dashboardsFor,
  type FeedMessage,
  isDashboard,
  mergeDelta,
  type StockDelta,
  stockDelta,
} from "./dashboards.ts";

/** What a dashboard shows before its live events: read-model data as of an event-log sequence. */
export interface DashboardSnapshots {
  snapshot(dashboard: DashboardName): Promise<{ asOf: number; data: unknown }>;
}

export interface RealtimeOptions {
  /** Coalescing window for high-rate streams (stock of a hot SKU): at most 1000/coalesceMs updates/s per client. */
  coalesceMs: number;
  /** A client further behind than this many log entries gets a fresh snapshot instead of a replay. */
  resumeLimit: number;
  /** Packets waiting in one client's socket before it is dropped as too slow (it reconnects and resumes). */
  maxBufferedPackets: number;
}

interface Subscription {
  lastSent: number;
  /** replaying: reading the log; joining: replay done, waiting for the next stock flush to join the room. */
  replaying: boolean;
  joining?: boolean;
  buffer: FeedMessage[];
  stock: Map<string, StockDelta>;
  /** Time of the newest event folded into the pending stock deltas (for latency measurement). */
  stockAt: number;
}

interface Principal {
  username: string;
  permissions: string[];
}

/**
 * Live dashboards over Socket.IO. Every realtime node reads the event log itself (an ordered consumer
 * from the current end), so an event produced on any node reaches browsers on every node, in log order,
 * once; messages carry their log sequence, and a reconnecting client resumes from its last one (replayed
 * from JetStream) or receives a fresh snapshot. A slow browser never slows anything: stock updates are
 * coalesced per client, and a client whose socket backs up is disconnected and resumes later.
 */
export class RealtimeHub {
  readonly #io: Server;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #subjects: Subjects;
  readonly #stream: string;
  readonly #snapshots: DashboardSnapshots;
  readonly #checkToken: (token: string) => Promise<Principal>;
  readonly #can: (p: Principal, permission: string) => boolean;
  readonly #log: Logger;
  readonly #options: RealtimeOptions;
  readonly #shardCount: number;
  /** Clients still catching up (replay, or waiting to join the live room) per dashboard. */
  readonly #subscribers = new Map<DashboardName, Map<Socket, Subscription>>();
  /** Stock deltas for everyone in the live inventory room, coalesced once for all of them. */
  #roomStock = new Map<string, StockDelta>();
  /** Entity watchers still replaying (socket id + entity → buffered live messages). */
  readonly #watchers = new Map<string, FeedMessage[]>();
  #roomStockAt = 0;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #liveSeq = 0;
  #messages: { close(): Promise<unknown> } | undefined;
  #flushTimer: ReturnType<typeof setInterval> | undefined;
  #delivered: { inc(n: number): void } = { inc: () => undefined };

  constructor(deps: {
    io: Server;
    js: JetStreamClient;
    jsm: JetStreamManager;
    subjects: Subjects;
    /** To find an entity's own subject for replays. */
    shardCount: number;
    stream: string;
    snapshots: DashboardSnapshots;
    checkToken: (token: string) => Promise<Principal>;
    can: (p: Principal, permission: string) => boolean;
    log: Logger;
    metrics?: MetricsRegistry;
    options?: Partial<RealtimeOptions>;
  }) {
    this.#io = deps.io;
    this.#js = deps.js;
    this.#jsm = deps.jsm;
    this.#subjects = deps.subjects;
    this.#stream = deps.stream;
    this.#snapshots = deps.snapshots;
    this.#checkToken = deps.checkToken;
    this.#can = deps.can;
    this.#log = deps.log;
    this.#shardCount = deps.shardCount;
    this.#options = { coalesceMs: 200, resumeLimit: 10_000, maxBufferedPackets: 2_000, ...deps.options };
    for (const name of Object.keys(DASHBOARDS) as DashboardName[]) this.#subscribers.set(name, new Map());
    if (deps.metrics) {
      const counter = deps.metrics.counter(
        "hub_realtime_messages_total",
        "Messages sent to dashboard clients",
      );
      this.#delivered = { inc: (n) => counter.inc({}, n) };
      deps.metrics.gauge(
        "hub_realtime_clients",
        "Dashboard sockets on this node",
        () => this.#io.of("/").sockets.size,
      );
    }
  }

  async start(): Promise<void> {
    this.#io.use(async (socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown })?.token;
      if (typeof token !== "string") return next(new Error("unauthorized: send auth.token"));
      try {
        socket.data.principal = await this.#checkToken(token);
        next();
      } catch {
        next(new Error("unauthorized: invalid or expired token"));
      }
    });
    this.#io.on("connection", (socket) => this.#onConnection(socket));
    const info = await this.#jsm.streams.info(this.#stream);
    this.#liveSeq = info.state.last_seq;
    void this.#follow(this.#liveSeq + 1);
    this.#flushTimer = setInterval(() => this.#flushStock(), this.#options.coalesceMs);
    this.#sweepTimer = setInterval(() => this.#dropSlowClients(), 1_000);
  }

  async stop(): Promise<void> {
    if (this.#flushTimer) clearInterval(this.#flushTimer);
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    await this.#messages?.close();
    this.#io.disconnectSockets(true);
  }

  #onConnection(socket: Socket): void {
    socket.on(
      "subscribe",
      (request: { dashboard?: unknown; lastEventId?: unknown }, ack?: (a: unknown) => void) => {
        const reply = typeof ack === "function" ? ack : () => undefined;
        void this.#subscribe(socket, request ?? {}).then(reply, (error: Error) =>
          reply({ ok: false, error: error.message }),
        );
      },
    );
    socket.on("watch", (request: { entity?: unknown; lastEventId?: unknown }, ack?: (a: unknown) => void) => {
      const reply = typeof ack === "function" ? ack : () => undefined;
      void this.#watch(socket, request ?? {}).then(reply, (error: Error) =>
        reply({ ok: false, error: error.message }),
      );
    });
    socket.on("unwatch", (request: { entity?: unknown }) => {
      if (typeof request?.entity === "string") void socket.leave(entityRoom(request.entity));
    });
    socket.on("unsubscribe", (request: { dashboard?: unknown }) => {
      if (!isDashboard(request?.dashboard)) return;
      this.#subscribers.get(request.dashboard)?.delete(socket);
      void socket.leave(liveRoom(request.dashboard));
    });
    socket.on("disconnect", () => {
      for (const subs of this.#subscribers.values()) subs.delete(socket);
      for (const key of this.#watchers.keys())
        if (key.startsWith(`${socket.id}\u0000`)) this.#watchers.delete(key);
    });
  }

  async #subscribe(socket: Socket, request: { dashboard?: unknown; lastEventId?: unknown }) {
    const { dashboard } = request;
    if (!isDashboard(dashboard))
      return { ok: false, error: `unknown dashboard; use one of ${Object.keys(DASHBOARDS).join(", ")}` };
    const principal = socket.data.principal as Principal;
    if (!this.#can(principal, DASHBOARDS[dashboard].permission)) {
      return { ok: false, error: `forbidden: needs ${DASHBOARDS[dashboard].permission}` };
    }
    const sub: Subscription = { lastSent: 0, replaying: true, buffer: [], stock: new Map(), stockAt: 0 };
    this.#subscribers.get(dashboard)!.set(socket, sub);
    const last =
      typeof request.lastEventId === "number" && Number.isInteger(request.lastEventId)
        ? request.lastEventId
        : undefined;
    let snapshot: { asOf: number; data: unknown } | undefined;
    let from: number;
    if (last !== undefined && this.#liveSeq - last <= this.#options.resumeLimit) {
      from = last + 1;
      sub.lastSent = last;
    } else {
      snapshot = await this.#snapshots.snapshot(dashboard);
      sub.lastSent = snapshot.asOf;
      from =
        this.#liveSeq - snapshot.asOf <= this.#options.resumeLimit ? snapshot.asOf + 1 : this.#liveSeq + 1;
      if (from > snapshot.asOf + 1) sub.lastSent = this.#liveSeq;
    }
    // Replay what the client missed, then hand over to the live feed without a gap or a duplicate.
    void this.#replay(socket, dashboard, sub, from).catch((error) => {
      this.#log.warn("realtime replay failed; client will reconnect", { error });
      socket.disconnect(true);
    });
    return { ok: true, dashboard, resumedFrom: from, ...(snapshot ? { snapshot } : {}) };
  }

  async #replay(socket: Socket, dashboard: DashboardName, sub: Subscription, from: number): Promise<void> {
    const upTo = this.#liveSeq;
    if (from <= upTo) {
      const consumer = await this.#js.consumers.get(this.#stream, {
        filter_subjects: this.#subjects.allEvents(),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: from,
      });
      const messages = await consumer.consume({ max_messages: 1_000 });
      for await (const msg of messages) {
        const message = this.#toMessage(msg.subject, msg.seq, msg.json<LogBatch>());
        if (message && dashboardsFor(message.kind).includes(dashboard))
          this.#send(socket, dashboard, sub, message);
        if (msg.seq >= upTo || msg.info.pending === 0) break;
      }
      await messages.close();
      await consumer.delete().catch(() => undefined);
    }
    sub.replaying = false;
    for (const message of sub.buffer.splice(0)) this.#send(socket, dashboard, sub, message);
    if (dashboard === "inventory") {
      // Stock joins at the next flush, after its own pending deltas went out (see #flushStock).
      sub.joining = true;
      return;
    }
    // Synchronously with the buffer flush: from here the room broadcast carries every later message once.
    this.#goLive(socket, dashboard);
  }

  #goLive(socket: Socket, dashboard: DashboardName): void {
    this.#subscribers.get(dashboard)!.delete(socket);
    if (socket.connected) void socket.join(liveRoom(dashboard));
  }

  /** The live feed: one ordered consumer per node, from the log's end at start. */
  async #follow(from: number): Promise<void> {
    try {
      const consumer = await this.#js.consumers.get(this.#stream, {
        filter_subjects: this.#subjects.allEvents(),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: from,
      });
      const messages = await consumer.consume({ max_messages: 2_000 });
      this.#messages = messages;
      for await (const msg of messages) {
        this.#liveSeq = msg.seq;
        const message = this.#toMessage(msg.subject, msg.seq, msg.json<LogBatch>());
        if (!message) continue;
        for (const dashboard of dashboardsFor(message.kind)) {
          for (const sub of this.#subscribers.get(dashboard)!.values()) sub.buffer.push(message);
          this.#broadcast(dashboard, message);
        }
        const entity = `${message.kind}/${message.entityId}`;
        for (const [key, buffer] of this.#watchers) if (key.endsWith(`\u0000${entity}`)) buffer.push(message);
        const room = entityRoom(entity);
        if (this.#io.of("/").adapter.rooms.has(room)) this.#io.local.to(room).emit("entity", message);
      }
    } catch (error) {
      this.#log.error("realtime feed stopped", { error });
    }
  }

  /**
   * One entity's events (an order's timeline, a SKU's stock): a room per entity. With `lastEventId` the
   * gap is replayed from that entity's own subject first; without it, everything after the returned
   * `from` arrives (the caller reads the current state over HTTP).
   */
  async #watch(socket: Socket, request: { entity?: unknown; lastEventId?: unknown }) {
    const match =
      typeof request.entity === "string"
        ? /^([a-z][a-z0-9-]{0,31})\/([A-Za-z0-9][A-Za-z0-9_:-]{0,95})$/.exec(request.entity)
        : null;
    if (!match) return { ok: false, error: "entity must be <kind>/<id>, e.g. order/O123 or sku/SKU-1" };
    const [, kind, id] = match as unknown as [string, string, string];
    const dashboard = (Object.keys(DASHBOARDS) as DashboardName[]).find((d) =>
      (DASHBOARDS[d].kinds as readonly string[]).includes(kind),
    );
    if (!dashboard) return { ok: false, error: `unknown kind ${kind}` };
    const principal = socket.data.principal as Principal;
    if (!this.#can(principal, DASHBOARDS[dashboard].permission))
      return { ok: false, error: `forbidden: needs ${DASHBOARDS[dashboard].permission}` };
    const entity = `${kind}/${id}`;
    const last =
      typeof request.lastEventId === "number" && Number.isInteger(request.lastEventId)
        ? request.lastEventId
        : undefined;
    if (last === undefined || last >= this.#liveSeq) {
      // Same tick as reading the live position: every later message reaches the room.
      void socket.join(entityRoom(entity));
      return { ok: true, entity, from: this.#liveSeq + 1 };
    }
    const key = `${socket.id}\u0000${entity}`;
    this.#watchers.set(key, []);
    const upTo = this.#liveSeq;
    let lastSent = last;
    const consumer = await this.#js.consumers.get(this.#stream, {
      filter_subjects: this.#subjects.events(shardOf(id, this.#shardCount), kind, id),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: last + 1,
    });
    const info = await consumer.info(true);
    if (info.num_pending > 0) {
      const messages = await consumer.consume({ max_messages: 1_000 });
      for await (const msg of messages) {
        if (msg.seq > upTo) break;
        const message = this.#toMessage(msg.subject, msg.seq, msg.json<LogBatch>());
        if (message) {
          socket.emit("entity", message);
          lastSent = msg.seq;
        }
        if (msg.seq >= upTo || msg.info.pending === 0) break;
      }
      await messages.close();
    }
    await consumer.delete().catch(() => undefined);
    for (const message of this.#watchers.get(key) ?? []) {
      if (message.id > lastSent) {
        socket.emit("entity", message);
        lastSent = message.id;
      }
    }
    this.#watchers.delete(key);
    void socket.join(entityRoom(entity));
    return { ok: true, entity, resumedFrom: last + 1 };
  }

  #toMessage(subject: string, seq: number, batch: LogBatch): FeedMessage | undefined {
    const ref = this.#subjects.parse(subject);
    if (!ref || batch.ev.length === 0) return undefined;
    return { id: seq, kind: ref.kind, entityId: ref.id, at: batch.at, events: batch.ev };
  }

  /** Exactly once, in order, per client: anything at or below what it already has is skipped. */
  #send(socket: Socket, dashboard: DashboardName, sub: Subscription, message: FeedMessage): void {
    if (message.id <= sub.lastSent) return;
    sub.lastSent = message.id;
    if (dashboard === "inventory") {
      const delta = stockDelta(message.entityId, message.id, message.events);
      const pending = sub.stock.get(message.entityId);
      sub.stock.set(message.entityId, pending ? mergeDelta(pending, delta) : delta);
      sub.stockAt = Math.max(sub.stockAt, message.at);
      for (const event of message.events) {
        if (event.type === "lowStock")
          this.#emit(socket, "alert", {
            dashboard,
            level: "warning",
            kind: "lowStock",
            sku: message.entityId,
            at: message.at,
            ...event,
          });
      }
      return;
    }
    this.#emit(socket, "event", { dashboard, ...message });
  }

  /** Live clients share one encoding per message: a room broadcast, not a loop over sockets. */
  #broadcast(dashboard: DashboardName, message: FeedMessage): void {
    const room = liveRoom(dashboard);
    const members = this.#io.of("/").adapter.rooms.get(room)?.size ?? 0;
    if (dashboard === "inventory") {
      const delta = stockDelta(message.entityId, message.id, message.events);
      const pending = this.#roomStock.get(message.entityId);
      this.#roomStock.set(message.entityId, pending ? mergeDelta(pending, delta) : delta);
      this.#roomStockAt = Math.max(this.#roomStockAt, message.at);
      for (const event of message.events) {
        if (event.type === "lowStock" && members > 0) {
          this.#io.local.to(room).emit("alert", {
            dashboard,
            level: "warning",
            kind: "lowStock",
            sku: message.entityId,
            at: message.at,
            ...event,
          });
        }
      }
      return;
    }
    if (members === 0) return;
    this.#io.local.to(room).emit("event", { dashboard, ...message });
    this.#delivered.inc(members);
  }

  #flushStock(): void {
    const room = liveRoom("inventory");
    if (this.#roomStock.size > 0) {
      const members = this.#io.of("/").adapter.rooms.get(room)?.size ?? 0;
      const deltas = [...this.#roomStock.values()];
      const upTo = deltas.reduce((n, d) => Math.max(n, d.upTo), 0);
      this.#roomStock.clear();
      if (members > 0) {
        this.#io.local
          .to(room)
          .emit("stock", { dashboard: "inventory", upTo, at: this.#roomStockAt, deltas });
        this.#delivered.inc(members);
      }
    }
    // Clients that finished their replay: their own deltas (everything since their replay) go out, then
    // they join the room, whose pending map was just emptied: nothing is counted twice or missed.
    for (const [socket, sub] of this.#subscribers.get("inventory")!) {
      if (sub.replaying || !sub.joining) continue;
      for (const message of sub.buffer.splice(0)) this.#send(socket, "inventory", sub, message);
      if (sub.stock.size > 0) {
        this.#emit(socket, "stock", {
          dashboard: "inventory",
          upTo: sub.lastSent,
          at: sub.stockAt,
          deltas: [...sub.stock.values()],
        });
        sub.stock.clear();
      }
      this.#goLive(socket, "inventory");
    }
  }

  /** A client whose socket backs up is dropped rather than allowed to hold memory; it resumes from its last id. */
  #dropSlowClients(): void {
    for (const socket of this.#io.of("/").sockets.values()) {
      const buffered = (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
      if (buffered > this.#options.maxBufferedPackets) socket.disconnect(true);
    }
  }

  #emit(socket: Socket, event: string, payload: unknown): void {
    const buffered = (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
    if (buffered > this.#options.maxBufferedPackets) {
      // Too slow: drop it rather than hold memory or slow the feed. It reconnects and resumes from its last id.
      socket.disconnect(true);
      return;
    }
    socket.emit(event, payload);
    this.#delivered.inc(1);
  }
}

function liveRoom(dashboard: DashboardName): string {
  return `live:${dashboard}`;
}

function entityRoom(entity: string): string {
  return `entity:${entity}`;
}
