/**
 * The refresh rhythm the live panels share: a panel whose figures are re-read from Postgres asks for a
 * refresh whenever something may have changed; this runs them one at a time, at most one per
 * `minIntervalMs`, none while nobody watches, and one more when a request arrived during a run.
 */
export class CoalescedRefresh {
  readonly #run: () => Promise<void>;
  readonly #watchers: () => number;
  readonly #minIntervalMs: number;
  #running = false;
  #again = false;
  #lastStarted = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(deps: { run: () => Promise<void>; watchers: () => number; minIntervalMs: number }) {
    this.#run = deps.run;
    this.#watchers = deps.watchers;
    this.#minIntervalMs = deps.minIntervalMs;
  }

  request(): void {
    if (this.#stopped || this.#watchers() === 0) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastStarted + this.#minIntervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#refresh();
    }, wait);
  }

  /** From inside a run: one more run after this one (e.g. the read models are behind). */
  again(): void {
    this.#again = true;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #refresh(): Promise<void> {
    this.#running = true;
    this.#again = false;
    this.#lastStarted = Date.now();
    try {
      await this.#run();
    } finally {
      this.#running = false;
      if (this.#again) this.request();
    }
  }
}
