/**
 * Sales channels the stock-sync job pushes sellable stock to (Tmall, JD, Douyin), behind one adapter.
 * The simulated channels behave like the real APIs in what matters to the job: a batch call with an
 * idempotency key (a repeat of the key is acknowledged without applying twice), a batch size limit, and
 * failures the job must survive (it records only what a channel accepted).
 */
export interface SalesChannelAdapter {
  readonly name: string;
  readonly maxBatch: number;
  /** Sets the channel's stock for these SKUs; resolves with how many lines it applied. */
  pushStock(
    lines: ReadonlyArray<{ sku: string; quantity: number }>,
    idempotencyKey: string,
    signal: AbortSignal,
  ): Promise<{ applied: number }>;
}

export class SalesChannelError extends Error {
  override name = "SalesChannelError";
}

/** An in-process simulated channel: holds the stock it was sent and the keys it has applied. */
export class SimulatedSalesChannel implements SalesChannelAdapter {
  readonly name: string;
  readonly maxBatch: number;
  readonly stock = new Map<string, number>();
  readonly #applied = new Map<string, number>();
  /** Calls still to refuse (tests: a channel that is down for a while). */
  failNext = 0;
  calls = 0;

  constructor(name: string, maxBatch = 200) {
    this.name = name;
    this.maxBatch = maxBatch;
  }

  async pushStock(
    lines: ReadonlyArray<{ sku: string; quantity: number }>,
    idempotencyKey: string,
    signal: AbortSignal,
  ): Promise<{ applied: number }> {
    signal.throwIfAborted();
    this.calls += 1;
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new SalesChannelError(`${this.name} answered 503`);
    }
    if (lines.length > this.maxBatch)
      throw new SalesChannelError(`${this.name}: at most ${this.maxBatch} lines`);
    const seen = this.#applied.get(idempotencyKey);
    if (seen !== undefined) return { applied: seen };
    for (const line of lines) this.stock.set(line.sku, line.quantity);
    this.#applied.set(idempotencyKey, lines.length);
    return { applied: lines.length };
  }
}

export const SALES_CHANNELS = ["tmall", "jd", "douyin"] as const;

export function simulatedSalesChannels(): SimulatedSalesChannel[] {
  return SALES_CHANNELS.map((name) => new SimulatedSalesChannel(name));
}
