/**
 * Load generation: closed loop (C clients, each sends when its previous answer arrived) or open loop
 * (attempts scheduled at a fixed arrival rate; latency measured from the intended send time, so a
 * stalled server cannot hide its queueing — no coordinated omission).
 */
import { percentile } from "./stats.ts";

export type Outcome = "ok" | "refused" | "limited" | "error";

export interface LoadOptions {
  attempts: number;
  /** Closed loop: concurrent clients. Open loop: the most attempts in flight before new ones are dropped. */
  concurrency: number;
  /** Attempts per second; when set, the open (arrival-rate) model is used. */
  rate?: number;
  /** An attempt taking longer than this is counted as timed out. */
  timeoutMs: number;
  /** Hard stop for the whole run. */
  maxSeconds: number;
}

export interface LoadResult {
  attempts: number;
  ok: number;
  refused: number;
  limited: number;
  errors: number;
  timedOut: number;
  dropped: number;
  seconds: number;
  attemptsPerSecond: number;
  okPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  firstError?: string;
}

export async function runLoad(
  options: LoadOptions,
  attempt: (i: number) => Promise<Outcome>,
): Promise<LoadResult> {
  const latencies = new Float64Array(options.attempts);
  const counts = { ok: 0, refused: 0, limited: 0, error: 0 };
  let timedOut = 0;
  let dropped = 0;
  let done = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const stopAt = started + options.maxSeconds * 1000;

  const one = async (i: number, intended: number) => {
    let outcome: Outcome;
    try {
      outcome = await withTimeout(attempt(i), options.timeoutMs);
    } catch (error) {
      outcome = "error";
      if ((error as Error).message === "timeout") timedOut++;
      firstError ??= (error as Error).message;
    }
    counts[outcome]++;
    latencies[done++] = performance.now() - intended;
  };

  if (options.rate) {
    const interval = 1000 / options.rate;
    let inFlight = 0;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < options.attempts; i++) {
      const intended = started + i * interval;
      const wait = intended - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (performance.now() > stopAt) break;
      if (inFlight >= options.concurrency) {
        dropped++;
        continue;
      }
      inFlight++;
      pending.push(one(i, intended).finally(() => inFlight--));
    }
    await Promise.all(pending);
  } else {
    let next = 0;
    const client = async () => {
      while (next < options.attempts && performance.now() < stopAt) {
        const i = next++;
        await one(i, performance.now());
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, client));
  }

  const seconds = (performance.now() - started) / 1000;
  const sorted = latencies.subarray(0, done).sort();
  return {
    attempts: done,
    ok: counts.ok,
    refused: counts.refused,
    limited: counts.limited,
    errors: counts.error,
    timedOut,
    dropped,
    seconds,
    attemptsPerSecond: done / seconds,
    okPerSecond: counts.ok / seconds,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: percentile(sorted, 100),
    ...(firstError ? { firstError } : {}),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timeout")), ms);
    }),
  ]);
}
