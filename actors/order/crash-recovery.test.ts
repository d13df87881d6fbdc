/**
 * Place order survives a crash at every step boundary (ADR 0008): real order, SKU and member instances
 * over one shared in-memory log, with the effect wire held, released or dropped message by message.
 * Every scenario ends with the cross-actor invariants: each SKU holds exactly what the orders say they
 * hold, no stock goes negative, and the member's open orders are the orders recorded with it.
 */
import { describe, expect, test } from "bun:test";
import { type InventoryState, skuKind, stockView } from "../inventory/index.ts";
import { type MemberState, memberKind } from "../member/index.ts";
import type { InstanceOptions, Reply } from "../runtime/index.ts";
import { MemoryCluster } from "../runtime/testing/index.ts";
import { orderKind } from "./index.ts";
import type { OrderState } from "./state.ts";

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const TIMEOUT_MS = 30 * MIN;
const ORDER = "O-1";
const USER = "U-1";
const PLACE_ID = "place:k";

const A = "SKU-A";
/** Its stock is split over two warehouses, so the reservation is too. */
const B = "SKU-B";
const C = "SKU-C";
/** Only one unit: an order of three is refused. */
const SHORT = "SKU-S";
const SKUS = [A, B, C, SHORT];

const ADDRESS = {
  region: "Shanghai",
  detail: "1 Century Avenue",
  phone: "+86 138 0000 0000",
  name: "Li Lei",
};
const line = (sku: string, qty: number, unitPrice = 1_000) => ({ sku, qty, unitPrice });
type Line = ReturnType<typeof line>;

const placeCmd = (lines: Line[]) => ({
  type: "place",
  userId: USER,
  lines,
  address: ADDRESS,
  channel: "web",
  discount: 0,
  freight: 500,
  paymentTimeoutMs: TIMEOUT_MS,
});

/** What a successful place answers (the deferred reply). */
const summary = (lines: Line[]) => {
  const items = lines.reduce((n, l) => n + l.qty * l.unitPrice, 0);
  return {
    ok: true as const,
    value: {
      orderId: ORDER,
      status: "pending_payment",
      amounts: { items, discount: 0, freight: 500, total: items + 500 },
      expiresAt: new Date(T0 + TIMEOUT_MS).toISOString(),
    },
  };
};

const isReply = (m: { cmd: { type: string } }, ...types: string[]) => types.includes(m.cmd.type);
const effectId = (key: string) => `order:${ORDER}:${key}`;

/** A cluster of order, SKU and member actors with stock received on every SKU. */
async function world(snapshotEvery: number, options: Partial<InstanceOptions> = {}): Promise<MemoryCluster> {
  const cluster = new MemoryCluster([orderKind, skuKind, memberKind], {
    clock: T0,
    instance: { snapshotEvery, ...options },
  });
  const receipts: Array<[string, string, number]> = [
    [A, "WH-1", 10],
    [B, "WH-1", 1],
    [B, "WH-2", 1],
    [C, "WH-1", 5],
    [SHORT, "WH-1", 1],
  ];
  for (const [sku, warehouse, qty] of receipts) {
    const reply = await cluster.command("sku", sku, {
      id: `receive:${sku}:${warehouse}`,
      cmd: { type: "receive", warehouse, qty },
    });
    expect(reply.ok).toBe(true);
  }
  return cluster;
}

const place = (cluster: MemoryCluster, lines: Line[]): Promise<Reply> =>
  cluster.command("order", ORDER, { id: PLACE_ID, cmd: placeCmd(lines) });

const orderOf = (cluster: MemoryCluster): OrderState => cluster.durableState<OrderState>(orderKind, ORDER);

/** The effect keys whose reply the order has consumed (durably). */
function consumed(cluster: MemoryCluster): string[] {
  return cluster.store
    .batches(cluster.ref("order", ORDER))
    .flatMap((b) => b.batch.fxd ?? [])
    .sort();
}

/** How many events of `type` for our order the actor's log holds. */
function count(cluster: MemoryCluster, kind: string, id: string, type: string): number {
  return cluster.events(kind, id).filter((e) => e.type === type && e.orderId === ORDER).length;
}

/** Lets the event loop run so that anything that was going to happen has happened. */
const pause = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

/** The cross-actor invariants, checked on the durable state once nothing is moving any more. */
async function assertInvariants(
  cluster: MemoryCluster,
  { orders = [ORDER], allowErrors = [] }: { orders?: string[]; allowErrors?: string[] } = {},
): Promise<void> {
  await cluster.settle();
  expect(cluster.held).toEqual([]);
  const states = orders.map((id) => ({ id, state: cluster.durableState<OrderState>(orderKind, id) }));
  for (const sku of SKUS) {
    const inventory = cluster.durableState<InventoryState>(skuKind, sku);
    const view = stockView(sku, inventory);
    const holding = states.filter(({ state }) =>
      state.lines.some((l) => l.sku === sku && l.state === "reserved"),
    );
    const expected = holding.reduce((n, { state }) => n + state.lines.find((l) => l.sku === sku)!.qty, 0);
    expect({ sku, reserved: view.reserved }).toEqual({ sku, reserved: expected });
    expect({ sku, reservations: [...inventory.reservations.keys()].sort() }).toEqual({
      sku,
      reservations: holding.map((o) => o.id).sort(),
    });
    for (const w of view.warehouses) {
      expect(w.physical).toBeGreaterThanOrEqual(0);
      expect(w.reserved).toBeGreaterThanOrEqual(0);
      expect(w.reserved).toBeLessThanOrEqual(w.physical);
      expect(w.sellable).toBeGreaterThanOrEqual(0);
    }
    // The live actor agrees with its log.
    const live = await cluster.command("sku", sku, { cmd: { type: "get" } });
    expect(live).toMatchObject({ ok: true, value: { reserved: expected, physical: view.physical } });
  }
  const member = cluster.durableState<MemberState>(memberKind, USER);
  expect(
    member.orders
      .filter((o) => o.status === "recorded")
      .map((o) => o.orderId)
      .sort(),
  ).toEqual(
    states
      .filter(({ state }) => state.userId === USER && state.member === "recorded")
      .map((o) => o.id)
      .sort(),
  );
  for (const { id, state } of states) {
    if (state.status === "new") continue;
    const live = await cluster.command("order", id, { cmd: { type: "get" } });
    expect(live).toMatchObject({ ok: true, value: { status: state.status, lines: state.lines } });
  }
  // Effect retries are logged on the way; anything else must be expected by the scenario.
  const unexpected = cluster.errors.filter(
    (e) => !e.message.endsWith("failed; retrying") && !allowErrors.includes(e.message),
  );
  expect(unexpected).toEqual([]);
}

for (const snapshotEvery of [1_000, 1]) {
  const mode = snapshotEvery === 1 ? " (snapshot after every batch)" : "";

  describe(`order - crash recovery${mode}`, () => {
    test(`order - crash after placed was appended, before any reply was consumed, resumes${mode}`, async () => {
      const cluster = await world(snapshotEvery);
      const lines = [line(A, 2), line(B, 2), line(C, 1)];
      // The targets apply every effect, but their answers never reach this order instance.
      cluster.hold = (_m, phase) => phase === "reply";
      const first = place(cluster, lines);
      await cluster.until(() => cluster.held.length === 4, 2_000, "four answers on the wire");
      expect(orderOf(cluster).status).toBe("placing");
      expect(consumed(cluster)).toEqual([]);
      expect(count(cluster, "sku", A, "reserved")).toBe(1);

      cluster.crash("order", ORDER);
      expect(await first).toMatchObject({ ok: false, error: { kind: "timeout" } });
      // The answers arrive late at the dead instance: ignored, nothing is written.
      const written = cluster.store.batches(cluster.ref("order", ORDER)).length;
      cluster.hold = undefined;
      expect(cluster.release()).toBe(4);
      await pause();
      expect(cluster.store.batches(cluster.ref("order", ORDER)).length).toBe(written);

      if (snapshotEvery === 1)
        expect(cluster.store.snapshot(cluster.ref("order", ORDER))?.effects).toHaveLength(4);
      const sentBefore = cluster.sent.length;
      await cluster.restart("order", ORDER);
      // A retry of the same place waits for (or finds) the answer the new owner gives.
      expect(await place(cluster, lines)).toEqual(summary(lines));
      // Every pending effect was sent again with its stable id, and each target applied it once.
      expect(
        cluster.sent
          .slice(sentBefore)
          .map((m) => m.commandId)
          .sort(),
      ).toEqual([`reserve:${A}`, `reserve:${B}`, `reserve:${C}`, "member:record"].map(effectId).sort());
      for (const sku of [A, B, C]) expect(count(cluster, "sku", sku, "reserved")).toBe(1);
      expect(count(cluster, "member", USER, "orderRecorded")).toBe(1);
      const order = orderOf(cluster);
      expect(order.status).toBe("pending_payment");
      expect(order.lines.map((l) => l.state)).toEqual(["reserved", "reserved", "reserved"]);
      expect(order.lines[1]!.allocation).toEqual([
        { warehouse: "WH-1", qty: 1 },
        { warehouse: "WH-2", qty: 1 },
      ]);
      expect(stockView(A, cluster.durableState<InventoryState>(skuKind, A)).reserved).toBe(2);
      await assertInvariants(cluster);
    });

    test(`order - crash after placed, with every effect lost on the wire, resumes and ignores the late duplicates${mode}`, async () => {
      const cluster = await world(snapshotEvery);
      const lines = [line(A, 3), line(C, 2)];
      cluster.hold = (_m, phase) => phase === "request";
      const first = place(cluster, lines);
      await cluster.until(() => cluster.held.length === 3, 2_000, "three requests on the wire");
      expect(count(cluster, "sku", A, "reserved")).toBe(0);

      cluster.crash("order", ORDER);
      expect(await first).toMatchObject({ ok: false, error: { kind: "timeout" } });
      cluster.hold = undefined;
      await cluster.restart("order", ORDER);
      expect(await place(cluster, lines)).toEqual(summary(lines));

      // The dead owner's requests finally arrive: the targets answer them from their idempotency tables.
      const late = [...cluster.held];
      expect(cluster.release()).toBe(3);
      await cluster.settle();
      for (const message of late) {
        const resent = cluster.sent.filter((m) => m.commandId === message.commandId);
        expect(resent.length).toBe(2);
        expect(resent[0]!.reply).toEqual(resent[1]!.reply);
      }
      expect(count(cluster, "sku", A, "reserved")).toBe(1);
      expect(count(cluster, "sku", C, "reserved")).toBe(1);
      expect(count(cluster, "member", USER, "orderRecorded")).toBe(1);
      await assertInvariants(cluster);
    });

    test(`order - crash after some reserve replies were consumed resumes without reserving twice${mode}`, async () => {
      const cluster = await world(snapshotEvery);
      const lines = [line(A, 2), line(B, 2), line(C, 1)];
      cluster.hold = (_m, phase) => phase === "reply";
      const first = place(cluster, lines);
      await cluster.until(() => cluster.held.length === 4, 2_000, "four answers on the wire");
      expect(
        cluster.release(
          (m) => m.commandId === effectId(`reserve:${A}`) || m.commandId === effectId(`reserve:${B}`),
        ),
      ).toBe(2);
      await cluster.until(() => consumed(cluster).length === 2, 2_000, "two replies consumed");
      expect(consumed(cluster)).toEqual([`reserve:${A}`, `reserve:${B}`]);
      expect(orderOf(cluster).lines.map((l) => l.state)).toEqual(["reserved", "reserved", "reserving"]);

      cluster.crash("order", ORDER);
      expect(await first).toMatchObject({ ok: false, error: { kind: "timeout" } });
      cluster.hold = undefined;
      cluster.release();
      const sentBefore = cluster.sent.length;
      await cluster.restart("order", ORDER);
      expect(await place(cluster, lines)).toEqual(summary(lines));
      // Only what was still pending is sent again.
      expect(
        cluster.sent
          .slice(sentBefore)
          .map((m) => m.commandId)
          .sort(),
      ).toEqual([effectId("member:record"), effectId(`reserve:${C}`)]);
      for (const sku of [A, B, C]) expect(count(cluster, "sku", sku, "reserved")).toBe(1);
      expect(stockView(B, cluster.durableState<InventoryState>(skuKind, B)).reserved).toBe(2);
      await assertInvariants(cluster);
    });

    test(`order - crash after every reserve reply, with the member reply pending, resumes${mode}`, async () => {
      const cluster = await world(snapshotEvery);
      const lines = [line(A, 1), line(C, 4)];
      cluster.hold = (m, phase) => phase === "reply" && isReply(m, "recordOrder");
      const first = place(cluster, lines);
      await cluster.until(
        () => cluster.held.length === 1 && consumed(cluster).length === 2,
        2_000,
        "both reserve replies consumed and the member reply held",
      );
      const before = orderOf(cluster);
      expect(before.status).toBe("placing");
      expect(before.member).toBe("pending");
      expect(before.lines.map((l) => l.state)).toEqual(["reserved", "reserved"]);

      cluster.crash("order", ORDER);
      expect(await first).toMatchObject({ ok: false, error: { kind: "timeout" } });
      cluster.hold = undefined;
      cluster.release();
      const sentBefore = cluster.sent.length;
      await cluster.restart("order", ORDER);
      expect(await place(cluster, lines)).toEqual(summary(lines));
      expect(cluster.sent.slice(sentBefore).map((m) => m.commandId)).toEqual([effectId("member:record")]);
      expect(count(cluster, "member", USER, "orderRecorded")).toBe(1);
      expect(orderOf(cluster).member).toBe("recorded");
      await assertInvariants(cluster);
    });

    test(`order - one line short, crash after placementFailed before the releases answered, compensates${mode}`, async () => {
      const cluster = await world(snapshotEvery);
      const lines = [line(A, 2), line(B, 2), line(SHORT, 3)];
      cluster.hold = (m, phase) => phase === "reply" && isReply(m, "release", "cancelOrder");
      const first = place(cluster, lines);
      await cluster.until(
        () => cluster.held.length === 3,
        2_000,
        "two releases and the member cancel answered",
      );
      const failed = orderOf(cluster);
      expect(failed.status).toBe("cancelled");
      expect(failed.placeFailure).toMatchObject({ kind: "insufficient_stock", sku: SHORT });
      expect(failed.lines.map((l) => l.state)).toEqual(["reserved", "reserved", "refused"]);
      expect(failed.member).toBe("recorded");

      cluster.crash("order", ORDER);
      expect(await first).toMatchObject({ ok: false, error: { kind: "timeout" } });
      expect(cluster.release()).toBe(3); // late answers for the dead instance
      await cluster.restart("order", ORDER);
      // The new owner sends the compensation again; hold its answers so the retry has to wait.
      await cluster.until(() => cluster.held.length === 3, 2_000, "the releases re-sent");
      expect(cluster.held.map((m) => m.commandId).sort()).toEqual(
        [`release:${A}`, `release:${B}`, "member:cancel"].map(effectId).sort(),
      );
      let answered: Reply | undefined;
      const retry = place(cluster, lines).then((reply) => {
        answered = reply;
        return reply;
      });
      await pause();
      expect(answered).toBeUndefined(); // "no" only once nothing is held any more
      cluster.hold = undefined;
      cluster.release();
      expect(await retry).toEqual({
        ok: false,
        error: {
          kind: "insufficient_stock",
          message: `insufficient stock for ${SHORT}`,
          details: { sku: SHORT },
        },
      });
      for (const sku of [A, B]) {
        expect(count(cluster, "sku", sku, "reserved")).toBe(1);
        expect(count(cluster, "sku", sku, "released")).toBe(1);
        expect(stockView(sku, cluster.durableState<InventoryState>(skuKind, sku)).reserved).toBe(0);
      }
      expect(count(cluster, "sku", SHORT, "reserved")).toBe(0);
      const member = cluster.durableState<MemberState>(memberKind, USER);
      expect(member.orders.map((o) => [o.orderId, o.status])).toEqual([[ORDER, "cancelled"]]);
      expect(member.skuCounts).toEqual(new Map());
      const order = orderOf(cluster);
      expect(order.lines.map((l) => l.state)).toEqual(["released", "released", "refused"]);
      expect(order.member).toBe("released");
      expect(order.placeFailure).toBeNull();
      await assertInvariants(cluster);
    });

    describe("a SKU actor crashes while it holds the reserve command", () => {
      /** Places with the reserve on SKU-A held back until everything else has answered, then lets it in. */
      async function reserveArrivesAlone(cluster: MemoryCluster, lines: Line[]) {
        cluster.hold = (m, phase) => phase === "request" && m.commandId === effectId(`reserve:${A}`);
        const first = place(cluster, lines);
        await cluster.until(
          () => cluster.held.length === 1 && consumed(cluster).length === lines.length,
          2_000,
          "everything but the reserve on SKU-A answered",
        );
        return { first }; // wrapped: an async function returning a promise would wait for it
      }

      test(`order - crash of a SKU actor after its reservation was durable, reply lost, completes once${mode}`, async () => {
        const cluster = await world(snapshotEvery);
        const lines = [line(A, 2), line(C, 1)];
        const { first } = await reserveArrivesAlone(cluster, lines);
        const gate = cluster.store.gateNextAppend();
        cluster.hold = undefined;
        cluster.release();
        await gate.entered; // SKU-A is appending the reservation
        cluster.crash("sku", A);
        gate.open(); // the write was already out: it lands, but the answer dies with the process
        expect(await first).toEqual(summary(lines));
        expect(
          cluster.sent.filter((m) => m.commandId === effectId(`reserve:${A}`)).length,
        ).toBeGreaterThanOrEqual(2);
        expect(cluster.errors.some((e) => e.message === `effect reserve:${A} failed; retrying`)).toBe(true);
        expect(count(cluster, "sku", A, "reserved")).toBe(1);
        await assertInvariants(cluster);
      });

      test(`order - crash of a SKU actor before its reservation was durable completes once${mode}`, async () => {
        const cluster = await world(snapshotEvery);
        const lines = [line(A, 2), line(C, 1)];
        const { first } = await reserveArrivesAlone(cluster, lines);
        const gate = cluster.store.gateNextAppend();
        cluster.store.failNextAppend("the node died mid-write");
        cluster.hold = undefined;
        cluster.release();
        await gate.entered;
        cluster.crash("sku", A);
        gate.open();
        expect(await first).toEqual(summary(lines));
        expect(cluster.store.failedAppends).toBe(1);
        expect(count(cluster, "sku", A, "reserved")).toBe(1);
        // The store failure is reported by the dead instance; nothing else went wrong.
        await assertInvariants(cluster, { allowErrors: ["append failed"] });
      });

      test(`order - crash of a SKU actor whose write lands after the new owner served the retry completes once${mode}`, async () => {
        const cluster = await world(snapshotEvery);
        const lines = [line(A, 2), line(C, 1)];
        const { first } = await reserveArrivesAlone(cluster, lines);
        const gate = cluster.store.gateNextAppend();
        cluster.hold = undefined;
        cluster.release();
        await gate.entered;
        cluster.crash("sku", A);
        // The order times out, retries, and a new SKU-A owner reserves while the old write is still out.
        expect(await first).toEqual(summary(lines));
        gate.open();
        await cluster.until(() => cluster.store.staleRejections === 1, 2_000, "the stale write refused");
        expect(count(cluster, "sku", A, "reserved")).toBe(1);
        await assertInvariants(cluster);
      });
    });

    test(`order - payment timeout cancels, crash before the release replies, releases exactly once${mode}`, async () => {
      const cluster = await world(snapshotEvery);
      const lines = [line(A, 2), line(B, 2), line(C, 1)];
      expect(await place(cluster, lines)).toEqual(summary(lines));
      await cluster.settle();

      cluster.clock = T0 + TIMEOUT_MS + 1;
      cluster.hold = (m, phase) => phase === "reply" && isReply(m, "release", "cancelOrder");
      expect(await cluster.command("order", ORDER, { cmd: { type: "$timers" } })).toEqual({
        ok: true,
        value: { fired: 1 },
      });
      await cluster.until(
        () => cluster.held.length === 4,
        2_000,
        "three releases and the member cancel answered",
      );
      expect(orderOf(cluster).status).toBe("cancelled");

      cluster.crash("order", ORDER);
      cluster.hold = undefined;
      cluster.release();
      await cluster.restart("order", ORDER);
      await cluster.settle();
      for (const sku of [A, B, C]) {
        expect(count(cluster, "sku", sku, "released")).toBe(1);
        expect(stockView(sku, cluster.durableState<InventoryState>(skuKind, sku)).reserved).toBe(0);
      }
      const member = cluster.durableState<MemberState>(memberKind, USER);
      expect(member.orders.map((o) => [o.orderId, o.status])).toEqual([[ORDER, "cancelled"]]);
      expect(count(cluster, "member", USER, "orderCancelled")).toBe(1);
      const order = orderOf(cluster);
      expect(order.status).toBe("cancelled");
      expect(order.lines.map((l) => l.state)).toEqual(["released", "released", "released"]);
      expect(order.member).toBe("released");
      expect(cluster.events("order", ORDER).filter((e) => e.type === "cancelled").length).toBe(1);
      // The timer fired once: it was removed in the same append as the cancellation.
      expect(await cluster.command("order", ORDER, { cmd: { type: "$timers" } })).toEqual({
        ok: true,
        value: { fired: 0 },
      });
      await assertInvariants(cluster);
    });

    test(`order - crash while placing, restarted after the payment deadline, cancels and gives everything back${mode}`, async () => {
      const cluster = await world(snapshotEvery);
      const lines = [line(A, 2), line(C, 1)];
      cluster.hold = (_m, phase) => phase === "reply";
      const first = place(cluster, lines);
      await cluster.until(() => cluster.held.length === 3, 2_000, "three answers on the wire");
      cluster.crash("order", ORDER);
      expect(await first).toMatchObject({ ok: false, error: { kind: "timeout" } });
      cluster.release(); // lost with the dead instance

      // The order comes back after its deadline; the re-sent effects' answers are still on the wire.
      cluster.clock = T0 + TIMEOUT_MS + 1;
      const wakesBefore = cluster.wakes.length;
      await cluster.restart("order", ORDER);
      expect(cluster.wakes.slice(wakesBefore)).toContainEqual({
        ref: cluster.ref("order", ORDER),
        dueAt: T0 + TIMEOUT_MS,
      });
      await cluster.until(() => cluster.held.length === 3, 2_000, "the re-sent effects answered");
      expect(await cluster.command("order", ORDER, { cmd: { type: "$timers" } })).toEqual({
        ok: true,
        value: { fired: 1 },
      });
      expect(await place(cluster, lines)).toEqual({
        ok: false,
        error: { kind: "conflict", message: "order timed out while reserving" },
      });
      // The answers arrive after the cancellation: every reservation and the member record are undone.
      cluster.hold = undefined;
      cluster.release();
      await cluster.settle();
      for (const sku of [A, C]) {
        expect(count(cluster, "sku", sku, "reserved")).toBe(1);
        expect(count(cluster, "sku", sku, "released")).toBe(1);
      }
      const order = orderOf(cluster);
      expect(order.status).toBe("cancelled");
      expect(order.lines.map((l) => l.state)).toEqual(["released", "released"]);
      expect(order.member).toBe("released");
      const member = cluster.durableState<MemberState>(memberKind, USER);
      expect(member.orders.map((o) => [o.orderId, o.status])).toEqual([[ORDER, "cancelled"]]);
      await assertInvariants(cluster);
    });

    test(`order - crash, then a restart after the SKU forgot the effect's id, leaks no stock${mode}`, async () => {
      // Targets remember command ids for a while (7 days or 100k ids per actor in production); a hot SKU
      // can forget the order's id before a re-send arrives. Here a SKU forgets after a minute.
      const cluster = await world(snapshotEvery, { idempotencyRetentionMs: MIN });
      const lines = [line(A, 2), line(C, 1)];
      cluster.hold = (_m, phase) => phase === "reply";
      const first = place(cluster, lines);
      await cluster.until(() => cluster.held.length === 3, 2_000, "three answers on the wire");
      cluster.crash("order", ORDER);
      expect(await first).toMatchObject({ ok: false, error: { kind: "timeout" } });
      cluster.hold = undefined;
      cluster.release();

      cluster.clock = T0 + 2 * MIN;
      const traffic = await cluster.command("sku", A, {
        id: "receive:later",
        cmd: { type: "receive", warehouse: "WH-1", qty: 1 },
      });
      expect(traffic.ok).toBe(true);
      await cluster.restart("order", ORDER);
      const answer = await place(cluster, lines);
      expect(answer).not.toMatchObject({ ok: false, error: { kind: "timeout" } });
      await cluster.settle();
      expect(orderOf(cluster).status).not.toBe("placing");
      expect(count(cluster, "sku", A, "reserved")).toBe(1);
      // Whatever the order concluded, SKU-A holds exactly what the order says it holds.
      await assertInvariants(cluster);
    });

    test(`order - a failed append while consuming a reply does not stall placing${mode}`, async () => {
      const cluster = await world(snapshotEvery);
      const lines = [line(A, 2), line(C, 1)];
      cluster.hold = (_m, phase) => phase === "reply";
      const first = place(cluster, lines);
      await cluster.until(() => cluster.held.length === 3, 2_000, "three answers on the wire");
      // The batch that consumes SKU-A's answer is not written; the order reloads from its log.
      cluster.store.failNextAppend("event log unavailable");
      cluster.release((m) => m.commandId === effectId(`reserve:${A}`));
      await cluster.until(() => cluster.store.failedAppends === 1, 2_000, "the failed append");
      cluster.hold = undefined;
      cluster.release();
      // The reply consumed by the lost batch is pending again in the outbox: it must be obtained again.
      await cluster.until(
        () => orderOf(cluster).status === "pending_payment",
        3_000,
        "the order to reach pending_payment",
      );
      expect(await first).toEqual(summary(lines));
      expect(count(cluster, "sku", A, "reserved")).toBe(1);
      await assertInvariants(cluster, { allowErrors: ["append failed"] });
    });
  });
}
