import type { InventoryEvent } from "../../actors/inventory/index.ts";
import {
  type PurchaseOrderEvent,
  type SupplierEvent,
  suggestPurchase,
} from "../../actors/purchasing/index.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";
import { planInputs } from "./plan-inputs.ts";
import { insertPlan } from "./plan-store.ts";

/**
 * Suppliers, their SKU listings, purchase orders, payables and returns, projected from the supplier and
 * purchase-order actors' events (rows guarded by version = log sequence). A SKU's `lowStock` event opens a
 * purchase plan for that SKU and warehouse (trigger `low_stock`; id from the event's log position, so the
 * projector opens it once) unless an open plan already has a line for it.
 */
export const purchasingProjection: ReadModelProjection = {
  name: "purchasing",
  orderSensitive: ["supplier", "purchase-order"],
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    for (const { seq, ref, batch } of batches) {
      if (ref.kind === "supplier")
        for (const e of batch.ev as SupplierEvent[]) await applySupplier(tx, ref.id, seq, e);
      else if (ref.kind === "purchase-order")
        for (const e of batch.ev as PurchaseOrderEvent[]) await applyOrder(tx, ref.id, seq, e);
      else if (ref.kind === "sku") {
        let idx = 0;
        for (const e of batch.ev as InventoryEvent[]) {
          if (e.type === "lowStock") await openLowStockPlan(tx, ref.id, seq, idx, e, batch.at);
          idx += 1;
        }
      }
    }
  },
};

async function applySupplier(tx: ProjectionTx, code: string, seq: number, e: SupplierEvent) {
  const at = new Date(e.at);
  switch (e.type) {
    case "profileSet":
      await tx`INSERT INTO suppliers (code, name, status, updated_at, version)
        VALUES (${code}, ${e.name}, 'pending', ${at}, ${seq})
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version
        WHERE suppliers.version < EXCLUDED.version`;
      if (e.skus) {
        await tx`DELETE FROM supplier_skus WHERE supplier = ${code}`;
        if (e.skus.length > 0)
          await tx`INSERT INTO supplier_skus ${tx(
            e.skus.map((k) => ({ supplier: code, sku: k.sku, cost: k.cost, lead_time_days: k.leadTimeDays })),
          )}`;
      }
      return;
    case "reviewed":
      await tx`UPDATE suppliers SET status = ${e.status}, updated_at = ${at}, version = ${seq}
        WHERE code = ${code} AND version < ${seq}`;
      return;
    case "receiptRecorded":
      await tx`UPDATE suppliers SET receipts = receipts + 1, updated_at = ${at}, version = ${seq}
        WHERE code = ${code} AND version < ${seq}`;
      return;
  }
}

const STATUS_AFTER: Partial<Record<PurchaseOrderEvent["type"], string>> = {
  submitted: "submitted",
  approved: "approved",
  sent: "sent",
  closed: "closed",
  cancelled: "cancelled",
};

async function applyOrder(tx: ProjectionTx, poId: string, seq: number, e: PurchaseOrderEvent) {
  if (e.type === "awaiting" || e.type === "effectDone") return;
  const at = new Date(e.at);
  if (e.type === "created") {
    const total = e.lines.reduce((n, l) => n + l.qty * l.unitCost, 0);
    await tx`INSERT INTO purchase_orders (po_id, supplier, warehouse, status, total, plan_id, expected_at, created_at, updated_at, version)
      VALUES (${poId}, ${e.supplier}, ${e.warehouse}, 'draft', ${total}, ${e.planId},
        ${e.expectedAt === null ? null : new Date(e.expectedAt)}, ${at}, ${at}, ${seq})
      ON CONFLICT (po_id) DO NOTHING`;
    return;
  }
  if (e.type === "receiptRecorded") {
    const [po] = await tx`SELECT supplier FROM purchase_orders WHERE po_id = ${poId}`;
    const supplier = (po?.supplier as string | undefined) ?? "";
    await tx`INSERT INTO purchase_payables (payable_id, receipt_id, po_id, supplier, amount, created_at)
      VALUES (${`${e.receiptId}-AP`}, ${e.receiptId}, ${poId}, ${supplier}, ${e.amount}, ${at})
      ON CONFLICT (payable_id) DO NOTHING`;
    const rejected = e.lines.filter((l) => (l.rejectedQty ?? 0) > 0);
    if (rejected.length > 0)
      await tx`INSERT INTO purchase_returns (return_id, receipt_id, po_id, supplier, lines, amount, created_at)
        VALUES (${`${e.receiptId}-RTS`}, ${e.receiptId}, ${poId}, ${supplier},
          ${tx.json(rejected.map((l) => ({ sku: l.sku, qty: l.rejectedQty ?? 0, lot: l.lot ?? null, reason: l.rejectReason ?? null })))},
          ${rejected.reduce((n, l) => n + (l.rejectedQty ?? 0) * l.unitCost, 0)}, ${at})
        ON CONFLICT (return_id) DO NOTHING`;
    await tx`UPDATE purchase_orders SET status = ${e.status}, updated_at = ${at}, version = ${seq}
      WHERE po_id = ${poId} AND version < ${seq}`;
    return;
  }
  const status = STATUS_AFTER[e.type];
  if (status)
    await tx`UPDATE purchase_orders SET status = ${status}, updated_at = ${at}, version = ${seq}
      WHERE po_id = ${poId} AND version < ${seq}`;
}

async function openLowStockPlan(
  tx: ProjectionTx,
  sku: string,
  seq: number,
  idx: number,
  e: Extract<InventoryEvent, { type: "lowStock" }>,
  at: number,
) {
  const [open] = await tx`SELECT 1 FROM purchase_plan_lines l JOIN purchase_plans p ON p.plan_id = l.plan_id
    WHERE p.status = 'open' AND p.warehouse = ${e.warehouse} AND l.sku = ${sku} AND l.status <> 'dropped' LIMIT 1`;
  if (open) return;
  const [input] = await planInputs(tx, e.warehouse, [sku], { now: at });
  if (!input) return;
  // The event's own figures: the stock read model may not have applied this batch yet.
  const line = suggestPurchase({ ...input, sellable: e.sellable, safetyStock: e.safetyStock });
  if (line.suggestedQty === 0) return;
  await insertPlan(tx, {
    planId: `LS${seq}-${idx}`,
    warehouse: e.warehouse,
    trigger: "low_stock",
    by: "system:low-stock",
    at: new Date(at),
    lines: [line],
  });
}
