/**
 * The pure rules of decision 0027 against hand-worked layouts: the pick path (S-shape over aisles,
 * nearest neighbour within an aisle), putaway suggestions and FEFO/FIFO lot choice.
 */
import { describe, expect, test } from "bun:test";
import type { Zone } from "./commands.ts";
import { allocateLots, pickPath, suggestPutaway } from "./layout.ts";
import { applyWarehouseEvent, type Bin, initialWarehouse, type WarehouseState } from "./state.ts";

const bin = (
  aisle: number,
  bay: number,
  level = 1,
  zone: Zone = "ambient",
  capacity: number | null = null,
): Bin => ({
  zone,
  aisle,
  bay,
  level,
  capacity,
});

function layout(bins: Record<string, Bin>): Map<string, Bin> {
  return new Map(Object.entries(bins));
}
const step = (b: string, sku = "S") => ({ bin: b, sku, lot: null });

describe("pick path", () => {
  test("S-shape: aisle 1 walked up, aisle 2 down, aisle 4 up; aisles without steps skipped", () => {
    //  aisle:   1           2           3        4
    //  bays:  1 3 5       2 4 6        (none)    1 6
    const bins = layout({
      "1-1": bin(1, 1),
      "1-3": bin(1, 3),
      "1-5": bin(1, 5),
      "2-2": bin(2, 2),
      "2-4": bin(2, 4),
      "2-6": bin(2, 6),
      "3-1": bin(3, 1),
      "4-1": bin(4, 1),
      "4-6": bin(4, 6),
    });
    const steps = ["4-6", "2-2", "1-5", "2-6", "1-1", "4-1", "1-3", "2-4"].map((b) => step(b));
    expect(pickPath(steps, bins).map((s) => s.bin)).toEqual([
      "1-1",
      "1-3",
      "1-5", // up
      "2-6",
      "2-4",
      "2-2", // down (entered from past bay 6)
      "4-1",
      "4-6", // up again
    ]);
  });

  test("nearest neighbour within an aisle: levels cost like bays, so a same-level bin nearby comes first", () => {
    // Aisle 1, walking up from (bay 0, level 0):
    //   (1, level 3) d=4 · (2, level 1) d=3 → first 2/1; from there (3, level 1) d=1 beats (1, level 3) d=3;
    //   then from 3/1: (1, level 3) d=4, (6, level 1) d=3 → 6/1; then back to 1/3 (the only one left).
    const bins = layout({ a: bin(1, 1, 3), b: bin(1, 2, 1), c: bin(1, 3, 1), d: bin(1, 6, 1) });
    expect(
      pickPath(
        ["a", "b", "c", "d"].map((b) => step(b)),
        bins,
      ).map((s) => s.bin),
    ).toEqual(["b", "c", "d", "a"]);
  });

  test("ties go further along the walking direction; the receiving location comes first; same bin together", () => {
    // From bay 5 (after picking it), bays 4 and 6 are both 1 away: walking up, 6 first.
    const bins = layout({ b4: bin(1, 4), b5: bin(1, 5), b6: bin(1, 6) });
    const steps = [step("b4"), step("b5"), step("b6"), step("RECEIVING"), step("b5", "T")];
    expect(pickPath(steps, bins).map((s) => `${s.bin}/${s.sku}`)).toEqual([
      "RECEIVING/S",
      "b4/S", // nearest from bay 0
      "b5/S",
      "b5/T",
      "b6/S",
    ]);
  });
});

function stateWith(bins: Record<string, Bin>): WarehouseState {
  const state = initialWarehouse();
  for (const [code, b] of Object.entries(bins)) {
    applyWarehouseEvent(state, {
      type: "binSet",
      bin: code,
      zone: b.zone,
      aisle: b.aisle,
      bay: b.bay,
      level: b.level,
      capacity: b.capacity,
    });
  }
  return state;
}

function put(
  state: WarehouseState,
  receiptId: string,
  lines: Array<{ sku: string; qty: number; lot?: string; expiresAt?: string }>,
) {
  const placed = suggestPutaway(state, lines);
  applyWarehouseEvent(state, { type: "receiptRegistered", receiptId, lines: placed, at: 0, dueAt: 0 });
  applyWarehouseEvent(state, { type: "putawayConfirmed", receiptId, lines: placed, at: 0 });
  return placed;
}

describe("putaway", () => {
  test("same SKU and lot first (up to capacity), then the nearest empty bin of an allowed zone, then RECEIVING", () => {
    const state = stateWith({
      near: bin(1, 1, 1, "ambient", 10),
      far: bin(3, 9, 1, "ambient", 10),
      mid: bin(2, 1, 1, "ambient", 10),
      cold: bin(1, 2, 1, "chilled", 100),
    });
    expect(put(state, "R1", [{ sku: "A", qty: 4, lot: "L1" }]).map((l) => [l.bin, l.qty])).toEqual([
      ["near", 4],
    ]);
    // Same lot tops up `near` (6 left there), the rest to the nearest empty ambient bin (`mid`, not `far`).
    expect(put(state, "R2", [{ sku: "A", qty: 10, lot: "L1" }]).map((l) => [l.bin, l.qty])).toEqual([
      ["near", 6],
      ["mid", 4],
    ]);
    // Another lot never shares a bin with a different lot: `far` is the only empty one left, then RECEIVING.
    expect(put(state, "R3", [{ sku: "A", qty: 15, lot: "L2" }]).map((l) => [l.bin, l.qty])).toEqual([
      ["far", 10],
      ["RECEIVING", 5],
    ]);
    // A chilled-only SKU goes to the chilled bin.
    state.skuZones.set("MILK", ["chilled"]);
    expect(put(state, "R4", [{ sku: "MILK", qty: 7 }]).map((l) => l.bin)).toEqual(["cold"]);
  });
});

describe("lot choice", () => {
  test("FEFO: the earliest expiry first, whatever arrived first; FIFO for SKUs without expiry", () => {
    const state = stateWith({ a: bin(1, 1), b: bin(1, 2), c: bin(1, 3), d: bin(1, 4), e: bin(1, 5) });
    put(state, "R1", [{ sku: "M", qty: 5, lot: "LATE", expiresAt: "2027-06-01" }]);
    put(state, "R2", [{ sku: "M", qty: 5, lot: "EARLY", expiresAt: "2027-01-01" }]);
    put(state, "R3", [{ sku: "M", qty: 5, lot: "MID", expiresAt: "2027-03-01" }]);
    const fefo = allocateLots(state, "M", 8, new Map());
    expect(fefo.steps.map((s) => [s.lot, s.qty])).toEqual([
      ["EARLY", 5],
      ["MID", 3],
    ]);
    put(state, "R4", [{ sku: "N", qty: 3, lot: "FIRST" }]);
    put(state, "R5", [{ sku: "N", qty: 3, lot: "SECOND" }]);
    const fifo = allocateLots(state, "N", 4, new Map());
    expect(fifo.steps.map((s) => [s.lot, s.qty])).toEqual([
      ["FIRST", 3],
      ["SECOND", 1],
    ]);
    expect(allocateLots(state, "N", 7, new Map()).missing).toBe(1);
  });
});
