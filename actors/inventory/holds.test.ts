import { describe, expect, test } from "bun:test";
import type { Decision } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { inventoryHandlers } from "./actor.ts";
import { type InventoryCommand, inventoryCommandSchema } from "./commands.ts";
import { type InventoryEvent, inventoryEventSchema } from "./events.ts";
import {
  applyInventoryEvent,
  encodeInventoryState,
  type InventoryState,
  initialInventory,
  inventoryStateSchema,
  stockView,
} from "./state.ts";

const SKU = "SKU-H";
type Handler = (s: InventoryState, c: InventoryCommand, ctx: { id: string }) => Decision<InventoryEvent>;

/** Validates, decides and applies like the runtime; returns the persisted events. */
function run(state: InventoryState, command: InventoryCommand, log?: InventoryEvent[]): InventoryEvent[] {
  const parsed = inventoryCommandSchema.parse(command);
  const decision = (inventoryHandlers[parsed.type] as unknown as Handler)(state, parsed, { id: SKU });
  for (const event of decision.events) {
    inventoryEventSchema.parse(event);
    applyInventoryEvent(state, event);
    log?.push(event);
  }
  return decision.events;
}

function refusal(state: InventoryState, command: InventoryCommand): DomainError {
  const before = structuredClone(state);
  try {
    run(state, command);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    expect(state).toEqual(before);
    return error;
  }
  throw new Error(`expected ${JSON.stringify(command)} to be refused`);
}

const hold = (orderId: string, qty: number, reason?: string): InventoryCommand => ({
  type: "reserve",
  orderId,
  qty,
  hold: true,
  ...(reason ? { reason } : {}),
});

describe("inventory - holds", () => {
  test("inventory - a hold is a reserved event with a hold marker and its reason; its release and commit are marked too", () => {
    const state = initialInventory();
    run(state, { type: "receive", warehouse: "WH-A", qty: 10 });
    expect(run(state, hold("H-1", 3, "quality check"))).toEqual([
      {
        type: "reserved",
        orderId: "H-1",
        lines: [{ warehouse: "WH-A", qty: 3 }],
        hold: true,
        reason: "quality check",
      },
    ]);
    expect(run(state, { type: "release", orderId: "H-1", hold: true })).toEqual([
      {
        type: "released",
        orderId: "H-1",
        lines: [{ warehouse: "WH-A", qty: 3 }],
        reason: "released",
        hold: true,
      },
    ]);
    run(state, hold("H-2", 2));
    expect(run(state, { type: "commit", orderId: "H-2", hold: true })).toEqual([
      { type: "committed", orderId: "H-2", lines: [{ warehouse: "WH-A", qty: 2 }], hold: true },
    ]);
    expect(stockView(SKU, state)).toMatchObject({ physical: 8, reserved: 0 });
  });

  test("inventory - holds and order reservations never adopt, release or commit each other", () => {
    const state = initialInventory();
    run(state, { type: "receive", warehouse: "WH-A", qty: 10 });
    run(state, hold("O-REAL", 2));
    // An order whose id an operator used for a hold does not get the hold as its reservation...
    expect(refusal(state, { type: "reserve", orderId: "O-REAL", qty: 2 }).kind).toBe("conflict");
    // ...and an order's release or shipment never touches the operator's hold.
    expect(refusal(state, { type: "release", orderId: "O-REAL" }).kind).toBe("conflict");
    expect(refusal(state, { type: "commit", orderId: "O-REAL" }).kind).toBe("conflict");
    run(state, { type: "reserve", orderId: "O-2", qty: 1 });
    expect(refusal(state, hold("O-2", 1)).kind).toBe("conflict");
    expect(refusal(state, { type: "release", orderId: "O-2", hold: true }).kind).toBe("conflict");
    expect(refusal(state, { type: "commit", orderId: "O-2", hold: true }).kind).toBe("conflict");
    expect(stockView(SKU, state)).toMatchObject({ physical: 10, reserved: 3 });
  });

  test("inventory - committing never takes physical stock below zero (a count found the units missing)", () => {
    const state = initialInventory();
    run(state, { type: "receive", warehouse: "WH-A", qty: 3 });
    run(state, hold("ghost-order", 3));
    run(state, { type: "adjust", warehouse: "WH-A", countedQty: 0, reason: "cycle count" });
    const error = refusal(state, { type: "commit", orderId: "ghost-order", hold: true });
    expect(error.kind).toBe("conflict");
    expect(error.details).toMatchObject({ warehouse: "WH-A", physical: 0, requested: 3 });
    expect(stockView(SKU, state).physical).toBe(0);
  });

  test("inventory - the purchase limit is set by its own command, replays, and survives a snapshot", () => {
    const state = initialInventory();
    const log: InventoryEvent[] = [];
    run(state, { type: "receive", warehouse: "WH-A", qty: 10 }, log);
    run(state, { type: "setPurchaseLimit", maxPerUser: 1 }, log);
    expect(run(state, { type: "setPurchaseLimit", maxPerUser: 1 })).toEqual([]); // no change, no event
    run(state, { type: "reserve", orderId: "O-1", qty: 1, userId: "U-1" }, log);
    const limited = refusal(state, { type: "reserve", orderId: "O-2", qty: 1, userId: "U-1" });
    expect(limited.details).toMatchObject({ reason: "per_user_limit", maxPerUser: 1, held: 1 });
    run(state, hold("H-1", 1, "damaged box"), log);
    run(state, { type: "reserve", orderId: "O-3", qty: 1, userId: "U-2" }, log);
    const replayed = JSON.parse(JSON.stringify(log)).reduce(applyInventoryEvent, initialInventory());
    expect(replayed).toEqual(state);
    expect(inventoryStateSchema.parse(JSON.parse(JSON.stringify(encodeInventoryState(state))))).toEqual(
      state,
    );
  });

  test("inventory - a purchase limit counts what the buyer bought before it was set; released units do not count", () => {
    const state = initialInventory();
    const log: InventoryEvent[] = [];
    run(state, { type: "receive", warehouse: "WH-A", qty: 20 }, log);
    // Bought before any limit existed: the SKU actor saw these reservations, so they count.
    run(state, { type: "reserve", orderId: "O-1", qty: 2, userId: "U-1" }, log);
    run(state, { type: "commit", orderId: "O-1" }, log);
    run(state, { type: "reserve", orderId: "O-2", qty: 1, userId: "U-1" }, log);
    run(state, { type: "reserve", orderId: "O-3", qty: 4, userId: "U-2" }, log);
    run(state, { type: "release", orderId: "O-3" }, log);
    run(state, { type: "setPurchaseLimit", maxPerUser: 3 }, log);
    const limited = refusal(state, { type: "reserve", orderId: "O-4", qty: 1, userId: "U-1" });
    expect(limited.details).toMatchObject({ reason: "per_user_limit", held: 3, maxPerUser: 3 });
    // U-2's released reservation gave its units back: the whole allowance is left.
    run(state, { type: "reserve", orderId: "O-5", qty: 3, userId: "U-2" }, log);
    expect(refusal(state, { type: "reserve", orderId: "O-6", qty: 1, userId: "U-2" }).kind).toBe("conflict");
    // Lifting and setting the limit again keeps counting from the start.
    run(state, { type: "setPurchaseLimit", maxPerUser: null }, log);
    run(state, { type: "reserve", orderId: "O-7", qty: 1, userId: "U-1" }, log);
    run(state, { type: "setPurchaseLimit", maxPerUser: 4 }, log);
    expect(refusal(state, { type: "reserve", orderId: "O-8", qty: 1, userId: "U-1" }).details).toMatchObject({
      held: 4,
    });
    // The count is rebuilt the same from the log and from a snapshot.
    const replayed = JSON.parse(JSON.stringify(log)).reduce(applyInventoryEvent, initialInventory());
    expect(replayed).toEqual(state);
    expect(inventoryStateSchema.parse(JSON.parse(JSON.stringify(encodeInventoryState(state))))).toEqual(
      state,
    );
  });

  test("inventory - a hold's orderId names one request: same fingerprint replays, another is refused, a closed hold is decided again", () => {
    const state = initialInventory();
    run(state, { type: "receive", warehouse: "WH-A", qty: 10 });
    const fp = (qty: number, by = "alice") => `fp:${by}:${qty}`;
    expect(run(state, { ...hold("H-1", 3), fp: fp(3) } as InventoryCommand)).toMatchObject([{ fp: fp(3) }]);
    expect(run(state, { ...hold("H-1", 3), fp: fp(3) } as InventoryCommand)).toEqual([]); // replayed
    expect(refusal(state, { ...hold("H-1", 3), fp: fp(3, "bob") } as InventoryCommand).kind).toBe(
      "idempotency_key_reused",
    );
    run(state, { type: "release", orderId: "H-1", hold: true });
    const again = refusal(state, { ...hold("H-1", 3), fp: fp(3) } as InventoryCommand);
    expect([again.kind, again.details?.reservationStatus]).toEqual(["conflict", "released"]);
    // A hold placed before fingerprints existed keeps the old rule: same quantity replays, another conflicts.
    run(state, hold("OLD", 2));
    expect(run(state, { ...hold("OLD", 2), fp: fp(2) } as InventoryCommand)).toEqual([]);
    expect(refusal(state, { ...hold("OLD", 4), fp: fp(4) } as InventoryCommand).kind).toBe("conflict");
    expect(stockView(SKU, state)).toMatchObject({ physical: 10, reserved: 2 });
  });
});
