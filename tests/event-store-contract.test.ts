/**
 * One `EventStore` (and `TimerIndex`) contract, run against every implementation: the in-memory store the
 * unit tests use and the JetStream store production uses (real NATS, a private namespace). A behaviour
 * the runtime relies on is written here once, so the two cannot drift apart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  type ActorRef,
  type EventStore,
  type LogBatch,
  type SnapshotRecord,
  StaleWriteError,
  Subjects,
  shardOf,
  type TimerIndex,
} from "../actors/runtime/index.ts";
import { MemoryEventStore, MemoryTimerIndex } from "../actors/runtime/testing/index.ts";
import { JetStreamEventStore, JetStreamTimerIndex } from "../storage/jetstream/jetstream-event-store.ts";
import { ensureStreams } from "../storage/jetstream/streams.ts";
import { cleanupNamespace, NATS_URL, testNamespace } from "./support/harness.ts";

interface Stores {
  store: EventStore;
  timers: TimerIndex;
}

const SHARDS = 8;
let actors = 0;
/** A fresh actor per test, so tests never see each other's logs. */
const freshRef = (kind = "contract"): ActorRef => {
  const id = `A-${++actors}-${Math.random().toString(36).slice(2, 8)}`;
  return { kind, id, shard: shardOf(id, SHARDS) };
};

const batch = (n: number, extra: Partial<LogBatch> = {}): LogBatch => ({
  at: 1_700_000_000_000 + n,
  ev: [{ type: "counted", n }],
  cmds: [{ id: `cmd-${n}`, r: { ok: true, value: n }, n: 1, type: "count" }],
  ...extra,
});

const snapshotAt = (seq: number, state: unknown): SnapshotRecord => ({
  seq,
  state,
  idem: [["cmd-1", { ok: true, value: 1 }, 1_700_000_000_001]],
  timers: [["expire", 1_700_000_060_000, { why: "test" }]],
  effects: [["reserve:SKU-1", { kind: "sku", id: "SKU-1" }, { type: "reserve", qty: 1 }]],
});

async function appendAll(store: EventStore, ref: ActorRef, count: number): Promise<number[]> {
  const seqs: number[] = [];
  let last = 0;
  for (let n = 1; n <= count; n++) {
    last = await store.append(ref, batch(n), last);
    seqs.push(last);
  }
  return seqs;
}

function eventStoreContract(name: string, open: () => Promise<Stores>): void {
  describe(`EventStore contract - ${name}`, () => {
    let stores: Stores;
    const store = () => stores.store;

    beforeAll(async () => {
      stores = await open();
    });

    test(`${name} - an actor that never wrote loads empty at sequence 0`, async () => {
      expect(await store().load(freshRef())).toEqual({ snapshot: undefined, batches: [], lastSeq: 0 });
    });

    test(`${name} - appends return increasing sequences and load returns every batch, oldest first`, async () => {
      const ref = freshRef();
      const seqs = await appendAll(store(), ref, 3);
      expect(seqs[0]).toBeGreaterThan(0);
      expect(seqs[1]!).toBeGreaterThan(seqs[0]!);
      expect(seqs[2]!).toBeGreaterThan(seqs[1]!);
      const loaded = await store().load(ref);
      expect(loaded.snapshot).toBeUndefined();
      expect(loaded.lastSeq).toBe(seqs[2]!);
      expect(loaded.batches).toEqual(seqs.map((seq, i) => ({ seq, batch: batch(i + 1) })));
    });

    test(`${name} - an append with a stale expected sequence is refused with StaleWriteError and changes nothing`, async () => {
      const ref = freshRef();
      const [first] = await appendAll(store(), ref, 1);
      const stale = await store()
        .append(ref, batch(99), 0)
        .then(
          () => "appended",
          (error: unknown) => error,
        );
      expect(stale).toBeInstanceOf(StaleWriteError);
      const ahead = await store()
        .append(ref, batch(98), first! + 1_000)
        .catch((error: unknown) => error);
      expect(ahead).toBeInstanceOf(StaleWriteError);
      const loaded = await store().load(ref);
      expect(loaded.batches.map((b) => b.batch)).toEqual([batch(1)]);
      expect(loaded.lastSeq).toBe(first!);
    });

    test(`${name} - two actors' logs are independent (the compare-and-set is per actor)`, async () => {
      const a = freshRef();
      const b = freshRef();
      const seqA = await store().append(a, batch(1), 0);
      const seqB = await store().append(b, batch(2), 0);
      expect(await store().append(a, batch(3), seqA)).toBeGreaterThan(seqB);
      expect((await store().load(a)).batches.map((x) => x.batch.ev[0])).toEqual([
        { type: "counted", n: 1 },
        { type: "counted", n: 3 },
      ]);
      expect((await store().load(b)).batches.map((x) => x.batch.ev[0])).toEqual([{ type: "counted", n: 2 }]);
    });

    test(`${name} - a snapshot is loaded with only the batches after it`, async () => {
      const ref = freshRef();
      const seqs = await appendAll(store(), ref, 4);
      await store().saveSnapshot(ref, snapshotAt(seqs[1]!, { total: 3 }));
      const loaded = await store().load(ref);
      expect(loaded.snapshot).toEqual(snapshotAt(seqs[1]!, { total: 3 }));
      expect(loaded.batches.map((b) => b.seq)).toEqual(seqs.slice(2));
      expect(loaded.lastSeq).toBe(seqs[3]!);
    });

    test(`${name} - a snapshot at the last sequence loads with no batches`, async () => {
      const ref = freshRef();
      const seqs = await appendAll(store(), ref, 2);
      await store().saveSnapshot(ref, snapshotAt(seqs[1]!, { total: 3 }));
      const loaded = await store().load(ref);
      expect(loaded.batches).toEqual([]);
      expect(loaded.lastSeq).toBe(seqs[1]!);
      // The next append expects that sequence.
      expect(await store().append(ref, batch(3), loaded.lastSeq)).toBeGreaterThan(seqs[1]!);
    });

    test(`${name} - withoutSnapshot loads every batch from the start and no snapshot (the fallback)`, async () => {
      const ref = freshRef();
      const seqs = await appendAll(store(), ref, 3);
      await store().saveSnapshot(ref, snapshotAt(seqs[2]!, { broken: true }));
      const loaded = await store().load(ref, { withoutSnapshot: true });
      expect(loaded.snapshot).toBeUndefined();
      expect(loaded.batches.map((b) => b.seq)).toEqual(seqs);
      expect(loaded.lastSeq).toBe(seqs[2]!);
    });

    test(`${name} - saveSnapshot copies the state before its first await (the caller goes on mutating it)`, async () => {
      const ref = freshRef();
      const [seq] = await appendAll(store(), ref, 1);
      const state = { total: 1, lines: [1] };
      const saving = store().saveSnapshot(ref, snapshotAt(seq!, state));
      state.total = 999;
      state.lines.push(2);
      await saving;
      expect((await store().load(ref)).snapshot?.state).toEqual({ total: 1, lines: [1] });
    });

    test(`${name} - the newest snapshot wins, and a large one (over a NATS message) round-trips`, async () => {
      const ref = freshRef();
      const seqs = await appendAll(store(), ref, 3);
      await store().saveSnapshot(ref, snapshotAt(seqs[0]!, { v: 1 }));
      // Random text does not compress: this is well over 1 MiB after gzip.
      const big = Array.from({ length: 3_000 }, (_, i) => `${i}:${Math.random().toString(36).repeat(12)}`);
      await store().saveSnapshot(ref, snapshotAt(seqs[2]!, { big }));
      const loaded = await store().load(ref);
      expect(loaded.snapshot?.seq).toBe(seqs[2]!);
      expect((loaded.snapshot!.state as { big: string[] }).big).toEqual(big);
      expect(loaded.batches).toEqual([]);
    });

    test(`${name} - ids and events keep every character JSON can carry`, async () => {
      const ref = freshRef();
      const odd = {
        type: "noted",
        text: 'naïve 日本 😀 "quoted" \\ back',
        constructor: "x",
        __proto__: null,
      };
      const seq = await store().append(ref, { at: 1, ev: [odd], cmds: [] }, 0);
      expect((await store().load(ref)).batches).toEqual([{ seq, batch: { at: 1, ev: [odd], cmds: [] } }]);
    });

    test(`${name} - the timer index keeps one next due time per actor, by shard, and 0 clears it`, async () => {
      const a = freshRef("timed");
      const b = { ...freshRef("timed"), shard: a.shard };
      await stores.timers.set(a, 1_000);
      await stores.timers.set(b, 2_000);
      await stores.timers.set(a, 3_000);
      const due = async () =>
        (await stores.timers.loadShard(a.shard))
          .filter((e) => e.ref.id === a.id || e.ref.id === b.id)
          .map((e) => [e.ref.id, e.dueAt])
          .sort();
      expect(await due()).toEqual(
        [
          [a.id, 3_000],
          [b.id, 2_000],
        ].sort(),
      );
      await stores.timers.set(b, 0);
      expect(await due()).toEqual([[a.id, 3_000]]);
    });
  });
}

eventStoreContract("memory", async () => ({ store: new MemoryEventStore(), timers: new MemoryTimerIndex() }));

const namespace = testNamespace("contract");
const connections: NatsConnection[] = [];
afterAll(async () => {
  for (const nc of connections) await nc.close();
  await cleanupNamespace(namespace);
});

/** A connection to this file's namespace with its streams in place. */
async function openJetStream() {
  const nc = await connect({ servers: NATS_URL });
  connections.push(nc);
  const subjects = new Subjects(namespace);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const streams = await ensureStreams(jsm, subjects, { duplicateWindowMs: 60_000 });
  return { subjects, js, jsm, streams };
}

eventStoreContract("jetstream", async () => {
  const { subjects, js, jsm, streams } = await openJetStream();
  return {
    store: new JetStreamEventStore(js, jsm, subjects, streams),
    timers: new JetStreamTimerIndex(js, subjects, streams),
  };
});

describe("JetStream event store - reading a tail", () => {
  test("a tail interleaved with another actor's, read in many small pulls (message and byte limits), comes back whole and in order", async () => {
    const { subjects, js, jsm, streams } = await openJetStream();
    // 40 messages or about 2 KiB per pull: the tail below needs several of each kind.
    const store = new JetStreamEventStore(js, jsm, subjects, streams, {
      tailPull: { messages: 40, bytes: 2_048 },
    });
    const [a, b] = [freshRef(), freshRef()];
    const seqs: number[] = [];
    let lastA = 0;
    let lastB = 0;
    for (let n = 1; n <= 250; n++) {
      lastA = await store.append(a, batch(n), lastA);
      seqs.push(lastA);
      lastB = await store.append(b, batch(1_000 + n), lastB);
    }
    await store.saveSnapshot(a, snapshotAt(seqs[9]!, { n: 10 }));
    const loaded = await store.load(a);
    expect(loaded.snapshot?.seq).toBe(seqs[9]!);
    expect(loaded.batches.map((s) => s.seq)).toEqual(seqs.slice(10));
    expect(loaded.batches.map((s) => s.batch)).toEqual(Array.from({ length: 240 }, (_, i) => batch(i + 11)));
    expect(loaded.lastSeq).toBe(lastA);
    const all = await store.load(a, { withoutSnapshot: true });
    expect(all.batches.map((s) => s.seq)).toEqual(seqs);
    // The tail consumers are deleted without waiting for the answer: gone shortly after.
    const deadline = Date.now() + 5_000;
    let left = -1;
    while (Date.now() < deadline && left !== 0) {
      left = (await jsm.consumers.list(streams.events).next()).length;
      if (left) await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe(0);
  });
});
