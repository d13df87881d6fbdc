import type { Socket } from "socket.io";
import type { PiiView, ScopeFilter } from "../actors/permissions/index.ts";
import type { Logger } from "../actors/runtime/index.ts";
import { StockCoalescer } from "./coalescer.ts";
import {
  CUSTOMER_VIEWS,
  DASHBOARDS,
  type DashboardName,
  dashboardsFor,
  type FeedMessage,
  isDashboard,
  lowStockAlerts,
  messageFor,
  revealable,
  viewKey,
} from "./dashboards.ts";
import type { Delivery } from "./delivery.ts";
import type { LogFollower } from "./log-follower.ts";
import { ScopeFacts } from "./scope-filter.ts";
import type { SocketAuth } from "./socket-auth.ts";

/** What a dashboard shows before its live events: read-model data as of an event-log sequence. */
export interface DashboardSnapshots {
  /** `scope`: a scoped viewer's data scope (decision 0033): the snapshot holds only what it covers. */
  snapshot(dashboard: DashboardName, scope?: ScopeFilter): Promise<{ asOf: number; data: unknown }>;
}

interface Subscription {
  lastSent: number;
  /** Reading its gap from the log; live messages wait in `buffer` meanwhile. */
  replaying: boolean;
  /** Inventory only: replay done, joins the room at the next stock flush. */
  joining: boolean;
  buffer: FeedMessage[];
  stock: StockCoalescer;
  /** What this socket may see of customers' personal data (decision 0037). */
  view: PiiView;
  /** The viewer's data scope for the dashboard's permission (decision 0033); null: not limited. */
  scope: ScopeFilter | null;
}

/**
 * A socket subscribes to a dashboard with its last id (or none): it gets a snapshot or a replay of what
 * it missed, then joins the dashboard's live room, which shares one encoding per message. Rooms are per
 * view (which field types of personal data it shows unmasked) so the masking policy costs one encoding
 * per view present, not one per socket.
 */
export class DashboardRooms {
  readonly #follower: LogFollower;
  readonly #snapshots: DashboardSnapshots;
  readonly #auth: SocketAuth;
  readonly #delivery: Delivery;
  readonly #log: Logger;
  readonly #resumeLimit: number;
  readonly #onLive: ((socket: Socket, dashboard: DashboardName) => void) | undefined;
  /** Clients still catching up (replay, or waiting to join the live room) per dashboard. */
  readonly #catchingUp = new Map<DashboardName, Map<Socket, Subscription>>();
  /** Stock deltas for everyone in the live inventory rooms, coalesced once for all of them. */
  readonly #roomStock = new StockCoalescer();
  /**
   * Scoped viewers (decision 0033) never join the shared live rooms: each gets the messages its scope
   * covers, filtered by `ScopeFacts` and sent to it alone (one encoding per scoped socket).
   */
  readonly #scopedLive = new Map<DashboardName, Map<Socket, Subscription>>();
  readonly #facts: ScopeFacts;
  /**
   * Snapshots being read, per dashboard and scope: sockets subscribing meanwhile share the read (a
   * thousand dashboards opening at once made a thousand identical Postgres reads, and most of them timed
   * out). Sharing is exact: each socket replays the log from the snapshot's own `asOf`.
   */
  readonly #snapshotsInFlight = new Map<string, Promise<{ asOf: number; data: unknown }>>();

  constructor(deps: {
    follower: LogFollower;
    snapshots: DashboardSnapshots;
    auth: SocketAuth;
    delivery: Delivery;
    log: Logger;
    resumeLimit: number;
    /** A socket joined a dashboard's live room (e.g. to hand it the newest catalogue panel). */
    onLive?: (socket: Socket, dashboard: DashboardName) => void;
    /** What the hub knows of orders, payments and shipments for scoped viewers (shared with entity rooms). */
    facts?: ScopeFacts;
  }) {
    this.#follower = deps.follower;
    this.#snapshots = deps.snapshots;
    this.#auth = deps.auth;
    this.#delivery = deps.delivery;
    this.#log = deps.log;
    this.#resumeLimit = deps.resumeLimit;
    this.#onLive = deps.onLive;
    this.#facts = deps.facts ?? new ScopeFacts();
    for (const name of Object.keys(DASHBOARDS) as DashboardName[]) {
      this.#catchingUp.set(name, new Map());
      this.#scopedLive.set(name, new Map());
    }
  }

  attach(socket: Socket): void {
    socket.on("subscribe", (request: { dashboard?: unknown; lastEventId?: unknown }, ack?: unknown) => {
      const reply = typeof ack === "function" ? (ack as (a: unknown) => void) : () => undefined;
      void this.#subscribe(socket, request ?? {}).then(reply, (error: Error) =>
        reply({ ok: false, error: error.message }),
      );
    });
    socket.on("unsubscribe", (request: { dashboard?: unknown }) => {
      if (!isDashboard(request?.dashboard)) return;
      this.#catchingUp.get(request.dashboard)?.delete(socket);
      this.#scopedLive.get(request.dashboard)?.delete(socket);
      for (const room of liveRooms(request.dashboard)) void socket.leave(room);
    });
    socket.on("disconnect", () => {
      for (const subs of this.#catchingUp.values()) subs.delete(socket);
      for (const subs of this.#scopedLive.values()) subs.delete(socket);
    });
  }

  /** A live message: to the rooms at once, and into the buffer of everyone still replaying. */
  onMessage(message: FeedMessage): void {
    this.#facts.observe(message);
    for (const dashboard of dashboardsFor(message.kind)) {
      for (const sub of this.#catchingUp.get(dashboard)!.values()) sub.buffer.push(message);
      this.#broadcast(dashboard, message);
      for (const [socket, sub] of this.#scopedLive.get(dashboard)!)
        this.#send(socket, dashboard, sub, message);
    }
  }

  /**
   * Every coalescing window: the room's stock update, then the clients that finished their replay send
   * their own deltas and join the room, whose window was just emptied: nothing is counted twice or missed.
   * While the previous window is still being written to sockets, the window stays open (it grows).
   */
  flushStock(): void {
    // The last update is still going out (sockets are written a slice per event-loop turn): keep summing
    // into the open window, so under load updates grow larger instead of queueing up without end.
    if (this.#delivery.busy) return;
    const update = this.#roomStock.take();
    if (update) this.#delivery.broadcast(liveRooms("inventory"), "stock", update);
    for (const [socket, sub] of this.#scopedLive.get("inventory")!) {
      const own = sub.stock.take();
      if (own) this.#delivery.emit(socket, "stock", own);
    }
    for (const [socket, sub] of this.#catchingUp.get("inventory")!) {
      if (sub.replaying || !sub.joining) continue;
      for (const message of sub.buffer.splice(0)) this.#send(socket, "inventory", sub, message);
      const own = sub.stock.take();
      if (own) this.#delivery.emit(socket, "stock", own);
      this.#goLive(socket, "inventory", sub);
    }
  }

  async #subscribe(socket: Socket, request: { dashboard?: unknown; lastEventId?: unknown }) {
    const { dashboard } = request;
    if (!isDashboard(dashboard))
      return { ok: false, error: `unknown dashboard; use one of ${Object.keys(DASHBOARDS).join(", ")}` };
    if (!this.#auth.can(socket, DASHBOARDS[dashboard].permission))
      return { ok: false, error: `forbidden: needs ${DASHBOARDS[dashboard].permission}` };
    const sub: Subscription = {
      lastSent: 0,
      replaying: true,
      joining: false,
      buffer: [],
      stock: new StockCoalescer(),
      view: this.#auth.customerView(socket),
      scope: this.#auth.scope(socket, DASHBOARDS[dashboard].permission),
    };
    await this.#auth.revealed(
      socket,
      `dashboard/${dashboard}`,
      revealable(DASHBOARDS[dashboard].kinds, sub.view),
    );
    this.#catchingUp.get(dashboard)!.set(socket, sub);
    try {
      return await this.#start(socket, dashboard, sub, request.lastEventId);
    } catch (error) {
      // Not subscribed: it must not stay among those catching up (its buffer would grow for good).
      this.#catchingUp.get(dashboard)!.delete(socket);
      throw error;
    }
  }

  async #start(socket: Socket, dashboard: DashboardName, sub: Subscription, lastEventId: unknown) {
    const last = typeof lastEventId === "number" && Number.isInteger(lastEventId) ? lastEventId : undefined;
    const liveSeq = this.#follower.liveSeq;
    let snapshot: { asOf: number; data: unknown } | undefined;
    let from: number;
    if (last !== undefined && liveSeq - last <= this.#resumeLimit) {
      from = last + 1;
      sub.lastSent = last;
    } else {
      snapshot = await this.#sharedSnapshot(dashboard, sub.scope ?? undefined);
      const now = this.#follower.liveSeq;
      // A snapshot too far behind the log (projector lagging) is shown as is, and live events follow.
      const replayable = now - snapshot.asOf <= this.#resumeLimit;
      from = replayable ? snapshot.asOf + 1 : now + 1;
      sub.lastSent = replayable ? snapshot.asOf : now;
    }
    // Replay what the client missed, then hand over to the live feed without a gap or a duplicate.
    void this.#replay(socket, dashboard, sub, from).catch((error) => {
      this.#log.warn("realtime replay failed; client will reconnect", { error });
      socket.disconnect(true);
    });
    return { ok: true, dashboard, resumedFrom: from, ...(snapshot ? { snapshot } : {}) };
  }

  #sharedSnapshot(dashboard: DashboardName, scope: ScopeFilter | undefined) {
    const key = scope ? `${dashboard}\u0000${JSON.stringify(scope)}` : dashboard;
    let read = this.#snapshotsInFlight.get(key);
    if (!read) {
      read = this.#snapshots.snapshot(dashboard, scope).finally(() => this.#snapshotsInFlight.delete(key));
      this.#snapshotsInFlight.set(key, read);
    }
    return read;
  }

  async #replay(socket: Socket, dashboard: DashboardName, sub: Subscription, from: number): Promise<void> {
    for await (const message of this.#follower.replay(from, this.#follower.liveSeq)) {
      if (sub.scope) this.#facts.observe(message);
      if (dashboardsFor(message.kind).includes(dashboard)) this.#send(socket, dashboard, sub, message);
    }
    sub.replaying = false;
    for (const message of sub.buffer.splice(0)) this.#send(socket, dashboard, sub, message);
    if (dashboard === "inventory") {
      sub.joining = true; // joins at the next flush, after its own pending deltas went out
      return;
    }
    // Synchronously with the buffer flush: from here the room broadcast carries every later message once.
    this.#goLive(socket, dashboard, sub);
  }

  #goLive(socket: Socket, dashboard: DashboardName, sub: Subscription): void {
    this.#catchingUp.get(dashboard)!.delete(socket);
    if (!socket.connected) return;
    if (sub.scope) this.#scopedLive.get(dashboard)!.set(socket, sub);
    else void socket.join(liveRoom(dashboard, sub.view));
    this.#onLive?.(socket, dashboard);
  }

  /** Sockets live on a dashboard on this node. */
  watchers(dashboard: DashboardName): number {
    return this.#delivery.members(liveRooms(dashboard)) + this.#scopedLive.get(dashboard)!.size;
  }

  /** A whole-panel update (not a log message) to everyone live on the dashboard. */
  broadcastPanel(dashboard: DashboardName, payload: unknown): void {
    this.#delivery.broadcast(liveRooms(dashboard), "panel", payload);
    for (const socket of this.#scopedLive.get(dashboard)!.keys())
      this.#delivery.emit(socket, "panel", payload);
  }

  /** Exactly once, in order, per client: anything at or below what it already has is skipped. */
  #send(socket: Socket, dashboard: DashboardName, sub: Subscription, message: FeedMessage): void {
    if (message.id <= sub.lastSent) return;
    sub.lastSent = message.id;
    if (sub.scope) {
      const shown = this.#facts.filter(message, sub.scope);
      if (!shown) return;
      message = shown;
    }
    if (dashboard === "inventory") {
      sub.stock.add(message);
      for (const alert of lowStockAlerts(message)) this.#delivery.emit(socket, "alert", alert);
      return;
    }
    this.#delivery.emit(socket, "event", { dashboard, ...messageFor(message, sub.view) });
  }

  /** An operations alert (projector stalled or parked an event) to every live dashboard on this node. */
  broadcastAlert(alert: Record<string, unknown>): void {
    const rooms = (Object.keys(DASHBOARDS) as DashboardName[]).flatMap((d) => liveRooms(d));
    this.#delivery.broadcast(rooms, "alert", { dashboard: "ops", ...alert });
    for (const subs of this.#scopedLive.values())
      for (const socket of subs.keys()) this.#delivery.emit(socket, "alert", { dashboard: "ops", ...alert });
  }

  #broadcast(dashboard: DashboardName, message: FeedMessage): void {
    if (dashboard === "inventory") {
      this.#roomStock.add(message);
      for (const alert of lowStockAlerts(message))
        this.#delivery.broadcast(liveRooms(dashboard), "alert", alert);
      return;
    }
    // One masked message per view present: views that see the same share its encoding.
    const byMessage = new Map<FeedMessage, string[]>();
    for (const view of CUSTOMER_VIEWS) {
      const room = liveRoom(dashboard, view);
      if (this.#delivery.members([room]) === 0) continue;
      const shown = messageFor(message, view);
      byMessage.set(shown, [...(byMessage.get(shown) ?? []), room]);
    }
    for (const [shown, rooms] of byMessage) this.#delivery.broadcast(rooms, "event", { dashboard, ...shown });
  }
}

function liveRoom(dashboard: DashboardName, view: PiiView): string {
  return `live:${dashboard}:${viewKey(view)}`;
}

function liveRooms(dashboard: DashboardName): string[] {
  return CUSTOMER_VIEWS.map((view) => liveRoom(dashboard, view));
}
