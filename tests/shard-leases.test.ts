/**
 * Shard leases against the real NATS KV: no self-lockout by a late renewal, dead owners detected from
 * their missing heartbeat (long before the lease TTL), and an earlier run of the same node id replaced
 * at once. Each case uses its own namespace's buckets.
 */
import { afterAll, expect, test } from "bun:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { openLeaseBuckets, ShardLeases } from "../actors/runtime/index.ts";
import { NATS_URL, testNamespace, waitFor } from "./support/harness.ts";

const connections: NatsConnection[] = [];
const namespaces: string[] = [];
const running: ShardLeases[] = [];

afterAll(async () => {
  for (const leases of running) leases.abandon();
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  for (const ns of namespaces)
    for (const bucket of ["shard_leases", "nodes"])
      await jsm.streams.delete(`KV_${ns}_${bucket}`).catch(() => undefined);
  await nc.close();
  for (const c of connections) await c.close().catch(() => undefined);
});

const SHARDS = 8;

async function leasesFor(
  ns: string,
  nodeId: string,
  o: { ttlMs: number; heartbeatTtlMs: number; incarnation?: string },
) {
  const nc = await connect({ servers: NATS_URL });
  connections.push(nc);
  const buckets = await openLeaseBuckets(nc, ns, {
    leaseTtlMs: o.ttlMs,
    heartbeatTtlMs: o.heartbeatTtlMs,
    timeoutMs: 1_500,
  });
  const events: string[] = [];
  const errors: string[] = [];
  const leases = new ShardLeases(buckets.leases, buckets.nodes, {
    nodeId,
    incarnation: o.incarnation ?? `${nodeId}-${Math.random().toString(36).slice(2)}`,
    shardCount: SHARDS,
    ttlMs: o.ttlMs,
    heartbeatTtlMs: o.heartbeatTtlMs,
    timeoutMs: 1_500,
    listNodes: buckets.listNodes,
    onAcquired: async (shard) => void events.push(`+${shard}`),
    onReleased: async (shard, reason) => void events.push(`-${shard} ${reason}`),
    onError: (message, error) => void errors.push(`${message}: ${String(error ?? "")}`),
  });
  running.push(leases);
  return { leases, buckets, events, errors };
}

test("leases - a renewal that landed late (our own newer write on the key) keeps the shard: no self-lockout", async () => {
  const ns = testNamespace("latelease");
  namespaces.push(ns);
  const a = await leasesFor(ns, "a", { ttlMs: 4_000, heartbeatTtlMs: 2_000 });
  await a.leases.start();
  expect(a.leases.valid()).toHaveLength(SHARDS);
  // What a renewal that timed out on our side but reached the server looks like: the key's newest write is
  // ours (same node, incarnation and epoch) at a revision we do not know.
  for (let shard = 0; shard < SHARDS; shard++) {
    const entry = (await a.buckets.leases.get(`shard.${shard}`))!;
    await a.buckets.leases.update(
      `shard.${shard}`,
      JSON.stringify({ ...entry.json<object>(), epoch: a.leases.epochOf(shard) }),
      entry.revision,
    );
  }
  const epochs = Array.from({ length: SHARDS }, (_, s) => a.leases.epochOf(s));
  // Several rounds later (well inside the TTL) every shard is still ours, valid, same epoch, never released.
  for (let i = 0; i < 4; i++) await a.leases.tick();
  expect({
    valid: a.leases.valid().length,
    epochs: Array.from({ length: SHARDS }, (_, s) => a.leases.epochOf(s)),
    released: a.events.filter((e) => e.startsWith("-")),
  }).toEqual({ valid: SHARDS, epochs, released: [] });
}, 30_000);

test("leases - a lease of ours that we forgot (lost locally, key still ours) is taken back at once, not after the TTL", async () => {
  const ns = testNamespace("reclaim");
  namespaces.push(ns);
  const incarnation = "inc-1";
  const a = await leasesFor(ns, "a", { ttlMs: 10_000, heartbeatTtlMs: 2_000, incarnation });
  await a.leases.start();
  expect(a.leases.valid()).toHaveLength(SHARDS);
  // A second object with the same identity stands for the same process after it dropped its leases
  // locally (they lapsed while NATS was away) while the keys, written by it, are still in the bucket.
  a.leases.abandon();
  const again = await leasesFor(ns, "a", { ttlMs: 10_000, heartbeatTtlMs: 2_000, incarnation });
  const started = performance.now();
  await again.leases.start();
  const ms = performance.now() - started;
  expect({ valid: again.leases.valid().length, errors: again.errors }).toEqual({ valid: SHARDS, errors: [] });
  expect(ms).toBeLessThan(2_000);
}, 30_000);

test("leases - a dead owner's shards are taken over from its missing heartbeat, long before the lease TTL", async () => {
  const ns = testNamespace("deadowner");
  namespaces.push(ns);
  const ttlMs = 20_000;
  const a = await leasesFor(ns, "a", { ttlMs, heartbeatTtlMs: 1_000 });
  await a.leases.start();
  expect(a.leases.valid()).toHaveLength(SHARDS);
  const b = await leasesFor(ns, "b", { ttlMs, heartbeatTtlMs: 1_000 });
  await b.leases.start();
  await waitFor(
    () => a.leases.valid().length + b.leases.valid().length === SHARDS && b.leases.valid().length > 0,
    15_000,
    "a and b to share the shards",
  );
  const epochsBefore = new Map(a.leases.valid().map((s) => [s, a.leases.epochOf(s)]));
  const killedAt = performance.now();
  a.leases.abandon(); // a crash: no release, no heartbeat from now on
  await waitFor(
    () => b.leases.valid().length === SHARDS,
    10_000,
    `b to take every shard (has ${b.leases.valid().length})`,
  );
  const tookMs = performance.now() - killedAt;
  console.log(
    `dead owner: every shard taken over ${tookMs.toFixed(0)} ms after the crash (lease TTL ${ttlMs} ms, heartbeat 1 s)`,
  );
  expect(tookMs).toBeLessThan(5_000);
  // Fencing: each taken-over shard has a higher epoch than the dead owner's.
  for (const [shard, epoch] of epochsBefore) expect(b.leases.epochOf(shard)).toBeGreaterThan(epoch);
}, 40_000);

test("leases - a node that cannot heartbeat stops serving before its heartbeat expires", async () => {
  const ns = testNamespace("nobeat");
  namespaces.push(ns);
  const a = await leasesFor(ns, "a", { ttlMs: 20_000, heartbeatTtlMs: 1_000 });
  await a.leases.start();
  expect(a.leases.valid()).toHaveLength(SHARDS);
  // No more rounds (as if NATS were unreachable): validity follows the last heartbeat, not the 20 s lease.
  const stoppedAt = performance.now();
  a.leases.abandon();
  await waitFor(() => a.leases.valid().length === 0, 5_000, "the node to stop serving");
  expect(performance.now() - stoppedAt).toBeLessThan(1_000);
}, 20_000);
