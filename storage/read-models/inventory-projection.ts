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
  at: string;
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
      const at = new Date(batch.at).toISOString();
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
    await applyMovements(tx, movements);
  },
};

const column = <K extends keyof LedgerRow>(movements: Movement[], key: K): LedgerRow[K][] =>
  movements.map((m) => m.row[key]);

/**
 * The whole flush in one statement of a fixed shape (one array per column, whatever the row count): it
 * is prepared once per connection and costs one round trip. The ledger insert decides what counts:
 * only the rows it inserts now (`fresh`) move the stock, so a replayed movement moves nothing. Per SKU
 * and warehouse the deltas add up; the safety stock and `updated_at` come from the newest movement
 * `(seq, idx)` that carries them, and the upsert keeps a newer stored level.
 */
async function applyMovements(tx: ProjectionTx, movements: Movement[]): Promise<void> {
  await tx`
    WITH input AS (
      SELECT * FROM unnest(
        ${column(movements, "seq")}::bigint[], ${column(movements, "idx")}::int[],
        ${column(movements, "sku")}::text[], ${column(movements, "warehouse")}::text[],
        ${column(movements, "movement")}::text[], ${column(movements, "physical_delta")}::bigint[],
        ${column(movements, "reserved_delta")}::bigint[], ${column(movements, "in_transit_delta")}::bigint[],
        ${column(movements, "order_id")}::text[], ${column(movements, "reference")}::text[],
        ${column(movements, "reason")}::text[], ${column(movements, "principal")}::text[],
        ${column(movements, "request_id")}::text[], ${column(movements, "at")}::timestamptz[],
        ${movements.map((m) => m.safety ?? null)}::bigint[]
      ) AS t(seq, idx, sku, warehouse, movement, physical_delta, reserved_delta, in_transit_delta, order_id,
             reference, reason, principal, request_id, at, safety)
    ), fresh AS (
      INSERT INTO stock_ledger (seq, idx, sku, warehouse, movement, physical_delta, reserved_delta,
                                in_transit_delta, order_id, reference, reason, principal, request_id, at)
      SELECT seq, idx, sku, warehouse, movement, physical_delta, reserved_delta, in_transit_delta, order_id,
             reference, reason, principal, request_id, at FROM input
      ON CONFLICT DO NOTHING
      RETURNING seq, idx
    ), moved AS (
      SELECT i.* FROM input i JOIN fresh f ON f.seq = i.seq AND f.idx = i.idx
    ), deltas AS (
      SELECT sku, warehouse,
        sum(physical_delta) AS physical, sum(reserved_delta) AS reserved, sum(in_transit_delta) AS in_transit,
        (array_agg(safety ORDER BY seq DESC, idx DESC) FILTER (WHERE safety IS NOT NULL))[1] AS safety,
        COALESCE(max(seq) FILTER (WHERE safety IS NOT NULL), 0) AS safety_version,
        max(seq) AS version,
        (array_agg(at ORDER BY seq DESC, idx DESC))[1] AS at
      FROM moved GROUP BY sku, warehouse
    )
    INSERT INTO inventory_stock (sku, warehouse, physical, reserved, in_transit, safety_stock, safety_version,
                                 version, updated_at)
    SELECT sku, warehouse, physical, reserved, in_transit, COALESCE(safety, 0), safety_version, version, at
    FROM deltas ORDER BY sku, warehouse
    ON CONFLICT (sku, warehouse) DO UPDATE SET
      physical = inventory_stock.physical + EXCLUDED.physical,
      reserved = inventory_stock.reserved + EXCLUDED.reserved,
      in_transit = inventory_stock.in_transit + EXCLUDED.in_transit,
      -- A movement without a level has safety_version 0 here: never newer than the stored one.
      safety_stock = CASE WHEN EXCLUDED.safety_version > inventory_stock.safety_version
                          THEN EXCLUDED.safety_stock ELSE inventory_stock.safety_stock END,
      safety_version = GREATEST(inventory_stock.safety_version, EXCLUDED.safety_version),
      version = GREATEST(inventory_stock.version, EXCLUDED.version),
      updated_at = CASE WHEN EXCLUDED.version > inventory_stock.version THEN EXCLUDED.updated_at
                        ELSE inventory_stock.updated_at END`;
}
