import type { Socket } from "socket.io";
import type { Logger } from "../actors/runtime/index.ts";
import { CoalescedRefresh } from "./coalesced-refresh.ts";
import type { DashboardSnapshots } from "./dashboard-rooms.ts";

/** One refresh of the catalogue panel as clients receive it (event `panel`). */
export interface PanelUpdate {
  dashboard: "catalogue";
  asOf: number;
  data: unknown;
}

/** Subscribes to "the catalogue's Postgres data changed" (NOTIFY from migration 0012's triggers). */
export type ChangeSource = (onChange: () => void) => Promise<{ close(): Promise<void> }>;

/**
 * Keeps the live catalogue panel current. Its figures live in Postgres (products, whose status the
 * projector writes from the listing log; reviews), so it does not fold events: it re-reads the figures
 * when Postgres says they changed (NOTIFY at commit, so never before the write is visible) and every
 * `periodMs` (a scheduled change enters "the next hour" with time alone; a notification lost while the
 * listening connection reconnected is made good). Refreshes are coalesced: one at a time, at most one
 * per `minIntervalMs`, and none while nobody watches.
 */
export class CataloguePanel {
  readonly #snapshots: DashboardSnapshots;
  readonly #broadcast: (update: PanelUpdate) => void;
  readonly #changes: ChangeSource | undefined;
  readonly #log: Logger;
  readonly #periodMs: number;
  readonly #refresher: CoalescedRefresh;
  #latest: PanelUpdate | undefined;
  #period: ReturnType<typeof setInterval> | undefined;
  #listener: { close(): Promise<void> } | undefined;

  constructor(deps: {
    snapshots: DashboardSnapshots;
    /** Sockets live on the panel on this node. */
    watchers: () => number;
    broadcast: (update: PanelUpdate) => void;
    changes?: ChangeSource;
    log: Logger;
    minIntervalMs?: number;
    periodMs?: number;
  }) {
    this.#snapshots = deps.snapshots;
    this.#broadcast = deps.broadcast;
    this.#changes = deps.changes;
    this.#log = deps.log;
    this.#periodMs = deps.periodMs ?? 30_000;
    this.#refresher = new CoalescedRefresh({
      run: () => this.#refresh(),
      watchers: deps.watchers,
      minIntervalMs: deps.minIntervalMs ?? 250,
    });
  }

  async start(): Promise<void> {
    if (this.#changes) {
      try {
        this.#listener = await this.#changes(() => this.requestRefresh());
      } catch (error) {
        // The panel still refreshes on its period; say why it is slower than it should be.
        this.#log.warn("catalogue panel: cannot listen for changes; refreshing on a timer only", { error });
      }
    }
    this.#period = setInterval(() => this.requestRefresh(), this.#periodMs);
  }

  async stop(): Promise<void> {
    this.#refresher.stop();
    clearInterval(this.#period);
    await this.#listener?.close().catch(() => undefined);
  }

  /** The newest figures this node sent (a client that just went live gets them, see `joined`). */
  get latest(): PanelUpdate | undefined {
    return this.#latest;
  }

  /** A socket that just joined the live panel: it may have missed a refresh while it caught up. */
  joined(socket: Socket, emit: (socket: Socket, update: PanelUpdate) => void): void {
    if (this.#latest) emit(socket, this.#latest);
  }

  requestRefresh(): void {
    this.#refresher.request();
  }

  async #refresh(): Promise<void> {
    try {
      const { asOf, data } = await this.#snapshots.snapshot("catalogue");
      this.#latest = { dashboard: "catalogue", asOf, data };
      this.#broadcast(this.#latest);
    } catch (error) {
      this.#log.warn("catalogue panel refresh failed; next change or period retries", { error });
    }
  }
}
