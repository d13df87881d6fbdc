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

/** A small deterministic PRNG, so a failing seed can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

describe("bin/lot = physical under concurrency", () => {
  for (const seed of [1, 7, 42, 1234, 98765]) {
    test(`seed ${seed}: concurrent receipts, putaways, waves, picks (some short), counts and crashes keep the invariant`, async () => {
      const rand = rng(seed);
      const cluster = world();
      await bins(cluster, [
        ["A-1", "ambient", 1, 1, 1, 40],
        ["A-2", "ambient", 1, 2, 1, 40],
        ["B-1", "ambient", 2, 1, 1, 40],
        ["B-2", "ambient", 2, 3, 2, 40],
      ]);
      const skus = ["P", "Q", "R"];
      let receipts = 0;
      let waves = 0;
      let orders = 0;
      const allocatedOk = () => {
        const state = cluster.durableState<WarehouseState>(warehouseKind, WH);
        for (const s of state.stock.values()) {
          expect(s.qty).toBeGreaterThanOrEqual(0);
          if (!s.suspect) expect(s.allocated).toBeLessThanOrEqual(s.qty);
        }
      };
      for (let round = 0; round < 6; round++) {
        const ops: Array<Promise<unknown>> = [];
        for (let i = 0; i < 8; i++) {
          const sku = skus[rand(skus.length)]!;
          switch (rand(5)) {
            case 0:
            case 1: {
              receipts += 1;
              const receiptId = `R-${receipts}`;
              ops.push(
                send(cluster, {
                  type: "registerReceipt",
                  receiptId,
                  lines: [
                    { sku, qty: 1 + rand(20), lot: `L${rand(3)}`, expiresAt: `2027-0${1 + rand(9)}-01` },
                  ],
                }).then(() => send(cluster, { type: "confirmPutaway", receiptId })),
              );
              break;
            }
            case 2:
              ops.push(send(cluster, { type: "receiveUnplaced", sku, qty: 1 + rand(5) }));
              break;
            case 3: {
              waves += 1;
              orders += 1;
              const waveId = `W-${waves}`;
              ops.push(
                send(cluster, {
                  type: "createWave",
                  waveId,
                  orders: [{ orderId: `O-${orders}`, lines: [{ sku, qty: 1 + rand(6) }] }],
                }).then(async (reply) => {
                  if (!reply.ok) return;
                  const steps = (
                    reply.value as { pickLists: Array<{ steps: Array<{ step: number; qty: number }> }> }
                  ).pickLists.flatMap((l) => l.steps);
                  // Sometimes a short pick; sometimes the owner crashes between the wave and the pick.
                  if (rand(3) === 0) cluster.crash("warehouse", WH);
                  await send(cluster, {
                    type: "confirmPicks",
                    waveId,
                    picks: steps.map((s) => ({
                      step: s.step,
                      qty: rand(4) === 0 ? Math.max(0, s.qty - 1) : s.qty,
                    })),
                  });
                }),
              );
              break;
            }
            default: {
              const bin = ["A-1", "A-2", "B-1", "B-2"][rand(4)]!;
              const countId = `C-${round}-${i}`;
              ops.push(
                send(cluster, { type: "openCount", countId, bin }).then(async () => {
                  const state = cluster.durableState<WarehouseState>(warehouseKind, WH);
                  const lines = [...state.stock.values()]
                    .filter((s) => s.bin === bin)
                    .map((s) => ({
                      sku: s.sku,
                      ...(s.lot ? { lot: s.lot } : {}),
                      qty: Math.max(0, s.qty - rand(2)),
                    }));
                  await send(cluster, { type: "recordCount", countId, lines });
                }),
              );
            }
          }
        }
        if (rand(2) === 0) cluster.crash("warehouse", WH);
        await Promise.all(ops);
        await assertInvariant(cluster);
        allocatedOk();
      }
      const state = cluster.durableState<WarehouseState>(warehouseKind, WH);
      // Something happened: stock was received, put away, picked and counted.
      expect(state.skus.size).toBeGreaterThan(0);
      const types = cluster.events("warehouse", WH).map((e) => e.type);
      for (const type of ["putawayConfirmed", "receivedUnplaced", "picksConfirmed", "countApplied"])
        expect({ type, seen: types.includes(type) }).toEqual({ type, seen: true });
    });
  }
});

describe("outside ids are only ids", () => {
  test("bins, SKUs, lots, receipts and counts named constructor, valueOf and toString (`__proto__` is no valid id) behave like any other", async () => {
    const cluster = world();
    await bins(cluster, [
      ["constructor", "ambient", 1, 1, 1, 100],
      ["valueOf", "ambient", 1, 2, 1, 100],
    ]);
    const reg = await ok<Putaway>(cluster, {
      type: "registerReceipt",
      receiptId: "toString",
      lines: [
        { sku: "valueOf", qty: 5, lot: "constructor" },
        { sku: "toString", qty: 3 },
      ],
    });
    expect(reg.putaway.map((l) => [l.sku, l.bin, l.qty])).toEqual([
      ["valueOf", "constructor", 5],
      ["toString", "valueOf", 3],
    ]);
    await ok(cluster, { type: "confirmPutaway", receiptId: "toString" });
    expect(physical(cluster, "valueOf")).toBe(5);
    expect(
      (
        await send(cluster, {
          type: "registerReceipt",
          receiptId: "constructor",
          lines: [{ sku: "hasOwnProperty", qty: 1 }],
        })
      ).ok,
    ).toBe(true);
    await ok(cluster, { type: "openCount", countId: "valueOf", bin: "constructor" });
    const counted = await ok<{ status: string }>(cluster, {
      type: "recordCount",
      countId: "valueOf",
      lines: [{ sku: "valueOf", lot: "constructor", qty: 4 }],
    });
    expect(counted.status).toBe("applied");
    expect(physical(cluster, "valueOf")).toBe(4);
    await assertInvariant(cluster);
  });
});
