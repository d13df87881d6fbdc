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
  version: number;
  at: Date;
}

/** Stock per SKU and warehouse, and the stock ledger: every movement with its cause. */
export const inventoryProjection: ReadModelProjection = {
  name: "inventory",
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    const ledger: LedgerRow[] = [];
    const deltas = new Map<string, StockDelta>();
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "sku") continue;
      const at = new Date(batch.at);
      let eventIndex = 0;
      let idx = 0;
      for (const cmd of batch.cmds) {
        for (let k = 0; k < cmd.n; k++) {
          const event = batch.ev[eventIndex++] as InventoryEvent;
          for (const move of stockMovement(event)) {
            const key = `${ref.id}\u0000${move.warehouse}`;
            const d = deltas.get(key) ?? {
              sku: ref.id,
              warehouse: move.warehouse,
              physical: 0,
              reserved: 0,
              in_transit: 0,
              safety: undefined,
              version: seq,
              at,
            };
            d.physical += move.physical;
            d.reserved += move.reserved;
            d.in_transit += move.inTransit;
            if (move.safetyStock !== undefined) d.safety = move.safetyStock;
            d.version = seq;
            d.at = at;
            deltas.set(key, d);
            ledger.push({
              seq,
              idx: idx++,
              sku: ref.id,
              warehouse: move.warehouse,
              movement: move.movement,
              physical_delta: move.physical,
              reserved_delta: move.reserved,
              in_transit_delta: move.inTransit,
              order_id: move.orderId ?? null,
              reference: move.reference ?? null,
              reason: move.reason ?? null,
              principal: cmd.by ?? null,
              request_id: cmd.rid ?? null,
              at,
            });
          }
        }
      }
    }
    const upserts: Promise<unknown>[] = [];
    for (const d of deltas.values()) {
      // The version guard makes a replayed batch a no-op even if an offset were ever lost.
      upserts.push(tx`
        INSERT INTO inventory_stock (sku, warehouse, physical, reserved, in_transit, safety_stock, version, updated_at)
        VALUES (${d.sku}, ${d.warehouse}, ${d.physical}, ${d.reserved}, ${d.in_transit}, ${d.safety ?? 0},
                ${d.version}, ${d.at})
        ON CONFLICT (sku, warehouse) DO UPDATE SET
          physical = inventory_stock.physical + EXCLUDED.physical,
          reserved = inventory_stock.reserved + EXCLUDED.reserved,
          in_transit = inventory_stock.in_transit + EXCLUDED.in_transit,
          safety_stock = ${d.safety === undefined ? tx`inventory_stock.safety_stock` : tx`EXCLUDED.safety_stock`},
          version = EXCLUDED.version,
          updated_at = EXCLUDED.updated_at
        WHERE inventory_stock.version < EXCLUDED.version`);
    }
    await Promise.all(upserts);
    for (let i = 0; i < ledger.length; i += 1_000) {
      await tx`INSERT INTO stock_ledger ${tx(ledger.slice(i, i + 1_000))} ON CONFLICT DO NOTHING`;
    }
  },
};
