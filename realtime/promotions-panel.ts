import type { Socket } from "socket.io";
import type { Logger } from "../actors/runtime/index.ts";
import { CoalescedRefresh } from "./coalesced-refresh.ts";
import type { DashboardSnapshots } from "./dashboard-rooms.ts";
import type { FeedMessage } from "./dashboards.ts";

/** One refresh of the promotions panel as clients receive it (event `panel`). */
export interface PromotionsPanelUpdate {
  dashboard: "promotions";
  asOf: number;
  data: unknown;
}

/** Kinds whose events change the panel's figures (coupons, flash sales, and orders for the GMV they drove). */
const FIGURE_KINDS: ReadonlySet<string> = new Set(["coupon-template", "flash-sale", "order"]);

/**
 * Keeps the live promotions panel current. Its figures are read-model aggregates (Postgres), so it does not
 * fold events: an event of a figure kind asks for a refresh, and a refresh whose read models have not yet
 * reached that event (`asOf` below its log sequence: the projector is behind) asks again shortly, so the
 * panel shows the event once it is written, never a figure that skipped it. It also refreshes every
 * `periodMs` (the per-minute window moves with time alone). Refreshes are coalesced: one at a time, at most
 * one per `minIntervalMs`, none while nobody watches.
 */
export class PromotionsPanel {
  readonly #snapshots: DashboardSnapshots;
  readonly #broadcast: (update: PromotionsPanelUpdate) => void;
  readonly #log: Logger;
  readonly #periodMs: number;
  readonly #refresher: CoalescedRefresh;
  #latest: PromotionsPanelUpdate | undefined;
  /** The newest log sequence of a figure event seen: a refresh below it is followed by another. */
  #wanted = 0;
  #chases = 0;
  #period: ReturnType<typeof setInterval> | undefined;

  constructor(deps: {
    snapshots: DashboardSnapshots;
    watchers: () => number;
    broadcast: (update: PromotionsPanelUpdate) => void;
    log: Logger;
    minIntervalMs?: number;
    periodMs?: number;
  }) {
    this.#snapshots = deps.snapshots;
    this.#broadcast = deps.broadcast;
    this.#log = deps.log;
    this.#periodMs = deps.periodMs ?? 15_000;
    this.#refresher = new CoalescedRefresh({
      run: () => this.#refresh(),
      watchers: deps.watchers,
      // Order events are frequent under load: at most one re-read per second while someone watches.
      minIntervalMs: deps.minIntervalMs ?? 1_000,
    });
  }

  start(): void {
    this.#period = setInterval(() => this.requestRefresh(), this.#periodMs);
  }

  stop(): void {
    this.#refresher.stop();
    clearInterval(this.#period);
  }

  get latest(): PromotionsPanelUpdate | undefined {
    return this.#latest;
  }

  /** A socket that just went live: it may have missed a refresh while it caught up. */
  joined(socket: Socket, emit: (socket: Socket, update: PromotionsPanelUpdate) => void): void {
    if (this.#latest) emit(socket, this.#latest);
  }

  /** Every message from the log: figure events ask for a refresh that reaches them. */
  onMessage(message: FeedMessage): void {
    if (!FIGURE_KINDS.has(message.kind)) return;
    if (message.id > this.#wanted) {
      this.#wanted = message.id;
      this.#chases = 0;
    }
    this.requestRefresh();
  }

  requestRefresh(): void {
    this.#refresher.request();
  }

  async #refresh(): Promise<void> {
    try {
      const { asOf, data } = await this.#snapshots.snapshot("promotions");
      this.#latest = { dashboard: "promotions", asOf, data };
      this.#broadcast(this.#latest);
      // The projector has not written the newest event yet: look again (bounded; the period takes over).
      if (asOf < this.#wanted && this.#chases < 60) {
        this.#chases += 1;
        this.#refresher.again();
      }
    } catch (error) {
      this.#log.warn("promotions panel refresh failed; the next event or period retries", { error });
    }
  }
}
