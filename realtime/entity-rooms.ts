import type { Socket } from "socket.io";
import { type PiiView, warehouseInScope } from "../actors/permissions/index.ts";
import {
  CUSTOMER_VIEWS,
  DASHBOARDS,
  type DashboardName,
  type FeedMessage,
  messageFor,
  revealable,
  viewKey,
} from "./dashboards.ts";
import type { Delivery } from "./delivery.ts";
import type { LogFollower } from "./log-follower.ts";
import { ScopeFacts } from "./scope-filter.ts";
import type { SocketAuth } from "./socket-auth.ts";

const ENTITY = /^([a-z][a-z0-9-]{0,31})\/([A-Za-z0-9][A-Za-z0-9_:-]{0,95})$/;

/**
 * One entity's events (an order's timeline, a SKU's stock): a room per entity and view. With
 * `lastEventId` the gap is replayed from that entity's own subject first; without it, everything after
 * the returned `from` arrives (the caller reads the current state over HTTP).
 */
export class EntityRooms {
  readonly #follower: LogFollower;
  readonly #auth: SocketAuth;
  readonly #delivery: Delivery;
  /** Watchers still replaying: entity → socket → live messages that arrived meanwhile. */
  readonly #replaying = new Map<string, Map<Socket, FeedMessage[]>>();
  readonly #facts: ScopeFacts;

  constructor(deps: { follower: LogFollower; auth: SocketAuth; delivery: Delivery; facts?: ScopeFacts }) {
    this.#facts = deps.facts ?? new ScopeFacts();
    this.#follower = deps.follower;
    this.#auth = deps.auth;
    this.#delivery = deps.delivery;
  }

  attach(socket: Socket): void {
    socket.on("watch", (request: { entity?: unknown; lastEventId?: unknown }, ack?: unknown) => {
      const reply = typeof ack === "function" ? (ack as (a: unknown) => void) : () => undefined;
      void this.#watch(socket, request ?? {}).then(reply, (error: Error) =>
        reply({ ok: false, error: error.message }),
      );
    });
    socket.on("unwatch", (request: { entity?: unknown }) => {
      if (typeof request?.entity !== "string") return;
      for (const room of entityRooms(request.entity)) void socket.leave(room);
    });
    socket.on("disconnect", () => {
      for (const [entity, watchers] of this.#replaying) {
        watchers.delete(socket);
        if (watchers.size === 0) this.#replaying.delete(entity);
      }
    });
  }

  onMessage(message: FeedMessage): void {
    const entity = `${message.kind}/${message.entityId}`;
    for (const buffer of this.#replaying.get(entity)?.values() ?? []) buffer.push(message);
    if (this.#delivery.members(entityRooms(entity)) === 0) return;
    // One masked message per view present: views that see the same share its encoding.
    const byMessage = new Map<FeedMessage, string[]>();
    for (const view of CUSTOMER_VIEWS) {
      const room = entityRoom(entity, view);
      if (this.#delivery.members([room]) === 0) continue;
      const shown = messageFor(message, view);
      byMessage.set(shown, [...(byMessage.get(shown) ?? []), room]);
    }
    for (const [shown, rooms] of byMessage) this.#delivery.broadcast(rooms, "entity", shown);
  }

  async #watch(socket: Socket, request: { entity?: unknown; lastEventId?: unknown }) {
    const match = typeof request.entity === "string" ? ENTITY.exec(request.entity) : null;
    if (!match) return { ok: false, error: "entity must be <kind>/<id>, e.g. order/O123 or sku/SKU-1" };
    const kind = match[1]!;
    const id = match[2]!;
    const dashboard = (Object.keys(DASHBOARDS) as DashboardName[]).find((d) =>
      (DASHBOARDS[d].kinds as readonly string[]).includes(kind),
    );
    if (!dashboard) return { ok: false, error: `unknown kind ${kind}` };
    if (!this.#auth.can(socket, DASHBOARDS[dashboard].permission))
      return { ok: false, error: `forbidden: needs ${DASHBOARDS[dashboard].permission}` };
    const entity = `${kind}/${id}`;
    // Data scope (decision 0033): a scoped viewer watches an order or a warehouse inside its scope, and no
    // other entity (a SKU's or a shipment's events span warehouses): the same answer as a missing one.
    const scope = this.#auth.scope(socket, DASHBOARDS[dashboard].permission);
    if (scope) {
      const visible =
        (kind === "order" && this.#facts.orderInScope(id, scope)) ||
        (kind === "warehouse" && warehouseInScope(scope.scope, id));
      if (!visible) return { ok: false, error: `not found: ${entity}` };
    }
    const view = this.#auth.customerView(socket);
    const room = entityRoom(entity, view);
    await this.#auth.revealed(socket, entity, revealable([kind], view));
    const last =
      typeof request.lastEventId === "number" && Number.isInteger(request.lastEventId)
        ? request.lastEventId
        : undefined;
    const upTo = this.#follower.liveSeq;
    if (last === undefined || last >= upTo) {
      // Same tick as reading the live position: every later message reaches the room.
      void socket.join(room);
      return { ok: true, entity, from: upTo + 1 };
    }
    const watchers = this.#replaying.get(entity) ?? new Map<Socket, FeedMessage[]>();
    this.#replaying.set(entity, watchers);
    const buffer: FeedMessage[] = [];
    watchers.set(socket, buffer);
    let lastSent = last;
    try {
      for await (const message of this.#follower.replayEntity(kind, id, last + 1, upTo)) {
        this.#delivery.emit(socket, "entity", messageFor(message, view));
        lastSent = message.id;
      }
      for (const message of buffer) {
        if (message.id <= lastSent) continue;
        this.#delivery.emit(socket, "entity", messageFor(message, view));
        lastSent = message.id;
      }
    } finally {
      watchers.delete(socket);
      if (watchers.size === 0) this.#replaying.delete(entity);
    }
    if (socket.connected) void socket.join(room);
    return { ok: true, entity, resumedFrom: last + 1 };
  }
}

function entityRoom(entity: string, view: PiiView): string {
  return `entity:${entity}:${viewKey(view)}`;
}

function entityRooms(entity: string): string[] {
  return CUSTOMER_VIEWS.map((view) => entityRoom(entity, view));
}
