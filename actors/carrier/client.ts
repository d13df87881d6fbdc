import { randomBytes } from "node:crypto";
import { z } from "zod";
import { CircuitBreaker } from "./breaker.ts";
import type { CarrierCode } from "./catalogue.ts";
import {
  CarrierRejection,
  CarrierUnavailable,
  type TrackingEvent,
  trackingEventSchema,
  type Waybill,
  type WaybillRequest,
} from "./protocol.ts";
import { signRequest } from "./signing.ts";
import type { CarrierHttpRequest, CarrierKey, CarrierTransport } from "./simulator.ts";

/**
 * One carrier as the merchant calls it: the same interface for every carrier (a real one's HTTP API
 * or a simulator). Errors: `CarrierRejection` (answered no: not retried), `CarrierUnavailable`
 * (timeout, 5xx, open circuit: may be retried with the same idempotency key).
 */
export interface CarrierAdapter {
  readonly code: CarrierCode;
  createWaybill(
    req: WaybillRequest,
    options: { idempotencyKey: string; signal: AbortSignal },
  ): Promise<Waybill>;
  track(waybillNo: string, options: { signal: AbortSignal }): Promise<TrackingEvent[]>;
}

const waybillReply = z.object({
  waybillNo: z.string(),
  fee: z.number().int(),
  pickupAt: z.number().int(),
  sortCode: z.string(),
  issuedAt: z.number().int(),
});
const trackingReply = z.object({ events: z.array(trackingEventSchema) });
const errorReply = z.object({ code: z.string(), message: z.string() });

/** Signs each request with the merchant's key and reads the carrier's answer (one attempt, no retry). */
export class SignedCarrierClient implements CarrierAdapter {
  readonly code: CarrierCode;
  readonly #key: CarrierKey;
  readonly #transport: CarrierTransport;
  readonly #now: () => number;

  constructor(code: CarrierCode, key: CarrierKey, transport: CarrierTransport, now: () => number = Date.now) {
    this.code = code;
    this.#key = key;
    this.#transport = transport;
    this.#now = now;
  }

  async createWaybill(req: WaybillRequest, options: { idempotencyKey: string; signal: AbortSignal }) {
    const body = JSON.stringify(req);
    const reply = await this.#send({ method: "POST", path: "/waybills", body }, options.signal, {
      "x-idempotency-key": options.idempotencyKey,
    });
    return waybillReply.parse(reply) satisfies Waybill;
  }

  async track(waybillNo: string, options: { signal: AbortSignal }) {
    const reply = await this.#send(
      { method: "GET", path: `/tracking/${waybillNo}`, body: "" },
      options.signal,
    );
    return trackingReply.parse(reply).events;
  }

  async #send(
    req: Omit<CarrierHttpRequest, "headers">,
    signal: AbortSignal,
    extra: Record<string, string> = {},
  ): Promise<unknown> {
    const headers = { ...extra, ...signRequest(this.#key, req, this.#now(), randomBytes(8).toString("hex")) };
    const res = await this.#transport({ ...req, headers }, signal);
    const parsed = JSON.parse(res.body) as unknown;
    if (res.status === 200) return parsed;
    const error = errorReply.safeParse(parsed);
    const message = error.success ? `${error.data.code}: ${error.data.message}` : `HTTP ${res.status}`;
    if (res.status === 401) throw new CarrierUnavailable("bad_signature", message);
    if (res.status >= 500) throw new CarrierUnavailable("server_error", message);
    throw new CarrierRejection(error.success ? error.data.code : `http_${res.status}`, message);
  }
}

export interface ResilienceOptions {
  /** Deadline of one attempt; the carrier's answer after it is ignored. */
  attemptTimeoutMs: number;
  /** Attempts per call (the first included), all with the same idempotency key. */
  maxAttempts: number;
  /** Backoff before attempt n+1: `backoffMs × 2^(n-1)`, with up to 50 % jitter. */
  backoffMs: number;
  breaker: CircuitBreaker;
}

export const DEFAULT_RESILIENCE = { attemptTimeoutMs: 2_000, maxAttempts: 4, backoffMs: 200 };

/**
 * An adapter that survives a flaky carrier: a deadline per attempt, retries of timeouts and 5xx with
 * the SAME idempotency key (a waybill the carrier issued before its answer got lost comes back, never a
 * second one), backoff, and a circuit breaker that stops calling a carrier that keeps failing. Refusals
 * are not retried. Each attempt is reported to `onAttempt` (metrics).
 */
export class ResilientCarrier implements CarrierAdapter {
  readonly code: CarrierCode;
  readonly #inner: CarrierAdapter;
  readonly #options: ResilienceOptions;
  readonly #onAttempt: (outcome: string) => void;

  constructor(
    inner: CarrierAdapter,
    options: Partial<ResilienceOptions> = {},
    onAttempt: (o: string) => void = () => {},
  ) {
    this.code = inner.code;
    this.#inner = inner;
    this.#options = { ...DEFAULT_RESILIENCE, breaker: new CircuitBreaker(), ...options };
    this.#onAttempt = onAttempt;
  }

  get breaker(): CircuitBreaker {
    return this.#options.breaker;
  }

  createWaybill(req: WaybillRequest, options: { idempotencyKey: string; signal: AbortSignal }) {
    return this.#call((signal) => this.#inner.createWaybill(req, { ...options, signal }), options.signal);
  }

  track(waybillNo: string, options: { signal: AbortSignal }) {
    return this.#call((signal) => this.#inner.track(waybillNo, { signal }), options.signal);
  }

  async #call<T>(attempt: (signal: AbortSignal) => Promise<T>, outer: AbortSignal): Promise<T> {
    const { attemptTimeoutMs, maxAttempts, backoffMs, breaker } = this.#options;
    let last: unknown;
    for (let n = 1; n <= maxAttempts; n++) {
      outer.throwIfAborted();
      if (!breaker.allow()) {
        this.#onAttempt("circuit_open");
        throw new CarrierUnavailable("circuit_open", `the circuit of ${this.code} is open`);
      }
      const deadline = AbortSignal.timeout(attemptTimeoutMs);
      const signal = AbortSignal.any([outer, deadline]);
      try {
        const value = await Promise.race([attempt(signal), aborted(signal)]);
        breaker.success();
        this.#onAttempt("ok");
        return value;
      } catch (error) {
        if (outer.aborted) throw error;
        if (error instanceof CarrierRejection) {
          breaker.success(); // the carrier is up; it said no
          this.#onAttempt("rejected");
          throw error;
        }
        last = deadline.aborted
          ? new CarrierUnavailable("timeout", `${this.code} did not answer within ${attemptTimeoutMs} ms`)
          : error;
        breaker.failure();
        this.#onAttempt(last instanceof CarrierUnavailable ? last.reason : "error");
      }
      if (n < maxAttempts) await sleep(backoffMs * 2 ** (n - 1) * (1 + Math.random() / 2), outer);
    }
    throw last instanceof CarrierUnavailable ? last : new CarrierUnavailable("server_error", String(last));
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
