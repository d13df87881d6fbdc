/**
 * Issue 9, point 3: one home for event knowledge. The SKU state, the stock read model and the live
 * dashboards all move stock by `stockMovement`; this property checks that, for any sequence of commands,
 * the actor's own figures equal the sum of the movements (what the read model upserts) and the live
 * dashboard's deltas.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import {
  type InventoryCommand,
  type InventoryEvent,
  skuKind,
  stockMovement,
  stockView,
} from "../actors/inventory/index.ts";
import { DomainError } from "../actors/runtime/index.ts";
import { stockDelta } from "../realtime/dashboards.ts";

const warehouse = fc.constantFrom("WH-A", "WH-B");
const order = fc.constantFrom("O-1", "O-2", "O-3");
const qty = fc.integer({ min: 1, max: 8 });
const command: fc.Arbitrary<InventoryCommand> = fc.oneof(
  fc.record({ type: fc.constant("receive" as const), warehouse, qty }),
  fc.record({ type: fc.constant("receive" as const), warehouse, qty, reference: fc.constant("PO-1") }),
  fc.record({
    type: fc.constant("announceInbound" as const),
    warehouse,
    qty,
    reference: fc.constant("PO-1"),
  }),
  fc.record({ type: fc.constant("reserve" as const), orderId: order, qty }),
  fc.record({ type: fc.constant("release" as const), orderId: order }),
  fc.record({ type: fc.constant("commit" as const), orderId: order }),
  fc.record({
    type: fc.constant("adjust" as const),
    warehouse,
    countedQty: fc.integer({ min: 0, max: 20 }),
    reason: fc.constant("count"),
  }),
  fc.record({ type: fc.constant("setSafetyStock" as const), warehouse, qty: fc.integer({ min: 0, max: 5 }) }),
);

test("stock movement - the actor's figures, the read model's sums and the live deltas agree", () => {
  fc.assert(
    fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
      const state = skuKind.initialState("SKU-1");
      const log: InventoryEvent[] = [];
      for (const raw of commands) {
        const cmd = skuKind.commands.parse(raw);
        const handler = skuKind.handlers[cmd.type] as (
          s: unknown,
          c: unknown,
          ctx: unknown,
        ) => {
          events: InventoryEvent[];
        };
        try {
          const { events } = handler(state, cmd, { id: "SKU-1", now: 0, meta: {} });
          for (const event of events) skuKind.apply(state, event);
          log.push(...events);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
        }
      }
      const view = stockView("SKU-1", state);
      // What the read model upserts: the movements summed per warehouse.
      const rows = new Map<string, { physical: number; reserved: number; inTransit: number }>();
      for (const move of log.flatMap(stockMovement)) {
        const row = rows.get(move.warehouse) ?? { physical: 0, reserved: 0, inTransit: 0 };
        row.physical += move.physical;
        row.reserved += move.reserved;
        row.inTransit += move.inTransit;
        rows.set(move.warehouse, row);
      }
      for (const w of view.warehouses) {
        expect({ warehouse: w.warehouse, ...rows.get(w.warehouse) }).toEqual({
          warehouse: w.warehouse,
          physical: w.physical,
          reserved: w.reserved,
          inTransit: w.inTransit,
        });
      }
      // What a live dashboard shows: the deltas of every batch added up.
      const live = stockDelta("SKU-1", 1, log);
      expect({ physical: live.physical, reserved: live.reserved, inTransit: live.inTransit }).toEqual({
        physical: view.physical,
        reserved: view.reserved,
        inTransit: view.inTransit,
      });
    }),
    { numRuns: 300 },
  );
});
