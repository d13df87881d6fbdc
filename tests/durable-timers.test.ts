import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { ActorClient, type ActorNode, defineKind } from "../actors/runtime/index.ts";
import { startBareNode } from "./support/actor-nodes.ts";
import { cleanupNamespace, NATS_URL, requireServices, testNamespace, waitFor } from "./support/harness.ts";

// A kind that exists only in this test: the runtime hosts any domain it is given.
type ReminderEvent = { type: "scheduled"; name: string } | { type: "fired"; name: string };
const reminderKind = defineKind<
  { fired: string[] },
  { type: "remind"; name: string; inMs: number } | { type: "get" },
  ReminderEvent
>({
  name: "reminder",
  commands: z.discriminatedUnion("type", [
    z.object({ type: z.literal("remind"), name: z.string(), inMs: z.number().int() }),
    z.object({ type: z.literal("get") }),
  ]),
  initialState: () => ({ fired: [] }),
  apply: (state, event) => {
    if (event.type === "fired") state.fired.push(event.name);
    return state;
  },
  handlers: {
    remind: (_s, c, ctx) => ({
      events: [{ type: "scheduled", name: c.name }],
      reply: { at: ctx.now + c.inMs },
      timers: { set: [{ name: c.name, at: ctx.now + c.inMs }] },
    }),
    get: (state) => ({ events: [], reply: { fired: [...state.fired] } }),
  },
  readOnly: ["get"],
  onTimer: (_s, timer) => ({ events: [{ type: "fired", name: timer.name }], reply: null }),
});

const ns = testNamespace("timers");
const SHARDS = 8;
const TTL = 1_500;
const connections: NatsConnection[] = [];

async function startNode(nodeId: string): Promise<ActorNode> {
  const node = await startBareNode({
    namespace: ns,
    nodeId,
    kinds: [reminderKind],
    shardCount: SHARDS,
    idleMs: 200, // actors passivate long before their timers fire: the index must wake them
    leaseTtlMs: TTL,
    connections,
  });
  return node;
}

let client: ActorClient;

beforeAll(async () => {
  await requireServices();
  const nc = await connect({ servers: NATS_URL });
  connections.push(nc);
  client = new ActorClient(nc, {
    namespace: ns,
    shardCount: SHARDS,
    attemptTimeoutMs: 1_000,
    deadlineMs: 15_000,
  });
});

afterAll(async () => {
  for (const nc of connections) await nc.close().catch(() => undefined);
  await cleanupNamespace(ns);
});

test("timers - set before a crash, fire after recovery on the new owner, exactly once, even when passivated", async () => {
  const a = await startNode("timer-a");
  await waitFor(() => a.ownedShards.length === SHARDS, 10_000, "node a owns every shard");
  const ids = Array.from({ length: 12 }, (_, i) => `r-${i}`);
  for (const id of ids)
    await client.send(
      "reminder",
      id,
      { type: "remind", name: `wake-${id}`, inMs: 2_500 },
      { id: `set-${id}` },
    );

  // The owner dies without releasing anything; a second node must take over and fire the timers.
  await a.crash();
  const b = await startNode("timer-b");
  await waitFor(() => b.ownedShards.length === SHARDS, 10_000, "node b owns every shard");
  await waitFor(
    async () => {
      const states = await Promise.all(
        ids.map((id) =>
          client.send<{ fired: string[] }>("reminder", id, { type: "get" }, { readOnly: true }),
        ),
      );
      return states.every((s) => s.fired.length > 0);
    },
    15_000,
    "every reminder to fire on node b",
  );
  for (const id of ids) {
    const state = await client.send<{ fired: string[] }>("reminder", id, { type: "get" }, { readOnly: true });
    expect(state.fired).toEqual([`wake-${id}`]);
  }

  // Another failover later must not fire them again.
  await b.crash();
  const c = await startNode("timer-c");
  await waitFor(() => c.ownedShards.length === SHARDS, 10_000, "node c owns every shard");
  await Bun.sleep(1_000);
  for (const id of ids) {
    const state = await client.send<{ fired: string[] }>("reminder", id, { type: "get" }, { readOnly: true });
    expect(state.fired).toEqual([`wake-${id}`]);
  }
  await c.stop();
}, 60_000);
