import { randomBytes } from "node:crypto";
import { type CarrierCode, type CarrierInfo, rateFor, servesRegion } from "./catalogue.ts";
import type { TrackingEvent, TrackingType, Waybill } from "./protocol.ts";
import { provinceOf } from "./regions.ts";
import { signWebhook, verifyRequest } from "./signing.ts";

/** One carrier's credentials: the merchant's app key and secret (requests and webhooks are signed with it). */
export interface CarrierKey {
  appKey: string;
  secret: string;
}
export type CarrierKeys = Record<CarrierCode, CarrierKey>;

export function generateCarrierKeys(): CarrierKeys {
  const key = (code: string) => ({
    appKey: `${code}-${randomBytes(6).toString("hex")}`,
    secret: randomBytes(32).toString("base64url"),
  });
  return { express: key("express"), ems: key("ems"), mail: key("mail") };
}

/** A request on the wire between the merchant and the carrier (the simulator is a server behind it). */
export interface CarrierHttpRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body: string;
}
export interface CarrierHttpResponse {
  status: number;
  body: string;
}
export type CarrierTransport = (req: CarrierHttpRequest, signal: AbortSignal) => Promise<CarrierHttpResponse>;

/** Faults an operator or a test injects into a simulated carrier: each consumes one request. */
export const CARRIER_FAULTS = ["timeout", "server_error", "reject"] as const;
export type CarrierFault = (typeof CARRIER_FAULTS)[number];

/**
 * Where a simulated carrier keeps its own data (a real carrier's database): the waybill numbers issued
 * from the merchant's range by idempotency key, tracking events, injected faults. Shared by every node
 * (Postgres in production, `MemorySimulatorStore` in unit tests).
 */
export interface SimulatorStore {
  /** The range position for `key`: a new one, or the one `key` got before (with the request it carried). */
  allocate(
    carrier: CarrierCode,
    key: string,
    request: string,
    waybill: (seq: number) => Omit<Waybill, "issuedAt"> & { orderRef: string },
    now: number,
  ): Promise<{ waybill: Waybill; request: string; orderRef: string }>;
  waybill(carrier: CarrierCode, waybillNo: string): Promise<{ orderRef: string } | undefined>;
  addEvent(carrier: CarrierCode, event: TrackingEvent): Promise<void>;
  events(carrier: CarrierCode, waybillNo: string): Promise<TrackingEvent[]>;
  setFaults(carrier: CarrierCode, fault: CarrierFault | null, count: number): Promise<void>;
  /** Consumes one injected fault, if any is left. */
  takeFault(carrier: CarrierCode): Promise<CarrierFault | null>;
}

/** The merchant's pre-allocated waybill range of each simulated carrier (numbers are `start + seq - 1`). */
export const WAYBILL_RANGES: Record<CarrierCode, { start: number; size: number }> = {
  express: { start: 770_000_000_000, size: 100_000_000 },
  ems: { start: 10_000_000, size: 10_000_000 },
  mail: { start: 50_000_000, size: 10_000_000 },
};

/** UPU S10 check digit (EMS and mail numbers: `EA123456785CN`). */
export function s10CheckDigit(serial: string): number {
  const weights = [8, 6, 4, 2, 3, 5, 9, 7];
  const sum = [...serial].reduce((n, d, i) => n + Number(d) * weights[i]!, 0);
  const check = 11 - (sum % 11);
  return check === 10 ? 0 : check === 11 ? 5 : check;
}

/** The waybill number at position `seq` (1-based) of the carrier's range. */
export function waybillNumber(carrier: CarrierCode, seq: number): string {
  const n = WAYBILL_RANGES[carrier].start + seq - 1;
  if (carrier === "express") return `SF${String(n).padStart(12, "0")}`;
  const serial = String(n).padStart(8, "0");
  return `${carrier === "ems" ? "EA" : "PA"}${serial}${s10CheckDigit(serial)}CN`;
}

/** Whether a number is well formed for the carrier (prefix, length, S10 check digit). */
export function isWaybillNumber(carrier: CarrierCode, waybillNo: string): boolean {
  if (carrier === "express") return /^SF\d{12}$/.test(waybillNo);
  const m = new RegExp(`^${carrier === "ems" ? "EA" : "PA"}(\\d{8})(\\d)CN$`).exec(waybillNo);
  return m !== null && s10CheckDigit(m[1]!) === Number(m[2]);
}

const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** Pickup: at the cutoff (Asia/Shanghai) today, or tomorrow when handed over after it. */
export function pickupTime(cutoff: string, now: number): number {
  const [h, m] = cutoff.split(":").map(Number) as [number, number];
  const local = now + BEIJING_OFFSET_MS;
  const dayStart = local - (local % 86_400_000);
  const todayCutoff = dayStart + (h * 60 + m) * 60_000 - BEIJING_OFFSET_MS;
  return now <= todayCutoff ? todayCutoff : todayCutoff + 86_400_000;
}

const json = (status: number, body: unknown): CarrierHttpResponse => ({ status, body: JSON.stringify(body) });

/**
 * A simulated carrier's server: verifies every signed request, issues e-waybill numbers from the
 * merchant's range (idempotent per `x-idempotency-key`), refuses destinations outside its service area,
 * honours its pickup cutoff, charges by its rate card, answers tracking queries, and misbehaves on demand
 * (`timeout`: the request is processed and the answer lost; `server_error`: 503; `reject`: 422).
 * Tracking events are recorded with `record`; a push carrier's are then signed as its webhook.
 */
export class SimulatedCarrier {
  readonly info: CarrierInfo;
  readonly #key: CarrierKey;
  readonly #store: SimulatorStore;
  readonly #now: () => number;
  readonly #hangMs: number;

  constructor(
    info: CarrierInfo,
    key: CarrierKey,
    store: SimulatorStore,
    options: { now?: () => number; hangMs?: number } = {},
  ) {
    this.info = info;
    this.#key = key;
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#hangMs = options.hangMs ?? 60_000;
  }

  /** The transport a merchant-side client calls (in-process HTTP). */
  readonly handle: CarrierTransport = async (req, signal) => {
    const now = this.#now();
    const refused = verifyRequest(this.#key, req, now);
    if (refused) return json(401, { code: "invalid_signature", message: refused });
    const fault = await this.#store.takeFault(this.info.code);
    if (fault === "server_error") return json(503, { code: "busy", message: "carrier system busy" });
    if (fault === "reject")
      return json(422, { code: "rejected", message: "the carrier refused the request" });
    const response = await this.#route(req, now);
    if (fault === "timeout") {
      // The carrier did the work; the answer never arrives (the client's deadline must cut it off).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#hangMs);
        signal.addEventListener(
          "abort",
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
      return json(504, { code: "gateway_timeout", message: "no answer" });
    }
    return response;
  };

  async #route(req: CarrierHttpRequest, now: number): Promise<CarrierHttpResponse> {
    if (req.method === "POST" && req.path === "/waybills") return this.#issue(req, now);
    const tracking = /^\/tracking\/([A-Z0-9]{6,32})$/.exec(req.path);
    if (req.method === "GET" && tracking)
      return json(200, { events: await this.#store.events(this.info.code, tracking[1]!) });
    return json(404, { code: "not_found", message: `no ${req.method} ${req.path}` });
  }

  async #issue(req: CarrierHttpRequest, now: number): Promise<CarrierHttpResponse> {
    const key = req.headers["x-idempotency-key"];
    if (!key) return json(400, { code: "missing_idempotency_key", message: "x-idempotency-key is required" });
    let body: {
      orderRef?: string;
      fromRegion?: string | null;
      toRegion?: string | null;
      weightGrams?: number;
    };
    try {
      body = JSON.parse(req.body);
    } catch {
      return json(400, { code: "malformed", message: "not JSON" });
    }
    if (typeof body.orderRef !== "string" || typeof body.weightGrams !== "number")
      return json(400, { code: "malformed", message: "orderRef and weightGrams are required" });
    const to = body.toRegion ?? null;
    if (to !== null && !servesRegion(this.info, to))
      return json(422, { code: "out_of_service_area", message: `${this.info.code} does not serve ${to}` });
    const code = this.info.code;
    const range = WAYBILL_RANGES[code];
    const orderRef = body.orderRef;
    const weight = body.weightGrams;
    const issued = await this.#store
      .allocate(
        code,
        key,
        req.body,
        (seq) => {
          if (seq > range.size) throw new RangeExhausted();
          return {
            orderRef,
            waybillNo: waybillNumber(code, seq),
            fee: rateFor(this.info.rateCard, weight, to),
            pickupAt: pickupTime(this.info.pickupCutoff, now),
            sortCode: sortCode(to, seq),
          };
        },
        now,
      )
      .catch((error: unknown) => {
        if (error instanceof RangeExhausted) return null;
        throw error;
      });
    if (issued === null)
      return json(422, { code: "range_exhausted", message: `the waybill range of ${code} is used up` });
    if (issued.request !== req.body)
      return json(409, { code: "idempotency_key_reused", message: "this key was used for another request" });
    return json(200, issued.waybill);
  }

  /**
   * Records a tracking event at the carrier (what its couriers scan). For a push carrier, also the signed
   * webhook it sends; a polling carrier's events wait for the merchant's query.
   */
  async record(
    waybillNo: string,
    event: {
      type: TrackingType;
      at?: number;
      region?: string;
      reason?: TrackingEvent["reason"];
      note?: string;
      eventId?: string;
    },
  ): Promise<{ event: TrackingEvent; webhook: { headers: Record<string, string>; body: string } | null }> {
    const issued = await this.#store.waybill(this.info.code, waybillNo);
    if (!issued) throw new Error(`${this.info.code} issued no waybill ${waybillNo}`);
    const now = this.#now();
    const recorded: TrackingEvent = {
      eventId: event.eventId ?? `${waybillNo}-${now.toString(36)}-${randomBytes(3).toString("hex")}`,
      waybillNo,
      orderRef: issued.orderRef,
      type: event.type,
      at: new Date(event.at ?? now).toISOString(),
      ...(event.region ? { region: event.region } : {}),
      ...(event.reason ? { reason: event.reason } : {}),
      ...(event.note ? { note: event.note } : {}),
    };
    await this.#store.addEvent(this.info.code, recorded);
    if (!this.info.push) return { event: recorded, webhook: null };
    return { event: recorded, webhook: this.webhook([recorded]) };
  }

  /** A webhook delivery of `events`, signed as this carrier signs them. */
  webhook(events: TrackingEvent[]): { headers: Record<string, string>; body: string } {
    const body = JSON.stringify({ carrier: this.info.code, events });
    return {
      headers: { "content-type": "application/json", ...signWebhook(this.#key.secret, body, this.#now()) },
      body,
    };
  }

  setFaults(fault: CarrierFault | null, count: number): Promise<void> {
    return this.#store.setFaults(this.info.code, fault, count);
  }
}

class RangeExhausted extends Error {}

/** The sorting code printed large on the label (大头笔): destination province and a sorting lane. */
function sortCode(to: string | null, seq: number): string {
  const province = to ? provinceOf(to) : undefined;
  return `${province ? province.slice(0, 2) : "00"}-${String(seq % 97).padStart(2, "0")}`;
}

/** The simulator's data in memory (unit tests; one process only). */
export class MemorySimulatorStore implements SimulatorStore {
  readonly #issued = new Map<string, { waybill: Waybill; request: string; orderRef: string }>();
  readonly #byNumber = new Map<string, { orderRef: string }>();
  readonly #events = new Map<string, TrackingEvent[]>();
  readonly #faults = new Map<CarrierCode, { fault: CarrierFault; count: number }>();
  readonly #next = new Map<CarrierCode, number>();

  async allocate(
    carrier: CarrierCode,
    key: string,
    request: string,
    waybill: (seq: number) => Omit<Waybill, "issuedAt"> & { orderRef: string },
    now: number,
  ) {
    const id = `${carrier}\u0000${key}`;
    const known = this.#issued.get(id);
    if (known) return known;
    const seq = (this.#next.get(carrier) ?? 0) + 1;
    const { orderRef, ...w } = waybill(seq);
    this.#next.set(carrier, seq);
    const issued = { waybill: { ...w, issuedAt: now }, request, orderRef };
    this.#issued.set(id, issued);
    this.#byNumber.set(`${carrier}\u0000${w.waybillNo}`, { orderRef });
    return issued;
  }
  async waybill(carrier: CarrierCode, waybillNo: string) {
    return this.#byNumber.get(`${carrier}\u0000${waybillNo}`);
  }
  async addEvent(carrier: CarrierCode, event: TrackingEvent) {
    const id = `${carrier}\u0000${event.waybillNo}`;
    this.#events.set(id, [...(this.#events.get(id) ?? []), event]);
  }
  async events(carrier: CarrierCode, waybillNo: string) {
    return this.#events.get(`${carrier}\u0000${waybillNo}`) ?? [];
  }
  async setFaults(carrier: CarrierCode, fault: CarrierFault | null, count: number) {
    if (fault === null || count <= 0) this.#faults.delete(carrier);
    else this.#faults.set(carrier, { fault, count });
  }
  async takeFault(carrier: CarrierCode) {
    const f = this.#faults.get(carrier);
    if (!f) return null;
    if (--f.count <= 0) this.#faults.delete(carrier);
    return f.fault;
  }
}
