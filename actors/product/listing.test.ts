import { expect, test } from "bun:test";
import type { DecideContext, Decision } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { productKind } from "./index.ts";
import {
  applyProductEvent,
  initialProduct,
  onProductTimer,
  type ProductEvent,
  type ProductState,
  productEventSchema,
  productHandlers,
  productStateSchema,
} from "./listing.ts";

const NOW = Date.parse("2026-11-30T00:00:00Z");
const ctx = (now = NOW, by = "alice"): DecideContext => ({ id: "constructor", now, meta: { by } });

/** Decides like the runtime: the decision leaves the state alone; events are valid; then they apply. */
function run(state: ProductState, decide: (s: ProductState) => Decision<ProductEvent>) {
  const before = structuredClone(state);
  const decision = decide(state);
  expect(state).toEqual(before);
  for (const e of decision.events) productEventSchema.parse(e);
  return { decision, state: decision.events.reduce(applyProductEvent, state) };
}
const publish =
  (at?: number, now = NOW) =>
  (s: ProductState) =>
    productHandlers.publish(s, { type: "publish", ...(at !== undefined ? { at } : {}) }, ctx(now));
const unpublish =
  (at?: number, now = NOW) =>
  (s: ProductState) =>
    productHandlers.unpublish(s, { type: "unpublish", ...(at !== undefined ? { at } : {}) }, ctx(now));
const fire = (now: number) => (s: ProductState) =>
  onProductTimer(s, { name: "listing" }, ctx(now, "ignored"));

test("product listing - draft → on_sale → off_sale → on_sale now; repeating an action changes nothing", () => {
  let { state, decision } = run(initialProduct(), publish());
  expect(state.status).toBe("on_sale");
  expect(decision.reply).toEqual({ spuCode: "constructor", status: "on_sale", scheduled: null });
  expect(run(state, publish()).decision.events).toEqual([]);
  ({ state } = run(state, unpublish()));
  expect(state.status).toBe("off_sale");
  ({ state } = run(state, publish()));
  expect(state.status).toBe("on_sale");
});

test("product listing - a draft cannot be unpublished now (409 conflict)", () => {
  expect(() => run(initialProduct(), unpublish())).toThrow(DomainError);
});

test("product listing - a scheduled change sets a durable timer, fires once as system:timer, and clears", () => {
  const due = NOW + 60_000;
  const { decision, state } = run(initialProduct(), publish(due));
  expect(decision.timers).toEqual({ set: [{ name: "listing", at: due }] });
  expect(decision.reply).toEqual({
    spuCode: "constructor",
    status: "draft",
    scheduled: { action: "publish", at: new Date(due).toISOString() },
  });
  const fired = run(state, fire(due));
  expect(fired.decision.events).toEqual([
    { type: "listed", from: "draft", to: "on_sale", scheduledFor: due, at: due, by: "system:timer" },
  ]);
  expect(fired.state).toMatchObject({ status: "on_sale", scheduled: null });
  // A stray second firing (the runtime never does this) finds nothing scheduled and changes nothing.
  expect(run(fired.state, fire(due + 1)).decision.events).toEqual([]);
});

test("product listing - `at` not after now means now; a new schedule replaces the old one", () => {
  expect(run(initialProduct(), publish(NOW)).state.status).toBe("on_sale");
  const first = run(initialProduct(), publish(NOW + 1_000)).state;
  const second = run(first, unpublish(NOW + 5_000));
  expect(second.decision.timers).toEqual({ set: [{ name: "listing", at: NOW + 5_000 }] });
  expect(second.state.scheduled).toMatchObject({ action: "unpublish", due: NOW + 5_000 });
});

test("product listing - publishing now drops a scheduled publish (and its timer) but keeps a scheduled unpublish", () => {
  const pendingPublish = run(initialProduct(), publish(NOW + 1_000)).state;
  const now = run(pendingPublish, publish());
  expect(now.decision.timers).toEqual({ cancel: ["listing"] });
  expect(now.state).toMatchObject({ status: "on_sale", scheduled: null });

  const pendingUnpublish = run(initialProduct(), unpublish(NOW + 1_000)).state;
  const kept = run(pendingUnpublish, publish());
  expect(kept.decision.timers).toBeUndefined();
  expect(kept.state).toMatchObject({ status: "on_sale", scheduled: { action: "unpublish" } });
  const ended = run(kept.state, fire(NOW + 1_000));
  expect(ended.state).toMatchObject({ status: "off_sale", scheduled: null });
});

test("product listing - a schedule that is moot when due is dropped, not applied", () => {
  const onSale = run(initialProduct(), publish()).state;
  const pending = run(onSale, publish(NOW + 1_000)).state;
  const fired = run(pending, fire(NOW + 1_000));
  expect(fired.decision.events).toMatchObject([{ type: "scheduleDropped", reason: "moot" }]);
  expect(fired.state).toMatchObject({ status: "on_sale", scheduled: null });
  const draftUnpublish = run(run(initialProduct(), unpublish(NOW + 1_000)).state, fire(NOW + 1_000));
  expect(draftUnpublish.state).toMatchObject({ status: "draft", scheduled: null });
});

test("product listing - the state survives a snapshot round trip; the kind rejects unknown commands", () => {
  const state = run(initialProduct(), publish(NOW + 1_000)).state;
  expect(productStateSchema.parse(JSON.parse(JSON.stringify(state)))).toEqual(state);
  expect(productKind.commands.safeParse({ type: "delete" }).success).toBe(false);
  expect(productKind.commands.safeParse({ type: "publish", at: 1.5 }).success).toBe(false);
});

test("product listing - cancelling drops the scheduled change and its timer; with nothing scheduled it is a no-op", () => {
  const pending = run(initialProduct(), publish(NOW + 1_000)).state;
  const cancel = (s: ProductState) => productHandlers.cancelScheduled(s, { type: "cancelScheduled" }, ctx());
  const cancelled = run(pending, cancel);
  expect(cancelled.decision.timers).toEqual({ cancel: ["listing"] });
  expect(cancelled.decision.events).toMatchObject([
    { type: "scheduleDropped", reason: "cancelled", by: "alice" },
  ]);
  expect(cancelled.state).toMatchObject({ status: "draft", scheduled: null });
  expect(run(cancelled.state, cancel).decision.events).toEqual([]);
  expect(run(cancelled.state, fire(NOW + 1_000)).decision.events).toEqual([]);
});
