/**
 * A circuit breaker for one carrier: `failureThreshold` failures in a row open it; while open every call
 * fails at once (no load on a carrier that is down); after `openMs` one trial call goes through
 * (half-open): success closes it, failure opens it again.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #now: () => number;
  #failures = 0;
  #openedAt: number | null = null;
  #trial = false;

  constructor(options: { failureThreshold?: number; openMs?: number; now?: () => number } = {}) {
    this.#threshold = options.failureThreshold ?? 5;
    this.#openMs = options.openMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  get state(): "closed" | "open" | "half_open" {
    if (this.#openedAt === null) return "closed";
    return this.#now() - this.#openedAt >= this.#openMs ? "half_open" : "open";
  }

  /** Whether a call may go out now (a half-open breaker lets exactly one trial through). */
  allow(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open" || this.#trial) return false;
    this.#trial = true;
    return true;
  }

  success(): void {
    this.#failures = 0;
    this.#openedAt = null;
    this.#trial = false;
  }

  failure(): void {
    this.#trial = false;
    this.#failures += 1;
    if (this.#openedAt !== null || this.#failures >= this.#threshold) this.#openedAt = this.#now();
  }
}
