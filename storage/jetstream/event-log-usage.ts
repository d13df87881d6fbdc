import type { JetStreamManager } from "@nats-io/jetstream";
import { type MetricsRegistry, withDeadline } from "../../actors/runtime/index.ts";

/** Fraction of the event stream's limit at which operators are warned (metrics, readiness). */
export const STORAGE_WARNING_RATIO = 0.8;

export interface EventLogUsageReport {
  /** `unknown` until the first answer, or when the last answer is older than three polls. */
  state: "ok" | "warning" | "full" | "unknown";
  bytes: number;
  /** The stream's limit (0 when it has none). */
  maxBytes: number;
  /** bytes / maxBytes (0 without a limit). */
  ratio: number;
  /** `performance.now()` of the last answer. */
  at: number;
}

/**
 * Follows how full the event stream is, polling its info in the background with a deadline, so that
 * `/metrics` and `/readyz` read a cached value and never wait on NATS. "Full" means less room than the
 * largest batch an actor may append (a write would be refused).
 */
export class EventLogUsage {
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #everyMs: number;
  readonly #timeoutMs: number;
  #report: EventLogUsageReport = { state: "unknown", bytes: 0, maxBytes: 0, ratio: 0, at: 0 };
  #timer: ReturnType<typeof setInterval> | undefined;
  #polling = false;

  constructor(jsm: JetStreamManager, stream: string, options: { everyMs?: number; timeoutMs: number }) {
    this.#jsm = jsm;
    this.#stream = stream;
    this.#everyMs = options.everyMs ?? 1_000;
    this.#timeoutMs = options.timeoutMs;
  }

  start(): void {
    void this.poll();
    this.#timer = setInterval(() => void this.poll(), this.#everyMs);
    this.#timer.unref?.();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Gauges for dashboards and alerts: alert on `hub_event_log_storage_warning == 1` (80 % used). */
  registerMetrics(metrics: MetricsRegistry): void {
    metrics.gauge("hub_event_log_bytes", "Bytes stored in the event stream", () => this.#report.bytes);
    metrics.gauge(
      "hub_event_log_max_bytes",
      "Size limit of the event stream (0: none)",
      () => this.#report.maxBytes,
    );
    metrics.gauge(
      "hub_event_log_usage_ratio",
      "Event stream bytes / its size limit",
      () => this.#report.ratio,
    );
    metrics.gauge(
      "hub_event_log_storage_warning",
      `1 when the event stream is at or above ${STORAGE_WARNING_RATIO * 100} % of its limit`,
      () => (this.#report.maxBytes > 0 && this.#report.ratio >= STORAGE_WARNING_RATIO ? 1 : 0),
    );
    metrics.gauge(
      "hub_event_log_full",
      "1 when the event stream has no room for another batch (writes answer storage-full)",
      () => (this.#report.state === "full" ? 1 : 0),
    );
  }

  report(): EventLogUsageReport {
    if (
      this.#report.state !== "unknown" &&
      performance.now() - this.#report.at > this.#everyMs * 3 + this.#timeoutMs
    )
      return { ...this.#report, state: "unknown" };
    return this.#report;
  }

  /** One poll (skipped while the previous one is still out). */
  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const info = await withDeadline(this.#jsm.streams.info(this.#stream), this.#timeoutMs, "stream info");
      const bytes = info.state.bytes;
      const maxBytes = Math.max(info.config.max_bytes, 0);
      const ratio = maxBytes > 0 ? bytes / maxBytes : 0;
      const room = maxBytes - bytes;
      const state =
        maxBytes === 0
          ? "ok"
          : room < Math.min(1 << 20, maxBytes / 100)
            ? "full"
            : ratio >= STORAGE_WARNING_RATIO
              ? "warning"
              : "ok";
      this.#report = { state, bytes, maxBytes, ratio, at: performance.now() };
    } catch {
      // Stays at the last answer; report() turns it into `unknown` once it is too old.
    } finally {
      this.#polling = false;
    }
  }
}
