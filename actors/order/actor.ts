import { regionCodeOf } from "../carrier/index.ts";
import { coupons, templateOfCoupon } from "../coupon/index.ts";
import { flashSales } from "../flash-sale/index.ts";
import { groupBuys } from "../groupbuy/index.ts";
import { inventory } from "../inventory/index.ts";
import { members } from "../member/index.ts";
import { payments } from "../payment/index.ts";
import { maskPhone } from "../permissions/index.ts";
import type { DecideContext, Decision, Effect, Reply } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { type ActorCall, isoTime } from "../shared/index.ts";
import { shipmentIdFor, shipments } from "../shipment/index.ts";
import type { OrderCommand } from "./commands.ts";
import type { OrderEvent } from "./events.ts";
import { amountDue, effectiveStatus, fulfilmentStage, type OrderState, type OrderStatus } from "./state.ts";

type Cmd<T extends OrderCommand["type"]> = Extract<OrderCommand, { type: T }>;
type Result = Decision<OrderEvent>;

const who = (ctx: DecideContext) => ({ at: ctx.now, by: ctx.meta.by ?? "system" });

/** Illegal transitions are refused with the current state, so a client can tell why. */
function requireStatus(state: OrderState, allowed: OrderStatus[], action: string): void {
  if (state.status === "new") throw new DomainError("not_found", "no such order");
  // A partially refunded order acts as its fulfilment stage (it still ships, completes, takes refunds).
  if (!allowed.includes(state.status) && !allowed.includes(effectiveStatus(state))) {
    throw new DomainError("conflict", `cannot ${action} an order that is ${state.status}`, {
      orderStatus: state.status,
      allowed,
    });
  }
}

/** The summary a placing caller receives. */
export function orderSummary(orderId: string, state: OrderState) {
  return {
    orderId,
    status: state.status,
    userId: state.userId,
    amounts: state.amounts,
    expiresAt: state.expiresAt ? isoTime(state.expiresAt) : null,
  };
}

/** An outbox entry: a call built by the callee's own typed builder, under a key unique in this order. */
const effect = (key: string, call: ActorCall): Effect => ({ key, ...call });

/**
 * Gives one line's units back: a flash-sale line to its campaign (which counts the units back and has the
 * SKU return them to its allocation, decision 0023), any other line to its SKU.
 */
function releaseLine(state: OrderState, sku: string, orderId: string, reason: string): Effect {
  const campaign = state.campaign;
  if (campaign && campaign.sku === sku)
    return effect(`release:${sku}`, flashSales.release(campaign.campaignId, { orderId, reason }));
  return effect(`release:${sku}`, inventory.release(sku, { orderId, reason }));
}

/** The refusals of a flash-sale campaign the order passes on to its caller as their own problem types. */
const CAMPAIGN_REFUSALS = new Set(["sold-out", "purchase-limit-reached", "campaign-not-active"]);

/** Releases every reservation still held (compensation for cancel, timeout, failed placement, refund). */
function releaseHeld(state: OrderState, orderId: string, reason: string): Effect[] {
  const releases = state.lines
    .filter((l) => l.state === "reserved")
    .map((l) => releaseLine(state, l.sku, orderId, reason));
  const member = state.member === "recorded" ? [memberCancel(state, orderId, reason)] : [];
  return [
    ...releases,
    ...couponReleases(state, orderId, reason),
    ...member,
    ...groupLeave(state, orderId, reason),
  ];
}

/** Gives back the order's seat in its group (decision 0024), when one is held. */
function groupLeave(state: OrderState, orderId: string, reason: string): Effect[] {
  const g = state.group;
  if (g?.state !== "joined") return [];
  return [effect("group:leave", groupBuys.leave(g.groupBuyId, { orderId, reason }))];
}

/** The order's coupons, `[]` for orders placed before coupons existed. */
const couponsOf = (state: OrderState) => state.coupons ?? [];

/** Gives back every coupon the order holds (its template actor makes it available again). */
function couponReleases(
  state: OrderState,
  orderId: string,
  reason: string,
  states = couponsOf(state),
): Effect[] {
  return states
    .filter((c) => c.state === "reserved")
    .map((c) =>
      effect(
        `uncoupon:${c.couponId}`,
        coupons.release(templateOf(c.couponId), { couponId: c.couponId, orderId, reason }),
      ),
    );
}

function templateOf(couponId: string): string {
  const template = templateOfCoupon(couponId);
  if (template === undefined)
    throw new DomainError("invalid", `${couponId} is not a coupon id`, { field: "coupons" });
  return template;
}

const memberCancel = (state: OrderState, orderId: string, reason: string): Effect =>
  effect("member:cancel", members.cancelOrder(state.userId, { orderId, reason }));

const memberComplete = (state: OrderState, orderId: string): Effect =>
  effect(
    "member:complete",
    members.completeOrder(state.userId, {
      orderId,
      amount: (state.payment?.amount ?? state.amounts.total) - state.refunded,
    }),
  );

export const orderHandlers = {
  get: (state: OrderState, _c: Cmd<"get">, ctx: DecideContext): Result => {
    if (state.status === "new") throw new DomainError("not_found", `no order ${ctx.id}`);
    // Snapshots from before decision 0021 have no promotions or quote.
    const extra = {
      promotions: state.promotions ?? [],
      quoteId: state.quoteId ?? null,
      amountDue: amountDue(state),
    };
    return { events: [], reply: { orderId: ctx.id, ...state, ...extra } };
  },

  /**
   * Place order, step 1 of the process manager: persist the order and reserve every line on its SKU
   * actor. The caller waits (deferred) until every line has answered; `onEffect` finishes or compensates.
   */
  place: (state: OrderState, c: Cmd<"place">, ctx: DecideContext): Result => {
    if (state.status !== "new")
      throw new DomainError("conflict", `order ${ctx.id} already exists`, { orderStatus: state.status });
    const skus = new Set(c.lines.map((l) => l.sku));
    if (skus.size !== c.lines.length)
      throw new DomainError("invalid", "each SKU may appear once per order", { field: "lines" });
    const items = c.lines.reduce((n, l) => n + l.qty * l.unitPrice, 0);
    // Points are a discount worth one fen each; the member actor refuses the order if the balance is short.
    // Only the points the items can absorb are spent: points never pay for more than they discount.
    const pointsToSpend = Math.min(c.pointsToSpend ?? 0, Math.max(0, items - c.discount));
    const maxPerUser = c.maxPerUser;
    const discount = Math.min(c.discount + pointsToSpend, items);
    const amounts = { items, discount, freight: c.freight, total: items - discount + c.freight };
    const redeemed = c.coupons ?? [];
    if (new Set(redeemed.map((r) => r.couponId)).size !== redeemed.length)
      throw new DomainError("invalid", "each coupon may appear once per order", { field: "coupons" });
    if (redeemed.reduce((n, r) => n + r.discount, 0) > c.discount)
      throw new DomainError("invalid", "the coupons' shares exceed the order's discount", {
        field: "coupons",
      });
    // A flash-sale line is held on its campaign's actor: the campaign names one line of the order.
    if (c.campaignSku !== undefined && c.campaignId === undefined)
      throw new DomainError("invalid", "a campaign line needs its campaignId", { field: "campaignId" });
    if (c.campaignSku !== undefined && !skus.has(c.campaignSku))
      throw new DomainError("invalid", `the order has no line ${c.campaignSku}`, { field: "campaignSku" });
    const campaign =
      c.campaignId !== undefined && c.campaignSku !== undefined
        ? { campaignId: c.campaignId, sku: c.campaignSku }
        : undefined;
    // The coupon ids must name templates before anything is written.
    const couponTemplates = redeemed.map((r) => templateOf(r.couponId));
    if (c.presale && (c.presale.deposit >= amounts.total || c.presale.balanceTo <= c.presale.balanceFrom))
      throw new DomainError("invalid", "a presale deposit is part of the total, before a balance window", {
        field: "presale",
      });
    const freeGift = c.lines.findIndex((l) => l.gift && l.unitPrice !== 0);
    if (freeGift >= 0)
      throw new DomainError("invalid", "a gift line costs nothing", { field: `lines.${freeGift}.unitPrice` });
    // Apportioned line discounts (checkout) must add up to the order's discount, or refunds would not.
    if (c.lines.some((l) => l.discount !== undefined)) {
      const shares = c.lines.reduce((n, l) => n + (l.discount ?? 0), 0);
      const over = c.lines.findIndex((l) => (l.discount ?? 0) > l.qty * l.unitPrice);
      if (shares !== discount || over >= 0)
        throw new DomainError(
          "invalid",
          `line discounts add up to ${shares}, the order's discount is ${discount}`,
          {
            field: over >= 0 ? `lines.${over}.discount` : "lines",
          },
        );
    }
    return {
      events: [
        {
          type: "placed",
          userId: c.userId,
          lines: c.lines,
          address: c.address,
          channel: c.channel,
          amounts,
          command: ctx.commandId ?? "",
          expiresAt: ctx.now + c.paymentTimeoutMs,
          ...(redeemed.length > 0 ? { coupons: redeemed } : {}),
          ...(c.promotions && c.promotions.length > 0 ? { promotions: c.promotions } : {}),
          ...(c.quoteId ? { quoteId: c.quoteId } : {}),
          ...(c.group ? { group: c.group } : {}),
          ...(campaign ? { campaign } : {}),
          ...(c.routing ? { routing: c.routing } : {}),
          ...(c.presale ? { presale: c.presale } : {}),
          ...who(ctx),
        },
      ],
      reply: null,
      defer: true,
      effects: [
        // A group-buy order holds a seat in its group (or opens one), all or nothing with the lines.
        ...(c.group
          ? [
              effect(
                "group:join",
                groupBuys.join(c.group.groupBuyId, {
                  orderId: ctx.id,
                  userId: c.userId,
                  qty: c.lines.reduce((n, l) => n + (l.gift ? 0 : l.qty), 0),
                  ...(c.group.groupId ? { groupId: c.group.groupId } : {}),
                }),
              ),
            ]
          : []),
        // Each coupon is held on its template actor, all or nothing with the lines.
        ...redeemed.map((r, i) =>
          effect(
            `coupon:${r.couponId}`,
            coupons.reserve(couponTemplates[i]!, {
              couponId: r.couponId,
              orderId: ctx.id,
              userId: c.userId,
              discount: r.discount,
              amount: amounts.total,
            }),
          ),
        ),
        ...c.lines.map((l) =>
          campaign?.sku === l.sku
            ? // The campaign decides window, per-user limit and stock, then holds the units on the SKU.
              effect(
                `reserve:${l.sku}`,
                flashSales.reserve(campaign.campaignId, { orderId: ctx.id, userId: c.userId, qty: l.qty }),
              )
            : // The buyer goes along so the SKU can apply its operator-set purchase limit.
              // A routed line is reserved in its warehouse (decision 0028); otherwise most sellable first.
              effect(
                `reserve:${l.sku}`,
                inventory.reserve(l.sku, {
                  orderId: ctx.id,
                  qty: l.qty,
                  userId: c.userId,
                  ...(l.warehouse ? { warehouse: l.warehouse } : {}),
                }),
              ),
        ),
        // The member actor checks per-user purchase limits and records the order (counters, history).
        effect(
          "member:record",
          members.recordOrder(c.userId, {
            orderId: ctx.id,
            // Gifts are not purchases: they count toward no purchase limit.
            lines: c.lines.filter((l) => !l.gift).map((l) => ({ sku: l.sku, qty: l.qty })),
            amount: amounts.total,
            ...(pointsToSpend > 0 ? { pointsToSpend } : {}),
            ...(c.campaignId ? { campaignId: c.campaignId } : {}),
            ...(c.maxPerUser || c.maxPerCampaign
              ? {
                  limits: {
                    ...(maxPerUser
                      ? {
                          perSku: Object.fromEntries(
                            c.lines.filter((l) => !l.gift).map((l) => [l.sku, maxPerUser]),
                          ),
                        }
                      : {}),
                    ...(c.maxPerCampaign ? { perCampaign: c.maxPerCampaign } : {}),
                  },
                }
              : {}),
          }),
        ),
      ],
      timers: { set: [{ name: "expire", at: ctx.now + c.paymentTimeoutMs }] },
    };
  },

  cancel: (state: OrderState, c: Cmd<"cancel">, ctx: DecideContext): Result => {
    requireStatus(state, ["pending_payment"], "cancel");
    return {
      events: [{ type: "cancelled", reason: c.reason, ...who(ctx) }],
      reply: { orderId: ctx.id, status: "cancelled" },
      effects: releaseHeld(state, ctx.id, c.reason),
      timers: { cancel: ["expire"] },
    };
  },

  markPaid: (state: OrderState, c: Cmd<"markPaid">, ctx: DecideContext): Result => {
    if (state.presale) return presalePaid(state, c, ctx);
    requireStatus(state, ["pending_payment"], "pay");
    if (c.amount !== state.amounts.total) {
      throw new DomainError("conflict", `paid ${c.amount} but the order total is ${state.amounts.total}`, {
        expected: state.amounts.total,
        paid: c.amount,
      });
    }
    // A group-buy order waits for its group to form (decision 0024); the group hears it was paid.
    const waits = state.group !== undefined && !state.group.formed;
    const status = waits ? ("awaiting_group" as const) : ("awaiting_shipment" as const);
    const group = state.group;
    const groupPaid =
      waits && group ? [effect("group:paid", groupBuys.paid(group.groupBuyId, { orderId: ctx.id }))] : [];
    return {
      events: [
        {
          type: "paid",
          paymentId: c.paymentId,
          channel: c.channel,
          amount: c.amount,
          ...(waits ? { status } : {}),
          ...who(ctx),
        },
      ],
      reply: { orderId: ctx.id, status },
      timers: { cancel: ["expire"] },
      // Paid: the coupons are used.
      effects: [
        ...groupPaid,
        ...couponsOf(state)
          .filter((r) => r.state === "reserved")
          .map((r) =>
            effect(
              `usecoupon:${r.couponId}`,
              coupons.commit(templateOf(r.couponId), { couponId: r.couponId, orderId: ctx.id }),
            ),
          ),
      ],
    };
  },

  /** The group formed (from the group-buy actor): the paid order proceeds to shipment. */
  groupFormed: (state: OrderState, c: Cmd<"groupFormed">, ctx: DecideContext): Result => {
    if (state.status === "new") throw new DomainError("not_found", `no order ${ctx.id}`);
    if (state.group?.formed) return { events: [], reply: { orderId: ctx.id, status: state.status } };
    if (state.status !== "awaiting_group" || state.group?.groupId !== c.groupId)
      throw new DomainError("conflict", `order ${ctx.id} is not waiting for group ${c.groupId}`, {
        orderStatus: state.status,
      });
    return {
      events: [{ type: "groupFormed", ...who(ctx) }],
      reply: { orderId: ctx.id, status: "awaiting_shipment" },
    };
  },

  /**
   * The group failed (from the group-buy actor): a paid order is refunded in full and its stock released;
   * an unpaid one is cancelled. Applied once: a repeat finds the order already refunding or cancelled.
   */
  groupFailed: (state: OrderState, c: Cmd<"groupFailed">, ctx: DecideContext): Result => {
    if (state.status === "new") throw new DomainError("not_found", `no order ${ctx.id}`);
    if (state.status === "pending_payment" || state.status === "placing") {
      const placing = state.status === "placing" && state.placeCommand;
      return {
        events: [{ type: "cancelled", reason: c.reason, ...who(ctx) }],
        reply: { orderId: ctx.id, status: "cancelled" },
        effects: releaseHeld(state, ctx.id, c.reason),
        timers: { cancel: ["expire"] },
        ...(placing
          ? {
              resolve: [
                {
                  commandId: state.placeCommand!,
                  reply: { ok: false as const, error: { kind: "conflict" as const, message: c.reason } },
                },
              ],
            }
          : {}),
      };
    }
    if (state.status !== "awaiting_group")
      return { events: [], reply: { orderId: ctx.id, status: state.status } };
    const amount = (state.payment?.amount ?? 0) - state.refunded;
    const failed: OrderEvent = { type: "groupFailed", reason: c.reason, amount, ...who(ctx) };
    const releases = state.lines
      .filter((l) => l.state === "reserved")
      .map((l) => releaseLine(state, l.sku, ctx.id, c.reason));
    return {
      events: [failed],
      reply: { orderId: ctx.id, status: "refund_requested" },
      effects: [
        ...releases,
        // The refund id counts this request as the next after-sales request (`groupFailed` is one).
        refundEffect(state, ctx.id, amount, 1),
      ],
    };
  },

  ship: (state: OrderState, c: Cmd<"ship">, ctx: DecideContext): Result => {
    requireStatus(state, ["awaiting_shipment"], "ship");
    return {
      events: [
        {
          type: "shipped",
          carrier: c.carrier,
          trackingNo: c.trackingNo ?? "",
          autoCompleteAt: ctx.now + c.autoCompleteMs,
          ...who(ctx),
        },
      ],
      reply: { orderId: ctx.id, status: "shipped" },
      // Shipping deducts the stock: each reservation is committed on its SKU actor (lines refunded or
      // gifts dropped before shipment hold nothing to commit); and opens the order's shipment (issue 13),
      // which tracks the parcel and reports its delivery back.
      effects: [
        ...state.lines
          .filter((l) => l.state === "reserved")
          .map((l) => effect(`commit:${l.sku}`, inventory.commit(l.sku, { orderId: ctx.id }))),
        shipmentOf(state, ctx.id, c),
      ],
      timers: { set: [{ name: "autoComplete", at: ctx.now + c.autoCompleteMs }] },
    };
  },

  confirmReceipt: (state: OrderState, _c: Cmd<"confirmReceipt">, ctx: DecideContext): Result => {
    requireStatus(state, ["shipped", "delivered"], "confirm receipt of");
    return {
      events: [{ type: "completed", auto: false, ...who(ctx) }],
      reply: { orderId: ctx.id, status: "completed" },
      timers: { cancel: ["autoComplete"] },
      effects: [memberComplete(state, ctx.id)],
    };
  },

  /** Routing re-run after a carrier failed (decision 0028): before shipment only. */
  reroute: (state: OrderState, c: Cmd<"reroute">, ctx: DecideContext): Result => {
    requireStatus(state, ["pending_payment", "awaiting_shipment"], "re-route");
    return {
      events: [{ type: "rerouted", routing: c.routing, reason: c.reason, ...who(ctx) }],
      reply: { orderId: ctx.id, ...c.routing, cause: c.reason },
    };
  },

  /** A shipment carries some of the order's lines (idempotent per shipment). */
  attachShipment: (state: OrderState, c: Cmd<"attachShipment">, ctx: DecideContext): Result => {
    if (state.status === "new") throw new DomainError("not_found", `no order ${ctx.id}`);
    const known = state.shipments?.find((s) => s.shipmentId === c.shipmentId);
    if (known) return { events: [], reply: { orderId: ctx.id, shipmentId: c.shipmentId } };
    return {
      events: [{ type: "shipmentAttached", shipmentId: c.shipmentId, carrier: c.carrier, lines: c.lines }],
      reply: { orderId: ctx.id, shipmentId: c.shipmentId },
    };
  },

  /**
   * A shipment was delivered. Once every unit of every line is in a delivered shipment, a shipped order
   * moves to `delivered` (its timeline shows it); receipt or the auto-complete timer completes it later.
   */
  recordDelivery: (state: OrderState, c: Cmd<"recordDelivery">, ctx: DecideContext): Result => {
    if (state.status === "new") throw new DomainError("not_found", `no order ${ctx.id}`);
    const list = state.shipments ?? [];
    const shipment = list.find((s) => s.shipmentId === c.shipmentId);
    if (!shipment)
      throw new DomainError("invalid", `shipment ${c.shipmentId} is not one of order ${ctx.id}'s`, {
        field: "shipmentId",
      });
    const reply = { orderId: ctx.id, shipmentId: c.shipmentId };
    if (shipment.delivered) return { events: [], reply };
    const events: OrderEvent[] = [{ type: "shipmentDelivered", shipmentId: c.shipmentId, at: c.at }];
    const delivered = new Map<string, number>();
    for (const s of list)
      if (s.delivered || s.shipmentId === c.shipmentId)
        for (const l of s.lines) delivered.set(l.sku, (delivered.get(l.sku) ?? 0) + l.qty);
    const all = state.lines.every((l) => (delivered.get(l.sku) ?? 0) >= l.qty);
    if (all && state.status === "shipped")
      events.push({ type: "delivered", at: ctx.now, by: ctx.meta.by ?? "system" });
    return { events, reply };
  },

  changeAddress: (state: OrderState, c: Cmd<"changeAddress">, ctx: DecideContext): Result => {
    requireStatus(state, ["pending_payment", "awaiting_group", "awaiting_shipment"], "change the address of");
    return {
      events: [{ type: "addressChanged", address: c.address, ...who(ctx) }],
      reply: { orderId: ctx.id, address: c.address },
    };
  },

  requestAfterSales: (state: OrderState, c: Cmd<"requestAfterSales">, ctx: DecideContext): Result => {
    const allowed: OrderStatus[] =
      c.kind === "refund_only"
        ? ["awaiting_shipment", "shipped", "delivered", "completed"]
        : ["shipped", "delivered", "completed"];
    requireStatus(state, allowed, c.kind === "refund_only" ? "request a refund for" : "request a return of");
    const refundable = (state.payment?.amount ?? 0) - state.refunded;
    // One line: what it paid, its apportioned discount taken off (decision 0021).
    const refundLine = c.sku === undefined ? undefined : state.lines.find((l) => l.sku === c.sku);
    if (c.sku !== undefined && !refundLine)
      throw new DomainError("invalid", `the order has no line ${c.sku}`, { field: "sku" });
    if (c.sku !== undefined && (state.refundedLines ?? []).includes(c.sku))
      throw new DomainError("conflict", `line ${c.sku} was already refunded`, { orderStatus: state.status });
    const linePaid = refundLine
      ? refundLine.qty * refundLine.unitPrice - (refundLine.discount ?? 0)
      : undefined;
    // A line's share is capped by what is still refundable (a presale deposit is never refunded).
    const amount = c.amount ?? (linePaid === undefined ? refundable : Math.min(linePaid, refundable));
    if (amount <= 0 || amount > refundable) {
      throw new DomainError("invalid", `refund amount must be between 1 and ${refundable}`, {
        field: "amount",
        refundable,
      });
    }
    return {
      events: [
        {
          type: "afterSalesRequested",
          kind: c.kind,
          reason: c.reason,
          amount,
          ...(c.sku ? { sku: c.sku } : {}),
          ...who(ctx),
        },
      ],
      reply: {
        orderId: ctx.id,
        status: c.kind === "refund_only" ? "refund_requested" : "return_requested",
        amount,
      },
    };
  },

  /** Operator approval. A refund before shipment also gives the stock back. */
  decideAfterSales: (state: OrderState, c: Cmd<"decideAfterSales">, ctx: DecideContext): Result => {
    requireStatus(state, ["refund_requested", "return_requested"], "decide after-sales for");
    if (state.afterSales?.approved !== null)
      throw new DomainError("conflict", "already decided", { orderStatus: state.status });
    const events: OrderEvent[] = [
      { type: "afterSalesDecided", approved: c.approve, ...(c.note ? { note: c.note } : {}), ...who(ctx) },
    ];
    if (!c.approve) {
      // Back to where it was; a shipped order gets its auto-complete deadline again (it may have passed).
      const back =
        (state.afterSales.from === "shipped" || state.afterSales.from === "delivered") &&
        state.autoCompleteAt !== null;
      return {
        events,
        reply: { orderId: ctx.id, approved: false },
        ...(back
          ? { timers: { set: [{ name: "autoComplete", at: Math.max(ctx.now, state.autoCompleteAt!) }] } }
          : {}),
      };
    }
    const effects: Effect[] = [];
    if (state.afterSales.kind === "refund_only") {
      // Stock still held goes back; the member is settled when the refund has gone through (onEffect).
      // A one-line refund gives back that line's stock only; a refund of part of the money (no line named)
      // keeps the goods going, so it releases nothing; a refund of everything releases every line.
      const only = state.afterSales.sku;
      const everything = state.afterSales.amount >= (state.payment?.amount ?? 0) - state.refunded;
      const releases = state.lines
        .filter((l) => l.state === "reserved" && (only === undefined ? everything : l.sku === only))
        .map((l) => releaseLine(state, l.sku, ctx.id, "refunded before shipment"));
      effects.push(...releases, refundEffect(state, ctx.id));
    }
    return { events, reply: { orderId: ctx.id, approved: true }, effects };
  },

  receiveReturn: (state: OrderState, c: Cmd<"receiveReturn">, ctx: DecideContext): Result => {
    requireStatus(state, ["return_requested"], "receive a return for");
    if (state.afterSales?.approved !== true)
      throw new DomainError("conflict", "the return is not approved", { orderStatus: state.status });
    if (state.afterSales.received)
      throw new DomainError("conflict", "the return was already received", { orderStatus: state.status });
    const restock =
      c.disposition === "restock"
        ? state.lines
            .filter((l) => state.afterSales?.sku === undefined || l.sku === state.afterSales.sku)
            .map((l) =>
              effect(
                `restock:${l.sku}`,
                inventory.receive(l.sku, {
                  warehouse: c.warehouse,
                  qty: l.qty,
                  reason: `return of ${ctx.id}`,
                }),
              ),
            )
        : [];
    return {
      events: [{ type: "returnReceived", warehouse: c.warehouse, disposition: c.disposition, ...who(ctx) }],
      reply: { orderId: ctx.id, disposition: c.disposition },
      effects: [...restock, refundEffect(state, ctx.id)],
    };
  },
};

/** The shipment `/ship` opens: the order's lines, destination and value; the phone masked for the label. */
function shipmentOf(state: OrderState, orderId: string, c: Cmd<"ship">): Effect {
  const phone = state.address?.phone.replace(/\D/g, "") ?? "";
  // A privacy waybill prints the masking policy's phone (decision 0037): the shipment never holds more.
  const masked = phone.length >= 7 ? maskPhone(phone) : "";
  const warehouse = state.lines.find((l) => l.allocation.length > 0)?.allocation[0]?.warehouse;
  const declaredValue = state.lines.reduce((n, l) => n + l.qty * l.unitPrice - (l.discount ?? 0), 0);
  return effect(
    "shipment:create",
    shipments.create(shipmentIdFor(orderId, 1), {
      orderId,
      carrier: c.carrier,
      ...(c.trackingNo ? { waybillNo: c.trackingNo } : {}),
      ...(warehouse ? { warehouse } : {}),
      toRegion: (state.address && regionCodeOf(state.address.region)) ?? null,
      lines: state.lines.map((l) => ({ sku: l.sku, qty: l.qty })),
      declaredValue: Math.max(0, declaredValue),
      phone: masked,
      ...(c.pollEveryMs ? { pollEveryMs: c.pollEveryMs } : {}),
    }),
  );
}

/**
 * A presale order's payments (decision 0024): the deposit first (the order then waits in `awaiting_balance`
 * with its window on durable timers), the balance inside its window (then it ships like any order). The
 * deposit is never refunded: after-sales refunds come from the balance payment (`state.payment`).
 */
function presalePaid(state: OrderState, c: Cmd<"markPaid">, ctx: DecideContext): Result {
  requireStatus(state, ["pending_payment", "awaiting_balance"], "pay");
  const p = state.presale!;
  const due = amountDue(state);
  if (state.status === "awaiting_balance" && (ctx.now < p.balanceFrom || ctx.now >= p.balanceTo))
    throw new DomainError(
      "conflict",
      `the balance is payable from ${isoTime(p.balanceFrom)} to ${isoTime(p.balanceTo)}`,
      { orderStatus: state.status, balanceFrom: isoTime(p.balanceFrom), balanceTo: isoTime(p.balanceTo) },
    );
  if (c.amount !== due)
    throw new DomainError("conflict", `paid ${c.amount} but ${due} is due`, {
      orderStatus: state.status,
      expected: due,
      paid: c.amount,
    });
  if (state.status === "pending_payment") {
    return {
      events: [
        { type: "depositPaid", paymentId: c.paymentId, channel: c.channel, amount: c.amount, ...who(ctx) },
      ],
      reply: { orderId: ctx.id, status: "awaiting_balance" },
      timers: {
        cancel: ["expire"],
        set: [
          { name: "balanceOpen", at: Math.max(ctx.now, p.balanceFrom) },
          { name: "balanceDue", at: p.balanceTo },
        ],
      },
    };
  }
  return {
    events: [{ type: "paid", paymentId: c.paymentId, channel: c.channel, amount: c.amount, ...who(ctx) }],
    reply: { orderId: ctx.id, status: "awaiting_shipment" },
    timers: { cancel: ["balanceDue", "balanceOpen"] },
  };
}

function refundEffect(
  state: OrderState,
  orderId: string,
  amount = state.afterSales!.amount,
  pending = 0,
): Effect {
  const n =
    state.timeline.filter((t) => t.status === "refund_requested" || t.status === "return_requested").length +
    pending;
  const refundId = `${orderId}-r${n}`;
  return effect(`refund:${refundId}`, payments.refund(state.payment!.paymentId, { refundId, amount }));
}

/**
 * Coupons back on a refund (decision 0024, closing what decision 0020 left open): a refund of everything
 * before shipment — the buyer changed their mind, or the group did not form — gives every used coupon back
 * to its owner (it keeps its own validity). After shipment, or for part of an order, the coupon stays
 * used: each line's refund already returns what the line paid after its share of the coupon.
 */
function couponReturns(state: OrderState, orderId: string, full: boolean): Effect[] {
  if (!full || fulfilmentStage(state) !== "awaiting_shipment") return [];
  return couponsOf(state)
    .filter((c) => c.state === "committed")
    .map((c) =>
      effect(
        `restorecoupon:${c.couponId}`,
        coupons.restore(templateOf(c.couponId), { couponId: c.couponId, orderId }),
      ),
    );
}

/** Step 2 of place order and the answers to every other effect. */
export function onOrderEffect(
  state: OrderState,
  result: { key: string; reply: Reply },
  ctx: DecideContext,
): Result {
  const [key, target] = splitKey(result.key);
  const sys = { at: ctx.now, by: "system" };
  const rerouted = rerouteShortLine(state, key, target, result.reply, ctx);
  if (rerouted) return rerouted;
  // A line re-reserved after its routed warehouse was short settles like any reservation.
  const action = key === "reserveany" ? "reserve" : key;
  if (
    action === "reserve" ||
    action === "coupon" ||
    result.key === "member:record" ||
    result.key === "group:join"
  ) {
    const events: OrderEvent[] = [];
    if (result.key === "group:join") {
      events.push(
        result.reply.ok
          ? { type: "groupJoined", groupId: String((result.reply.value as { groupId: string }).groupId) }
          : {
              type: "groupRefused",
              reason: result.reply.error.message,
              ...(typeof result.reply.error.details?.reason === "string"
                ? { refusal: result.reply.error.details.reason }
                : {}),
            },
      );
    } else if (action === "coupon") {
      events.push(
        result.reply.ok
          ? { type: "couponReserved", couponId: target }
          : { type: "couponRefused", couponId: target, reason: result.reply.error.message },
      );
    } else if (action === "reserve") {
      events.push(
        result.reply.ok
          ? {
              type: "lineReserved",
              sku: target,
              allocation: inventory.reservationReply(result.reply.value).lines,
            }
          : {
              type: "lineRefused",
              sku: target,
              reason: result.reply.error.message,
              ...(result.reply.error.details?.reason === "per_user_limit" ? { limit: true as const } : {}),
              ...(CAMPAIGN_REFUSALS.has(String(result.reply.error.details?.reason))
                ? { refusal: String(result.reply.error.details?.reason) }
                : {}),
            },
      );
    } else {
      events.push(
        result.reply.ok
          ? { type: "memberRecorded" }
          : { type: "memberRefused", reason: result.reply.error.message },
      );
    }
    if (state.status !== "placing") {
      // The order was cancelled (timeout) while this part was in flight: undo it straight away.
      const undo: Effect[] = [];
      if (result.reply.ok && action === "reserve")
        undo.push(releaseLine(state, target, ctx.id, "order cancelled"));
      if (result.reply.ok && action === "member") undo.push(memberCancel(state, ctx.id, "order cancelled"));
      if (result.reply.ok && result.key === "group:join" && state.group)
        undo.push(
          effect(
            "group:leave",
            groupBuys.leave(state.group.groupBuyId, { orderId: ctx.id, reason: "order cancelled" }),
          ),
        );
      if (result.reply.ok && action === "coupon")
        undo.push(
          ...couponReleases(state, ctx.id, "order cancelled", [
            { couponId: target, discount: 0, state: "reserved" },
          ]),
        );
      return { events, reply: null, effects: undo };
    }
    return settlePlacement(state, ctx, events, result);
  }
  if (action === "release" || action === "uncoupon" || result.key === "member:cancel") {
    const events: OrderEvent[] = [];
    if (action === "release" && result.reply.ok) events.push({ type: "lineReleased", sku: target });
    if (action === "uncoupon" && result.reply.ok) events.push({ type: "couponReleased", couponId: target });
    if (result.key === "member:cancel" && result.reply.ok) events.push({ type: "memberReleased" });
    const answer = answerFailedPlacement(
      state,
      action === "release" ? target : null,
      result.key === "member:cancel",
      action === "uncoupon" ? target : null,
    );
    return {
      events: [...events, ...(answer.events ?? [])],
      reply: null,
      ...(answer.resolve ? { resolve: answer.resolve } : {}),
    };
  }
  if (result.key === "group:leave") {
    const answer = answerFailedPlacement(state, null, false);
    return {
      events: [...(result.reply.ok ? [{ type: "groupLeft" as const }] : []), ...(answer.events ?? [])],
      reply: null,
      ...(answer.resolve ? { resolve: answer.resolve } : {}),
    };
  }
  if (action === "commit")
    return { events: result.reply.ok ? [{ type: "lineCommitted", sku: target }] : [], reply: null };
  if (action === "usecoupon")
    return { events: result.reply.ok ? [{ type: "couponCommitted", couponId: target }] : [], reply: null };
  if (action === "refund" && result.reply.ok) {
    const amount = state.afterSales?.amount ?? 0;
    // Only a refund of everything paid ends the order; anything less leaves it partially refunded.
    const full = state.refunded + amount >= (state.payment?.amount ?? 0);
    const status = !full
      ? ("partially_refunded" as const)
      : state.afterSales?.kind === "return_and_refund"
        ? ("returned" as const)
        : ("refunded" as const);
    // Points follow the money: a completed order's points are reversed, an open one's counters released
    // once nothing is left paid.
    const completed = fulfilmentStage(state) === "completed";
    const member = completed
      ? [
          effect(
            `member:refund:${target}`,
            members.refundOrder(state.userId, { orderId: ctx.id, refundId: target, amount }),
          ),
        ]
      : full
        ? [memberCancel(state, ctx.id, "refunded")]
        : [];
    return {
      events: [{ type: "refunded", refundId: target, amount, status, ...sys }],
      reply: null,
      effects: [...(state.member === "recorded" ? member : []), ...couponReturns(state, ctx.id, full)],
    };
  }
  if (action === "restorecoupon")
    return { events: result.reply.ok ? [{ type: "couponReleased", couponId: target }] : [], reply: null };
  return { events: [], reply: null };
}

export function onOrderTimer(state: OrderState, timer: { name: string }, ctx: DecideContext): Result {
  const sys = { at: ctx.now, by: "system:timer" };
  if (timer.name === "expire" && (state.status === "pending_payment" || state.status === "placing")) {
    const placing = state.status === "placing" && state.placeCommand;
    return {
      events: [{ type: "cancelled", reason: "payment timeout", ...sys }],
      reply: null,
      effects: releaseHeld(state, ctx.id, "payment timeout"),
      ...(placing
        ? {
            resolve: [
              {
                commandId: state.placeCommand!,
                reply: {
                  ok: false as const,
                  error: { kind: "conflict" as const, message: "order timed out while reserving" },
                },
              },
            ],
          }
        : {}),
    };
  }
  // A presale order's balance window (decision 0024): opened, then — still unpaid — the deposit forfeited.
  if (timer.name === "balanceOpen" && state.status === "awaiting_balance" && !state.presale?.balanceOpen)
    return { events: [{ type: "balanceOpened", ...sys }], reply: null };
  if (timer.name === "balanceDue" && state.status === "awaiting_balance") {
    const reason = "balance not paid in its window: deposit forfeited";
    return {
      events: [{ type: "depositForfeited", reason, ...sys }],
      reply: null,
      effects: releaseHeld(state, ctx.id, reason),
    };
  }
  if (timer.name === "autoComplete" && ["shipped", "delivered"].includes(effectiveStatus(state))) {
    return {
      events: [{ type: "completed", auto: true, ...sys }],
      reply: null,
      effects: [memberComplete(state, ctx.id)],
    };
  }
  return { events: [], reply: null };
}

/** When every line and the member have answered: await payment, or undo what succeeded and tell the caller. */
function settlePlacement(
  state: OrderState,
  ctx: DecideContext,
  events: OrderEvent[],
  result: { key: string; reply: Reply },
): Result {
  const sys = { at: ctx.now, by: "system" };
  const [key, target] = splitKey(result.key);
  const action = key === "reserveany" ? "reserve" : key;
  const lineStates = state.lines.map((l) =>
    action === "reserve" && l.sku === target ? (result.reply.ok ? "reserved" : "refused") : l.state,
  );
  const member = result.key === "member:record" ? (result.reply.ok ? "recorded" : "refused") : state.member;
  const couponStates = couponsOf(state).map((c) => ({
    ...c,
    state:
      action === "coupon" && c.couponId === target ? (result.reply.ok ? "reserved" : "refused") : c.state,
  }));
  const group =
    result.key === "group:join" ? (result.reply.ok ? "joined" : "refused") : (state.group?.state ?? "joined");
  if (
    lineStates.includes("reserving") ||
    member === "pending" ||
    couponStates.some((c) => c.state === "reserving") ||
    group === "joining"
  )
    return { events, reply: null };
  const command = state.placeCommand ?? "";
  const refusedCoupon = couponStates.find((c) => c.state === "refused");
  // A gift the stock cannot cover is dropped (its line stays refused, with the reason); the order goes on.
  const held = lineStates.every((s, i) => s === "reserved" || (s === "refused" && state.lines[i]!.gift));
  if (held && member === "recorded" && !refusedCoupon && group === "joined") {
    const expiresAt = state.expiresAt ?? ctx.now;
    events.push({ type: "awaitingPayment", expiresAt, ...sys });
    const value = {
      orderId: ctx.id,
      status: "pending_payment",
      amounts: state.amounts,
      expiresAt: isoTime(expiresAt),
    };
    return { events, reply: null, resolve: [{ commandId: command, reply: { ok: true, value } }] };
  }
  // All or nothing: one part short cancels the order and gives back whatever was taken.
  const refusedLine = state.lines.find((l, i) => lineStates[i] === "refused" && !l.gift);
  // A SKU's purchase limit is a conflict, not a shortage (the line refused now, or one refused earlier).
  const limitedNow =
    action === "reserve" && !result.reply.ok && result.reply.error.details?.reason === "per_user_limit";
  const limitedLine = limitedNow
    ? state.lines.find((l) => l.sku === target)
    : state.lines.find((l, i) => lineStates[i] === "refused" && l.limited);
  const limited = limitedLine !== undefined;
  const groupRefusal =
    result.key === "group:join" && !result.reply.ok
      ? {
          reason: result.reply.error.message,
          refusal:
            typeof result.reply.error.details?.reason === "string"
              ? result.reply.error.details.reason
              : undefined,
        }
      : state.group?.refusal;
  // A flash-sale campaign's refusal (sold out, over the buyer's limit, outside the window) is a conflict.
  const refusedNow =
    action === "reserve" &&
    !result.reply.ok &&
    CAMPAIGN_REFUSALS.has(String(result.reply.error.details?.reason))
      ? String(result.reply.error.details?.reason)
      : undefined;
  const campaignRefusal =
    refusedNow ?? state.lines.find((l, i) => lineStates[i] === "refused" && l.refusal)?.refusal;
  const reason = campaignRefusal
    ? `flash sale ${state.campaign?.campaignId ?? ""}: ${campaignRefusal}`
    : limitedLine
      ? `purchase limit reached for ${limitedLine.sku}`
      : refusedLine
        ? `insufficient stock for ${refusedLine.sku}`
        : refusedCoupon
          ? `coupon ${refusedCoupon.couponId} cannot be redeemed`
          : group === "refused"
            ? (groupRefusal?.reason ?? "the group refused the order")
            : "member purchase limit or points refused";
  const undo: Effect[] = state.lines
    .filter((_, i) => lineStates[i] === "reserved")
    .map((l) => releaseLine(state, l.sku, ctx.id, "placement failed"));
  undo.push(...couponReleases(state, ctx.id, "placement failed", couponStates));
  if (member === "recorded") undo.push(memberCancel(state, ctx.id, "placement failed"));
  // The group seat goes back too (not awaited: the group ignores a leave for a seat it no longer holds).
  if (group === "joined" && state.group)
    undo.push(effect("group:leave", groupBuys.leave(state.group.groupBuyId, { orderId: ctx.id, reason })));
  const kind =
    refusedLine && !limited && !campaignRefusal ? ("insufficient_stock" as const) : ("conflict" as const);
  const refusal =
    campaignRefusal ??
    (group === "refused" && !refusedLine && !refusedCoupon ? groupRefusal?.refusal : undefined);
  events.push({
    type: "placementFailed",
    reason,
    ...(refusedLine ? { sku: refusedLine.sku } : {}),
    ...(refusal ? { refusal } : {}),
    errorKind: kind,
    ...sys,
  });
  // The caller hears "no" only once the compensation has finished, so nothing is reserved when it does.
  if (undo.length > 0) return { events, reply: null, effects: undo, timers: { cancel: ["expire"] } };
  events.push({ type: "placeAnswered" });
  return {
    events,
    reply: null,
    timers: { cancel: ["expire"] },
    resolve: [
      {
        commandId: command,
        reply: failureReply({
          kind,
          message: reason,
          ...(refusedLine ? { sku: refusedLine.sku } : {}),
          ...(refusal ? { refusal } : {}),
        }),
      },
    ],
  };
}

function failureReply(f: {
  kind: "insufficient_stock" | "conflict";
  message: string;
  sku?: string;
  refusal?: string;
}) {
  return {
    ok: false as const,
    error: {
      kind: f.kind,
      message: f.message,
      details: { ...(f.sku ? { sku: f.sku } : {}), ...(f.refusal ? { reason: f.refusal } : {}) },
    },
  };
}

/** After a compensation step: if placing failed and nothing is held any more, answer the waiting caller. */
function answerFailedPlacement(
  state: OrderState,
  released: string | null,
  memberReleased: boolean,
  couponReleased: string | null = null,
): Partial<Result> {
  if (!state.placeFailure || !state.placeCommand) return {};
  const stillHeld =
    state.lines.some((l) => l.state === "reserved" && l.sku !== released) ||
    couponsOf(state).some((c) => c.state === "reserved" && c.couponId !== couponReleased);
  const memberHeld = state.member === "recorded" && !memberReleased;
  if (stillHeld || memberHeld) return {};
  return {
    events: [{ type: "placeAnswered" }],
    resolve: [{ commandId: state.placeCommand, reply: failureReply(state.placeFailure) }],
  };
}

/**
 * Stock failure while placing (decision 0028): the routed warehouse no longer holds the line (stock moved
 * between quote and order), so the line is reserved wherever stock is instead of failing the order.
 */
function rerouteShortLine(
  state: OrderState,
  action: string,
  sku: string,
  reply: Reply,
  ctx: DecideContext,
): Result | undefined {
  if (action !== "reserve" || reply.ok || reply.error.kind !== "insufficient_stock") return undefined;
  const l = state.lines.find((x) => x.sku === sku);
  if (state.status !== "placing" || l?.warehouse === undefined) return undefined;
  return {
    events: [
      {
        type: "lineRerouted",
        sku,
        from: l.warehouse,
        reason: reply.error.message,
        at: ctx.now,
        by: "system",
      },
    ],
    reply: null,
    effects: [
      effect(
        `reserveany:${sku}`,
        inventory.reserve(sku, { orderId: ctx.id, qty: l.qty, userId: state.userId }),
      ),
    ],
  };
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf(":");
  return [key.slice(0, i), key.slice(i + 1)];
}
