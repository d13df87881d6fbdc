import { RECEIVING, type ReceiptLine, ZONES, type Zone } from "./commands.ts";
import type { PickStep, PlacedLine } from "./events.ts";
import type { Bin, LotStock, WarehouseState } from "./state.ts";

/**
 * Walking distance from the receiving dock, which sits at the front of aisle 0 (aisle 0, bay 0, level 0):
 * changing aisle costs as much as walking `AISLE_COST` bays (the cross-aisle walk), a level one bay.
 */
export const AISLE_COST = 10;
export const dockDistance = (b: Pick<Bin, "aisle" | "bay" | "level">): number =>
  b.aisle * AISLE_COST + b.bay + b.level;

/** The zones an SKU may be stored in: its attributes, else `ambient`. */
export const allowedZones = (state: WarehouseState, sku: string): Zone[] =>
  state.skuZones.get(sku) ?? ["ambient"];

/** Units each bin holds plus units suggested into it by receipts not yet put away. */
function binLoads(state: WarehouseState): Map<string, { units: number; keys: Set<string> }> {
  const loads = new Map<string, { units: number; keys: Set<string> }>();
  const add = (bin: string, sku: string, lot: string | null, qty: number) => {
    const load = loads.get(bin) ?? { units: 0, keys: new Set<string>() };
    load.units += qty;
    load.keys.add(`${sku}\u0000${lot ?? ""}`);
    loads.set(bin, load);
  };
  for (const s of state.stock.values()) add(s.bin, s.sku, s.lot, s.qty);
  for (const r of state.receipts.values())
    if (r.status === "pending") for (const l of r.lines) add(l.bin, l.sku, l.lot, l.qty);
  return loads;
}

/**
 * Putaway suggestions, line by line (the rule of decision 0027):
 * 1. bins of an allowed zone already holding (or about to hold) the same SKU and lot, nearest the dock
 *    first, filled up to their capacity;
 * 2. then empty bins of an allowed zone, nearest the dock first (ties: bin code);
 * 3. what still does not fit waits in the receiving location (`RECEIVING`).
 * Pending receipts count against capacity, so two receipts are never promised the same space.
 */
export function suggestPutaway(state: WarehouseState, lines: ReceiptLine[]): PlacedLine[] {
  const loads = binLoads(state);
  const out: PlacedLine[] = [];
  const bins = [...state.bins].sort(
    ([a, x], [b, y]) => dockDistance(x) - dockDistance(y) || (a < b ? -1 : a > b ? 1 : 0),
  );
  for (const line of lines) {
    const lot = line.lot ?? null;
    const expiresAt = line.expiresAt ?? null;
    const zones = allowedZones(state, line.sku);
    const key = `${line.sku}\u0000${lot ?? ""}`;
    let left = line.qty;
    const place = (bin: string, room: number) => {
      const qty = Math.min(left, room);
      if (qty <= 0) return;
      out.push({ sku: line.sku, lot, expiresAt, qty, bin });
      const load = loads.get(bin) ?? { units: 0, keys: new Set<string>() };
      load.units += qty;
      load.keys.add(key);
      loads.set(bin, load);
      left -= qty;
    };
    const room = (code: string, bin: Bin) =>
      bin.capacity === null ? Number.POSITIVE_INFINITY : bin.capacity - (loads.get(code)?.units ?? 0);
    for (const [code, bin] of bins) {
      if (left === 0) break;
      if (zones.includes(bin.zone) && loads.get(code)?.keys.has(key)) place(code, room(code, bin));
    }
    for (const [code, bin] of bins) {
      if (left === 0) break;
      if (zones.includes(bin.zone) && (loads.get(code)?.units ?? 0) === 0 && !loads.get(code)?.keys.size)
        place(code, room(code, bin));
    }
    if (left > 0) out.push({ sku: line.sku, lot, expiresAt, qty: left, bin: RECEIVING });
  }
  return out;
}

/** FEFO when any lot of the SKU here carries an expiry date, FIFO otherwise. */
export function pickingRule(state: WarehouseState, sku: string): "FEFO" | "FIFO" {
  for (const s of state.stock.values()) if (s.sku === sku && s.expiresAt !== null) return "FEFO";
  return "FIFO";
}

/**
 * Chooses the lots an order line is picked from: FEFO (earliest expiry first, lots without expiry last)
 * or FIFO (earliest arrival first), then the bin nearest the dock; the receiving location last of all.
 * Only units not promised to another wave and not under suspicion from a short pick are taken.
 * `used` carries what earlier lines of the same decision took.
 */
export function allocateLots(
  state: WarehouseState,
  sku: string,
  qty: number,
  used: Map<string, number>,
): { steps: Array<Omit<PickStep, "orderId">>; missing: number } {
  const fefo = pickingRule(state, sku) === "FEFO";
  const binOf = (s: LotStock) => state.bins.get(s.bin);
  const candidates = [...state.stock.entries()]
    .filter(([, s]) => s.sku === sku && !s.suspect)
    .map(([key, s]) => ({ key, s, free: s.qty - s.allocated - (used.get(key) ?? 0) }))
    .filter((c) => c.free > 0)
    .sort((a, b) => {
      const recvA = a.s.bin === RECEIVING ? 1 : 0;
      const recvB = b.s.bin === RECEIVING ? 1 : 0;
      if (recvA !== recvB) return recvA - recvB;
      if (fefo) {
        const ea = a.s.expiresAt ?? "\uffff";
        const eb = b.s.expiresAt ?? "\uffff";
        if (ea !== eb) return ea < eb ? -1 : 1;
      }
      if (a.s.seq !== b.s.seq) return a.s.seq - b.s.seq;
      const da = binOf(a.s);
      const db = binOf(b.s);
      return (da ? dockDistance(da) : 0) - (db ? dockDistance(db) : 0) || (a.s.bin < b.s.bin ? -1 : 1);
    });
  const steps: Array<Omit<PickStep, "orderId">> = [];
  let left = qty;
  for (const c of candidates) {
    if (left === 0) break;
    const take = Math.min(left, c.free);
    used.set(c.key, (used.get(c.key) ?? 0) + take);
    steps.push({
      bin: c.s.bin,
      sku,
      lot: c.s.lot,
      expiresAt: c.s.expiresAt,
      qty: take,
      zone: binOf(c.s)?.zone ?? "ambient",
    });
    left -= take;
  }
  return { steps, missing: left };
}

interface Located {
  bin: string;
  sku: string;
  lot: string | null;
}

/**
 * Orders pick steps along the pick path (decision 0027):
 * - the receiving location first (it is at the dock);
 * - S-shape over aisles: aisles with steps are visited in ascending number; the first is walked up (from
 *   bay 0), the next down (from past its last bay), alternating;
 * - within an aisle, nearest neighbour: from where the picker entered (bay 0 or one past the aisle's last
 *   bay, level 0), the next step is the unvisited one at the least |Δbay| + |Δlevel|; ties go to the one
 *   further along the walking direction, then the lower level, then bin code, SKU and lot.
 * Steps at the same bin come one after another (distance 0).
 */
export function pickPath<T extends Located>(steps: T[], bins: ReadonlyMap<string, Bin>): T[] {
  const receiving = steps.filter((s) => !bins.has(s.bin));
  const byAisle = new Map<number, T[]>();
  for (const s of steps) {
    const bin = bins.get(s.bin);
    if (!bin) continue;
    const list = byAisle.get(bin.aisle) ?? [];
    list.push(s);
    byAisle.set(bin.aisle, list);
  }
  const lastBay = new Map<number, number>();
  for (const b of bins.values()) lastBay.set(b.aisle, Math.max(lastBay.get(b.aisle) ?? 0, b.bay));
  const tie = (a: T, b: T) =>
    a.bin < b.bin
      ? -1
      : a.bin > b.bin
        ? 1
        : a.sku < b.sku
          ? -1
          : a.sku > b.sku
            ? 1
            : (a.lot ?? "") < (b.lot ?? "")
              ? -1
              : 1;
  const out: T[] = [...receiving.sort(tie)];
  const aisles = [...byAisle.keys()].sort((a, b) => a - b);
  aisles.forEach((aisle, i) => {
    const up = i % 2 === 0;
    let bay = up ? 0 : (lastBay.get(aisle) ?? 0) + 1;
    let level = 0;
    const left = [...byAisle.get(aisle)!];
    while (left.length > 0) {
      let best = 0;
      let bestKey: [number, number, number] | undefined;
      left.forEach((s, j) => {
        const b = bins.get(s.bin)!;
        const dist = Math.abs(b.bay - bay) + Math.abs(b.level - level);
        const along = up ? -(b.bay - bay) : b.bay - bay; // further along the direction sorts first
        const key: [number, number, number] = [dist, along, b.level];
        const better =
          !bestKey ||
          key[0] < bestKey[0] ||
          (key[0] === bestKey[0] &&
            (key[1] < bestKey[1] ||
              (key[1] === bestKey[1] &&
                (key[2] < bestKey[2] || (key[2] === bestKey[2] && tie(s, left[best]!) < 0)))));
        if (better) {
          best = j;
          bestKey = key;
        }
      });
      const next = left.splice(best, 1)[0]!;
      const b = bins.get(next.bin)!;
      bay = b.bay;
      level = b.level;
      out.push(next);
    }
  });
  return out;
}

/** Zones in the order their pick lists come. */
export const ZONE_ORDER: readonly Zone[] = ZONES;
