import { z } from "zod";
import type { InventoryEvent, ReservationLine } from "./events.ts";

export interface WarehouseStock {
  physical: number;
  reserved: number;
  inTransit: number;
  safetyStock: number;
}

export interface InventoryState {
  warehouses: Record<string, WarehouseStock>;
  /** Open reservations by order id. */
  reservations: Record<string, { lines: ReservationLine[]; userId?: string; hold?: true }>;
  /** Units held or bought per buyer, for reservations made with a user id (per-user limits). */
  perUser?: Record<string, number>;
  /** Operator-set: units one buyer may hold or have bought; buyers are counted only while it is set. */
  maxPerUser?: number;
  /** How closed reservations ended, so a late release of a shipped order is a conflict, not a 404. */
  closed: Record<string, "released" | "committed">;
}

const stockSchema = z.object({
  physical: z.number().int(),
  reserved: z.number().int().min(0),
  inTransit: z.number().int().min(0),
  safetyStock: z.number().int().min(0),
});

/** The SKU actor's state, checked when a snapshot is restored. */
export const inventoryStateSchema = z.object({
  warehouses: z.record(z.string(), stockSchema),
  reservations: z.record(
    z.string(),
    z.object({
      lines: z.array(z.object({ warehouse: z.string(), qty: z.number().int() })),
      userId: z.string().optional(),
      hold: z.literal(true).optional(),
    }),
  ),
  perUser: z.record(z.string(), z.number().int()).optional(),
  maxPerUser: z.number().int().positive().optional(),
  closed: z.record(z.string(), z.enum(["released", "committed"])),
});

export function initialInventory(): InventoryState {
  return { warehouses: {}, reservations: {}, closed: {} };
}

const empty = (): WarehouseStock => ({ physical: 0, reserved: 0, inTransit: 0, safetyStock: 0 });

/** Units that can be promised to a new order: on hand, minus held, minus the safety hold. */
export function sellable(stock: WarehouseStock): number {
  return Math.max(0, stock.physical - stock.reserved - stock.safetyStock);
}

function at(state: InventoryState, warehouse: string): WarehouseStock {
  let stock = state.warehouses[warehouse];
  if (!stock) {
    stock = empty();
    state.warehouses[warehouse] = stock;
  }
  return stock;
}

/** Applies one event. Updates `state` in place (see `ActorKind.apply`) and returns it. */
export function applyInventoryEvent(state: InventoryState, event: InventoryEvent): InventoryState {
  switch (event.type) {
    case "received": {
      const stock = at(state, event.warehouse);
      stock.physical += event.qty;
      stock.inTransit -= event.fromTransit;
      break;
    }
    case "inboundAnnounced":
      at(state, event.warehouse).inTransit += event.qty;
      break;
    case "reserved":
      for (const line of event.lines) at(state, line.warehouse).reserved += line.qty;
      state.reservations[event.orderId] = {
        lines: event.lines,
        ...(event.userId ? { userId: event.userId } : {}),
        ...(event.hold ? { hold: true as const } : {}),
      };
      if (event.userId) {
        state.perUser ??= {};
        state.perUser[event.userId] = (state.perUser[event.userId] ?? 0) + totalQty(event.lines);
      }
      break;
    case "released":
      for (const line of event.lines) at(state, line.warehouse).reserved -= line.qty;
      releaseBuyer(state, event.orderId, event.lines);
      delete state.reservations[event.orderId];
      state.closed[event.orderId] = "released";
      break;
    case "committed":
      for (const line of event.lines) {
        const stock = at(state, line.warehouse);
        stock.reserved -= line.qty;
        stock.physical -= line.qty;
      }
      delete state.reservations[event.orderId];
      state.closed[event.orderId] = "committed";
      break;
    case "adjusted":
      at(state, event.warehouse).physical = event.countedQty;
      break;
    case "safetyStockSet":
      at(state, event.warehouse).safetyStock = event.qty;
      break;
    case "lowStock":
      break;
    case "purchaseLimitSet":
      if (event.maxPerUser === null) delete state.maxPerUser;
      else state.maxPerUser = event.maxPerUser;
      break;
  }
  return state;
}

function totalQty(lines: ReservationLine[]): number {
  return lines.reduce((n, l) => n + l.qty, 0);
}

/** A released reservation gives its units back to the buyer's allowance; a committed one keeps counting. */
function releaseBuyer(state: InventoryState, orderId: string, lines: ReservationLine[]): void {
  const userId = state.reservations[orderId]?.userId;
  if (!userId || !state.perUser) return;
  const left = (state.perUser[userId] ?? 0) - totalQty(lines);
  if (left > 0) state.perUser[userId] = left;
  else delete state.perUser[userId];
}

export interface StockView {
  sku: string;
  physical: number;
  reserved: number;
  sellable: number;
  inTransit: number;
  safetyStock: number;
  warehouses: Array<{ warehouse: string } & WarehouseStock & { sellable: number }>;
}

export function stockView(sku: string, state: InventoryState): StockView {
  const warehouses = Object.entries(state.warehouses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([warehouse, s]) => ({ warehouse, ...s, sellable: sellable(s) }));
  const sum = (pick: (w: (typeof warehouses)[number]) => number) =>
    warehouses.reduce((n, w) => n + pick(w), 0);
  return {
    sku,
    physical: sum((w) => w.physical),
    reserved: sum((w) => w.reserved),
    sellable: sum((w) => w.sellable),
    inTransit: sum((w) => w.inTransit),
    safetyStock: sum((w) => w.safetyStock),
    warehouses,
  };
}
