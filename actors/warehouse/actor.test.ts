/**
 * The warehouse actor over real SKU and order instances on one in-memory log: the receiving seam
 * (register → suggested bins → confirm → physical stock), FEFO/FIFO lot choice, short picks, counts and
 * the bin/lot = physical invariant.
 */
import { describe, expect, test } from "bun:test";
import { type InventoryState, skuKind, stockView } from "../inventory/index.ts";
import type { Reply } from "../runtime/index.ts";
import { MemoryCluster } from "../runtime/testing/index.ts";
import { physicalBySku, type WarehouseState, warehouseKind } from "./index.ts";

const T0 = 1_700_000_000_000;
const WH = "WH-1";
let seq = 0;

function world(): MemoryCluster {
  return new MemoryCluster([warehouseKind, skuKind], { clock: T0 });
}

async function send(
  cluster: MemoryCluster,
  cmd: { type: string; [k: string]: unknown },
  by = "op",
): Promise<Reply> {
  seq += 1;
  return cluster.command("warehouse", WH, { id: `c${seq}`, cmd, meta: { by, requestId: `r${seq}` } });
}

async function ok<T = Record<string, unknown>>(
  cluster: MemoryCluster,
  cmd: { type: string; [k: string]: unknown },
  by?: string,
): Promise<T> {
  const reply = await send(cluster, cmd, by);
  if (!reply.ok) throw new Error(`${cmd.type} refused: ${JSON.stringify(reply.error)}`);
  return reply.value as T;
}

async function bins(
  cluster: MemoryCluster,
  layout: Array<[string, string, number, number, number, number?]>,
) {
  for (const [bin, zone, aisle, bay, level, capacity] of layout)
    await ok(cluster, { type: "setBin", bin, zone, aisle, bay, level, ...(capacity ? { capacity } : {}) });
}

const physical = (cluster: MemoryCluster, sku: string) =>
  stockView(sku, cluster.durableState<InventoryState>(skuKind, sku)).warehouses.find(
    (w) => w.warehouse === WH,
  )?.physical ?? 0;

/** The invariant: units over bins, lots, receiving and staging equal each SKU actor's physical stock here. */
async function assertInvariant(cluster: MemoryCluster) {
  await cluster.settle();
  const state = cluster.durableState<WarehouseState>(warehouseKind, WH);
  expect(state.pending.size).toBe(0);
  for (const [sku, qty] of physicalBySku(state))
    expect({ sku, qty }).toEqual({ sku, qty: physical(cluster, sku) });
}

type Putaway = { putaway: Array<{ sku: string; qty: number; bin: string; lot: string | null }> };

describe("the receiving seam", () => {
  test("a receipt gets suggested bins; only the confirmed putaway becomes physical stock", async () => {
    const cluster = world();
    await bins(cluster, [
      ["A-01-01", "ambient", 1, 1, 1, 50],
      ["A-01-02", "ambient", 1, 2, 1, 50],
      ["C-01-01", "chilled", 5, 1, 1, 50],
    ]);
    const reg = await ok<Putaway>(cluster, {
      type: "registerReceipt",
      receiptId: "R-1",
      lines: [{ sku: "SKU-1", qty: 70, lot: "L1", expiresAt: "2027-01-31" }],
    });
    // Nearest empty ambient bin first, filled to capacity, then the next one.
    expect(reg.putaway.map((l) => [l.bin, l.qty])).toEqual([
      ["A-01-01", 50],
      ["A-01-02", 20],
    ]);
    await cluster.settle();
    expect(physical(cluster, "SKU-1")).toBe(0);
    const confirmed = await ok<Putaway & { status: string }>(cluster, {
      type: "confirmPutaway",
      receiptId: "R-1",
    });
    expect(confirmed.status).toBe("put_away");
    // The deferred reply came after the SKU actor received: the next read sees it.
    expect(physical(cluster, "SKU-1")).toBe(70);
    await assertInvariant(cluster);
    const again = await send(cluster, { type: "confirmPutaway", receiptId: "R-1" });
    expect(again.ok).toBe(false);
  });
});
