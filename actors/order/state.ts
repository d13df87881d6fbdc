import { z } from "zod";
import type { Routing } from "../freight/index.ts";
import type { Address, OrderLine } from "./commands.ts";
import type { OrderEvent } from "./events.ts";

export const ORDER_STATUSES = [
  "new",
  "placing",
  "pending_payment",
  "awaiting_group",
  "awaiting_balance",
  "awaiting_shipment",
  "shipped",
  /** Every shipment of the order was delivered (issue 13: logistics); receipt still completes it. */
  "delivered",
  "completed",
  "cancelled",
  "refund_requested",
  "refunded",
  "return_requested",
  "returned",
  "partially_refunded",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type LineState = "reserving" | "reserved" | "refused" | "released" | "committed";

export interface OrderState {
  status: OrderStatus;
  userId: string;
  channel: string;
  lines: Array<
    OrderLine & {
      state: LineState;
      allocation: Array<{ warehouse: string; qty: number }>;
      /** Refused by the SKU's purchase limit rather than for stock. */
      limited?: true;
      /** A gift line the stock could not cover: dropped from the order, with the SKU actor's reason. */
      dropped?: string;
      /** Refused by a flash-sale campaign, and why. */
      refusal?: string;
    }
  >;
  address: Address | null;
  amounts: { items: number; discount: number; freight: number; total: number };
  expiresAt: number | null;
  /** The command id of `place`, resolved when the reservations are settled. */
  placeCommand: string | null;
  payment: { paymentId: string; channel: string; amount: number; at: number } | null;
  shipment: { carrier: string; trackingNo: string; at: number } | null;
  /** The order's shipments (actor ids) with the lines each carries and whether it was delivered. */
  shipments?: Array<{
    shipmentId: string;
    carrier: string;
    lines: Array<{ sku: string; qty: number }>;
    delivered: boolean;
  }>;
  /** The promotions checkout applied (decision 0021); empty on older orders. */
  promotions: Array<{ promotionId: string; name: string; type: string; discount: number }>;
  quoteId: string | null;
  /** The flash-sale campaign holding one line (decision 0023); absent on other orders. */
  campaign?: { campaignId: string; sku: string };
  afterSales: {
    kind: "refund_only" | "return_and_refund";
    reason: string;
    amount: number;
    /** The one line refunded, when the request named it. */
    sku?: string;
    /** The status to go back to when the request is rejected. */
    from: OrderStatus;
    approved: boolean | null;
    /** Returned goods arrived (a return is received once). */
    received?: boolean;
  } | null;
  /** When a shipped order completes by itself (kept so a rejected after-sales request can re-arm it). */
  autoCompleteAt: number | null;
  refunded: number;
  /** Lines refunded one by one (an after-sales request naming the SKU), so none is refunded twice. */
  refundedLines?: string[];
  /** The group buy (decision 0024): the seat held in its group, and whether the group formed. */
  group?: {
    groupBuyId: string;
    groupId: string | null;
    state: "joining" | "joined" | "refused" | "left";
    formed: boolean;
    refusal?: { reason: string; refusal?: string };
  };
  /** A presale order (decision 0024): its deposit, the balance window and the deposit's payment. */
  presale?: {
    presaleId: string;
    deposit: number;
    balanceFrom: number;
    balanceTo: number;
    depositPayment: { paymentId: string; channel: string; amount: number; at: number } | null;
    balanceOpen: boolean;
    forfeited: boolean;
  };
  /** Coupons redeemed by the order and where each stands on its template actor (absent in older snapshots). */
  coupons?: Array<{ couponId: string; discount: number; state: LineState }>;
  /** The member actor's part of placing: purchase limits and counters. */
  member: "pending" | "recorded" | "refused" | "released";
  /** Why placing failed, until the caller has been answered (after compensation completed). */
  placeFailure: {
    kind: "insufficient_stock" | "conflict";
    message: string;
    sku?: string;
    refusal?: string;
  } | null;
  timeline: Array<{ status: OrderStatus; at: number; by: string; reason?: string }>;
  /** Where and how it ships (decision 0028), with when and why it was decided; absent on older orders. */
  routing?: Routing & { at: number; by: string; cause: string };
}

export const orderStateSchema: z.ZodType<OrderState> = z.any();

export function initialOrder(): OrderState {
  return {
    status: "new",
    userId: "",
    channel: "",
    lines: [],
    address: null,
    amounts: { items: 0, discount: 0, freight: 0, total: 0 },
    expiresAt: null,
    placeCommand: null,
    payment: null,
    shipment: null,
    promotions: [],
    quoteId: null,
    afterSales: null,
    refunded: 0,
    autoCompleteAt: null,
    coupons: [],
    member: "pending",
    placeFailure: null,
    timeline: [],
  };
}

function moveTo(state: OrderState, status: OrderStatus, at: number, by: string, reason?: string): void {
  state.status = status;
  state.timeline.push({ status, at, by, ...(reason ? { reason } : {}) });
}

/**
 * Where fulfilment stands, whatever refunds happened: a `partially_refunded` order still ships, completes
 * or takes more after-sales requests as the stage it reached says.
 */
export function fulfilmentStage(state: OrderState): "awaiting_shipment" | "shipped" | "completed" {
  if (state.timeline.some((t) => t.status === "completed")) return "completed";
  return state.shipment ? "shipped" : "awaiting_shipment";
}

/** The status transitions check: a partially refunded order acts as its fulfilment stage. */
/** What the buyer pays next: a presale order's deposit, then its balance; any other order its total. */
export function amountDue(state: OrderState): number {
  const p = state.presale;
  if (!p) return state.amounts.total;
  return state.status === "awaiting_balance" ? state.amounts.total - p.deposit : p.deposit;
}

export function effectiveStatus(state: OrderState): OrderStatus {
  return state.status === "partially_refunded" ? fulfilmentStage(state) : state.status;
}

function line(state: OrderState, sku: string) {
  const found = state.lines.find((l) => l.sku === sku);
  if (!found) throw new Error(`order has no line for ${sku}`);
  return found;
}

function coupon(state: OrderState, couponId: string) {
  const found = state.coupons?.find((c) => c.couponId === couponId);
  if (!found) throw new Error(`order has no coupon ${couponId}`);
  return found;
}

/** Applies one event (in place, see `ActorKind.apply`). */
export function applyOrderEvent(state: OrderState, event: OrderEvent): OrderState {
  switch (event.type) {
    case "placed":
      state.userId = event.userId;
      state.channel = event.channel;
      state.address = event.address;
      state.amounts = event.amounts;
      state.lines = event.lines.map((l) => ({ ...l, state: "reserving", allocation: [] }));
      state.coupons = (event.coupons ?? []).map((c) => ({ ...c, state: "reserving" }));
      state.placeCommand = event.command;
      state.expiresAt = event.expiresAt;
      state.promotions = event.promotions ?? [];
      state.quoteId = event.quoteId ?? null;
      if (event.presale)
        state.presale = { ...event.presale, depositPayment: null, balanceOpen: false, forfeited: false };
      if (event.campaign) state.campaign = event.campaign;
      if (event.group)
        state.group = {
          groupBuyId: event.group.groupBuyId,
          groupId: event.group.groupId ?? null,
          state: "joining",
          formed: false,
        };
      if (event.routing) state.routing = { ...event.routing, at: event.at, by: event.by, cause: "placed" };
      moveTo(state, "placing", event.at, event.by);
      break;
    case "lineReserved":
      Object.assign(line(state, event.sku), { state: "reserved", allocation: event.allocation });
      if (state.routing) state.routing = routedWhereReserved(state.routing, event.sku, event.allocation);
      break;
    case "lineRerouted":
      delete line(state, event.sku).warehouse;
      if (state.routing)
        state.routing = {
          ...state.routing,
          reasons: [
            ...state.routing.reasons,
            `${event.sku}: ${event.from} short (${event.reason}); reserved where stock is`,
          ],
        };
      break;
    case "rerouted":
      state.routing = { ...event.routing, at: event.at, by: event.by, cause: event.reason };
      break;
    case "lineRefused": {
      const refused = line(state, event.sku);
      Object.assign(refused, {
        state: "refused",
        ...(event.limit ? { limited: true } : {}),
        ...(refused.gift ? { dropped: event.reason } : {}),
        ...(event.refusal ? { refusal: event.refusal } : {}),
      });
      break;
    }
    case "depositPaid":
      if (state.presale)
        state.presale.depositPayment = {
          paymentId: event.paymentId,
          channel: event.channel,
          amount: event.amount,
          at: event.at,
        };
      moveTo(state, "awaiting_balance", event.at, event.by, "deposit paid");
      break;
    case "balanceOpened":
      if (state.presale) state.presale.balanceOpen = true;
      break;
    case "depositForfeited":
      if (state.presale) state.presale.forfeited = true;
      moveTo(state, "cancelled", event.at, event.by, event.reason);
      break;
    case "groupJoined":
      if (state.group) Object.assign(state.group, { groupId: event.groupId, state: "joined" });
      break;
    case "groupRefused":
      if (state.group)
        Object.assign(state.group, {
          state: "refused",
          refusal: { reason: event.reason, ...(event.refusal ? { refusal: event.refusal } : {}) },
        });
      break;
    case "groupLeft":
      if (state.group) state.group.state = "left";
      break;
    case "groupFormed":
      if (state.group) state.group.formed = true;
      moveTo(state, "awaiting_shipment", event.at, event.by, "group formed");
      break;
    case "groupFailed":
      state.afterSales = {
        kind: "refund_only",
        reason: event.reason,
        amount: event.amount,
        from: state.status,
        approved: true,
      };
      moveTo(state, "refund_requested", event.at, event.by, event.reason);
      break;
    case "couponReserved":
      coupon(state, event.couponId).state = "reserved";
      break;
    case "couponRefused":
      coupon(state, event.couponId).state = "refused";
      break;
    case "couponReleased":
      coupon(state, event.couponId).state = "released";
      break;
    case "couponCommitted":
      coupon(state, event.couponId).state = "committed";
      break;
    case "memberRecorded":
      state.member = "recorded";
      break;
    case "memberRefused":
      state.member = "refused";
      break;
    case "memberReleased":
      state.member = "released";
      break;
    case "placeAnswered":
      state.placeFailure = null;
      break;
    case "awaitingPayment":
      state.expiresAt = event.expiresAt;
      moveTo(state, "pending_payment", event.at, event.by);
      break;
    case "placementFailed":
      state.placeFailure = {
        kind: event.errorKind,
        message: event.reason,
        ...(event.sku ? { sku: event.sku } : {}),
        ...(event.refusal ? { refusal: event.refusal } : {}),
      };
      moveTo(state, "cancelled", event.at, event.by, event.reason);
      break;
    case "cancelled":
      moveTo(state, "cancelled", event.at, event.by, event.reason);
      break;
    case "lineReleased":
      line(state, event.sku).state = "released";
      break;
    case "paid":
      state.payment = {
        paymentId: event.paymentId,
        channel: event.channel,
        amount: event.amount,
        at: event.at,
      };
      moveTo(state, event.status ?? "awaiting_shipment", event.at, event.by, "paid");
      break;
    case "shipped":
      state.shipment = { carrier: event.carrier, trackingNo: event.trackingNo, at: event.at };
      state.autoCompleteAt = event.autoCompleteAt ?? null;
      moveTo(state, "shipped", event.at, event.by);
      break;
    case "shipmentAttached":
      state.shipments = [
        ...(state.shipments ?? []).filter((s) => s.shipmentId !== event.shipmentId),
        { shipmentId: event.shipmentId, carrier: event.carrier, lines: event.lines, delivered: false },
      ];
      break;
    case "shipmentDelivered": {
      const found = state.shipments?.find((s) => s.shipmentId === event.shipmentId);
      if (found) found.delivered = true;
      break;
    }
    case "delivered":
      moveTo(state, "delivered", event.at, event.by, "all shipments delivered");
      break;
    case "lineCommitted":
      line(state, event.sku).state = "committed";
      break;
    case "completed":
      moveTo(state, "completed", event.at, event.by, event.auto ? "auto-completed" : "receipt confirmed");
      break;
    case "addressChanged":
      state.address = event.address;
      break;
    case "afterSalesRequested":
      state.afterSales = {
        kind: event.kind,
        reason: event.reason,
        amount: event.amount,
        ...(event.sku ? { sku: event.sku } : {}),
        from: state.status,
        approved: null,
      };
      moveTo(
        state,
        event.kind === "refund_only" ? "refund_requested" : "return_requested",
        event.at,
        event.by,
        event.reason,
      );
      break;
    case "afterSalesDecided":
      if (state.afterSales) state.afterSales.approved = event.approved;
      if (!event.approved && state.afterSales)
        moveTo(state, state.afterSales.from, event.at, event.by, event.note ?? "after-sales rejected");
      break;
    case "returnReceived":
      if (state.afterSales) state.afterSales.received = true;
      break;
    case "refunded":
      state.refunded += event.amount;
      if (state.afterSales?.sku) state.refundedLines = [...(state.refundedLines ?? []), state.afterSales.sku];
      moveTo(
        state,
        event.status ?? (state.afterSales?.kind === "return_and_refund" ? "returned" : "refunded"),
        event.at,
        event.by,
      );
      break;
  }
  return state;
}

/**
 * The routing's parcels follow where a line was actually reserved: a line reserved as routed changes
 * nothing; one reserved elsewhere (a stock failure re-routed it) moves to parcels of those warehouses.
 */
function routedWhereReserved(
  routing: NonNullable<OrderState["routing"]>,
  sku: string,
  allocation: ReadonlyArray<{ warehouse: string; qty: number }>,
): NonNullable<OrderState["routing"]> {
  const planned = routing.parcels.flatMap((p) =>
    p.lines.filter((l) => l.sku === sku).map((l) => `${p.warehouse}:${l.qty}`),
  );
  const actual = allocation.map((a) => `${a.warehouse}:${a.qty}`);
  if (planned.sort().join() === actual.sort().join()) return routing;
  const parcels = routing.parcels
    .map((p) => ({ ...p, lines: p.lines.filter((l) => l.sku !== sku) }))
    .filter((p) => p.lines.length > 0);
  for (const a of allocation) {
    const found = parcels.find((p) => p.warehouse === a.warehouse);
    const carrier =
      found?.carrier ?? routing.parcels.find((p) => p.lines.some((l) => l.sku === sku))?.carrier ?? null;
    if (found) found.lines = [...found.lines, { sku, qty: a.qty }];
    else
      parcels.push({
        warehouse: a.warehouse,
        carrier,
        lines: [{ sku, qty: a.qty }],
        freight: 0,
        reasons: [`${sku} reserved in ${a.warehouse} (stock moved since routing); freight stays as charged`],
      });
  }
  return { ...routing, parcels };
}
