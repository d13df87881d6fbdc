import {
  defaultCarrier,
  isCarrierCode,
  provinceOf,
  routeSlaHours,
  type TrackingType,
  type Waybill,
} from "../carrier/index.ts";
import { orders } from "../order/index.ts";
import type { DecideContext, Decision, Effect, Reply } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { type ActorCall, isoTime } from "../shared/index.ts";
import type { ShipmentCommand, TrackedEventInput } from "./commands.ts";
import type { ShipmentEvent, ShipmentStatus } from "./events.ts";
import type { ShipmentState } from "./state.ts";

type Cmd<T extends ShipmentCommand["type"]> = Extract<ShipmentCommand, { type: T }>;
type Result = Decision<ShipmentEvent>;

/** The node-local service that calls carriers (adapters with retries and circuit breakers). */
export const CARRIER_GATEWAY_KIND = "carrier-gateway";
/** The node-local service that raises operator alerts (`node/alerts.ts`). */
export const LOGISTICS_ALERTS_KIND = "logistics-alerts";

/** The id of an order's n-th shipment (`/ship` opens the first). */
export const shipmentIdFor = (orderId: string, n: number): string => `${orderId}:S${n}`;

const HOUR_MS = 3_600_000;
const RANK: Record<TrackingType, number> = {
  picked_up: 1,
  in_transit: 2,
  out_for_delivery: 3,
  delivered: 4,
  exception: 5,
};
const STATUS_RANK: Record<ShipmentStatus, number> = {
  awaiting_waybill: 0,
  awaiting_pickup: 0,
  picked_up: 1,
  in_transit: 2,
  out_for_delivery: 3,
  delivered: 4,
  exception: 5,
  failed: 6,
};

/**
 * The status after one more tracking event, whatever order events arrive in: a status never goes back
 * (an `in_transit` scan that arrives after `out_for_delivery` only fills in the history); `delivered` is
 * final; an exception (lost, damaged, refused) holds unless the parcel is delivered after all.
 */
export function nextStatus(current: ShipmentStatus, type: TrackingType): ShipmentStatus {
  if (current === "delivered" || current === "failed") return current;
  if (type === "delivered") return "delivered";
  if (type === "exception") return "exception";
  if (current === "exception") return current;
  return RANK[type] > STATUS_RANK[current] ? type : current;
}

const terminal = (s: ShipmentStatus) => s === "delivered" || s === "failed";
const where = (s: ShipmentState) => ({ carrier: s.carrier, province: s.province, route: s.route });
const effect = (key: string, call: ActorCall): Effect => ({ key, ...call });

function requireCreated(state: ShipmentState, id: string): void {
  if (!state.created) throw new DomainError("not_found", `no shipment ${id}`);
}

export function shipmentView(id: string, s: ShipmentState) {
  return {
    shipmentId: id,
    orderId: s.orderId,
    carrier: s.carrier,
    carrierKnown: s.carrierKnown,
    tracking: s.push ? ("push" as const) : s.carrierKnown ? ("poll" as const) : ("none" as const),
    waybillNo: s.waybillNo,
    status: s.status,
    warehouse: s.warehouse,
    fromRegion: s.fromRegion,
    toRegion: s.toRegion,
    province: s.province,
    route: s.route,
    lines: s.lines,
    weightGrams: s.weightGrams,
    declaredValue: s.declaredValue,
    phone: s.phone,
    fee: s.fee,
    pickupAt: s.pickupAt === null ? null : isoTime(s.pickupAt),
    sortCode: s.sortCode,
    refusal: s.refusal,
    sla: {
      hours: s.slaHours,
      promisedAt: isoTime(s.promisedAt),
      late: s.lateAt !== null || s.onTime === false,
      lateSince: s.lateAt === null ? null : isoTime(s.lateAt),
      onTime: s.onTime,
    },
    deliveredAt: s.deliveredAt === null ? null : isoTime(s.deliveredAt),
    events: s.tracking.map((t) => ({
      eventId: t.eventId,
      type: t.type,
      at: isoTime(t.occurredAt),
      receivedAt: isoTime(t.receivedAt),
      source: t.source,
      region: t.region ?? null,
      reason: t.reason ?? null,
      note: t.note ?? null,
    })),
    compensations: s.compensations.map((c) => ({
      compensationId: c.compensationId,
      reason: c.reason,
      amount: c.amount,
      status: c.status,
      openedAt: isoTime(c.openedAt),
      settledAmount: c.settledAmount ?? null,
      settledAt: c.settledAt === undefined ? null : isoTime(c.settledAt),
    })),
    createdAt: isoTime(s.createdAt),
  };
}

const alert = (s: ShipmentState, id: string, key: string, body: Record<string, unknown>): Effect => ({
  key: `alert:${key}`,
  to: { kind: LOGISTICS_ALERTS_KIND, id },
  cmd: {
    type: "alert",
    alert: { shipmentId: id, orderId: s.orderId, waybillNo: s.waybillNo, ...where(s), ...body },
  },
});

/**
 * Folds tracking events into the shipment: duplicates (same carrier event id, or the same scan at the
 * same time) are dropped, the rest recorded in carrier-time order with the status they leave; delivered
 * completes the order's delivery step and ends the SLA watch; lost, damaged and refused open a
 * compensation record once per reason.
 */
function applyTracking(
  state: ShipmentState,
  id: string,
  input: TrackedEventInput[],
  source: "webhook" | "poll" | "operator",
  ctx: DecideContext,
): { events: ShipmentEvent[]; effects: Effect[]; cancel: string[]; duplicates: number } {
  const seen = new Set(state.tracking.map((t) => t.eventId));
  const scans = new Set(state.tracking.map((t) => `${t.type}@${t.occurredAt}`));
  const events: ShipmentEvent[] = [];
  const effects: Effect[] = [];
  const cancel: string[] = [];
  let status = state.status;
  let duplicates = 0;
  const reasons = new Set(state.compensations.map((c) => c.reason));
  let opened = state.compensations.length;
  for (const e of input) {
    const scan = `${e.type}@${e.at}`;
    if (seen.has(e.eventId) || scans.has(scan)) {
      duplicates += 1;
      continue;
    }
    seen.add(e.eventId);
    scans.add(scan);
    const from = status;
    status = nextStatus(status, e.type);
    const delivered = e.type === "delivered" && status === "delivered" && from !== "delivered";
    events.push({
      type: "tracked",
      eventId: e.eventId,
      kind: e.type,
      occurredAt: e.at,
      receivedAt: ctx.now,
      source,
      from,
      status,
      ...(e.region ? { region: e.region } : {}),
      ...(e.reason ? { reason: e.reason } : {}),
      ...(e.note ? { note: e.note } : {}),
      ...(delivered ? { onTime: e.at <= state.promisedAt } : {}),
      ...where(state),
    });
    if (
      delivered &&
      e.at > state.promisedAt &&
      state.lateAt === null &&
      !events.some((x) => x.type === "late")
    )
      // Delivered after the promise before the SLA timer said so: late all the same (one `late` per shipment).
      events.push({ type: "late", promisedAt: state.promisedAt, status, ...where(state), at: ctx.now });
    if (delivered) {
      cancel.push("sla", "poll");
      effects.push(
        effect("order:delivered", orders.recordDelivery(state.orderId, { shipmentId: id, at: e.at })),
      );
    }
    if (e.type === "exception" && e.reason && !reasons.has(e.reason)) {
      reasons.add(e.reason);
      opened += 1;
      const compensationId = `${id}:C${opened}`;
      events.push({
        type: "compensationOpened",
        compensationId,
        reason: e.reason,
        amount: state.declaredValue,
        orderId: state.orderId,
        ...where(state),
        at: ctx.now,
      });
      effects.push(
        alert(state, id, `exception:${e.reason}`, {
          kind: "shipmentException",
          level: "critical",
          at: ctx.now,
          reason: e.reason,
          compensationId,
          detail: `shipment ${id} (${state.carrier} ${state.waybillNo ?? ""}): ${e.reason}; compensation ${compensationId} opened`,
        }),
      );
    }
  }
  return { events, effects, cancel, duplicates };
}

function checkTracking(state: ShipmentState, id: string, carrier: string, events: TrackedEventInput[]): void {
  if (carrier !== state.carrier)
    throw new DomainError("invalid", `shipment ${id} travels with ${state.carrier}, not ${carrier}`, {
      field: "carrier",
    });
  events.forEach((e, i) => {
    if (e.waybillNo !== state.waybillNo)
      throw new DomainError("invalid", `waybill ${e.waybillNo} is not shipment ${id}'s`, {
        field: `events.${i}.waybillNo`,
      });
    if (e.type === "exception" && !e.reason)
      throw new DomainError("invalid", "an exception needs its reason", { field: `events.${i}.reason` });
  });
}

const pollTimer = (state: Pick<ShipmentState, "pollEveryMs">, now: number) => ({
  name: "poll",
  at: now + state.pollEveryMs,
});

export const shipmentHandlers = {
  get: (state: ShipmentState, _c: Cmd<"get">, ctx: DecideContext): Result => {
    requireCreated(state, ctx.id);
    return { events: [], reply: shipmentView(ctx.id, state) };
  },

  create: (state: ShipmentState, c: Cmd<"create">, ctx: DecideContext): Result => {
    if (state.created) {
      if (state.orderId === c.orderId && state.carrier === c.carrier)
        return { events: [], reply: shipmentView(ctx.id, state) };
      throw new DomainError("conflict", `shipment ${ctx.id} already exists for order ${state.orderId}`, {
        shipmentStatus: state.status,
      });
    }
    const info = isCarrierCode(c.carrier) ? defaultCarrier(c.carrier) : undefined;
    const waybillNo = c.waybillNo ?? null;
    if (!info && waybillNo === null)
      throw new DomainError(
        "invalid",
        `${c.carrier} is no carrier of the catalogue: give its waybill number`,
        {
          field: "waybillNo",
        },
      );
    const slaHours = c.slaHours ?? (info ? routeSlaHours(info, c.fromRegion, c.toRegion) : 72);
    const province = c.toRegion ? (provinceOf(c.toRegion) ?? null) : null;
    const status: ShipmentStatus = waybillNo === null ? "awaiting_waybill" : "awaiting_pickup";
    const promisedAt = ctx.now + Math.round(slaHours * HOUR_MS);
    const from = c.warehouse ?? (c.fromRegion ? provinceOf(c.fromRegion) : undefined) ?? "-";
    const created: ShipmentEvent = {
      type: "created",
      orderId: c.orderId,
      carrierKnown: info !== undefined,
      push: info?.push ?? false,
      waybillNo,
      warehouse: c.warehouse ?? null,
      fromRegion: c.fromRegion,
      toRegion: c.toRegion,
      lines: c.lines,
      weightGrams: c.weightGrams,
      declaredValue: c.declaredValue,
      phone: c.phone,
      slaHours,
      promisedAt,
      pollEveryMs: c.pollEveryMs,
      status,
      carrier: c.carrier,
      province,
      route: `${from}>${province ?? "-"}`,
      at: ctx.now,
      by: ctx.meta.by ?? "system",
    };
    const effects: Effect[] = [
      effect(
        "order:attach",
        orders.attachShipment(c.orderId, { shipmentId: ctx.id, lines: c.lines, carrier: c.carrier }),
      ),
    ];
    if (info && waybillNo === null)
      effects.push({
        key: "waybill",
        to: { kind: CARRIER_GATEWAY_KIND, id: ctx.id },
        cmd: {
          type: "createWaybill",
          carrier: info.code,
          request: {
            orderRef: ctx.id,
            fromRegion: c.fromRegion,
            toRegion: c.toRegion,
            weightGrams: c.weightGrams,
            parcels: 1,
          },
        },
      });
    const polls = info && !info.push && waybillNo !== null;
    const next = { ...state, ...created, created: true } as ShipmentState;
    return {
      events: [created],
      reply: shipmentView(ctx.id, next),
      effects,
      timers: {
        set: [{ name: "sla", at: promisedAt }, ...(polls ? [pollTimer(c, ctx.now)] : [])],
      },
    };
  },

  track: (state: ShipmentState, c: Cmd<"track">, ctx: DecideContext): Result => {
    requireCreated(state, ctx.id);
    checkTracking(state, ctx.id, c.carrier, c.events);
    const folded = applyTracking(state, ctx.id, c.events, c.source, ctx);
    const status = folded.events.reduce<ShipmentStatus>(
      (s, e) => (e.type === "tracked" ? e.status : s),
      state.status,
    );
    return {
      events: folded.events,
      reply: {
        shipmentId: ctx.id,
        accepted: folded.events.filter((e) => e.type === "tracked").length,
        duplicates: folded.duplicates,
        status,
      },
      effects: folded.effects,
      ...(folded.cancel.length > 0 ? { timers: { cancel: folded.cancel } } : {}),
    };
  },

  settleCompensation: (state: ShipmentState, c: Cmd<"settleCompensation">, ctx: DecideContext): Result => {
    requireCreated(state, ctx.id);
    const open = state.compensations.find((x) => x.status === "open");
    if (!open)
      throw new DomainError("conflict", `shipment ${ctx.id} has no open compensation`, {
        shipmentStatus: state.status,
      });
    if (c.amount > open.amount)
      throw new DomainError("invalid", `at most ${open.amount} fen (the declared value)`, {
        field: "amount",
      });
    const settled: ShipmentEvent = {
      type: "compensationSettled",
      compensationId: open.compensationId,
      amount: c.amount,
      ...(c.note ? { note: c.note } : {}),
      at: ctx.now,
      by: ctx.meta.by ?? "system",
    };
    return {
      events: [settled],
      reply: { shipmentId: ctx.id, compensationId: open.compensationId, status: "settled", amount: c.amount },
    };
  },
};

/** The SLA watch and the polling fallback. */
export function onShipmentTimer(state: ShipmentState, timer: { name: string }, ctx: DecideContext): Result {
  if (!state.created) return { events: [], reply: null };
  if (timer.name === "sla" && !terminal(state.status) && state.lateAt === null) {
    return {
      events: [
        { type: "late", promisedAt: state.promisedAt, status: state.status, ...where(state), at: ctx.now },
      ],
      reply: null,
      effects: [
        alert(state, ctx.id, "late", {
          kind: "shipmentLate",
          level: "warning",
          at: ctx.now,
          promisedAt: isoTime(state.promisedAt),
          status: state.status,
          detail: `shipment ${ctx.id} (${state.carrier} ${state.waybillNo ?? ""}, ${state.route}) missed its ${state.slaHours} h promise; ${state.status}`,
        }),
      ],
    };
  }
  if (timer.name === "poll" && !terminal(state.status) && state.status !== "exception" && state.waybillNo) {
    return {
      events: [],
      reply: null,
      effects: [
        {
          key: `poll:${ctx.now}`,
          to: { kind: CARRIER_GATEWAY_KIND, id: ctx.id },
          cmd: { type: "track", carrier: state.carrier, waybillNo: state.waybillNo },
        },
      ],
    };
  }
  return { events: [], reply: null };
}

/** Answers from the carrier gateway (waybill, poll) and the order. */
export function onShipmentEffect(
  state: ShipmentState,
  result: { key: string; reply: Reply },
  ctx: DecideContext,
): Result {
  const { key, reply } = result;
  if (key === "waybill") {
    if (reply.ok) {
      const w = reply.value as Waybill;
      const status: ShipmentStatus = state.status === "awaiting_waybill" ? "awaiting_pickup" : state.status;
      return {
        events: [
          {
            type: "waybillIssued",
            waybillNo: w.waybillNo,
            fee: w.fee,
            pickupAt: w.pickupAt,
            sortCode: w.sortCode,
            from: state.status,
            status,
            ...where(state),
            at: ctx.now,
          },
        ],
        reply: null,
        ...(state.push ? {} : { timers: { set: [pollTimer(state, ctx.now)] } }),
      };
    }
    const code = String(reply.error.details?.code ?? reply.error.kind);
    return {
      events: [
        {
          type: "waybillRefused",
          code,
          reason: reply.error.message,
          from: state.status,
          status: "failed",
          ...where(state),
          at: ctx.now,
        },
      ],
      reply: null,
      timers: { cancel: ["sla"] },
      effects: [
        alert(state, ctx.id, "refused", {
          kind: "shipmentWaybillRefused",
          level: "critical",
          at: ctx.now,
          code,
          detail: `${state.carrier} refused a waybill for shipment ${ctx.id}: ${reply.error.message}`,
        }),
      ],
    };
  }
  if (key.startsWith("poll:")) {
    const next = { timers: { set: [pollTimer(state, ctx.now)] } };
    if (!reply.ok || terminal(state.status)) return { events: [], reply: null, ...next };
    const mine = (reply.value as TrackedEventInput[]).filter((e) => e.waybillNo === state.waybillNo);
    if (mine.length === 0) return { events: [], reply: null, ...next };
    const folded = applyTracking(state, ctx.id, mine, "poll", ctx);
    const done = folded.cancel.length > 0;
    return {
      events: folded.events,
      reply: null,
      effects: folded.effects,
      timers: done ? { cancel: folded.cancel } : next.timers,
    };
  }
  if (key === "order:delivered" && reply.ok)
    return { events: [{ type: "orderNotified", at: ctx.now }], reply: null };
  return { events: [], reply: null };
}
