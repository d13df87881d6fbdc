import type { Socket } from "socket.io";
import type { Logger } from "../actors/runtime/index.ts";
import type { Delivery } from "./delivery.ts";
import type { SocketAuth } from "./socket-auth.ts";

/** The room every live notification feed on a node shares. */
export const NOTIFICATIONS_ROOM = "notifications";
export const NOTIFICATIONS_PERMISSION = "notification:read";

/** What the feed reads: the newest notifications, one by id, and "this one changed" (NOTIFY at commit). */
export interface NotificationSource {
  latest(limit: number): Promise<{ items: object[]; open: Record<string, number> }>;
  get(id: string): Promise<object | null>;
  changes(onChange: (id: string) => void): Promise<{ close(): Promise<void> }>;
}

/**
 * The live notification feed (decision 0030): a socket sends `notifications:subscribe` (needs
 * `notification:read`) and gets the newest notifications and open counts as the reply, then every raise
 * or acknowledgement as a `notification` message. Changes come from Postgres NOTIFY after commit on
 * every realtime node, so each node sends to its own sockets only.
 */
export class NotificationFeed {
  readonly #source: NotificationSource;
  readonly #auth: SocketAuth;
  readonly #delivery: Delivery;
  readonly #log: Logger;
  #listener: { close(): Promise<void> } | undefined;

  constructor(deps: { source: NotificationSource; auth: SocketAuth; delivery: Delivery; log: Logger }) {
    this.#source = deps.source;
    this.#auth = deps.auth;
    this.#delivery = deps.delivery;
    this.#log = deps.log;
  }

  async start(): Promise<void> {
    this.#listener = await this.#source.changes((id) => void this.#changed(id));
  }

  attach(socket: Socket): void {
    socket.on("notifications:subscribe", (_request: unknown, ack?: unknown) => {
      const reply = typeof ack === "function" ? (ack as (a: unknown) => void) : () => undefined;
      if (!this.#auth.can(socket, NOTIFICATIONS_PERMISSION))
        return reply({ ok: false, error: `forbidden: needs ${NOTIFICATIONS_PERMISSION}` });
      // Join first, then read: a change committed meanwhile arrives live (possibly also in the snapshot).
      void socket.join(NOTIFICATIONS_ROOM);
      this.#source.latest(50).then(
        (snapshot) => reply({ ok: true, ...snapshot }),
        (error: Error) => reply({ ok: false, error: error.message }),
      );
    });
    socket.on("notifications:unsubscribe", () => void socket.leave(NOTIFICATIONS_ROOM));
  }

  async #changed(id: string): Promise<void> {
    if (this.#delivery.members([NOTIFICATIONS_ROOM]) === 0) return;
    try {
      const notification = await this.#source.get(id);
      if (notification) this.#delivery.broadcast([NOTIFICATIONS_ROOM], "notification", notification);
    } catch (error) {
      this.#log.warn("notification not sent to the live feed", { id, error: String(error) });
    }
  }

  async stop(): Promise<void> {
    await this.#listener?.close();
  }
}
