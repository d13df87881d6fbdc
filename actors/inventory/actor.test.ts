import { describe, expect, test } from "bun:test";
import type { ActorRef, Decision, Reply } from "../runtime/index.ts";
import { ActorInstance, DomainError, type DomainErrorKind } from "../runtime/index.ts";
import { MemoryEventStore, MemoryTimerIndex } from "../runtime/testing/index.ts";
import { inventoryHandlers } from "./actor.ts";
import { type InventoryCommand, inventoryCommandSchema, MAX_UNITS } from "./commands.ts";
import { type InventoryEvent, inventoryEventSchema } from "./events.ts";
import { skuKind } from "./index.ts";
import {
  applyInventoryEvent,
  encodeInventoryState,
  type InventoryState,
  initialInventory,
  inventoryStateSchema,
  type StockView,
  stockView,
} from "./state.ts";

const SKU = "SKU-1";
type Handler = (
  state: InventoryState,
  command: InventoryCommand,
  ctx: { id: string },
) => Decision<InventoryEvent>;

/** Runs one command's decision: validated like the runtime does, and checked to leave the state untouched. */
function decide(state: InventoryState, command: InventoryCommand): Decision<InventoryEvent> {
  const parsed = inventoryCommandSchema.parse(command);
  const handler = inventoryHandlers[parsed.type] as unknown as Handler;
  const before = structuredClone(state);
  const decision = handler(state, parsed, { id: SKU });
  expect(state).toEqual(before); // decisions are pure: only `apply` changes state
  for (const event of decision.events) inventoryEventSchema.parse(event);
  return decision;
}

/** Decides and applies, as the runtime would; checks the reply's stock matches the state it leads to. */
function run(state: InventoryState, command: InventoryCommand): Decision<InventoryEvent> {
  const decision = decide(state, command);
  for (const event of decision.events) applyInventoryEvent(state, event);
  const reply = decision.reply as { stock?: StockView; sellable?: number };
  if (reply.stock) expect(reply.stock).toEqual(stockView(SKU, state));
  if (typeof reply.sellable === "number") expect(reply.sellable).toBe(stockView(SKU, state).sellable);
  return decision;
}

function refused(state: InventoryState, command: InventoryCommand, kind: DomainErrorKind): DomainError {
  const before = structuredClone(state);
  try {
    decide(state, command);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).kind).toBe(kind);
    expect(state).toEqual(before);
    return error as DomainError;
  }
  throw new Error(`expected ${command.type} to be refused with ${kind}`);
}

function stock(state: InventoryState, warehouse: string) {
  return stockView(SKU, state).warehouses.find((w) => w.warehouse === warehouse);
}

/** A SKU with the given physical stock per warehouse. */
function stocked(physical: Record<string, number>): InventoryState {
  const state = initialInventory();
  for (const [warehouse, qty] of Object.entries(physical)) run(state, { type: "receive", warehouse, qty });
  return state;
}

const lowStockEvents = (d: Decision<InventoryEvent>) => d.events.filter((e) => e.type === "lowStock");

describe("inventory - receive", () => {
  test("inventory - receive adds physical stock to the warehouse", () => {
    const state = initialInventory();
    const d = run(state, { type: "receive", warehouse: "WH-A", qty: 40 });
    expect(d.events).toEqual([
      { type: "received", warehouse: "WH-A", qty: 40, reason: "inbound", fromTransit: 0 },
    ]);
    run(state, { type: "receive", warehouse: "WH-A", qty: 2, reason: "return" });
    expect(stock(state, "WH-A")).toMatchObject({ physical: 42, reserved: 0, sellable: 42, inTransit: 0 });
    expect(stockView(SKU, state)).toMatchObject({ sku: SKU, physical: 42, sellable: 42 });
  });

  test("inventory - zero, negative, fractional and oversized quantities are invalid commands", () => {
    for (const qty of [0, -1, 1.5, 1_000_001]) {
      expect(inventoryCommandSchema.safeParse({ type: "receive", warehouse: "WH-A", qty }).success).toBe(
        false,
      );
    }
    expect(inventoryCommandSchema.safeParse({ type: "receive", warehouse: "WH.A", qty: 1 }).success).toBe(
      false,
    );
  });
});

describe("inventory - reserve", () => {
  test("inventory - reserve takes all units from the named warehouse", () => {
    const state = stocked({ "WH-A": 10, "WH-B": 50 });
    const d = run(state, { type: "reserve", orderId: "O-1", qty: 4, warehouse: "WH-A" });
    expect(d.events).toEqual([{ type: "reserved", orderId: "O-1", lines: [{ warehouse: "WH-A", qty: 4 }] }]);
    expect(d.reply).toMatchObject({ orderId: "O-1", lines: [{ warehouse: "WH-A", qty: 4 }] });
    expect(stock(state, "WH-A")).toMatchObject({ physical: 10, reserved: 4, sellable: 6 });
    expect(stock(state, "WH-B")).toMatchObject({ reserved: 0 });
  });

  test("inventory - reserve from a named warehouse is all or nothing even when others have stock", () => {
    const state = stocked({ "WH-A": 3, "WH-B": 50 });
    const error = refused(
      state,
      { type: "reserve", orderId: "O-1", qty: 4, warehouse: "WH-A" },
      "insufficient_stock",
    );
    expect(error.details).toEqual({ sku: SKU, requested: 4, sellable: 3, warehouse: "WH-A" });
    expect(stock(state, "WH-A")?.reserved).toBe(0);
    // An unknown warehouse has nothing to sell.
    refused(state, { type: "reserve", orderId: "O-2", qty: 1, warehouse: "WH-Z" }, "insufficient_stock");
  });

  test("inventory - reserve without a warehouse splits across as few warehouses as possible", () => {
    const state = stocked({ "WH-A": 3, "WH-B": 5, "WH-C": 1 });
    const d = run(state, { type: "reserve", orderId: "O-1", qty: 7 });
    expect(d.events[0]).toEqual({
      type: "reserved",
      orderId: "O-1",
      lines: [
        { warehouse: "WH-B", qty: 5 },
        { warehouse: "WH-A", qty: 2 },
      ],
    });
    expect(stockView(SKU, state)).toMatchObject({ physical: 9, reserved: 7, sellable: 2 });

    const single = stocked({ "WH-A": 3, "WH-B": 5 });
    expect(run(single, { type: "reserve", orderId: "O-2", qty: 4 }).events[0]).toMatchObject({
      lines: [{ warehouse: "WH-B", qty: 4 }],
    });
  });

  test("inventory - reserve beyond the total sellable is refused with details and reserves nothing", () => {
    const state = stocked({ "WH-A": 3, "WH-B": 5 });
    run(state, { type: "reserve", orderId: "O-1", qty: 2 });
    const error = refused(state, { type: "reserve", orderId: "O-2", qty: 7 }, "insufficient_stock");
    expect(error.details).toEqual({ sku: SKU, requested: 7, sellable: 6 });
    expect(stockView(SKU, state).reserved).toBe(2);
    expect(state.reservations.get("O-2")).toBeUndefined();
    // Exactly the sellable amount still works.
    run(state, { type: "reserve", orderId: "O-3", qty: 6 });
    expect(stockView(SKU, state).sellable).toBe(0);
  });

  test("inventory - the same reservation again is answered as held; a different one or a closed one is a conflict", () => {
    const state = stocked({ "WH-A": 10 });
    run(state, { type: "reserve", orderId: "O-1", qty: 2 });
    // A workflow re-sending its reservation (command id pruned) gets the held reservation, no second hold.
    const again = inventoryHandlers.reserve(state, { type: "reserve", orderId: "O-1", qty: 2 }, { id: SKU });
    expect(again.events).toEqual([]);
    expect(again.reply).toMatchObject({ orderId: "O-1", lines: [{ warehouse: "WH-A", qty: 2 }] });
    expect(stock(state, "WH-A")?.reserved).toBe(2);
    const error = refused(state, { type: "reserve", orderId: "O-1", qty: 3 }, "conflict");
    expect(error.details).toEqual({ orderId: "O-1" });
    run(state, { type: "release", orderId: "O-1" });
    refused(state, { type: "reserve", orderId: "O-1", qty: 2 }, "conflict");
    expect(stock(state, "WH-A")?.reserved).toBe(0);
  });

  test("inventory - a per-user limit counts held and bought units and frees released ones", () => {
    const state = stocked({ "WH-A": 100 });
    const buy = (orderId: string, qty: number): InventoryCommand => ({
      type: "reserve",
      orderId,
      qty,
      userId: "U-1",
    });
    // The limit is the operator's configuration on the SKU, never a field of the reservation.
    expect(run(state, { type: "setPurchaseLimit", maxPerUser: 2 }).events).toEqual([
      { type: "purchaseLimitSet", maxPerUser: 2, previous: null },
    ]);
    expect(inventoryCommandSchema.parse({ ...buy("O-X", 1), maxPerUser: 50 })).not.toHaveProperty(
      "maxPerUser",
    );
    run(state, buy("O-1", 1));
    run(state, buy("O-2", 1));
    const error = refused(state, buy("O-3", 1), "conflict");
    expect(error.details).toMatchObject({ reason: "per_user_limit", userId: "U-1", held: 2, maxPerUser: 2 });
    run(state, { type: "release", orderId: "O-1" });
    run(state, buy("O-3", 1));
    run(state, { type: "commit", orderId: "O-2" });
    refused(state, buy("O-4", 1), "conflict");
    // Lifting the limit lifts it.
    run(state, { type: "setPurchaseLimit", maxPerUser: null });
    run(state, buy("O-4", 5));
    expect(state.maxPerUser).toBeUndefined();
  });
});

describe("inventory - release and commit", () => {
  test("inventory - release and commit of an unknown order are not_found", () => {
    const state = stocked({ "WH-A": 10 });
    expect(refused(state, { type: "release", orderId: "O-9" }, "not_found").details).toEqual({
      orderId: "O-9",
    });
    refused(state, { type: "commit", orderId: "O-9" }, "not_found");
  });

  test("inventory - release returns the reserved units to sellable", () => {
    const state = stocked({ "WH-A": 3, "WH-B": 5 });
    run(state, { type: "reserve", orderId: "O-1", qty: 7 });
    const d = run(state, { type: "release", orderId: "O-1", reason: "payment timeout" });
    expect(d.events).toEqual([
      {
        type: "released",
        orderId: "O-1",
        lines: [
          { warehouse: "WH-B", qty: 5 },
          { warehouse: "WH-A", qty: 2 },
        ],
        reason: "payment timeout",
      },
    ]);
    expect(stockView(SKU, state)).toMatchObject({ physical: 8, reserved: 0, sellable: 8 });
    expect(state.closed.get("O-1")).toBe("released");
  });

  test("inventory - commit deducts physical and reserved", () => {
    const state = stocked({ "WH-A": 3, "WH-B": 5 });
    run(state, { type: "reserve", orderId: "O-1", qty: 7 });
    const d = run(state, { type: "commit", orderId: "O-1" });
    expect(d.reply).toMatchObject({
      orderId: "O-1",
      committed: [
        { warehouse: "WH-B", qty: 5 },
        { warehouse: "WH-A", qty: 2 },
      ],
    });
    expect(stock(state, "WH-A")).toMatchObject({ physical: 1, reserved: 0, sellable: 1 });
    expect(stock(state, "WH-B")).toMatchObject({ physical: 0, reserved: 0, sellable: 0 });
    expect(state.reservations.get("O-1")).toBeUndefined();
    expect(state.closed.get("O-1")).toBe("committed");
  });

  test("inventory - release after commit and commit after release are conflicts", () => {
    const state = stocked({ "WH-A": 10 });
    run(state, { type: "reserve", orderId: "O-1", qty: 2 });
    run(state, { type: "commit", orderId: "O-1" });
    const error = refused(state, { type: "release", orderId: "O-1" }, "conflict");
    expect(error.details).toEqual({ orderId: "O-1", reservationStatus: "committed" });
    refused(state, { type: "commit", orderId: "O-1" }, "conflict");

    run(state, { type: "reserve", orderId: "O-2", qty: 2 });
    run(state, { type: "release", orderId: "O-2" });
    expect(refused(state, { type: "commit", orderId: "O-2" }, "conflict").details).toEqual({
      orderId: "O-2",
      reservationStatus: "released",
    });
    expect(stock(state, "WH-A")).toMatchObject({ physical: 8, reserved: 0 });
  });
});

describe("inventory - counts and safety stock", () => {
  test("inventory - adjust sets physical to the count and records the delta", () => {
    const state = stocked({ "WH-A": 10 });
    const down = run(state, { type: "adjust", warehouse: "WH-A", countedQty: 7, reason: "cycle count" });
    expect(down.events).toEqual([
      { type: "adjusted", warehouse: "WH-A", countedQty: 7, delta: -3, reason: "cycle count" },
    ]);
    const up = run(state, { type: "adjust", warehouse: "WH-A", countedQty: 12, reason: "found" });
    expect(up.events[0]).toMatchObject({ countedQty: 12, delta: 5 });
    expect(stock(state, "WH-A")?.physical).toBe(12);
    // Counting what is already recorded changes nothing.
    expect(
      run(state, { type: "adjust", warehouse: "WH-A", countedQty: 12, reason: "recount" }).events,
    ).toEqual([]);
    // A first count of a new warehouse creates it.
    expect(
      run(state, { type: "adjust", warehouse: "WH-N", countedQty: 4, reason: "opening" }).events[0],
    ).toMatchObject({
      delta: 4,
    });
    expect(stock(state, "WH-N")?.physical).toBe(4);
  });

  test("inventory - safety stock lowers sellable", () => {
    const state = stocked({ "WH-A": 30, "WH-B": 5 });
    const d = run(state, { type: "setSafetyStock", warehouse: "WH-A", qty: 8 });
    expect(d.events[0]).toEqual({ type: "safetyStockSet", warehouse: "WH-A", qty: 8, previous: 0 });
    expect(stock(state, "WH-A")).toMatchObject({ physical: 30, safetyStock: 8, sellable: 22 });
    expect(stockView(SKU, state).sellable).toBe(27);
    // The safety hold is not promised to orders.
    refused(state, { type: "reserve", orderId: "O-1", qty: 23, warehouse: "WH-A" }, "insufficient_stock");
    run(state, { type: "reserve", orderId: "O-1", qty: 22, warehouse: "WH-A" });
    // Setting the same value again is a no-op.
    expect(run(state, { type: "setSafetyStock", warehouse: "WH-A", qty: 8 }).events).toEqual([]);
    // Sellable never goes negative, even when a count drops below the hold.
    run(state, { type: "adjust", warehouse: "WH-A", countedQty: 25, reason: "damaged" });
    expect(stock(state, "WH-A")?.sellable).toBe(0);
  });

  test("inventory - lowStock is emitted exactly when sellable crosses below safety stock", () => {
    const state = stocked({ "WH-A": 25 });
    expect(lowStockEvents(run(state, { type: "setSafetyStock", warehouse: "WH-A", qty: 10 }))).toEqual([]);
    // sellable 15 → 10: at the threshold, not below it.
    expect(lowStockEvents(run(state, { type: "reserve", orderId: "O-1", qty: 5 }))).toEqual([]);
    // 10 → 9: crosses.
    const crossing = run(state, { type: "reserve", orderId: "O-2", qty: 1 });
    expect(lowStockEvents(crossing)).toEqual([
      { type: "lowStock", warehouse: "WH-A", sellable: 9, safetyStock: 10 },
    ]);
    expect(crossing.events.map((e) => e.type)).toEqual(["reserved", "lowStock"]);
    // Staying below: no repeat.
    expect(lowStockEvents(run(state, { type: "reserve", orderId: "O-3", qty: 1 }))).toEqual([]);
    expect(lowStockEvents(run(state, { type: "release", orderId: "O-3" }))).toEqual([]);
    expect(lowStockEvents(run(state, { type: "commit", orderId: "O-2" }))).toEqual([]);
    // Back above, then down again: a new crossing.
    expect(lowStockEvents(run(state, { type: "receive", warehouse: "WH-A", qty: 10 }))).toEqual([]);
    expect(stock(state, "WH-A")?.sellable).toBe(19);
    expect(lowStockEvents(run(state, { type: "reserve", orderId: "O-4", qty: 10 }))).toEqual([
      { type: "lowStock", warehouse: "WH-A", sellable: 9, safetyStock: 10 },
    ]);
  });

  test("inventory - lowStock follows counts and safety-stock changes, per warehouse", () => {
    const state = stocked({ "WH-A": 30, "WH-B": 30 });
    // Raising the hold so far that sellable falls below it.
    expect(lowStockEvents(run(state, { type: "setSafetyStock", warehouse: "WH-A", qty: 20 }))).toEqual([
      { type: "lowStock", warehouse: "WH-A", sellable: 10, safetyStock: 20 },
    ]);
    run(state, { type: "setSafetyStock", warehouse: "WH-B", qty: 5 });
    // A count that drops WH-B below its hold.
    expect(
      lowStockEvents(run(state, { type: "adjust", warehouse: "WH-B", countedQty: 9, reason: "count" })),
    ).toEqual([{ type: "lowStock", warehouse: "WH-B", sellable: 4, safetyStock: 5 }]);
    // A split reservation only reports the warehouses that crossed.
    run(state, { type: "adjust", warehouse: "WH-B", countedQty: 40, reason: "count" });
    const split = run(state, { type: "reserve", orderId: "O-1", qty: 36 });
    expect(split.events[0]).toMatchObject({
      lines: [
        { warehouse: "WH-B", qty: 35 },
        { warehouse: "WH-A", qty: 1 },
      ],
    });
    expect(lowStockEvents(split)).toEqual([
      { type: "lowStock", warehouse: "WH-B", sellable: 0, safetyStock: 5 },
    ]);
  });

  test("inventory - raising safety stock above the remaining sellable is a crossing", () => {
    // Before: sellable 11 with a hold of 9 (not low). After: sellable 8 with a hold of 12 (low).
    const state = stocked({ "WH-A": 20 });
    run(state, { type: "setSafetyStock", warehouse: "WH-A", qty: 9 });
    expect(stock(state, "WH-A")?.sellable).toBe(11);
    expect(lowStockEvents(run(state, { type: "setSafetyStock", warehouse: "WH-A", qty: 12 }))).toEqual([
      { type: "lowStock", warehouse: "WH-A", sellable: 8, safetyStock: 12 },
    ]);
    // Still low under a higher hold: no repeat.
    expect(lowStockEvents(run(state, { type: "setSafetyStock", warehouse: "WH-A", qty: 13 }))).toEqual([]);
  });
});

describe("inventory - inbound", () => {
  test("inventory - an inbound announcement raises in-transit and a referenced receipt clears it", () => {
    const state = stocked({ "WH-A": 5 });
    run(state, { type: "announceInbound", warehouse: "WH-A", qty: 50, reference: "PO-1" });
    expect(stock(state, "WH-A")).toMatchObject({ physical: 5, inTransit: 50, sellable: 5 });
    expect(stockView(SKU, state).inTransit).toBe(50);

    const partial = run(state, { type: "receive", warehouse: "WH-A", qty: 30, reference: "PO-1" });
    expect(partial.events[0]).toMatchObject({
      type: "received",
      qty: 30,
      fromTransit: 30,
      reference: "PO-1",
    });
    expect(stock(state, "WH-A")).toMatchObject({ physical: 35, inTransit: 20 });

    // A receipt without a reference is not the announced shipment.
    run(state, { type: "receive", warehouse: "WH-A", qty: 4 });
    expect(stock(state, "WH-A")).toMatchObject({ physical: 39, inTransit: 20 });

    // An over-delivery clears what was in transit and no more.
    const rest = run(state, { type: "receive", warehouse: "WH-A", qty: 25, reference: "PO-1" });
    expect(rest.events[0]).toMatchObject({ fromTransit: 20 });
    expect(stock(state, "WH-A")).toMatchObject({ physical: 64, inTransit: 0 });
  });
});

describe("inventory - limits", () => {
  test("inventory - totals past 1,000,000,000 units are refused", () => {
    const state = initialInventory();
    run(state, { type: "adjust", warehouse: "WH-A", countedQty: MAX_UNITS, reason: "opening" });
    const error = refused(state, { type: "receive", warehouse: "WH-A", qty: 1 }, "invalid");
    expect(error.details).toEqual({ field: "qty" });
    expect(stock(state, "WH-A")?.physical).toBe(MAX_UNITS);
    // Another warehouse has its own total.
    run(state, { type: "receive", warehouse: "WH-B", qty: 1 });

    run(state, { type: "adjust", warehouse: "WH-A", countedQty: MAX_UNITS - 1_000_000, reason: "count" });
    run(state, { type: "receive", warehouse: "WH-A", qty: 1_000_000 });
    expect(stock(state, "WH-A")?.physical).toBe(MAX_UNITS);

    for (let i = 0; i < 1_000; i++) {
      run(state, { type: "announceInbound", warehouse: "WH-C", qty: 1_000_000, reference: `PO-${i}` });
    }
    expect(stock(state, "WH-C")?.inTransit).toBe(MAX_UNITS);
    refused(state, { type: "announceInbound", warehouse: "WH-C", qty: 1, reference: "PO-X" }, "invalid");

    // Counts and holds past the limit never reach a handler.
    for (const command of [
      { type: "adjust", warehouse: "WH-A", countedQty: MAX_UNITS + 1, reason: "count" },
      { type: "setSafetyStock", warehouse: "WH-A", qty: MAX_UNITS + 1 },
      { type: "receive", warehouse: "WH-A", qty: 1_000_001 },
      { type: "reserve", orderId: "O-1", qty: 1_000_001 },
    ]) {
      expect(inventoryCommandSchema.safeParse(command).success).toBe(false);
    }
  });
});

describe("inventory - replay", () => {
  test("inventory - replaying the events rebuilds the same state, which the snapshot schema accepts", () => {
    const live = initialInventory();
    const events: InventoryEvent[] = [];
    const commands: InventoryCommand[] = [
      { type: "receive", warehouse: "WH-A", qty: 20 },
      { type: "receive", warehouse: "WH-B", qty: 10 },
      { type: "setSafetyStock", warehouse: "WH-A", qty: 5 },
      { type: "reserve", orderId: "O-1", qty: 18, userId: "U-1" },
      { type: "announceInbound", warehouse: "WH-B", qty: 7, reference: "PO-1" },
      { type: "commit", orderId: "O-1" },
      { type: "reserve", orderId: "O-2", qty: 3 },
      { type: "release", orderId: "O-2" },
      { type: "adjust", warehouse: "WH-B", countedQty: 1, reason: "count" },
    ];
    for (const command of commands) events.push(...run(live, command).events);
    const replayed = JSON.parse(JSON.stringify(events)).reduce(applyInventoryEvent, initialInventory());
    expect(replayed).toEqual(live);
    expect(inventoryStateSchema.parse(JSON.parse(JSON.stringify(encodeInventoryState(live))))).toEqual(live);
  });

  test("inventory - a snapshot written before state used maps (plain objects) still restores", () => {
    const old = {
      warehouses: { "WH-A": { physical: 5, reserved: 2, inTransit: 0, safetyStock: 0 } },
      reservations: { "O-1": { lines: [{ warehouse: "WH-A", qty: 2 }], userId: "U-1" } },
      perUser: { "U-1": 2 },
      closed: { "O-0": "committed" },
    };
    const state = inventoryStateSchema.parse(JSON.parse(JSON.stringify(old)));
    expect(state.reservations.get("O-1")).toEqual({ lines: [{ warehouse: "WH-A", qty: 2 }], userId: "U-1" });
    expect(state.perUser.get("U-1")).toBe(2);
    expect(state.closed.get("O-0")).toBe("committed");
    expect(stockView(SKU, state).sellable).toBe(3);
    // Even older snapshots had no per-user counters at all.
    const { perUser: _none, ...older } = old;
    expect(inventoryStateSchema.parse(older).perUser.size).toBe(0);
  });
});

describe("inventory - on the runtime", () => {
  const ref: ActorRef = { kind: "sku", id: SKU, shard: 0 };
  const send = (actor: ActorInstance, envelope: { id?: string; cmd: InventoryCommand }) =>
    new Promise<Reply>((resolve) => actor.enqueue(envelope, resolve));

  test("inventory - 50 concurrent reservations group-committed on the runtime never oversell 20 units", async () => {
    const store = new MemoryEventStore();
    const host = {
      store,
      timerIndex: new MemoryTimerIndex(),
      leaseValid: () => true,
      scheduleWake: () => undefined,
      now: () => 1_700_000_000_000,
      onAppend: () => undefined,
      onError: () => undefined,
    };
    const options = {
      mailboxMax: 1_000,
      maxBatch: 1_000,
      snapshotEvery: 100,
      idempotencyMax: 1_000,
      idempotencyRetentionMs: 3_600_000,
    };
    const actor = new ActorInstance(ref, skuKind, host, options);
    await actor.activate();
    expect((await send(actor, { id: "in-1", cmd: { type: "receive", warehouse: "WH-A", qty: 20 } })).ok).toBe(
      true,
    );

    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        send(actor, { id: `res-${i}`, cmd: { type: "reserve", orderId: `O-${i}`, qty: 1 } }),
      ),
    );
    expect(replies.filter((r) => r.ok)).toHaveLength(20);
    const errors = replies.flatMap((r) => (r.ok ? [] : [r.error.kind]));
    expect(new Set(errors)).toEqual(new Set(["insufficient_stock"]));
    // The first 20 in arrival order won.
    expect(replies.slice(0, 20).every((r) => r.ok)).toBe(true);
    // Group-committed (refusals are not logged): 20 reservations in at most two appends after the receipt.
    const reserved = store.batches(ref).flatMap((b) => b.batch.ev.filter((e) => e.type === "reserved"));
    expect(reserved).toHaveLength(20);
    expect(store.appends).toBeLessThanOrEqual(3);

    const fresh = new ActorInstance(ref, skuKind, host, options);
    await fresh.activate();
    const view = await send(fresh, { cmd: { type: "get" } });
    expect(view.ok && view.value).toMatchObject({ physical: 20, reserved: 20, sellable: 0 });
  });
});
