import { type InventoryEvent, stockMovement } from "../../actors/inventory/index.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

interface LedgerRow {
  seq: number;
  idx: number;
  sku: string;
  warehouse: string;
  movement: string;
  physical_delta: number;
  reserved_delta: number;
  in_transit_delta: number;
  order_id: string | null;
  reference: string | null;
  reason: string | null;
  principal: string | null;
  request_id: string | null;
  at: Date;
}

interface StockDelta {
  sku: string;
  warehouse: string;
  physical: number;
  reserved: number;
  in_transit: number;
  safety: number | undefined;
  safety_version: number;
  version: number;
  at: Date;
}

/** One movement and the ledger row that makes it count once. */
interface Movement {
  row: LedgerRow;
  safety: number | undefined;
}

/**
 * Stock per SKU and warehouse, and the stock ledger: every movement with its cause. A movement moves the
 * stock exactly when its ledger row `(seq, idx)` is inserted, so applying a batch twice moves nothing,
 * and applying an older event after newer ones (a parked event retried) still adds its delta; the
 * safety stock, a level, is taken only from a change newer than the one that set it.
 */
export const inventoryProjection: ReadModelProjection = {
  name: "inventory",
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    const movements: Movement[] = [];
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "sku") continue;
      const at = new Date(batch.at);
      let eventIndex = 0;
      let idx = 0;
      for (const cmd of batch.cmds) {
        for (let k = 0; k < cmd.n; k++) {
          const event = batch.ev[eventIndex++] as InventoryEvent;
          for (const move of stockMovement(event)) {
            movements.push({
              safety: move.safetyStock,
              row: {
                seq,
                idx: idx++,
                sku: ref.id,
                warehouse: move.warehouse,
                movement: move.movement,
                physical_delta: move.physical,
                // Campaign allocations are held stock here (the generated `sellable` column stays right).
                reserved_delta: move.reserved + move.allocated,
                in_transit_delta: move.inTransit,
                order_id: move.orderId ?? null,
                reference: move.reference ?? null,
                reason: move.reason ?? null,
                principal: cmd.by ?? null,
                request_id: cmd.rid ?? null,
                at,
              },
            });
          }
        }
      }
    }
    if (movements.length === 0) return;
    // Only the rows inserted now count: a movement already in the ledger already moved the stock.
    const inserted = new Set<string>();
    for (let i = 0; i < movements.length; i += 1_000) {
      const rows = movements.slice(i, i + 1_000).map((m) => m.row);
      const fresh = await tx`INSERT INTO stock_ledger ${tx(rows)} ON CONFLICT DO NOTHING RETURNING seq, idx`;
      for (const r of fresh) inserted.add(`${r.seq}:${r.idx}`);
    }
    const deltas = new Map<string, StockDelta>();
    for (const { row, safety } of movements) {
      if (!inserted.has(`${row.seq}:${row.idx}`)) continue;
      const key = `${row.sku}\u0000${row.warehouse}`;
      const d = deltas.get(key) ?? {
        sku: row.sku,
        warehouse: row.warehouse,
        physical: 0,
        reserved: 0,
        in_transit: 0,
        safety: undefined,
        safety_version: 0,
        version: row.seq,
        at: row.at,
      };
      d.physical += row.physical_delta;
      d.reserved += row.reserved_delta;
      d.in_transit += row.in_transit_delta;
      if (safety !== undefined && row.seq >= d.safety_version) {
        d.safety = safety;
        d.safety_version = row.seq;
      }
      if (row.seq >= d.version) {
        d.version = row.seq;
        d.at = row.at;
      }
      deltas.set(key, d);
    }
    const upserts: Promise<unknown>[] = [];
    for (const d of deltas.values()) {
      const newerSafety = tx`EXCLUDED.safety_version > inventory_stock.safety_version`;
      upserts.push(tx`
        INSERT INTO inventory_stock (sku, warehouse, physical, reserved, in_transit, safety_stock, safety_version,
                                     version, updated_at)
        VALUES (${d.sku}, ${d.warehouse}, ${d.physical}, ${d.reserved}, ${d.in_transit}, ${d.safety ?? 0},
                ${d.safety_version}, ${d.version}, ${d.at})
        ON CONFLICT (sku, warehouse) DO UPDATE SET
          physical = inventory_stock.physical + EXCLUDED.physical,
          reserved = inventory_stock.reserved + EXCLUDED.reserved,
          in_transit = inventory_stock.in_transit + EXCLUDED.in_transit,
          safety_stock = ${d.safety === undefined ? tx`inventory_stock.safety_stock` : tx`CASE WHEN ${newerSafety} THEN EXCLUDED.safety_stock ELSE inventory_stock.safety_stock END`},
          safety_version = GREATEST(inventory_stock.safety_version, EXCLUDED.safety_version),
          version = GREATEST(inventory_stock.version, EXCLUDED.version),
          updated_at = CASE WHEN EXCLUDED.version > inventory_stock.version THEN EXCLUDED.updated_at
                            ELSE inventory_stock.updated_at END`);
    }
    await Promise.all(upserts);
  },
};
