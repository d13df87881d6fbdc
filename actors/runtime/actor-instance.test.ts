import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { ActorInstance, type InstanceHost, type InstanceOptions } from "./actor-instance.ts";
import { DomainError, isRetryable } from "./errors.ts";
import { defineKind } from "./kind.ts";
import type { ActorRef, CommandEnvelope, Reply } from "./protocol.ts";
import { MemoryEventStore, MemoryTimerIndex } from "./testing/memory-event-store.ts";

// A kind that exists only in this test: a bounded counter with a reminder.
const LIMIT = 1_000;
type CounterState = { total: number; fired: string[] };
type CounterCommand =
  | { type: "add"; n: number }
  | { type: "get" }
  | { type: "remind"; name: string; inMs: number };
type CounterEvent = { type: "added"; n: number } | { type: "reminded"; name: string };

const counterKind = defineKind<CounterState, CounterCommand, CounterEvent>({
  name: "counter",
  commands: z.discriminatedUnion("type", [
    z.object({ type: z.literal("add"), n: z.number().int() }),
    z.object({ type: z.literal("get") }),
    z.object({ type: z.literal("remind"), name: z.string(), inMs: z.number().int().positive() }),
  ]),
  events: z.discriminatedUnion("type", [
    z.object({ type: z.literal("added"), n: z.number().int() }),
    z.object({ type: z.literal("reminded"), name: z.string() }),
  ]),
  state: z.object({ total: z.number().int(), fired: z.array(z.string()) }),
  initialState: () => ({ total: 0, fired: [] }),
  // Mutates in place, as the runtime allows: a failed append must still never leave a half-changed state.
  apply: (state, event) => {
    if (event.type === "added") state.total += event.n;
    else state.fired.push(event.name);
    return state;
  },
  handlers: {
    add: (state, c) => {
      if (state.total + c.n > LIMIT) {
        throw new DomainError("insufficient_stock", `only ${LIMIT - state.total} left`, {
          total: state.total,
          requested: c.n,
        });
      }
      return { events: [{ type: "added", n: c.n }], reply: { total: state.total + c.n } };
    },
    get: (state) => ({ events: [], reply: { total: state.total, fired: [...state.fired] } }),
    remind: (_state, c, ctx) => ({
      events: [],
      reply: { at: ctx.now + c.inMs },
      timers: { set: [{ name: c.name, at: ctx.now + c.inMs, data: { note: c.name } }] },
    }),
  },
  readOnly: ["get"],
  onTimer: (_state, timer) => ({ events: [{ type: "reminded", name: timer.name }], reply: null }),
});

const ref: ActorRef = { kind: "counter", id: "C-1", shard: 3 };
const T0 = 1_700_000_000_000;

const baseOptions: InstanceOptions = {
  mailboxMax: 1_000,
  maxBatch: 1_000,
  snapshotEvery: 1_000,
  idempotencyMax: 10_000,
  idempotencyRetentionMs: 24 * 3600_000,
};

class FakeHost implements InstanceHost {
  nodeId = "node-test";
  lease = true;
  clock = T0;
  readonly wakes: Array<{ ref: ActorRef; dueAt: number }> = [];
  readonly appended: Array<{ commands: number; events: number }> = [];
  readonly errors: Array<{ message: string; error: unknown }> = [];
  readonly store: MemoryEventStore;
  readonly timerIndex: MemoryTimerIndex;

  constructor(store: MemoryEventStore, timerIndex: MemoryTimerIndex) {
    this.store = store;
    this.timerIndex = timerIndex;
  }
  leaseValid(): boolean {
    return this.lease;
  }
  scheduleWake(target: ActorRef, dueAt: number): void {
    this.wakes.push({ ref: target, dueAt });
  }
  now(): number {
    return this.clock;
  }
  onAppend(commands: number, events: number): void {
    this.appended.push({ commands, events });
  }
  onError(_ref: ActorRef, message: string, error: unknown): void {
    this.errors.push({ message, error });
  }
}

interface World {
  store: MemoryEventStore;
  timerIndex: MemoryTimerIndex;
  host: FakeHost;
  actor: ActorInstance;
}

/** A store plus one activated instance of `ref`. */
async function world(options: Partial<InstanceOptions> = {}): Promise<World> {
  const store = new MemoryEventStore();
  const timerIndex = new MemoryTimerIndex();
  const { host, actor } = await activate(store, timerIndex, options);
  return { store, timerIndex, host, actor };
}

/** Another instance of the same actor on the same store (a failover, or an overlapping stale owner). */
async function activate(
  store: MemoryEventStore,
  timerIndex: MemoryTimerIndex,
  options: Partial<InstanceOptions> = {},
  clock = T0,
): Promise<{ host: FakeHost; actor: ActorInstance }> {
  const host = new FakeHost(store, timerIndex);
  host.clock = clock;
  const actor = new ActorInstance(ref, counterKind, host, { ...baseOptions, ...options });
  await actor.activate();
  return { host, actor };
}

const add = (id: string, n: number): CommandEnvelope => ({ id, cmd: { type: "add", n } });
const GET: CommandEnvelope = { cmd: { type: "get" } };
const TIMERS: CommandEnvelope = { cmd: { type: "$timers" } };

function send(actor: ActorInstance, envelope: CommandEnvelope): Promise<Reply> {
  return new Promise((resolve) => actor.enqueue(envelope, resolve));
}

/** Sends and records whether (and when) the reply arrived. */
function track(actor: ActorInstance, envelope: CommandEnvelope) {
  const t = {
    done: false,
    reply: undefined as Reply | undefined,
    promise: undefined as unknown as Promise<Reply>,
  };
  t.promise = new Promise<Reply>((resolve) =>
    actor.enqueue(envelope, (reply) => {
      t.done = true;
      t.reply = reply;
      resolve(reply);
    }),
  );
  return t;
}

/** Lets every pending microtask and immediate run. */
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function okValue(reply: Reply): unknown {
  if (!reply.ok) throw new Error(`expected ok, got ${JSON.stringify(reply.error)}`);
  return reply.value;
}
function errorOf(reply: Reply) {
  if (reply.ok) throw new Error(`expected an error, got ${JSON.stringify(reply.value)}`);
  return reply.error;
}
async function totalOf(actor: ActorInstance): Promise<number> {
  return (okValue(await send(actor, GET)) as { total: number }).total;
}

describe("runtime - ordering", () => {
  test("runtime - commands apply in arrival order and each caller gets its own result", async () => {
    const { actor, store } = await world();
    const replies = await Promise.all([1, 2, 3, 4, 5].map((n) => send(actor, add(`o-${n}`, n))));
    expect(replies.map(okValue)).toEqual([
      { total: 1 },
      { total: 3 },
      { total: 6 },
      { total: 10 },
      { total: 15 },
    ]);
    const logged = store.batches(ref).flatMap((b) => b.batch.ev);
    expect(logged).toEqual([1, 2, 3, 4, 5].map((n) => ({ type: "added", n })));
    expect(await totalOf(actor)).toBe(15);
  });

  test("runtime - commands sent before activation wait and then apply in order", async () => {
    const store = new MemoryEventStore();
    const host = new FakeHost(store, new MemoryTimerIndex());
    const actor = new ActorInstance(ref, counterKind, host, baseOptions);
    const first = track(actor, add("early-1", 2));
    const second = track(actor, add("early-2", 3));
    await flush();
    expect(first.done || second.done).toBe(false);
    await actor.activate();
    expect(okValue(await first.promise)).toEqual({ total: 2 });
    expect(okValue(await second.promise)).toEqual({ total: 5 });
  });
});

describe("runtime - group commit", () => {
  test("runtime - group commit folds queued commands into one append", async () => {
    const { actor, store, host } = await world();
    const gate1 = store.gateNextAppend();
    const first = track(actor, add("g-0", 1));
    await gate1.entered;
    const gate2 = store.gateNextAppend();
    const rest = Array.from({ length: 100 }, (_, i) => track(actor, add(`g-${i + 1}`, 1)));
    expect(actor.queued).toBe(100);
    await flush();
    // Nothing is answered while its append is in flight.
    expect(first.done).toBe(false);
    expect(rest.some((r) => r.done)).toBe(false);

    gate1.open();
    expect(okValue(await first.promise)).toEqual({ total: 1 });
    await gate2.entered;
    await flush();
    expect(store.appendCalls).toBe(2);
    expect(rest.some((r) => r.done)).toBe(false);

    gate2.open();
    const replies = await Promise.all(rest.map((r) => r.promise));
    expect(replies.map(okValue)).toEqual(replies.map((_, i) => ({ total: i + 2 })));
    expect(store.appends).toBe(2);
    const [one, hundred] = store.batches(ref);
    expect(one?.batch.cmds).toHaveLength(1);
    expect(hundred?.batch.cmds).toHaveLength(100);
    expect(hundred?.batch.ev).toHaveLength(100);
    expect(hundred?.batch.cmds.map((c) => c.id)).toEqual(rest.map((_, i) => `g-${i + 1}`));
    expect(hundred?.batch.node).toBe("node-test");
    expect(host.appended).toEqual([
      { commands: 1, events: 1 },
      { commands: 100, events: 100 },
    ]);
  });

  test("runtime - maxBatch splits a long queue into several appends", async () => {
    const { actor, store } = await world({ maxBatch: 10 });
    const gate = store.gateNextAppend();
    const first = track(actor, add("m-0", 1));
    await gate.entered;
    const rest = Array.from({ length: 25 }, (_, i) => send(actor, add(`m-${i + 1}`, 1)));
    gate.open();
    await first.promise;
    await Promise.all(rest);
    expect(store.batches(ref).map((b) => b.batch.cmds.length)).toEqual([1, 10, 10, 5]);
    expect(await totalOf(actor)).toBe(26);
  });

  test("runtime - a failed append fails exactly its batch and rolls the state back", async () => {
    const { actor, store, host } = await world();
    expect(okValue(await send(actor, add("f-1", 5)))).toEqual({ total: 5 });

    const gate1 = store.gateNextAppend();
    const a = track(actor, add("f-2", 1));
    await gate1.entered;
    // The next append (the one carrying b and c) waits, then fails.
    const gate2 = store.gateNextAppend();
    store.failNextAppend();
    const b = track(actor, add("f-3", 10));
    const c = track(actor, add("f-4", 20));
    gate1.open();
    expect(okValue(await a.promise)).toEqual({ total: 6 });
    await gate2.entered;
    // Queued after the failing batch left: must not be failed with it.
    const d = track(actor, add("f-5", 100));
    await flush();
    expect(b.done || c.done || d.done).toBe(false);

    gate2.open();
    for (const failed of [await b.promise, await c.promise]) {
      const error = errorOf(failed);
      expect(error.kind).toBe("unavailable");
      expect(isRetryable(error.kind)).toBe(true);
      expect(error.retryAfterMs).toBeGreaterThan(0);
    }
    // d applied on the rolled-back state (6), not on the in-memory 36.
    expect(okValue(await d.promise)).toEqual({ total: 106 });
    expect(await totalOf(actor)).toBe(106);
    expect(actor.status).toBe("ready");
    expect(store.failedAppends).toBe(1);
    expect(host.errors.map((e) => e.message)).toContain("append failed");

    // The failed commands were not remembered: retrying the same ids applies them now, once.
    expect(okValue(await send(actor, add("f-3", 10)))).toEqual({ total: 116 });
    expect(okValue(await send(actor, add("f-4", 20)))).toEqual({ total: 136 });
    expect(okValue(await send(actor, add("f-3", 10)))).toEqual({ total: 116 });
    const persisted = store.batches(ref).flatMap((s) => s.batch.ev);
    expect(persisted.reduce((n, e) => n + (e.type === "added" ? (e.n as number) : 0), 0)).toBe(136);
  });

  test("runtime - a read that shares a batch with a failed write is failed too, never answered dirty", async () => {
    const { actor, store } = await world();
    await send(actor, add("r-1", 1));
    const gate = store.gateNextAppend();
    const inFlight = track(actor, add("r-2", 1));
    await gate.entered;
    store.failNextAppend();
    const write = track(actor, add("r-3", 50));
    const read = track(actor, GET);
    gate.open();
    await inFlight.promise;
    expect(errorOf(await write.promise).kind).toBe("unavailable");
    expect(errorOf(await read.promise).kind).toBe("unavailable");
    expect(await totalOf(actor)).toBe(2);
  });
});

describe("runtime - effectively once", () => {
  test("runtime - the same command id twice returns the original reply and appends once", async () => {
    const { actor, store } = await world();
    expect(okValue(await send(actor, add("x", 3)))).toEqual({ total: 3 });
    expect(okValue(await send(actor, add("y", 4)))).toEqual({ total: 7 });
    expect(okValue(await send(actor, add("x", 3)))).toEqual({ total: 3 });
    // Even with a different body: the id decides.
    expect(okValue(await send(actor, add("x", 999)))).toEqual({ total: 3 });
    expect(store.appends).toBe(2);
    expect(await totalOf(actor)).toBe(7);
  });

  test("runtime - a duplicate inside one batch applies once", async () => {
    const { actor, store } = await world();
    const gate = store.gateNextAppend();
    const first = track(actor, add("warm", 1));
    await gate.entered;
    const a = track(actor, add("dup", 5));
    const b = track(actor, add("dup", 5));
    gate.open();
    await first.promise;
    expect(okValue(await a.promise)).toEqual({ total: 6 });
    expect(okValue(await b.promise)).toEqual({ total: 6 });
    expect(store.batches(ref)[1]?.batch.ev).toHaveLength(1);
    expect(await totalOf(actor)).toBe(6);
  });

  test("runtime - a retry after failover returns the original reply from the log", async () => {
    const { actor, store, timerIndex } = await world();
    await send(actor, add("x", 3));
    await send(actor, add("y", 4));
    actor.close();
    const { actor: next } = await activate(store, timerIndex);
    expect(okValue(await send(next, add("x", 3)))).toEqual({ total: 3 });
    expect(okValue(await send(next, add("y", 4)))).toEqual({ total: 7 });
    expect(store.appends).toBe(2);
    expect(await totalOf(next)).toBe(7);
  });

  test("runtime - a retry after a snapshot returns the original reply from the snapshot", async () => {
    const { actor, store, timerIndex } = await world({ snapshotEvery: 2 });
    await send(actor, add("x", 3));
    await send(actor, add("y", 4));
    await flush();
    const snapshot = store.snapshot(ref);
    expect(snapshot?.seq).toBe(store.lastSeq(ref));
    expect(snapshot?.idem.map(([id]) => id)).toEqual(["x", "y"]);
    const loaded = await store.load(ref);
    expect(loaded.batches).toHaveLength(0); // the retry can only be answered from the snapshot

    const { actor: next } = await activate(store, timerIndex, { snapshotEvery: 2 });
    expect(okValue(await send(next, add("x", 3)))).toEqual({ total: 3 });
    expect(store.appends).toBe(2);
    expect(await totalOf(next)).toBe(7);
  });

  test("runtime - a command refused by the domain is not remembered and may succeed later", async () => {
    const { actor, store } = await world();
    await send(actor, add("big", LIMIT));
    const refused = errorOf(await send(actor, add("one-more", 1)));
    expect(refused.kind).toBe("insufficient_stock");
    expect(refused.details).toEqual({ total: LIMIT, requested: 1 });
    expect(store.appendCalls).toBe(1);
  });
});

describe("runtime - fencing", () => {
  test("runtime - a stale instance's append is rejected with moved and it reloads both writers' effects", async () => {
    const store = new MemoryEventStore();
    const timerIndex = new MemoryTimerIndex();
    const { actor: a } = await activate(store, timerIndex);
    expect(okValue(await send(a, add("a-1", 1)))).toEqual({ total: 1 });
    const { actor: b } = await activate(store, timerIndex);

    // b (the new owner) writes first; a still believes it is at a-1.
    expect(okValue(await send(b, add("b-1", 10)))).toEqual({ total: 11 });
    const stale = errorOf(await send(a, add("a-2", 100)));
    expect(stale.kind).toBe("moved");
    expect(isRetryable(stale.kind)).toBe(true);
    expect(store.staleRejections).toBe(1);
    expect(store.appends).toBe(2);

    // a reloads (the refusal is answered first): it sees b's write and nothing of its refused one.
    await a.settled();
    expect(a.status).toBe("ready");
    expect(await totalOf(a)).toBe(11);
    // Retrying a-2 applies it exactly once; b's command through a is answered from the log.
    expect(okValue(await send(a, add("a-2", 100)))).toEqual({ total: 111 });
    expect(okValue(await send(a, add("b-1", 10)))).toEqual({ total: 11 });
    expect(store.appends).toBe(3);

    // Now b is the stale one.
    expect(errorOf(await send(b, add("b-2", 1))).kind).toBe("moved");
    expect(await totalOf(b)).toBe(111);

    const { actor: fresh } = await activate(store, timerIndex);
    expect(await totalOf(fresh)).toBe(111);
    const events = store.batches(ref).flatMap((s) => s.batch.ev);
    expect(events).toEqual([
      { type: "added", n: 1 },
      { type: "added", n: 10 },
      { type: "added", n: 100 },
    ]);
  });

  test("runtime - a lost lease refuses the batch with moved and closes without appending", async () => {
    const { actor, store, host } = await world();
    host.lease = false;
    const a = track(actor, add("l-1", 1));
    const b = track(actor, add("l-2", 2));
    expect(errorOf(await a.promise).kind).toBe("moved");
    expect(errorOf(await b.promise).kind).toBe("moved");
    expect(actor.status).toBe("closed");
    expect(store.appendCalls).toBe(0);
    // Closed: later commands are refused at once.
    let late: Reply | undefined;
    actor.enqueue(add("l-3", 3), (reply) => {
      late = reply;
    });
    expect(late && errorOf(late).kind).toBe("moved");
    expect(store.appendCalls).toBe(0);
  });

  test("runtime - close() while an append is in flight is final, even when that append fails", async () => {
    // E.g. the node crashes or hands the shard over while the append is out; the new owner then writes
    // first, so the old instance's append is rejected.
    const { actor, store } = await world();
    const gate = store.gateNextAppend();
    store.failNextAppend();
    const inFlight = track(actor, add("c-1", 1));
    await gate.entered;
    actor.close("node crashed", "unavailable");
    expect(actor.status).toBe("closed");
    gate.open();
    expect(errorOf(await inFlight.promise).kind).toBe("unavailable");
    await actor.settled();
    expect(actor.status).toBe("closed");
    // A closed instance never applies another command.
    let late: Reply | undefined;
    actor.enqueue(add("c-2", 1), (reply) => {
      late = reply;
    });
    expect(late && errorOf(late).kind).toBe("moved");
    await flush();
    expect(store.appendCalls).toBe(1);
  });
});

describe("runtime - backpressure", () => {
  test("runtime - a full mailbox answers overloaded at once", async () => {
    const { actor, store } = await world({ mailboxMax: 5 });
    const gate = store.gateNextAppend();
    const inFlight = track(actor, add("b-0", 1));
    await gate.entered;
    const queued = Array.from({ length: 5 }, (_, i) => track(actor, add(`b-${i + 1}`, 1)));
    expect(actor.queued).toBe(5);

    let refused: Reply | undefined;
    actor.enqueue(add("b-6", 1), (reply) => {
      refused = reply;
    });
    // Answered synchronously, not queued.
    expect(refused).toBeDefined();
    const error = errorOf(refused as Reply);
    expect(error.kind).toBe("overloaded");
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(actor.queued).toBe(5);

    gate.open();
    await inFlight.promise;
    for (const q of queued) expect((await q.promise).ok).toBe(true);
    // The refused command left no trace: its retry applies.
    expect(okValue(await send(actor, add("b-6", 1)))).toEqual({ total: 7 });
  });
});

describe("runtime - snapshots", () => {
  test("runtime - activation from snapshot plus tail rebuilds the same state", async () => {
    const { actor, store, timerIndex } = await world({ snapshotEvery: 5 });
    for (let i = 1; i <= 12; i++) {
      await send(actor, add(`s-${i}`, i));
      await flush();
    }
    expect(await totalOf(actor)).toBe(78);
    expect(store.snapshotsSaved).toBe(2);
    const seqs = store.batches(ref).map((b) => b.seq);
    const snapshot = store.snapshot(ref);
    expect(snapshot?.seq).toBe(seqs[9]);
    // The snapshot holds the state as of batch 10, not the live object that went on changing.
    expect(snapshot?.state).toEqual({ total: 55, fired: [] });

    const loaded = await store.load(ref);
    expect(loaded.batches.map((b) => b.seq)).toEqual(seqs.slice(10));

    const { actor: fresh } = await activate(store, timerIndex, { snapshotEvery: 5 });
    expect(fresh.seq).toBe(actor.seq);
    expect(okValue(await send(fresh, GET))).toEqual(okValue(await send(actor, GET)));
    // Idempotency survives too, for ids folded into the snapshot and for ids in the tail.
    expect(okValue(await send(fresh, add("s-3", 3)))).toEqual({ total: 6 });
    expect(okValue(await send(fresh, add("s-12", 12)))).toEqual({ total: 78 });
    expect(store.appends).toBe(12);
  });

  test("runtime - settled() waits for queued commands too, so a parting snapshot holds only persisted state", async () => {
    // The sequence ActorNode uses when a shard is released: await settled(), then snapshotIfWorthIt(1).
    const { actor, store, timerIndex } = await world();
    await send(actor, add("p-0", 1));
    const gate1 = store.gateNextAppend();
    const a = track(actor, add("p-1", 10));
    await gate1.entered;
    const gate2 = store.gateNextAppend();
    const b = track(actor, add("p-2", 100));
    let parted = false;
    const parting = actor.settled().then(() => {
      parted = true;
      actor.snapshotIfWorthIt(1);
    });
    gate1.open();
    await gate2.entered; // b's batch is applied in memory and its append is in flight
    await flush();
    expect(parted).toBe(false);
    expect(store.snapshot(ref)).toBeUndefined();

    gate2.open();
    await parting;
    expect(okValue(await a.promise)).toEqual({ total: 11 });
    expect(okValue(await b.promise)).toEqual({ total: 111 });
    await flush();
    expect(store.snapshot(ref)?.seq).toBe(store.lastSeq(ref));
    expect(store.snapshot(ref)?.state).toEqual({ total: 111, fired: [] });
    const { actor: fresh } = await activate(store, timerIndex);
    expect(await totalOf(fresh)).toBe(111);
  });

  test("runtime - snapshotIfWorthIt on an idle actor writes the persisted state", async () => {
    const { actor, store, timerIndex } = await world();
    for (let i = 1; i <= 3; i++) await send(actor, add(`i-${i}`, i));
    actor.snapshotIfWorthIt(4);
    await flush();
    expect(store.snapshot(ref)).toBeUndefined();
    actor.snapshotIfWorthIt(3);
    await flush();
    expect(store.snapshot(ref)?.seq).toBe(store.lastSeq(ref));
    expect(store.snapshot(ref)?.state).toEqual({ total: 6, fired: [] });
    const { actor: fresh } = await activate(store, timerIndex);
    expect(await totalOf(fresh)).toBe(6);
  });
});

describe("runtime - durable timers", () => {
  test("runtime - a timer fires once after its due time and is gone after reload", async () => {
    const { actor, store, host, timerIndex } = await world();
    const due = T0 + 60_000;
    expect(
      okValue(await send(actor, { id: "t-1", cmd: { type: "remind", name: "pay", inMs: 60_000 } })),
    ).toEqual({ at: due });
    expect(host.wakes.at(-1)).toEqual({ ref, dueAt: due });
    expect(timerIndex.dueAt(ref)).toBe(due);
    expect(store.batches(ref)[0]?.batch.tm).toEqual([["pay", due, { note: "pay" }]]);

    // Not yet due.
    host.clock = due - 1;
    expect(okValue(await send(actor, TIMERS))).toEqual({ fired: 0 });
    expect(okValue(await send(actor, GET))).toEqual({ total: 0, fired: [] });

    host.clock = due;
    expect(okValue(await send(actor, TIMERS))).toEqual({ fired: 1 });
    expect(okValue(await send(actor, GET))).toEqual({ total: 0, fired: ["pay"] });
    host.clock = due + 10_000;
    expect(okValue(await send(actor, TIMERS))).toEqual({ fired: 0 });
    expect(okValue(await send(actor, GET))).toEqual({ total: 0, fired: ["pay"] });
    expect(host.wakes.at(-1)).toEqual({ ref, dueAt: 0 });
    await flush();
    expect(timerIndex.dueAt(ref)).toBe(0);
    expect(store.appends).toBe(2);

    const { actor: fresh, host: freshHost } = await activate(store, timerIndex, {}, due + 20_000);
    expect(freshHost.wakes).toEqual([{ ref, dueAt: 0 }]);
    expect(okValue(await send(fresh, TIMERS))).toEqual({ fired: 0 });
    expect(okValue(await send(fresh, GET))).toEqual({ total: 0, fired: ["pay"] });
    expect(store.appends).toBe(2);
  });

  test("runtime - a timer set before a failover fires on the new instance", async () => {
    const { actor, store, timerIndex } = await world();
    const due = T0 + 5_000;
    await send(actor, { id: "t-1", cmd: { type: "remind", name: "expire", inMs: 5_000 } });
    actor.close();
    const { actor: next, host: nextHost } = await activate(store, timerIndex, {}, due + 1);
    expect(nextHost.wakes).toEqual([{ ref, dueAt: due }]);
    expect(okValue(await send(next, TIMERS))).toEqual({ fired: 1 });
    expect(okValue(await send(next, GET))).toEqual({ total: 0, fired: ["expire"] });
  });

  test("runtime - two overlapping instances fire a timer once in effect", async () => {
    const store = new MemoryEventStore();
    const timerIndex = new MemoryTimerIndex();
    const { actor: a, host: hostA } = await activate(store, timerIndex);
    await send(a, { id: "t-1", cmd: { type: "remind", name: "expire", inMs: 1_000 } });
    const { actor: b } = await activate(store, timerIndex, {}, T0 + 2_000);
    hostA.clock = T0 + 2_000;
    expect(okValue(await send(b, TIMERS))).toEqual({ fired: 1 });
    // a also holds the timer in memory, but its firing is fenced off.
    expect(errorOf(await send(a, TIMERS)).kind).toBe("moved");
    expect(okValue(await send(a, TIMERS))).toEqual({ fired: 0 });
    expect(okValue(await send(a, GET))).toEqual({ total: 0, fired: ["expire"] });
    const fired = store.batches(ref).flatMap((s) => s.batch.ev);
    expect(fired).toEqual([{ type: "reminded", name: "expire" }]);
  });

  test("runtime - a timer whose firing append fails is kept and fires once on the retry", async () => {
    const { actor, store, host } = await world();
    await send(actor, { id: "t-1", cmd: { type: "remind", name: "expire", inMs: 1_000 } });
    host.clock = T0 + 1_000;
    store.failNextAppend();
    expect(errorOf(await send(actor, TIMERS)).kind).toBe("unavailable");
    await actor.settled();
    // Reloaded with the timer still due, and the wake re-armed for it.
    expect(host.wakes.at(-1)).toEqual({ ref, dueAt: T0 + 1_000 });
    expect(okValue(await send(actor, GET))).toEqual({ total: 0, fired: [] });
    expect(okValue(await send(actor, TIMERS))).toEqual({ fired: 1 });
    expect(okValue(await send(actor, TIMERS))).toEqual({ fired: 0 });
    expect(okValue(await send(actor, GET))).toEqual({ total: 0, fired: ["expire"] });
  });
});

describe("runtime - read-only commands", () => {
  test("runtime - read-only commands do not append", async () => {
    const { actor, store } = await world();
    expect(okValue(await send(actor, GET))).toEqual({ total: 0, fired: [] });
    expect(okValue(await send(actor, { id: "read-with-id", cmd: { type: "get" } }))).toEqual({
      total: 0,
      fired: [],
    });
    await send(actor, add("w-1", 2));
    const reads = await Promise.all(Array.from({ length: 20 }, () => send(actor, GET)));
    expect(reads.every((r) => r.ok)).toBe(true);
    expect(store.appendCalls).toBe(1);
  });

  test("runtime - a write without an id or with an invalid body is refused without appending", async () => {
    const { actor, store } = await world();
    expect(errorOf(await send(actor, { cmd: { type: "add", n: 1 } })).kind).toBe("invalid");
    const invalid = errorOf(await send(actor, { id: "bad", cmd: { type: "add", n: "one" } }));
    expect(invalid.kind).toBe("invalid");
    expect(invalid.details?.field).toBe("n");
    expect(errorOf(await send(actor, { id: "nope", cmd: { type: "nope" } })).kind).toBe("invalid");
    expect(store.appendCalls).toBe(0);
  });
});
