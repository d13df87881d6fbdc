import type { ExceptionReason, TrackingType } from "../carrier/index.ts";
import type { ShipmentEvent, ShipmentStatus } from "./events.ts";

export interface TrackingEntry {
  eventId: string;
  type: TrackingType;
  occurredAt: number;
  receivedAt: number;
  region?: string;
  reason?: ExceptionReason;
  note?: string;
  source: "webhook" | "poll" | "operator";
}

export interface Compensation {
  compensationId: string;
  reason: ExceptionReason;
  amount: number;
  status: "open" | "settled";
  openedAt: number;
  settledAmount?: number;
  settledAt?: number;
  note?: string;
}

/** The shipment actor's state (plain JSON: no collection is keyed by outside ids). */
export interface ShipmentState {
  created: boolean;
  orderId: string;
  carrier: string;
  carrierKnown: boolean;
  push: boolean;
  waybillNo: string | null;
  warehouse: string | null;
  fromRegion: string | null;
  toRegion: string | null;
  province: string | null;
  route: string;
  lines: Array<{ sku: string; qty: number }>;
  weightGrams: number;
  declaredValue: number;
  phone: string;
  slaHours: number;
  promisedAt: number;
  pollEveryMs: number;
  status: ShipmentStatus;
  fee: number | null;
  pickupAt: number | null;
  sortCode: string | null;
  refusal: { code: string; reason: string } | null;
  /** Every distinct tracking event, in the carrier's time order (however they arrived). */
  tracking: TrackingEntry[];
  deliveredAt: number | null;
  onTime: boolean | null;
  lateAt: number | null;
  compensations: Compensation[];
  orderNotified: boolean;
  createdAt: number;
  createdBy: string;
}

export function initialShipment(): ShipmentState {
  return {
    created: false,
    orderId: "",
    carrier: "",
    carrierKnown: false,
    push: false,
    waybillNo: null,
    warehouse: null,
    fromRegion: null,
    toRegion: null,
    province: null,
    route: "",
    lines: [],
    weightGrams: 0,
    declaredValue: 0,
    phone: "",
    slaHours: 0,
    promisedAt: 0,
    pollEveryMs: 0,
    status: "awaiting_waybill",
    fee: null,
    pickupAt: null,
    sortCode: null,
    refusal: null,
    tracking: [],
    deliveredAt: null,
    onTime: null,
    lateAt: null,
    compensations: [],
    orderNotified: false,
    createdAt: 0,
    createdBy: "",
  };
}

/** Applies one event, in place (see `ActorKind.apply`). */
export function applyShipmentEvent(state: ShipmentState, event: ShipmentEvent): ShipmentState {
  switch (event.type) {
    case "created":
      Object.assign(state, {
        created: true,
        orderId: event.orderId,
        carrier: event.carrier,
        carrierKnown: event.carrierKnown,
        push: event.push,
        waybillNo: event.waybillNo,
        warehouse: event.warehouse,
        fromRegion: event.fromRegion,
        toRegion: event.toRegion,
        province: event.province,
        route: event.route,
        lines: event.lines,
        weightGrams: event.weightGrams,
        declaredValue: event.declaredValue,
        phone: event.phone,
        slaHours: event.slaHours,
        promisedAt: event.promisedAt,
        pollEveryMs: event.pollEveryMs,
        status: event.status,
        createdAt: event.at,
        createdBy: event.by,
      });
      break;
    case "waybillIssued":
      Object.assign(state, {
        waybillNo: event.waybillNo,
        fee: event.fee,
        pickupAt: event.pickupAt,
        sortCode: event.sortCode,
        status: event.status,
      });
      break;
    case "waybillRefused":
      state.refusal = { code: event.code, reason: event.reason };
      state.status = event.status;
      break;
    case "tracked": {
      const entry: TrackingEntry = {
        eventId: event.eventId,
        type: event.kind,
        occurredAt: event.occurredAt,
        receivedAt: event.receivedAt,
        source: event.source,
        ...(event.region ? { region: event.region } : {}),
        ...(event.reason ? { reason: event.reason } : {}),
        ...(event.note ? { note: event.note } : {}),
      };
      // Insert in carrier time (stable for equal times: arrival order).
      const i = state.tracking.findIndex((t) => t.occurredAt > entry.occurredAt);
      if (i < 0) state.tracking.push(entry);
      else state.tracking.splice(i, 0, entry);
      state.status = event.status;
      if (event.kind === "delivered" && event.status === "delivered") {
        state.deliveredAt = event.occurredAt;
        state.onTime = event.onTime ?? null;
      }
      break;
    }
    case "late":
      state.lateAt = event.at;
      break;
    case "compensationOpened":
      state.compensations.push({
        compensationId: event.compensationId,
        reason: event.reason,
        amount: event.amount,
        status: "open",
        openedAt: event.at,
      });
      break;
    case "compensationSettled": {
      const c = state.compensations.find((x) => x.compensationId === event.compensationId);
      if (c)
        Object.assign(c, {
          status: "settled",
          settledAmount: event.amount,
          settledAt: event.at,
          ...(event.note ? { note: event.note } : {}),
        });
      break;
    }
    case "orderNotified":
      state.orderNotified = true;
      break;
  }
  return state;
}
