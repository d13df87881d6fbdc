import { z } from "zod";
import { type BinLayout, RECEIVING, type Zone } from "./commands.ts";
import type { CountDifference, PickStep, PlacedLine, WarehouseEvent } from "./events.ts";

export interface Bin extends Omit<BinLayout, "capacity"> {
  capacity: number | null;
}

/** Units of one SKU and lot in one bin (or the receiving location). */
export interface LotStock {
  bin: string;
  sku: string;
  lot: string | null;
  expiresAt: string | null;
  qty: number;
  /** Units promised to open waves' steps, not picked yet: never promised twice. */
  allocated: number;
  /** Arrival order, for FIFO (and FEFO's tie-break). */
  seq: number;
  /** A short pick found fewer units here than recorded: not allocated again until the bin is counted. */
  suspect?: true;
}

export interface Receipt {
  receiptId: string;
  reference?: string;
  lines: PlacedLine[];
  status: "pending" | "put_away";
  at: number;
  dueAt: number;
  putAwayAt?: number;
}

export type WaveOrderStatus = "picking" | "picked" | "packed" | "handing_over" | "shipped" | "exception";

export interface WaveStepState extends PickStep {
  /** Units confirmed (null: not confirmed yet). */
  picked: number | null;
}

export interface WaveOrder {
  orderId: string;
  lines: Array<{ sku: string; qty: number }>;
  status: WaveOrderStatus;
  /** Picked units waiting for handover (still stock of this warehouse, in the wave's staging). */
  staged: Array<{ sku: string; lot: string | null; qty: number }>;
  exception?: string;
  packCheck?: { weightGrams: number; expectedGrams: number; ok: boolean };
  carrier?: string;
  trackingNo?: string;
}

export interface Wave {
  waveId: string;
  at: number;
  steps: WaveStepState[];
  orders: Map<string, WaveOrder>;
  shortPicks: number;
}

export interface Count {
  countId: string;
  bin: string;
  status: "open" | "awaiting_approval" | "applied";
  differences: CountDifference[];
  reason: string;
  by: string;
  at: number;
}

/** A deferred command waiting for its effects (SKU receipts, adjustments) to be answered. */
export interface Waiting {
  keys: string[];
  reply: unknown;
  failed?: string;
}

/** The warehouse actor's state: its layout, stock per bin and lot, receipts, waves and counts. */
export interface WarehouseState {
  bins: Map<string, Bin>;
  skuZones: Map<string, Zone[]>;
  settings: { countApprovalThreshold: number; packTolerance: number };
  /** Keyed by `stockKey(bin, sku, lot)`. */
  stock: Map<string, LotStock>;
  /** Every SKU that ever had stock here (the invariant checker compares each with its SKU actor). */
  skus: Set<string>;
  receipts: Map<string, Receipt>;
  waves: Map<string, Wave>;
  /** Which wave holds each order (an order is in one open wave at a time). */
  orderWave: Map<string, string>;
  counts: Map<string, Count>;
  /** Outbox entries not answered yet, by effect key → the command id waiting on it (or ""). */
  pending: Map<string, string>;
  waiting: Map<string, Waiting>;
  /** Times of recent confirmed picks (units), for the pick rate: the last hour's are kept. */
  recentPicks: Array<[number, number]>;
  seq: number;
}

export const DEFAULT_SETTINGS = { countApprovalThreshold: 10, packTolerance: 0.05 };
const HOUR_MS = 3_600_000;

export function initialWarehouse(): WarehouseState {
  return {
    bins: new Map(),
    skuZones: new Map(),
    settings: { ...DEFAULT_SETTINGS },
    stock: new Map(),
    skus: new Set(),
    receipts: new Map(),
    waves: new Map(),
    orderWave: new Map(),
    counts: new Map(),
    pending: new Map(),
    waiting: new Map(),
    recentPicks: [],
    seq: 0,
  };
}

export const stockKey = (bin: string, sku: string, lot: string | null): string =>
  `${bin}\u0000${sku}\u0000${lot ?? ""}`;

function addStock(
  state: WarehouseState,
  line: { bin: string; sku: string; lot: string | null; expiresAt: string | null; qty: number },
): void {
  const key = stockKey(line.bin, line.sku, line.lot);
  const held = state.stock.get(key);
  state.skus.add(line.sku);
  if (held) {
    held.qty += line.qty;
    return;
  }
  state.seq += 1;
  state.stock.set(key, { ...line, allocated: 0, seq: state.seq });
}

/** Takes units out of a bin's lot (picked, counted missing); drops the record when nothing is left. */
function takeStock(state: WarehouseState, bin: string, sku: string, lot: string | null, qty: number): void {
  const key = stockKey(bin, sku, lot);
  const held = state.stock.get(key);
  if (!held) return;
  held.qty -= qty;
  if (held.qty <= 0 && held.allocated <= 0) state.stock.delete(key);
}

function allocate(state: WarehouseState, step: PickStep, sign: 1 | -1): void {
  const held = state.stock.get(stockKey(step.bin, step.sku, step.lot));
  if (!held) return;
  held.allocated = Math.max(0, held.allocated + sign * step.qty);
  if (held.qty <= 0 && held.allocated <= 0) state.stock.delete(stockKey(step.bin, step.sku, step.lot));
}

function settleOrder(wave: Wave, orderId: string): void {
  const order = wave.orders.get(orderId);
  if (order?.status !== "picking") return;
  const steps = wave.steps.filter((s) => s.orderId === orderId);
  if (steps.every((s) => s.picked !== null)) order.status = "picked";
}

/** Applies one event. Updates `state` in place (see `ActorKind.apply`) and returns it. */
export function applyWarehouseEvent(state: WarehouseState, event: WarehouseEvent): WarehouseState {
  switch (event.type) {
    case "binSet": {
      const { type: _t, bin, ...layout } = event;
      state.bins.set(bin, layout);
      break;
    }
    case "skuZonesSet":
      state.skuZones.set(event.sku, event.zones);
      break;
    case "configured":
      state.settings = {
        countApprovalThreshold: event.countApprovalThreshold,
        packTolerance: event.packTolerance,
      };
      break;
    case "receiptRegistered":
      state.receipts.set(event.receiptId, {
        receiptId: event.receiptId,
        ...(event.reference ? { reference: event.reference } : {}),
        lines: event.lines,
        status: "pending",
        at: event.at,
        dueAt: event.dueAt,
      });
      break;
    case "putawayConfirmed": {
      const receipt = state.receipts.get(event.receiptId);
      if (receipt) {
        receipt.status = "put_away";
        receipt.putAwayAt = event.at;
        receipt.lines = event.lines;
      }
      for (const line of event.lines) addStock(state, line);
      break;
    }
    case "receivedUnplaced":
      addStock(state, { bin: RECEIVING, sku: event.sku, lot: null, expiresAt: null, qty: event.qty });
      break;
    case "waveCreated": {
      const orders = new Map<string, WaveOrder>();
      for (const o of event.orders) {
        orders.set(o.orderId, { orderId: o.orderId, lines: o.lines, status: "picking", staged: [] });
        state.orderWave.set(o.orderId, event.waveId);
      }
      for (const step of event.steps) allocate(state, step, 1);
      state.waves.set(event.waveId, {
        waveId: event.waveId,
        at: event.at,
        steps: event.steps.map((s) => ({ ...s, picked: null })),
        orders,
        shortPicks: 0,
      });
      break;
    }
    case "picksConfirmed": {
      const wave = state.waves.get(event.waveId);
      if (!wave) break;
      let units = 0;
      for (const pick of event.picks) {
        const step = wave.steps[pick.step];
        if (!step || step.picked !== null) continue;
        step.picked = pick.qty;
        allocate(state, step, -1);
        takeStock(state, step.bin, step.sku, step.lot, pick.qty);
        if (pick.qty < step.qty) {
          wave.shortPicks += 1;
          const held = state.stock.get(stockKey(step.bin, step.sku, step.lot));
          if (held) held.suspect = true;
        }
        units += pick.qty;
        const order = wave.orders.get(step.orderId);
        if (order && pick.qty > 0) {
          const staged = order.staged.find((s) => s.sku === step.sku && s.lot === step.lot);
          if (staged) staged.qty += pick.qty;
          else order.staged.push({ sku: step.sku, lot: step.lot, qty: pick.qty });
        }
      }
      for (const step of event.reallocated) {
        allocate(state, step, 1);
        wave.steps.push({ ...step, picked: null });
      }
      for (const short of event.shorts) {
        const order = wave.orders.get(short.orderId);
        if (order) {
          order.status = "exception";
          order.exception = `short pick: ${short.qty} of ${short.sku} missing (bin ${short.bin})`;
        }
      }
      for (const orderId of wave.orders.keys()) settleOrder(wave, orderId);
      if (units > 0) state.recentPicks.push([event.at, units]);
      state.recentPicks = state.recentPicks.filter(([at]) => at > event.at - HOUR_MS);
      break;
    }
    case "packed": {
      const order = state.waves.get(event.waveId)?.orders.get(event.orderId);
      if (!order) break;
      order.packCheck = { weightGrams: event.weightGrams, expectedGrams: event.expectedGrams, ok: event.ok };
      if (event.ok) order.status = "packed";
      break;
    }
    case "handedOver": {
      const order = state.waves.get(event.waveId)?.orders.get(event.orderId);
      if (!order) break;
      order.status = "handing_over";
      order.carrier = event.carrier;
      order.trackingNo = event.trackingNo;
      break;
    }
    case "handoverSettled": {
      const order = state.waves.get(event.waveId)?.orders.get(event.orderId);
      if (!order) break;
      if (event.ok) {
        order.status = "shipped";
        order.staged = [];
        state.orderWave.delete(event.orderId);
      } else {
        // The goods stay staged (still this warehouse's stock) until an operator sorts it out.
        order.status = "exception";
        order.exception = `handover refused: ${event.message ?? "unknown"}`;
      }
      break;
    }
    case "countOpened":
      state.counts.set(event.countId, {
        countId: event.countId,
        bin: event.bin,
        status: "open",
        differences: [],
        reason: "",
        by: "",
        at: event.at,
      });
      break;
    case "countRecorded": {
      const count = state.counts.get(event.countId);
      if (!count) break;
      count.differences = event.differences;
      count.reason = event.reason;
      count.by = event.by;
      count.status = "awaiting_approval";
      break;
    }
    case "countApplied": {
      const count = state.counts.get(event.countId);
      if (!count) break;
      count.status = "applied";
      for (const s of state.stock.values()) if (s.bin === count.bin) delete s.suspect;
      for (const d of count.differences) {
        if (d.counted > d.expected)
          addStock(state, {
            bin: count.bin,
            sku: d.sku,
            lot: d.lot,
            expiresAt: d.expiresAt,
            qty: d.counted - d.expected,
          });
        else if (d.counted < d.expected) takeStock(state, count.bin, d.sku, d.lot, d.expected - d.counted);
        // Fewer units than open waves were promised: those steps will come up short (and reallocate).
        const held = state.stock.get(stockKey(count.bin, d.sku, d.lot));
        if (held && held.allocated > held.qty) held.suspect = true;
      }
      break;
    }
    case "awaiting":
      state.waiting.set(event.commandId, { keys: event.keys, reply: event.reply });
      for (const key of event.keys) state.pending.set(key, event.commandId);
      break;
    case "effectSettled": {
      const commandId = state.pending.get(event.key);
      state.pending.delete(event.key);
      const waiting = commandId ? state.waiting.get(commandId) : undefined;
      if (commandId && waiting) {
        waiting.keys = waiting.keys.filter((k) => k !== event.key);
        if (!event.ok) waiting.failed = event.message ?? "refused";
        if (waiting.keys.length === 0) state.waiting.delete(commandId);
      }
      break;
    }
  }
  return state;
}

/** Units per SKU over every bin, lot, the receiving location and the waves' staging: the physical stock. */
export function physicalBySku(state: WarehouseState): Map<string, number> {
  const totals = new Map<string, number>();
  for (const sku of state.skus) totals.set(sku, 0);
  for (const s of state.stock.values()) totals.set(s.sku, (totals.get(s.sku) ?? 0) + s.qty);
  for (const wave of state.waves.values())
    for (const order of wave.orders.values())
      for (const s of order.staged) totals.set(s.sku, (totals.get(s.sku) ?? 0) + s.qty);
  return totals;
}

// Snapshots: JSON holds no Map or Set, so maps are written as [key, value] lists.
export function encodeWarehouseState(state: WarehouseState): unknown {
  return {
    ...state,
    bins: [...state.bins],
    skuZones: [...state.skuZones],
    stock: [...state.stock],
    skus: [...state.skus],
    receipts: [...state.receipts],
    waves: [...state.waves].map(([id, w]) => [id, { ...w, orders: [...w.orders] }]),
    orderWave: [...state.orderWave],
    counts: [...state.counts],
    pending: [...state.pending],
    waiting: [...state.waiting],
  };
}

const pairs = z.array(z.tuple([z.string(), z.any()]));

/** Reads what `encodeWarehouseState` wrote. */
export const warehouseStateSchema: z.ZodType<WarehouseState> = z
  .object({
    bins: pairs,
    skuZones: pairs,
    settings: z.object({ countApprovalThreshold: z.number(), packTolerance: z.number() }),
    stock: pairs,
    skus: z.array(z.string()),
    receipts: pairs,
    waves: pairs,
    orderWave: pairs,
    counts: pairs,
    pending: pairs,
    waiting: pairs,
    recentPicks: z.array(z.tuple([z.number(), z.number()])),
    seq: z.number().int(),
  })
  .transform(
    (raw): WarehouseState => ({
      bins: new Map(raw.bins),
      skuZones: new Map(raw.skuZones),
      settings: raw.settings,
      stock: new Map(raw.stock),
      skus: new Set(raw.skus),
      receipts: new Map(raw.receipts),
      waves: new Map(raw.waves.map(([id, w]) => [id, { ...w, orders: new Map(w.orders) }])),
      orderWave: new Map(raw.orderWave),
      counts: new Map(raw.counts),
      pending: new Map(raw.pending),
      waiting: new Map(raw.waiting),
      recentPicks: raw.recentPicks,
      seq: raw.seq,
    }),
  ) as unknown as z.ZodType<WarehouseState>;
