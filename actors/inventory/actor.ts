import type { Decision } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { type InventoryCommand, MAX_UNITS } from "./commands.ts";
import type { InventoryEvent, ReservationLine } from "./events.ts";
import {
  applyInventoryEvent,
  type InventoryState,
  initialInventory,
  type StockView,
  sellable,
  stockView,
  type WarehouseStock,
} from "./state.ts";

type Cmd<T extends InventoryCommand["type"]> = Extract<InventoryCommand, { type: T }>;
type Ctx = { id: string };
type Result = Decision<InventoryEvent>;

/** Sellable units over every warehouse (a reservation's hot path needs only this, not the sorted view). */
const totalSellable = (state: InventoryState): number =>
  [...state.warehouses.values()].reduce((n, s) => n + sellable(s), 0);

const stockOf = (state: InventoryState, warehouse: string): WarehouseStock =>
  state.warehouses.get(warehouse) ?? { physical: 0, reserved: 0, inTransit: 0, allocated: 0, safetyStock: 0 };

/**
 * Appends a `lowStock` event for every warehouse whose sellable stock crosses below its safety stock
 * because of `events`, and builds the reply from the state as it will be.
 */
function decided(state: InventoryState, sku: string, events: InventoryEvent[], extra?: object): Result {
  const touched = new Set<string>();
  for (const e of events) {
    if ("warehouse" in e) touched.add(e.warehouse);
    if ("lines" in e) for (const line of e.lines) touched.add(line.warehouse);
  }
  const preview = initialInventory();
  for (const w of touched) preview.warehouses.set(w, { ...stockOf(state, w) });
  for (const e of events) applyInventoryEvent(preview, e);
  const all = [...events];
  // Each side is judged against its own safety stock, so raising the safety stock can be the crossing.
  const low = (s: WarehouseStock) => s.safetyStock > 0 && sellable(s) < s.safetyStock;
  for (const w of touched) {
    const after = preview.warehouses.get(w)!;
    if (low(after) && !low(stockOf(state, w))) {
      all.push({ type: "lowStock", warehouse: w, sellable: sellable(after), safetyStock: after.safetyStock });
    }
  }
  const merged: InventoryState = {
    ...state,
    warehouses: new Map([...state.warehouses, ...preview.warehouses]),
  };
  // Order-level replies stay small (they are logged and remembered per order); stock operations return the stock.
  return {
    events: all,
    reply: extra ? { ...extra, sellable: totalSellable(merged) } : { stock: stockView(sku, merged) },
  };
}

function guardTotal(current: number, add: number, field: string): void {
  if (current + add > MAX_UNITS) {
    throw new DomainError("invalid", `${field} would exceed ${MAX_UNITS} units`, { field });
  }
}

export const inventoryHandlers = {
  get: (
    state: InventoryState,
    _c: Cmd<"get">,
    ctx: Ctx,
  ): Decision<InventoryEvent, StockView & { maxPerUser: number | null }> => ({
    events: [],
    // The operator-set purchase limit is shown where the stock is read (null: none).
    reply: { ...stockView(ctx.id, state), maxPerUser: state.maxPerUser ?? null },
  }),

  receive: (state: InventoryState, c: Cmd<"receive">, ctx: Ctx): Result => {
    const stock = stockOf(state, c.warehouse);
    guardTotal(stock.physical, c.qty, "qty");
    const fromTransit = c.reference ? Math.min(stock.inTransit, c.qty) : 0;
    const event: InventoryEvent = {
      type: "received",
      warehouse: c.warehouse,
      qty: c.qty,
      reason: c.reason ?? "inbound",
      fromTransit,
      ...(c.reference ? { reference: c.reference } : {}),
    };
    return decided(state, ctx.id, [event]);
  },

  announceInbound: (state: InventoryState, c: Cmd<"announceInbound">, ctx: Ctx): Result => {
    guardTotal(stockOf(state, c.warehouse).inTransit, c.qty, "qty");
    return decided(state, ctx.id, [
      { type: "inboundAnnounced", warehouse: c.warehouse, qty: c.qty, reference: c.reference },
    ]);
  },

  settleInbound: (state: InventoryState, c: Cmd<"settleInbound">, ctx: Ctx): Result => {
    // In transit is a per-warehouse figure: a settlement never takes it below zero.
    const qty = Math.min(stockOf(state, c.warehouse).inTransit, c.qty);
    return decided(state, ctx.id, [
      { type: "inboundSettled", warehouse: c.warehouse, qty, reference: c.reference, reason: c.reason },
    ]);
  },

  reserve: (state: InventoryState, c: Cmd<"reserve">, ctx: Ctx): Result => {
    // Idempotent by order id as well as by command id: a workflow may re-send its reservation after the
    // command id was pruned; the same request for a reservation already held gets the same answer.
    const held = state.reservations.get(c.orderId);
    if (held && !held.hold === !c.hold && sameRequest(held, c)) {
      return { events: [], reply: { orderId: c.orderId, lines: held.lines, sellable: totalSellable(state) } };
    }
    if (held?.hold && c.hold && held.fp !== undefined && c.fp !== undefined) {
      // A hold's orderId names one request: answering another with the first hold would say it was granted.
      throw new DomainError(
        "idempotency_key_reused",
        `hold ${c.orderId} on ${ctx.id} was placed by another request (operator, quantity, warehouse, buyer or reason differ)`,
        { orderId: c.orderId, field: "orderId" },
      );
    }
    if (held) {
      throw new DomainError("conflict", `order ${c.orderId} already has a reservation on ${ctx.id}`, {
        orderId: c.orderId,
      });
    }
    const closed = state.closed.get(c.orderId);
    if (closed) {
      // Decided anew, never replayed: a released or shipped reservation is not re-opened under its name.
      throw new DomainError("conflict", `reservation ${c.orderId} on ${ctx.id} was already ${closed}`, {
        orderId: c.orderId,
        reservationStatus: closed,
      });
    }
    // The limit is the operator's configuration, never the caller's. Buyers are counted from the first
    // reservation this SKU saw, limit or not: a limit set during a sale counts what was bought before it.
    const maxPerUser = state.maxPerUser;
    const buyer = c.userId;
    if (buyer !== undefined && maxPerUser !== undefined) {
      const held = state.perUser.get(buyer) ?? 0;
      if (held + c.qty > maxPerUser) {
        throw new DomainError("conflict", `user ${buyer} may hold at most ${maxPerUser} of ${ctx.id}`, {
          reason: "per_user_limit",
          userId: buyer,
          held,
          maxPerUser,
        });
      }
    }
    if (c.campaignId !== undefined) return reserveFromCampaign(state, c, c.campaignId, ctx);
    const lines = allocate(state, c.qty, c.warehouse);
    if (!lines) {
      const available = c.warehouse ? sellable(stockOf(state, c.warehouse)) : totalSellable(state);
      throw new DomainError("insufficient_stock", `only ${available} sellable for ${ctx.id}`, {
        sku: ctx.id,
        requested: c.qty,
        sellable: available,
        ...(c.warehouse ? { warehouse: c.warehouse } : {}),
      });
    }
    const reserved: InventoryEvent = {
      type: "reserved",
      orderId: c.orderId,
      lines,
      ...(buyer ? { userId: buyer } : {}),
      ...(c.hold
        ? { hold: true as const, ...(c.reason ? { reason: c.reason } : {}), ...(c.fp ? { fp: c.fp } : {}) }
        : {}),
    };
    return decided(state, ctx.id, [reserved], {
      orderId: c.orderId,
      lines,
    });
  },

  release: (state: InventoryState, c: Cmd<"release">, ctx: Ctx): Result => {
    const open = openReservation(state, c.orderId, ctx.id, "release", c.hold);
    // A campaign's units go back to its allocation while it is open, else to sellable stock.
    const toCampaign =
      open.campaignId !== undefined && state.allocations.get(open.campaignId)?.open
        ? open.campaignId
        : undefined;
    return decided(
      state,
      ctx.id,
      [
        {
          type: "released",
          orderId: c.orderId,
          lines: open.lines,
          reason: c.reason ?? "released",
          ...(open.hold ? { hold: true as const } : {}),
          ...(toCampaign ? { toCampaign } : {}),
        },
      ],
      { orderId: c.orderId, released: open.lines },
    );
  },

  commit: (state: InventoryState, c: Cmd<"commit">, ctx: Ctx): Result => {
    const open = openReservation(state, c.orderId, ctx.id, "commit", c.hold);
    // Stock that a count found missing cannot be shipped: physical stock never goes below zero.
    for (const line of open.lines) {
      const onHand = stockOf(state, line.warehouse).physical;
      if (onHand < line.qty) {
        throw new DomainError(
          "conflict",
          `only ${onHand} on hand in ${line.warehouse}, cannot ship ${line.qty}`,
          {
            orderId: c.orderId,
            warehouse: line.warehouse,
            physical: onHand,
            requested: line.qty,
          },
        );
      }
    }
    const committed: InventoryEvent = {
      type: "committed",
      orderId: c.orderId,
      lines: open.lines,
      ...(open.hold ? { hold: true as const } : {}),
    };
    return decided(state, ctx.id, [committed], {
      orderId: c.orderId,
      committed: open.lines,
    });
  },

  adjust: (state: InventoryState, c: Cmd<"adjust">, ctx: Ctx): Result => {
    const delta = c.countedQty - stockOf(state, c.warehouse).physical;
    if (delta === 0 && state.warehouses.has(c.warehouse))
      return { events: [], reply: { stock: stockView(ctx.id, state) } };
    return decided(state, ctx.id, [
      { type: "adjusted", warehouse: c.warehouse, countedQty: c.countedQty, delta, reason: c.reason },
    ]);
  },

  adjustBy: (state: InventoryState, c: Cmd<"adjustBy">, ctx: Ctx): Result => {
    const physical = stockOf(state, c.warehouse).physical;
    if (physical + c.delta < 0) {
      throw new DomainError(
        "conflict",
        `only ${physical} on hand in ${c.warehouse}, cannot remove ${-c.delta}`,
        {
          warehouse: c.warehouse,
          physical,
          delta: c.delta,
        },
      );
    }
    guardTotal(physical, Math.max(0, c.delta), "delta");
    return decided(state, ctx.id, [
      {
        type: "adjusted",
        warehouse: c.warehouse,
        countedQty: physical + c.delta,
        delta: c.delta,
        reason: c.reason,
      },
    ]);
  },

  setSafetyStock: (state: InventoryState, c: Cmd<"setSafetyStock">, ctx: Ctx): Result => {
    const previous = stockOf(state, c.warehouse).safetyStock;
    if (previous === c.qty && state.warehouses.has(c.warehouse)) {
      return { events: [], reply: { stock: stockView(ctx.id, state) } };
    }
    return decided(state, ctx.id, [{ type: "safetyStockSet", warehouse: c.warehouse, qty: c.qty, previous }]);
  },

  allocate: (state: InventoryState, c: Cmd<"allocate">, ctx: Ctx): Result => {
    const held = state.allocations.get(c.campaignId);
    if (held) {
      if (!held.open)
        throw new DomainError("conflict", `campaign ${c.campaignId} already ended on ${ctx.id}`, {
          campaignId: c.campaignId,
        });
      // A repeat (the campaign re-sent its allocation after a failover): the allocation as it stands.
      return {
        events: [],
        reply: { campaignId: c.campaignId, lines: held.lines, sellable: totalSellable(state) },
      };
    }
    const lines = allocate(state, c.qty);
    if (!lines)
      throw new DomainError("insufficient_stock", `only ${totalSellable(state)} sellable for ${ctx.id}`, {
        sku: ctx.id,
        requested: c.qty,
        sellable: totalSellable(state),
      });
    return decided(state, ctx.id, [{ type: "allocated", campaignId: c.campaignId, lines }], {
      campaignId: c.campaignId,
      lines,
    });
  },

  deallocate: (state: InventoryState, c: Cmd<"deallocate">, ctx: Ctx): Result => {
    const held = state.allocations.get(c.campaignId);
    if (held && !held.open)
      return {
        events: [],
        reply: { campaignId: c.campaignId, returned: [], sellable: totalSellable(state) },
      };
    const lines = held?.lines.filter((l) => l.qty > 0) ?? [];
    return decided(
      state,
      ctx.id,
      [{ type: "deallocated", campaignId: c.campaignId, lines, reason: c.reason ?? "campaign ended" }],
      { campaignId: c.campaignId, returned: lines },
    );
  },

  setPurchaseLimit: (state: InventoryState, c: Cmd<"setPurchaseLimit">, ctx: Ctx): Result => {
    const previous = state.maxPerUser ?? null;
    const reply = { sku: ctx.id, maxPerUser: c.maxPerUser };
    if (previous === c.maxPerUser) return { events: [], reply };
    return { events: [{ type: "purchaseLimitSet", maxPerUser: c.maxPerUser, previous }], reply };
  },
};

/** A campaign's order: its units come out of the campaign's open allocation, all or nothing. */
function reserveFromCampaign(state: InventoryState, c: Cmd<"reserve">, campaignId: string, ctx: Ctx): Result {
  const allocation = state.allocations.get(campaignId);
  const free = allocation?.open ? allocation.lines.reduce((n, l) => n + l.qty, 0) : 0;
  if (!allocation?.open || free < c.qty)
    throw new DomainError(
      "insufficient_stock",
      `only ${free} allocated to campaign ${campaignId} on ${ctx.id}`,
      { sku: ctx.id, requested: c.qty, allocated: free, campaignId },
    );
  const lines: ReservationLine[] = [];
  let left = c.qty;
  for (const l of [...allocation.lines].sort(
    (a, b) => b.qty - a.qty || a.warehouse.localeCompare(b.warehouse),
  )) {
    if (left === 0) break;
    const take = Math.min(left, l.qty);
    if (take > 0) lines.push({ warehouse: l.warehouse, qty: take });
    left -= take;
  }
  const reserved: InventoryEvent = {
    type: "reserved",
    orderId: c.orderId,
    lines,
    ...(c.userId ? { userId: c.userId } : {}),
    campaignId,
  };
  return decided(state, ctx.id, [reserved], { orderId: c.orderId, lines });
}

/**
 * Whether a reserve repeats the request that made the open reservation `held`: by fingerprint when both
 * carry one (holds), else by quantity and warehouse (orders' workflows, holds placed before fingerprints).
 */
function sameRequest(held: { lines: ReservationLine[]; fp?: string }, c: Cmd<"reserve">): boolean {
  if (held.fp !== undefined && c.fp !== undefined) return held.fp === c.fp;
  return (
    held.lines.reduce((n, l) => n + l.qty, 0) === c.qty &&
    (!c.warehouse || held.lines.every((l) => l.warehouse === c.warehouse))
  );
}

/** The open reservation `orderId`; `hold` says which kind the caller may touch (an operator's or an order's). */
function openReservation(state: InventoryState, orderId: string, sku: string, action: string, hold?: true) {
  const open = state.reservations.get(orderId);
  if (open && !open.hold !== !hold) {
    throw new DomainError(
      "conflict",
      open.hold
        ? `cannot ${action}: ${orderId} is an operator's hold on ${sku}; use the inventory API`
        : `cannot ${action}: ${orderId} is an order's reservation on ${sku}; act on the order`,
      { orderId, hold: open.hold === true },
    );
  }
  if (open) return open;
  const closed = state.closed.get(orderId);
  if (closed) {
    throw new DomainError("conflict", `cannot ${action}: reservation for ${orderId} was already ${closed}`, {
      orderId,
      reservationStatus: closed,
    });
  }
  throw new DomainError("not_found", `no reservation for order ${orderId} on ${sku}`, { orderId });
}

/**
 * All or nothing: the named warehouse alone, or else the warehouses with most sellable first, split
 * across as few as possible.
 */
function allocate(state: InventoryState, qty: number, warehouse?: string): ReservationLine[] | undefined {
  if (warehouse) return sellable(stockOf(state, warehouse)) >= qty ? [{ warehouse, qty }] : undefined;
  const candidates = [...state.warehouses]
    .map(([w, s]) => ({ warehouse: w, free: sellable(s) }))
    .filter((c) => c.free > 0)
    .sort((a, b) => b.free - a.free || a.warehouse.localeCompare(b.warehouse));
  const lines: ReservationLine[] = [];
  let left = qty;
  for (const c of candidates) {
    if (left === 0) break;
    const take = Math.min(left, c.free);
    lines.push({ warehouse: c.warehouse, qty: take });
    left -= take;
  }
  return left === 0 ? lines : undefined;
}
