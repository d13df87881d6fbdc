import { expect, test } from "bun:test";
import { inventoryCommandSchema } from "../inventory/index.ts";
import type { DecideContext, Decision, Reply } from "../runtime/index.ts";
import { orderCommandSchema } from "./commands.ts";
import { type OrderEvent, orderEventSchema } from "./events.ts";
import { orderKind } from "./index.ts";
import { applyOrderEvent, initialOrder, type OrderState } from "./state.ts";

const ID = "O-R1";
const ctx = (commandId?: string): DecideContext => ({
  id: ID,
  now: 1_700_000_000_000,
  meta: { by: "u" },
  ...(commandId ? { commandId } : {}),
});
const routing = {
  dest: "310104",
  parcels: [
    {
      warehouse: "WH-SH",
      carrier: "ems",
      lines: [
        { sku: "A", qty: 2 },
        { sku: "B", qty: 1 },
      ],
      freight: 800,
      reasons: ["one warehouse"],
    },
  ],
  freight: 800,
  reasons: ["one warehouse holds every line: WH-SH"],
};

function run(state: OrderState, d: Decision<OrderEvent>): OrderState {
  for (const e of d.events) state = applyOrderEvent(state, orderEventSchema.parse(e));
  for (const e of d.effects ?? []) if (e.to.kind === "sku") inventoryCommandSchema.parse(e.cmd);
  return state;
}
const answer = (state: OrderState, key: string, reply: Reply) =>
  orderKind.onEffect!(structuredClone(state), { key, reply }, ctx());

function placed() {
  const cmd = orderCommandSchema.parse({
    type: "place",
    userId: "U",
    lines: [
      { sku: "A", qty: 2, unitPrice: 1_000, warehouse: "WH-SH" },
      { sku: "B", qty: 1, unitPrice: 3_000, warehouse: "WH-SH" },
    ],
    address: { region: "310104", detail: "d", phone: "13800000000", name: "n" },
    channel: "web",
    freight: 800,
    paymentTimeoutMs: 60_000,
    routing,
  });
  const d = (
    orderKind.handlers.place as (s: OrderState, c: unknown, x: DecideContext) => Decision<OrderEvent>
  )(initialOrder(), cmd, ctx("cmd-place"));
  return { state: run(initialOrder(), d), d };
}

test("order routing - routed lines are reserved in their warehouse and the decision is stored", () => {
  const { state, d } = placed();
  const reserves = (d.effects ?? []).filter((e) => e.key.startsWith("reserve:"));
  expect(reserves.map((e) => [e.key, (e.cmd as { warehouse?: string }).warehouse])).toEqual([
    ["reserve:A", "WH-SH"],
    ["reserve:B", "WH-SH"],
  ]);
  expect(state.routing).toMatchObject({ ...routing, cause: "placed" });
  expect(state.amounts.freight).toBe(800);
});

test("order routing - a routed warehouse short while placing re-routes the line instead of failing", () => {
  let { state } = placed();
  const short = answer(state, "reserve:A", {
    ok: false,
    error: { kind: "insufficient_stock", message: "only 1 sellable for A", details: { warehouse: "WH-SH" } },
  });
  expect(short.events.map((e) => e.type)).toEqual(["lineRerouted"]);
  expect(short.effects?.map((e) => [e.key, (e.cmd as { warehouse?: string }).warehouse])).toEqual([
    ["reserveany:A", undefined],
  ]);
  state = run(state, short);
  state = run(
    state,
    answer(state, "reserveany:A", { ok: true, value: { lines: [{ warehouse: "WH-HZ", qty: 2 }] } }),
  );
  state = run(
    state,
    answer(state, "reserve:B", { ok: true, value: { lines: [{ warehouse: "WH-SH", qty: 1 }] } }),
  );
  const done = answer(state, "member:record", { ok: true, value: null });
  expect(done.resolve?.[0]?.reply.ok, JSON.stringify(done)).toBe(true);
  state = run(state, done);
  expect(state.status).toBe("pending_payment");
  // The parcels follow the stock: A now ships from WH-HZ, B still from WH-SH; freight stays as charged.
  expect(state.routing?.parcels.map((p) => [p.warehouse, p.carrier, p.lines])).toEqual([
    ["WH-SH", "ems", [{ sku: "B", qty: 1 }]],
    ["WH-HZ", "ems", [{ sku: "A", qty: 2 }]],
  ]);
  expect(state.routing?.reasons.join("\n")).toContain("A: WH-SH short");
  expect(state.amounts.freight).toBe(800);
});

test("order routing - an unrouted line short still fails the order (nothing to fall back to)", () => {
  let { state } = placed();
  state = run(
    state,
    answer(state, "reserve:A", { ok: false, error: { kind: "insufficient_stock", message: "x" } }),
  );
  const again = answer(state, "reserveany:A", {
    ok: false,
    error: { kind: "insufficient_stock", message: "none" },
  });
  expect(again.events.map((e) => e.type)).toEqual(["lineRefused"]);
});

test("order routing - re-route replaces the decision before shipment and is refused after", () => {
  const { state } = placed();
  const reroute = orderCommandSchema.parse({
    type: "reroute",
    routing: { ...routing, parcels: [{ ...routing.parcels[0]!, carrier: "express" }] },
    reason: "carrier ems failed",
  });
  const h = orderKind.handlers.reroute as (
    s: OrderState,
    c: unknown,
    x: DecideContext,
  ) => Decision<OrderEvent>;
  expect(() => h(state, reroute, ctx())).toThrow(/cannot re-route an order that is placing/);
  const pending = { ...structuredClone(state), status: "pending_payment" as const };
  const after = run(pending, h(pending, reroute, ctx()));
  expect(after.routing?.parcels[0]?.carrier).toBe("express");
  expect(after.routing?.cause).toBe("carrier ems failed");
});
