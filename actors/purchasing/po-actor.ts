import { inventory } from "../inventory/index.ts";
import type { DecideContext, Decision, Effect } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import type { ActorCall } from "../shared/index.ts";
import { suppliers } from "./calls.ts";
import type { PurchaseOrderCommand } from "./po-commands.ts";
import type { PurchaseOrderEvent } from "./po-events.ts";
import {
  acceptLimit,
  applyPurchaseOrderEvent,
  inTransitOf,
  type PurchaseOrderState,
  type PurchaseOrderStatus,
  poTotal,
  purchaseOrderView,
} from "./po-state.ts";

type Cmd<T extends PurchaseOrderCommand["type"]> = Extract<PurchaseOrderCommand, { type: T }>;
type Result = Decision<PurchaseOrderEvent>;

/** Why a PO command was refused (`details.reason`; the gateway's problem type). */
export type PurchaseOrderRefusal =
  | "purchase-order-state"
  | "supplier-not-approved"
  | "second-approval-needed"
  | "receipt-exceeds-order";

const DAY_MS = 86_400_000;
const effect = (key: string, call: ActorCall): Effect => ({ key, ...call });
const by = (ctx: DecideContext) => ctx.meta.by ?? "system";

function refuse(reason: PurchaseOrderRefusal, message: string, details: Record<string, unknown> = {}) {
  return new DomainError("conflict", message, { reason, ...details });
}

function requireStatus(s: PurchaseOrderState, allowed: PurchaseOrderStatus[], action: string, id: string) {
  if (s.status === "new") throw new DomainError("not_found", `no purchase order ${id}`, { poId: id });
  if (!allowed.includes(s.status))
    throw refuse("purchase-order-state", `cannot ${action} purchase order ${id}: it is ${s.status}`, {
      poStatus: s.status,
      allowed,
    });
}

/** Decides `events` against a copy of the state, for a reply that shows the PO as it will be. */
function after(s: PurchaseOrderState, id: string, events: PurchaseOrderEvent[]) {
  const next = structuredClone(s);
  for (const e of events) applyPurchaseOrderEvent(next, e);
  return purchaseOrderView(id, next);
}

/**
 * A decision whose caller waits until `effects` are answered, so the SKU's in-transit figure (and the
 * supplier's rating) already show the change when the reply arrives: "acknowledged applies to the next read".
 */
function awaiting(
  ctx: DecideContext,
  events: PurchaseOrderEvent[],
  effects: Effect[],
  reply: unknown,
): Result {
  if (effects.length === 0 || !ctx.commandId) return { events, reply, effects };
  return {
    events: [
      ...events,
      { type: "awaiting", commandId: ctx.commandId, keys: effects.map((e) => e.key), reply },
    ],
    reply,
    effects,
    defer: true,
  };
}

/** An effect's answer: the waiting callers whose last effect it was get their reply. */
export function onPurchaseOrderEffect(
  s: PurchaseOrderState,
  result: { key: string; reply: { ok: boolean } },
  _ctx: DecideContext,
): Result {
  const resolve = [...s.awaiting]
    .filter(([, w]) => w.keys.length === 1 && w.keys[0] === result.key)
    .map(([commandId, w]) => ({ commandId, reply: { ok: true as const, value: w.reply } }));
  return { events: [{ type: "effectDone", key: result.key, ok: result.reply.ok }], reply: null, resolve };
}

/** Takes out of the SKU actors' in-transit figure what this PO still has there (cancel, close). */
function settleRemaining(s: PurchaseOrderState, poId: string, reason: "cancelled" | "closed"): Effect[] {
  return s.lines.flatMap((l) => {
    const qty = inTransitOf(s, l);
    return qty === 0
      ? []
      : [
          effect(
            `settle:${reason}:${l.sku}`,
            inventory.settleInbound(l.sku, { warehouse: s.warehouse, qty, reference: poId, reason }),
          ),
        ];
  });
}

export const purchaseOrderHandlers = {
  get: (s: PurchaseOrderState, _c: Cmd<"get">, ctx: DecideContext): Result => {
    requireStatus(s, [s.status], "read", ctx.id);
    return { events: [], reply: purchaseOrderView(ctx.id, s) };
  },

  create: (s: PurchaseOrderState, c: Cmd<"create">, ctx: DecideContext): Result => {
    if (s.status !== "new")
      throw refuse("purchase-order-state", `purchase order ${ctx.id} already exists`, { poStatus: s.status });
    if (c.supplierStatus !== "approved")
      throw refuse("supplier-not-approved", `supplier ${c.supplier} is ${c.supplierStatus}, not approved`, {
        supplier: c.supplier,
        supplierStatus: c.supplierStatus,
      });
    if (new Set(c.lines.map((l) => l.sku)).size !== c.lines.length)
      throw new DomainError("invalid", "each SKU may appear once per purchase order", { field: "lines" });
    const event: PurchaseOrderEvent = {
      type: "created",
      supplier: c.supplier,
      warehouse: c.warehouse,
      lines: c.lines,
      expectedAt: c.expectedAt ?? null,
      planId: c.planId ?? null,
      at: ctx.now,
      by: by(ctx),
    };
    return { events: [event], reply: { poId: ctx.id, status: "draft" } };
  },

  submit: (s: PurchaseOrderState, c: Cmd<"submit">, ctx: DecideContext): Result => {
    requireStatus(s, ["draft"], "submit", ctx.id);
    const events: PurchaseOrderEvent[] = [
      { type: "submitted", settings: c.settings, at: ctx.now, by: by(ctx) },
    ];
    return { events, reply: after(s, ctx.id, events) };
  },

  approve: (s: PurchaseOrderState, c: Cmd<"approve">, ctx: DecideContext): Result => {
    requireStatus(s, ["submitted"], "approve", ctx.id);
    const threshold = s.settings?.approvalThreshold ?? null;
    const total = poTotal(s);
    const needsTwo = c.viaApproval !== true && threshold !== null && total > threshold;
    const who = by(ctx);
    if (needsTwo && s.approvals.length === 0) {
      const events: PurchaseOrderEvent[] = [{ type: "approvalRecorded", at: ctx.now, by: who }];
      return { events, reply: after(s, ctx.id, events) };
    }
    if (needsTwo && s.approvals.some((a) => a.by === who))
      throw refuse(
        "second-approval-needed",
        `purchase order ${ctx.id} totals ${total}, above ${threshold}: a second operator must approve it`,
        { total, threshold, approvedBy: s.approvals.map((a) => a.by) },
      );
    const events: PurchaseOrderEvent[] = [{ type: "approved", at: ctx.now, by: who }];
    // Approved quantities are in transit for the PO's warehouse until received, cancelled or closed.
    const effects = s.lines.map((l) =>
      effect(
        `transit:${l.sku}`,
        inventory.announceInbound(l.sku, { warehouse: s.warehouse, qty: l.qty, reference: ctx.id }),
      ),
    );
    return awaiting(ctx, events, effects, after(s, ctx.id, events));
  },

  send: (s: PurchaseOrderState, _c: Cmd<"send">, ctx: DecideContext): Result => {
    requireStatus(s, ["approved"], "send", ctx.id);
    const events: PurchaseOrderEvent[] = [{ type: "sent", at: ctx.now, by: by(ctx) }];
    return { events, reply: after(s, ctx.id, events) };
  },

  receive: (s: PurchaseOrderState, c: Cmd<"receive">, ctx: DecideContext): Result => {
    requireStatus(s, ["approved", "sent", "partially_received", "received"], "receive goods for", ctx.id);
    const done = s.receipts.get(c.receiptId);
    if (done) return { events: [], reply: receiptReply(s, ctx.id, c.receiptId) };
    if (s.status === "received")
      throw refuse("purchase-order-state", `purchase order ${ctx.id} is fully received`, {
        poStatus: s.status,
      });
    if (new Set(c.lines.map((l) => l.sku)).size !== c.lines.length)
      throw new DomainError("invalid", "each SKU may appear once per receipt", { field: "lines" });
    const tolerance = s.settings?.receiptTolerancePercent ?? 0;
    const lines = c.lines.map((r, i) => {
      const line = s.lines.find((l) => l.sku === r.sku);
      if (!line)
        throw new DomainError("invalid", `purchase order ${ctx.id} has no line for ${r.sku}`, {
          field: `lines.${i}.sku`,
          sku: r.sku,
        });
      if (r.acceptedQty + (r.rejectedQty ?? 0) === 0)
        throw new DomainError("invalid", `a receipt line receives something (${r.sku})`, {
          field: `lines.${i}.acceptedQty`,
        });
      const limit = acceptLimit(line, tolerance);
      if (line.accepted + r.acceptedQty > limit)
        throw refuse(
          "receipt-exceeds-order",
          `${r.sku}: ${line.accepted} accepted so far + ${r.acceptedQty} exceeds ${limit} (ordered ${line.qty} + ${tolerance}% tolerance)`,
          {
            field: `lines.${i}.acceptedQty`,
            sku: r.sku,
            ordered: line.qty,
            accepted: line.accepted,
            maxAcceptable: limit,
          },
        );
      return { ...r, unitCost: line.unitCost };
    });
    const onTime = s.expectedAt === null || ctx.now <= s.expectedAt + DAY_MS;
    const amount = lines.reduce((n, l) => n + l.acceptedQty * l.unitCost, 0);
    const full = s.lines.every((l) => {
      const r = lines.find((x) => x.sku === l.sku);
      return l.accepted + (r?.acceptedQty ?? 0) >= l.qty;
    });
    const events: PurchaseOrderEvent[] = [
      {
        type: "receiptRecorded",
        receiptId: c.receiptId,
        lines,
        amount,
        onTime,
        status: full ? "received" : "partially_received",
        at: ctx.now,
        by: by(ctx),
      },
    ];
    // In transit falls by what was accepted (up to what the line still had in transit); the rest of an
    // over-delivery within tolerance was never in transit. Rejected goods go back and stay owed.
    const effects: Effect[] = [];
    for (const l of lines) {
      const line = s.lines.find((x) => x.sku === l.sku)!;
      const qty = Math.min(l.acceptedQty, inTransitOf(s, line));
      if (qty > 0)
        effects.push(
          effect(
            `settle:${c.receiptId}:${l.sku}`,
            inventory.settleInbound(l.sku, {
              warehouse: s.warehouse,
              qty,
              reference: ctx.id,
              reason: "received",
            }),
          ),
        );
    }
    effects.push(
      effect(
        `rate:${c.receiptId}`,
        suppliers.recordReceipt(s.supplier, {
          receiptId: c.receiptId,
          poId: ctx.id,
          onTime,
          lines: lines.map((l) => ({
            sku: l.sku,
            accepted: l.acceptedQty,
            rejected: l.rejectedQty ?? 0,
            unitCost: l.unitCost,
          })),
        }),
      ),
    );
    const next = structuredClone(s);
    for (const e of events) applyPurchaseOrderEvent(next, e);
    return awaiting(ctx, events, effects, receiptReply(next, ctx.id, c.receiptId));
  },

  close: (s: PurchaseOrderState, c: Cmd<"close">, ctx: DecideContext): Result => {
    requireStatus(s, ["partially_received", "received"], "close", ctx.id);
    const events: PurchaseOrderEvent[] = [
      { type: "closed", reason: c.reason ?? "closed", at: ctx.now, by: by(ctx) },
    ];
    return awaiting(ctx, events, settleRemaining(s, ctx.id, "closed"), after(s, ctx.id, events));
  },

  cancel: (s: PurchaseOrderState, c: Cmd<"cancel">, ctx: DecideContext): Result => {
    requireStatus(s, ["draft", "submitted", "approved", "sent"], "cancel", ctx.id);
    const events: PurchaseOrderEvent[] = [
      { type: "cancelled", reason: c.reason ?? "cancelled", at: ctx.now, by: by(ctx) },
    ];
    return awaiting(ctx, events, settleRemaining(s, ctx.id, "cancelled"), after(s, ctx.id, events));
  },
};

/** The answer to a receipt (also to its replay): what was recorded, with its payable and return. */
function receiptReply(s: PurchaseOrderState, poId: string, receiptId: string) {
  const view = purchaseOrderView(poId, s);
  const receipt = view.receipts.find((r) => r.receiptId === receiptId)!;
  return { poId, status: view.status, warehouse: s.warehouse, supplier: s.supplier, ...receipt };
}
