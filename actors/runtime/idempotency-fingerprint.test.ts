import { expect, test } from "bun:test";
import { z } from "zod";
import { ActorInstance, type InstanceHost, type InstanceOptions } from "./actor-instance.ts";
import { defineKind } from "./kind.ts";
import type { ActorRef, CommandEnvelope, Reply } from "./protocol.ts";
import { MemoryEventStore, MemoryTimerIndex } from "./testing/memory-event-store.ts";

// A kind that exists only in this test: a counter whose every add is one event.
const tallyKind = defineKind<{ total: number }, { type: "add"; n: number }, { type: "added"; n: number }>({
  name: "tally",
  commands: z.object({ type: z.literal("add"), n: z.number().int() }),
  state: z.object({ total: z.number().int() }),
  initialState: () => ({ total: 0 }),
  apply: (state, event) => ({ total: state.total + event.n }),
  handlers: {
    add: (state, c) => ({ events: [{ type: "added", n: c.n }], reply: { total: state.total + c.n } }),
  },
});

const ref: ActorRef = { kind: "tally", id: "T-1", shard: 0 };
const options = (snapshotEvery: number): InstanceOptions => ({
  mailboxMax: 100,
  maxBatch: 100,
  snapshotEvery,
  idempotencyMax: 1_000,
  idempotencyRetentionMs: 3_600_000,
});

function host(store: MemoryEventStore): InstanceHost {
  return {
    store,
    timerIndex: new MemoryTimerIndex(),
    leaseValid: () => true,
    scheduleWake: () => undefined,
    now: () => 1_700_000_000_000,
    onAppend: () => undefined,
    onError: () => undefined,
  };
}

async function activate(store: MemoryEventStore, snapshotEvery = 1_000): Promise<ActorInstance> {
  const actor = new ActorInstance(ref, tallyKind, host(store), options(snapshotEvery));
  await actor.activate();
  return actor;
}

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error("condition not reached");
}

const send = (actor: ActorInstance, envelope: CommandEnvelope) =>
  new Promise<Reply>((resolve) => actor.enqueue(envelope, resolve));
const add = (n: number, fp?: string): CommandEnvelope => ({
  id: "key-1",
  cmd: { type: "add", n },
  ...(fp ? { fp } : {}),
});

test("runtime - a command id reused with another fingerprint is refused, the same one replays, also after reload and from a snapshot", async () => {
  const store = new MemoryEventStore();
  let actor = await activate(store, 2);
  const first = await send(actor, add(5, "fp-A"));
  expect(first).toEqual({ ok: true, value: { total: 5 } });
  const reused = await send(actor, add(7, "fp-B"));
  expect(reused.ok).toBe(false);
  if (!reused.ok) expect(reused.error.kind).toBe("idempotency_key_reused");
  expect(await send(actor, add(5, "fp-A"))).toEqual(first);

  // From the log only (a restart or failover): the fingerprint is in the batch record.
  actor = await activate(store, 2);
  const afterReload = await send(actor, add(7, "fp-B"));
  expect(afterReload.ok ? "replayed" : afterReload.error.kind).toBe("idempotency_key_reused");
  expect(await send(actor, add(5, "fp-A"))).toEqual(first);

  // From a snapshot (the batch that carried the id is no longer read on activation).
  await send(actor, { id: "key-2", cmd: { type: "add", n: 1 }, fp: "fp-C" });
  await send(actor, { id: "key-3", cmd: { type: "add", n: 1 }, fp: "fp-D" });
  await actor.settled();
  // Snapshots are written in the background; the first one covers the batch that carried key-1.
  await waitUntil(() => (store.snapshot(ref)?.seq ?? 0) > 1);
  const snapshot = store.snapshot(ref);
  expect(snapshot?.idem.find(([id]) => id === "key-1")?.[4]).toBe("fp-A");
  actor = await activate(store);
  const fromSnapshot = await send(actor, add(7, "fp-B"));
  expect(fromSnapshot.ok ? "replayed" : fromSnapshot.error.kind).toBe("idempotency_key_reused");
  expect(await send(actor, add(5, "fp-A"))).toEqual(first);
  // Nothing the refused requests asked for was applied.
  expect(store.batches(ref).flatMap((b) => b.batch.ev)).toEqual([
    { type: "added", n: 5 },
    { type: "added", n: 1 },
    { type: "added", n: 1 },
  ]);
});

test("runtime - ids recorded without a fingerprint (before fingerprints existed) still replay", async () => {
  const store = new MemoryEventStore();
  const actor = await activate(store);
  const first = await send(actor, add(3));
  expect(await send(actor, add(3, "fp-A"))).toEqual(first);
  expect(await send(await activate(store), add(9, "fp-B"))).toEqual(first);
});
