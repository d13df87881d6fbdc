import { z } from "zod";
import { mapEntries, mapSchema } from "../shared/index.ts";
import type { InventoryEvent, ReservationLine } from "./events.ts";
import { stockMovement } from "./movements.ts";

export interface WarehouseStock {
  physical: number;
  reserved: number;
  inTransit: number;
  /** Set aside for flash-sale campaigns (decision 0023): on hand, not sellable. */
  allocated: number;
  safetyStock: number;
}

/** A flash-sale campaign's allocation: the units it still holds per warehouse; closed once it ended. */
export interface Allocation {
  lines: ReservationLine[];
  open: boolean;
}

/** Keyed by ids from outside, so `Map`s: an order id `constructor` is just an order id (see `mapSchema`). */
export interface InventoryState {
  warehouses: Map<string, WarehouseStock>;
  /** Open reservations by order id. */
  reservations: Map<
    string,
    { lines: ReservationLine[]; userId?: string; hold?: true; fp?: string; campaignId?: string }
  >;
  /** Flash-sale campaigns' allocations by campaign id (decision 0023). */
  allocations: Map<string, Allocation>;
  /**
   * Units held or bought per buyer, for every reservation made with a user id, whether or not a limit was
   * set at the time (a limit counts from the start). Reservations recorded before buyers were always
   * counted (events without `userId`) are not in it.
   */
  perUser: Map<string, number>;
  /** Operator-set: units one buyer may hold or have bought (counted over the SKU's whole history). */
  maxPerUser?: number;
  /** How closed reservations ended, so a late release of a shipped order is a conflict, not a 404. */
  closed: Map<string, "released" | "committed">;
}

const stockSchema = z.object({
  physical: z.number().int(),
  reserved: z.number().int().min(0),
  inTransit: z.number().int().min(0),
  allocated: z.number().int().min(0).default(0),
  safetyStock: z.number().int().min(0),
});
const linesSchema = z.array(z.object({ warehouse: z.string(), qty: z.number().int() }));

/**
 * The SKU actor's state as a snapshot holds it, checked when a snapshot is restored. Reads both the
 * `[key, value]` lists `encodeInventoryState` writes and the plain objects of older snapshots.
 */
export const inventoryStateSchema: z.ZodType<InventoryState> = z.object({
  warehouses: mapSchema(stockSchema),
  reservations: mapSchema(
    z.object({
      lines: linesSchema,
      userId: z.string().optional(),
      hold: z.literal(true).optional(),
      fp: z.string().optional(),
      campaignId: z.string().optional(),
    }),
  ),
  allocations: mapSchema(z.object({ lines: linesSchema, open: z.boolean() }))
    .optional()
    .transform((m) => m ?? new Map<string, Allocation>()),
  perUser: mapSchema(z.number().int())
    .optional()
    .transform((m) => m ?? new Map<string, number>()),
  maxPerUser: z.number().int().positive().optional(),
  closed: mapSchema(z.enum(["released", "committed"])),
});

/** The snapshot form of the state: JSON cannot hold a `Map`. */
export function encodeInventoryState(state: InventoryState): unknown {
  return {
    warehouses: mapEntries(state.warehouses),
    reservations: mapEntries(state.reservations),
    perUser: mapEntries(state.perUser),
    allocations: mapEntries(state.allocations),
    closed: mapEntries(state.closed),
    ...(state.maxPerUser !== undefined ? { maxPerUser: state.maxPerUser } : {}),
  };
}

export function initialInventory(): InventoryState {
  return {
    warehouses: new Map(),
    reservations: new Map(),
    perUser: new Map(),
    allocations: new Map(),
    closed: new Map(),
  };
}

const empty = (): WarehouseStock => ({
  physical: 0,
  reserved: 0,
  inTransit: 0,
  allocated: 0,
  safetyStock: 0,
});

/** Units that can be promised to a new order: on hand, minus held, minus campaigns' units, minus the safety hold. */
export function sellable(stock: WarehouseStock): number {
  return Math.max(0, stock.physical - stock.reserved - (stock.allocated ?? 0) - stock.safetyStock);
}

function at(state: InventoryState, warehouse: string): WarehouseStock {
  let stock = state.warehouses.get(warehouse);
  if (!stock) {
    stock = empty();
    state.warehouses.set(warehouse, stock);
  }
  return stock;
}

/** Applies one event. Updates `state` in place (see `ActorKind.apply`) and returns it. */
export function applyInventoryEvent(state: InventoryState, event: InventoryEvent): InventoryState {
  // Stock figures move by the one shared rule; this function keeps only what the actor itself remembers.
  for (const move of stockMovement(event)) {
    const stock = at(state, move.warehouse);
    stock.physical += move.physical;
    stock.reserved += move.reserved;
    stock.inTransit += move.inTransit;
    stock.allocated = (stock.allocated ?? 0) + move.allocated;
    if (move.safetyStock !== undefined) stock.safetyStock = move.safetyStock;
  }
  switch (event.type) {
    case "reserved":
      state.reservations.set(event.orderId, {
        lines: event.lines,
        ...(event.userId ? { userId: event.userId } : {}),
        ...(event.hold ? { hold: true as const } : {}),
        ...(event.fp ? { fp: event.fp } : {}),
        ...(event.campaignId ? { campaignId: event.campaignId } : {}),
      });
      if (event.campaignId) moveAllocation(state, event.campaignId, event.lines, -1);
      if (event.userId)
        state.perUser.set(event.userId, (state.perUser.get(event.userId) ?? 0) + totalQty(event.lines));
      break;
    case "released":
      if (event.toCampaign) moveAllocation(state, event.toCampaign, event.lines, 1);
      releaseBuyer(state, event.orderId, event.lines);
      state.reservations.delete(event.orderId);
      state.closed.set(event.orderId, "released");
      break;
    case "committed":
      state.reservations.delete(event.orderId);
      state.closed.set(event.orderId, "committed");
      break;
    case "allocated":
      state.allocations.set(event.campaignId, { lines: event.lines.map((l) => ({ ...l })), open: true });
      break;
    case "deallocated": {
      const a = state.allocations.get(event.campaignId);
      if (a) Object.assign(a, { lines: [], open: false });
      else state.allocations.set(event.campaignId, { lines: [], open: false });
      break;
    }
    case "purchaseLimitSet":
      if (event.maxPerUser === null) delete state.maxPerUser;
      else state.maxPerUser = event.maxPerUser;
      break;
    default:
      break;
  }
  return state;
}

/** Takes units out of (`sign` -1) or back into (+1) a campaign's allocation, warehouse by warehouse. */
function moveAllocation(state: InventoryState, campaignId: string, lines: ReservationLine[], sign: 1 | -1) {
  const a = state.allocations.get(campaignId);
  if (!a) return;
  for (const l of lines) {
    const held = a.lines.find((x) => x.warehouse === l.warehouse);
    if (held) held.qty += sign * l.qty;
    else if (sign > 0) a.lines.push({ warehouse: l.warehouse, qty: l.qty });
  }
  a.lines = a.lines.filter((x) => x.qty > 0);
}

function totalQty(lines: ReservationLine[]): number {
  return lines.reduce((n, l) => n + l.qty, 0);
}

/** A released reservation gives its units back to the buyer's allowance; a committed one keeps counting. */
function releaseBuyer(state: InventoryState, orderId: string, lines: ReservationLine[]): void {
  const userId = state.reservations.get(orderId)?.userId;
  if (!userId) return;
  const left = (state.perUser.get(userId) ?? 0) - totalQty(lines);
  if (left > 0) state.perUser.set(userId, left);
  else state.perUser.delete(userId);
}

export interface StockView {
  sku: string;
  physical: number;
  reserved: number;
  sellable: number;
  inTransit: number;
  /** Units allocated to flash-sale campaigns (not sellable). */
  allocated: number;
  safetyStock: number;
  warehouses: Array<{ warehouse: string } & WarehouseStock & { sellable: number }>;
}

export function stockView(sku: string, state: InventoryState): StockView {
  const warehouses = [...state.warehouses]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([warehouse, s]) => ({ warehouse, ...s, allocated: s.allocated ?? 0, sellable: sellable(s) }));
  const sum = (pick: (w: (typeof warehouses)[number]) => number) =>
    warehouses.reduce((n, w) => n + pick(w), 0);
  return {
    sku,
    physical: sum((w) => w.physical),
    reserved: sum((w) => w.reserved),
    sellable: sum((w) => w.sellable),
    inTransit: sum((w) => w.inTransit),
    allocated: sum((w) => w.allocated),
    safetyStock: sum((w) => w.safetyStock),
    warehouses,
  };
}
