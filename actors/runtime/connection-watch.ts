import type { NatsConnection } from "@nats-io/transport-node";

/** `up`: pings answer in time; `slow`: a ping is overdue; `down`: the connection is lost (reconnecting). */
export type ConnectionState = "up" | "slow" | "down";

export interface ConnectionWatchOptions {
  /** A ping outstanding longer than this makes the connection `slow`. */
  slowAfterMs: number;
  /** How often to ping while up. */
  pingEveryMs?: number;
}

/**
 * What this process knows about its NATS connection without waiting for a request to time out: the
 * client's own disconnect/reconnect events plus a ping that is never allowed to hang. Callers use it to
 * fail fast (a command sent while the connection is down or stalled is answered `unavailable` at once
 * instead of after the command deadline) and to act the moment NATS returns (renew leases immediately).
 *
 * It never claims more than it knows: `up` means the last ping came back within `slowAfterMs`.
 */
export class ConnectionWatch {
  readonly #nc: NatsConnection;
  readonly #options: Required<ConnectionWatchOptions>;
  readonly #listeners = new Set<(state: ConnectionState) => void>();
  #connected = true;
  #pingSentAt: number | undefined;
  #lastRttMs: number | undefined;
  #lastChange = performance.now();
  #state: ConnectionState = "up";
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;
  #tickMs = 250;
  #lastTickAt = 0;

  constructor(nc: NatsConnection, options: ConnectionWatchOptions) {
    this.#nc = nc;
    this.#options = { pingEveryMs: Math.max(100, Math.floor(options.slowAfterMs / 2)), ...options };
    void this.#follow();
    this.#tickMs = Math.min(this.#options.pingEveryMs, 250);
    this.#lastTickAt = performance.now();
    this.#timer = setInterval(() => this.#tick(), this.#tickMs);
    this.#timer.unref?.();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Round trip of the last answered ping, in ms (undefined before the first). */
  get lastRttMs(): number | undefined {
    return this.#lastRttMs;
  }

  /** `performance.now()` of the last state change (how long we have been up, or down). */
  get since(): number {
    return this.#lastChange;
  }

  /** Milliseconds the connection has been continuously `up` (0 when it is not). */
  upForMs(): number {
    return this.#state === "up" ? performance.now() - this.#lastChange : 0;
  }

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onChange(listener: (state: ConnectionState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves when the state is no longer `up` (used to abandon requests in flight). */
  whenNotUp(): { promise: Promise<ConnectionState>; cancel(): void } {
    let cancel = () => undefined as unknown;
    const promise = new Promise<ConnectionState>((resolve) => {
      if (this.#state !== "up") {
        resolve(this.#state);
        return;
      }
      const off = this.onChange((state) => {
        if (state !== "up") {
          off();
          resolve(state);
        }
      });
      cancel = off;
    });
    return { promise, cancel: () => void cancel() };
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
  }

  async #follow(): Promise<void> {
    try {
      for await (const status of this.#nc.status()) {
        if (this.#stopped) return;
        if (status.type === "disconnect" || status.type === "reconnecting" || status.type === "close") {
          this.#connected = false;
          this.#pingSentAt = undefined;
          this.#set("down");
        } else if (status.type === "reconnect") {
          this.#connected = true;
          this.#pingSentAt = undefined;
          this.#set("up");
          this.#ping();
        }
      }
    } catch {
      // The iterator ends with the connection; nothing else to follow.
    }
    this.#connected = false;
    this.#set("down");
  }

  #tick(): void {
    if (this.#stopped) return;
    // A blocked event loop delays the pong's processing too: that time is ours, not the server's.
    const now = performance.now();
    const stalled = now - this.#lastTickAt - this.#tickMs;
    this.#lastTickAt = now;
    if (stalled > 50 && this.#pingSentAt !== undefined) this.#pingSentAt += stalled;
    if (this.#nc.isClosed()) {
      this.#connected = false;
      this.#set("down");
      return;
    }
    if (!this.#connected) return;
    if (this.#pingSentAt !== undefined) {
      if (now - this.#pingSentAt > this.#options.slowAfterMs) this.#set("slow");
      return;
    }
    if (this.#lastPingAt === undefined || now - this.#lastPingAt >= this.#options.pingEveryMs) this.#ping();
  }

  #lastPingAt: number | undefined;
  #pingId = 0;

  #ping(): void {
    if (this.#pingSentAt !== undefined || this.#stopped) return;
    const sentAt = performance.now();
    const id = ++this.#pingId;
    this.#pingSentAt = sentAt;
    this.#lastPingAt = sentAt;
    this.#nc.flush().then(
      () => {
        if (this.#pingId !== id || this.#pingSentAt === undefined) return; // reset by a disconnect: stale
        const now = performance.now();
        // The shifted start discounts event-loop stalls: only the server's (or network's) time counts.
        const serverMs = now - this.#pingSentAt;
        this.#pingSentAt = undefined;
        this.#lastRttMs = now - sentAt;
        if (this.#connected && serverMs <= this.#options.slowAfterMs) this.#set("up");
      },
      () => {
        if (this.#pingId === id) this.#pingSentAt = undefined;
      },
    );
  }

  #set(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#lastChange = performance.now();
    for (const listener of [...this.#listeners]) listener(state);
  }
}
