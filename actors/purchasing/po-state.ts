import { z } from "zod";
import { isoTime, mapEntries, mapSchema } from "../shared/index.ts";
import type { PurchaseOrderEvent } from "./po-events.ts";
import { type PurchasingSettings, purchasingSettingsSchema } from "./settings.ts";

export type PurchaseOrderStatus =
  | "new"
  | "draft"
  | "submitted"
  | "approved"
  | "sent"
  | "partially_received"
  | "received"
  | "closed"
  | "cancelled";

export interface PoLine {
  sku: string;
  qty: number;
  unitCost: number;
  accepted: number;
  rejected: number;
}

export interface Receipt {
  at: number;
  by: string;
  onTime: boolean;
  amount: number;
  lines: Array<{
    sku: string;
    acceptedQty: number;
    rejectedQty?: number;
    lot?: string;
    producedAt?: string;
    expiresAt?: string;
    rejectReason?: string;
    unitCost: number;
  }>;
}

export interface PurchaseOrderState {
  status: PurchaseOrderStatus;
  supplier: string;
  warehouse: string;
  planId: string | null;
  expectedAt: number | null;
  lines: PoLine[];
  /** Settings taken at submission. */
  settings: PurchasingSettings | null;
  /** Operators who approved (one, or two above the threshold). */
  approvals: Array<{ by: string; at: number }>;
  times: Partial<Record<"created" | "submitted" | "approved" | "sent" | "closed" | "cancelled", number>>;
  createdBy: string;
  endReason: string | null;
  /** Keyed by receipt id (an outside-looking id: a `Map`). */
  receipts: Map<string, Receipt>;
  /** Callers waiting for effects, by command id: the effect keys still out and the answer to give. */
  awaiting: Map<string, { keys: string[]; reply: unknown }>;
}

const line = z.object({
  sku: z.string(),
  qty: z.number().int(),
  unitCost: z.number().int(),
  accepted: z.number().int(),
  rejected: z.number().int(),
});
const receipt = z.object({
  at: z.number(),
  by: z.string(),
  onTime: z.boolean(),
  amount: z.number().int(),
  lines: z.array(
    z.object({
      sku: z.string(),
      acceptedQty: z.number().int(),
      rejectedQty: z.number().int().optional(),
      lot: z.string().optional(),
      producedAt: z.string().optional(),
      expiresAt: z.string().optional(),
      rejectReason: z.string().optional(),
      unitCost: z.number().int(),
    }),
  ),
});

export const purchaseOrderStateSchema: z.ZodType<PurchaseOrderState> = z.object({
  status: z.enum([
    "new",
    "draft",
    "submitted",
    "approved",
    "sent",
    "partially_received",
    "received",
    "closed",
    "cancelled",
  ]),
  supplier: z.string(),
  warehouse: z.string(),
  planId: z.string().nullable(),
  expectedAt: z.number().nullable(),
  lines: z.array(line),
  settings: purchasingSettingsSchema.nullable(),
  approvals: z.array(z.object({ by: z.string(), at: z.number() })),
  times: z.object({
    created: z.number().optional(),
    submitted: z.number().optional(),
    approved: z.number().optional(),
    sent: z.number().optional(),
    closed: z.number().optional(),
    cancelled: z.number().optional(),
  }),
  createdBy: z.string(),
  endReason: z.string().nullable(),
  receipts: mapSchema(receipt),
  awaiting: mapSchema(z.object({ keys: z.array(z.string()), reply: z.unknown() }))
    .optional()
    .transform((m) => m ?? new Map<string, { keys: string[]; reply: unknown }>()),
}) as unknown as z.ZodType<PurchaseOrderState>;

export function initialPurchaseOrder(): PurchaseOrderState {
  return {
    status: "new",
    supplier: "",
    warehouse: "",
    planId: null,
    expectedAt: null,
    lines: [],
    settings: null,
    approvals: [],
    times: {},
    createdBy: "",
    endReason: null,
    receipts: new Map(),
    awaiting: new Map(),
  };
}

export function encodePurchaseOrder(s: PurchaseOrderState): unknown {
  return { ...s, receipts: mapEntries(s.receipts), awaiting: mapEntries(s.awaiting) };
}

export function applyPurchaseOrderEvent(s: PurchaseOrderState, e: PurchaseOrderEvent): PurchaseOrderState {
  switch (e.type) {
    case "created":
      s.status = "draft";
      s.supplier = e.supplier;
      s.warehouse = e.warehouse;
      s.planId = e.planId;
      s.expectedAt = e.expectedAt;
      s.lines = e.lines.map((l) => ({ ...l, accepted: 0, rejected: 0 }));
      s.times.created = e.at;
      s.createdBy = e.by;
      break;
    case "submitted":
      s.status = "submitted";
      s.settings = e.settings;
      s.times.submitted = e.at;
      break;
    case "approvalRecorded":
      s.approvals.push({ by: e.by, at: e.at });
      break;
    case "approved":
      s.approvals.push({ by: e.by, at: e.at });
      s.status = "approved";
      s.times.approved = e.at;
      break;
    case "sent":
      s.status = "sent";
      s.times.sent = e.at;
      break;
    case "receiptRecorded": {
      s.receipts.set(e.receiptId, { at: e.at, by: e.by, onTime: e.onTime, amount: e.amount, lines: e.lines });
      for (const r of e.lines) {
        const l = s.lines.find((x) => x.sku === r.sku);
        if (!l) continue;
        l.accepted += r.acceptedQty;
        l.rejected += r.rejectedQty ?? 0;
      }
      s.status = s.lines.every((l) => l.accepted >= l.qty) ? "received" : "partially_received";
      break;
    }
    case "closed":
      s.status = "closed";
      s.times.closed = e.at;
      s.endReason = e.reason;
      break;
    case "cancelled":
      s.status = "cancelled";
      s.times.cancelled = e.at;
      s.endReason = e.reason;
      break;
    case "awaiting":
      s.awaiting.set(e.commandId, { keys: e.keys, reply: e.reply });
      break;
    case "effectDone":
      for (const [id, w] of s.awaiting) {
        w.keys = w.keys.filter((k) => k !== e.key);
        if (w.keys.length === 0) s.awaiting.delete(id);
      }
      break;
  }
  return s;
}

/** A PO's total in fen (ordered quantities at their unit costs). */
export const poTotal = (s: Pick<PurchaseOrderState, "lines">): number =>
  s.lines.reduce((n, l) => n + l.qty * l.unitCost, 0);

/** Most units of a line that may be accepted over the PO's life (ordered + tolerance, whole units). */
export const acceptLimit = (line: Pick<PoLine, "qty">, tolerancePercent: number): number =>
  line.qty + Math.floor((line.qty * tolerancePercent) / 100);

/** What a line still has in transit: ordered minus accepted, while the PO is approved and open. */
export function inTransitOf(s: PurchaseOrderState, line: PoLine): number {
  const open = ["approved", "sent", "partially_received"].includes(s.status);
  return open ? Math.max(0, line.qty - line.accepted) : 0;
}

const time = (t: number | undefined) => (t === undefined ? null : isoTime(t));

export function purchaseOrderView(poId: string, s: PurchaseOrderState) {
  const threshold = s.settings?.approvalThreshold ?? null;
  const total = poTotal(s);
  const receipts = [...s.receipts].map(([receiptId, r]) => {
    const rejected = r.lines.filter((l) => (l.rejectedQty ?? 0) > 0);
    return {
      receiptId,
      receivedAt: isoTime(r.at),
      receivedBy: r.by,
      onTime: r.onTime,
      lines: r.lines.map((l) => ({
        sku: l.sku,
        acceptedQty: l.acceptedQty,
        rejectedQty: l.rejectedQty ?? 0,
        lot: l.lot ?? null,
        producedAt: l.producedAt ?? null,
        expiresAt: l.expiresAt ?? null,
        unitCost: l.unitCost,
      })),
      payable: {
        payableId: `${receiptId}-AP`,
        supplier: s.supplier,
        amount: r.amount,
        status: "open" as const,
      },
      returnToSupplier:
        rejected.length === 0
          ? null
          : {
              returnId: `${receiptId}-RTS`,
              supplier: s.supplier,
              lines: rejected.map((l) => ({
                sku: l.sku,
                qty: l.rejectedQty ?? 0,
                reason: l.rejectReason ?? null,
                lot: l.lot ?? null,
              })),
              amount: rejected.reduce((n, l) => n + (l.rejectedQty ?? 0) * l.unitCost, 0),
            },
    };
  });
  return {
    poId,
    status: s.status,
    supplier: s.supplier,
    warehouse: s.warehouse,
    planId: s.planId,
    expectedAt: s.expectedAt === null ? null : isoTime(s.expectedAt),
    lines: s.lines.map((l) => ({
      sku: l.sku,
      qty: l.qty,
      unitCost: l.unitCost,
      amount: l.qty * l.unitCost,
      acceptedQty: l.accepted,
      rejectedQty: l.rejected,
      inTransit: inTransitOf(s, l),
      maxAcceptable: acceptLimit(l, s.settings?.receiptTolerancePercent ?? 0),
    })),
    total,
    approval: {
      threshold,
      required: threshold !== null && total > threshold ? 2 : 1,
      approvals: s.approvals.map((a) => ({ by: a.by, at: isoTime(a.at) })),
    },
    receiptTolerancePercent: s.settings?.receiptTolerancePercent ?? null,
    receipts,
    payableTotal: receipts.reduce((n, r) => n + r.payable.amount, 0),
    createdBy: s.createdBy,
    createdAt: time(s.times.created),
    submittedAt: time(s.times.submitted),
    approvedAt: time(s.times.approved),
    sentAt: time(s.times.sent),
    closedAt: time(s.times.closed),
    cancelledAt: time(s.times.cancelled),
    endReason: s.endReason,
  };
}
