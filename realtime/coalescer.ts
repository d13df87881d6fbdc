import { type FeedMessage, mergeDelta, type StockDelta, stockDelta } from "./dashboards.ts";

/** One coalesced stock update as the inventory dashboard receives it. */
export interface StockUpdate {
  dashboard: "inventory";
  /** Newest log sequence folded in: the client resumes after it. */
  upTo: number;
  /** Time of the newest event folded in (for latency measurement). */
  at: number;
  deltas: StockDelta[];
}

/**
 * Sums the stock movement of SKU messages over a window (a hot SKU changes thousands of times a second; a
 * browser needs a few updates). Deltas are additive, so a window's sum equals the events it replaces.
 */
export class StockCoalescer {
  readonly #pending = new Map<string, StockDelta>();
  #at = 0;

  add(message: FeedMessage): void {
    const delta = stockDelta(message.entityId, message.id, message.events);
    const pending = this.#pending.get(message.entityId);
    this.#pending.set(message.entityId, pending ? mergeDelta(pending, delta) : delta);
    this.#at = Math.max(this.#at, message.at);
  }

  /** The window so far as one update, and a fresh window; undefined when nothing moved. */
  take(): StockUpdate | undefined {
    if (this.#pending.size === 0) return undefined;
    const deltas = [...this.#pending.values()];
    const update: StockUpdate = {
      dashboard: "inventory",
      upTo: deltas.reduce((n, d) => Math.max(n, d.upTo), 0),
      at: this.#at,
      deltas,
    };
    this.#pending.clear();
    this.#at = 0;
    return update;
  }
}
