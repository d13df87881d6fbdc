/**
 * The ActorClient's two ways of sending fewer NATS messages (issue 15): commands to an actor of this very
 * process are handed over in memory, and commands to a remote actor wait while its window of requests is
 * in flight and then travel together. Each caller still gets its own answer, exactly once in effect.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { ActorClient, type ActorNode, DomainError, defineKind } from "../actors/runtime/index.ts";
import { startBareNode } from "./support/actor-nodes.ts";
import { cleanupNamespace, NATS_URL, requireServices, testNamespace } from "./support/harness.ts";

type TallyState = { total: number; seen: string[] };
const tally = defineKind<
  TallyState,
  { type: "add"; n: number; tag: string } | { type: "get" },
  { type: "added"; n: number; tag: string }
>({
  name: "tally",
  commands: z.discriminatedUnion("type", [
    z.object({ type: z.literal("add"), n: z.number().int(), tag: z.string() }),
    z.object({ type: z.literal("get") }),
  ]),
  initialState: () => ({ total: 0, seen: [] }),
  apply: (s, e) => {
    s.total += e.n;
    s.seen.push(e.tag);
    return s;
  },
  handlers: {
    add: (s, c) => {
      if (c.n < 0) throw new DomainError("invalid", "no negative tallies");
      return { events: [{ type: "added", n: c.n, tag: c.tag }], reply: { total: s.total + c.n, tag: c.tag } };
    },
    // Answers the state itself: a caller that edits it must not edit the actor's copy.
    get: (s) => ({ events: [], reply: s }),
  },
  readOnly: ["get"],
});

const ns = testNamespace("client-batching");
const SHARDS = 4;
const connections: NatsConnection[] = [];
let node: ActorNode;
let nc: NatsConnection;

/** Counts the NATS requests a client makes (the client's only way to reach a remote actor). */
function countingConnection(inner: NatsConnection): { nc: NatsConnection; requests: () => number } {
  let requests = 0;
  const nc = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "request") {
        return (...args: Parameters<NatsConnection["request"]>) => {
          requests++;
          return target.request(...args);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { nc, requests: () => requests };
}

function newClient(
  conn: NatsConnection,
  extra: { window?: number; coalesce?: boolean; maxQueued?: number } = {},
) {
  return new ActorClient(conn, {
    namespace: ns,
    shardCount: SHARDS,
    attemptTimeoutMs: 5_000,
    deadlineMs: 20_000,
    ...extra,
  });
}

beforeAll(async () => {
  await requireServices();
  node = await startBareNode({
    namespace: ns,
    nodeId: "batching-1",
    kinds: [tally],
    shardCount: SHARDS,
    leaseTtlMs: 3_000,
    connections,
  });
  nc = await connect({ servers: NATS_URL });
  connections.push(nc);
  // Serving every shard: a command to a shard nobody serves yet would only be retried.
  const deadline = Date.now() + 30_000;
  while (node.validShards.length < SHARDS && Date.now() < deadline) await Bun.sleep(20);
  expect(node.validShards.length).toBe(SHARDS);
});

afterAll(async () => {
  await node?.stop();
  for (const c of connections) await c.close().catch(() => undefined);
  await cleanupNamespace(ns);
});

test("client batching - commands issued while the window is full travel together, each answered once", async () => {
  const counted = countingConnection(nc);
  const client = newClient(counted.nc, { window: 1 });
  const id = "window-1";
  // Issued one per macrotask (as HTTP requests arrive), so same-tick coalescing alone would send 60.
  const answers: Array<Promise<{ total: number; tag: string }>> = [];
  for (let i = 0; i < 60; i++) {
    answers.push(client.send("tally", id, { type: "add", n: 1, tag: `t${i}` }, { id: `add-${i}` }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const replies = await Promise.all(answers);
  const requests = counted.requests();
  console.log(`client batching: 60 commands in separate ticks travelled in ${requests} NATS requests`);
  // Each caller got its own reply, in order.
  expect(replies.map((r) => r.tag)).toEqual(Array.from({ length: 60 }, (_, i) => `t${i}`));
  expect(replies.map((r) => r.total)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  expect(requests).toBeLessThan(60);
  // A retry of an answered command replays its answer and changes nothing.
  const again = await client.send<{ total: number }>(
    "tally",
    id,
    { type: "add", n: 1, tag: "t5" },
    { id: "add-5" },
  );
  expect(again.total).toBe(6);
  const state = await client.send<TallyState>("tally", id, { type: "get" }, { readOnly: true });
  expect(state.total).toBe(60);
});

test("client batching - without coalescing every command is its own request (the control)", async () => {
  const counted = countingConnection(nc);
  const client = newClient(counted.nc, { coalesce: false });
  const answers: Array<Promise<unknown>> = [];
  for (let i = 0; i < 20; i++) {
    answers.push(client.send("tally", "control-1", { type: "add", n: 1, tag: `c${i}` }, { id: `c-${i}` }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(answers);
  expect(counted.requests()).toBe(20);
});

test("client batching - a refusal in a batch answers only its own caller", async () => {
  const client = newClient(nc, { window: 1 });
  const results = await Promise.allSettled(
    [1, -1, 2].map((n, i) =>
      client.send("tally", "mixed-1", { type: "add", n, tag: `m${i}` }, { id: `m-${i}` }),
    ),
  );
  expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect(((results[1] as PromiseRejectedResult).reason as DomainError).kind).toBe("invalid");
});

test("client batching - past its queue limit a command is answered overloaded at once, never queued", async () => {
  const client = newClient(nc, { window: 1, maxQueued: 5 });
  // Eleven in one tick: five wait for the window, the other six are refused before anything is sent.
  const results = await Promise.all(
    Array.from({ length: 11 }, (_, i) =>
      client.request("tally", "capped-1", { type: "add", n: 1, tag: `q${i}` }, { id: `q-${i}` }),
    ),
  );
  const refused = results.filter((r) => !r.ok && r.error.kind === "overloaded");
  expect(results.filter((r) => r.ok)).toHaveLength(5);
  expect(refused).toHaveLength(6);
  const state = await client.send<TallyState>("tally", "capped-1", { type: "get" }, { readOnly: true });
  expect(state.total).toBe(5);
});

test("client batching - actors of this process are reached in memory, with copies as on the wire", async () => {
  const counted = countingConnection(nc);
  const client = newClient(counted.nc);
  client.setLocal(node);
  const id = "local-1";
  for (let i = 0; i < 10; i++)
    await client.send("tally", id, { type: "add", n: 2, tag: `l${i}` }, { id: `l-${i}` });
  const state = await client.send<TallyState>("tally", id, { type: "get" }, { readOnly: true });
  expect(state.total).toBe(20);
  expect(counted.requests()).toBe(0);
  // Editing an answer (as masking would) leaves the actor's state alone.
  state.seen.length = 0;
  state.total = -1;
  const again = await client.send<TallyState>("tally", id, { type: "get" }, { readOnly: true });
  expect(again.total).toBe(20);
  expect(again.seen).toHaveLength(10);
  // The log holds them: a fresh client over NATS (another process, say) sees the same.
  const remote = await newClient(nc).send<TallyState>("tally", id, { type: "get" }, { readOnly: true });
  expect(remote.total).toBe(20);
});

test("client batching - a shard this process does not serve goes over NATS", async () => {
  const counted = countingConnection(nc);
  const client = newClient(counted.nc);
  let delivered = 0;
  client.setLocal({
    serves: () => false,
    deliver: () => {
      delivered++;
    },
  });
  await client.send("tally", "remote-1", { type: "add", n: 3, tag: "r" }, { id: "r-1" });
  expect(delivered).toBe(0);
  expect(counted.requests()).toBe(1);
});
