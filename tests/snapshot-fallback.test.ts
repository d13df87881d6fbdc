/**
 * Issue 8, defect 2 (second half): a snapshot that fails validation on load must never brick an actor.
 * Activation sets it aside, reports it, and replays the log from the start.
 */
import { expect, test } from "bun:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { skuKind, type stockView } from "../actors/inventory/index.ts";
import { memberKind } from "../actors/member/index.ts";
import { type Reply, Subjects, shardOf } from "../actors/runtime/index.ts";
import { MemoryCluster } from "../actors/runtime/testing/index.ts";
import type { HubNode } from "../hub-node.ts";
import { JetStreamEventStore } from "../storage/jetstream/jetstream-event-store.ts";
import { streamNames } from "../storage/jetstream/streams.ts";
import {
  cleanupNamespace,
  NATS_URL,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ok = (reply: Reply): unknown => {
  if (!reply.ok) throw new Error(`refused: ${JSON.stringify(reply.error)}`);
  return reply.value;
};

test("snapshot fallback - a SKU whose snapshot fails validation replays its log, answers, and is reported", async () => {
  const cluster = new MemoryCluster([skuKind, memberKind], { instance: { snapshotEvery: 1 } });
  const sku = (id: string | undefined, cmd: Record<string, unknown>) =>
    cluster.command("sku", "SKU-1", { ...(id ? { id } : {}), cmd: cmd as { type: string } });
  ok(await sku("r1", { type: "receive", warehouse: "WH-1", qty: 10 }));
  ok(await sku("v1", { type: "reserve", orderId: "O-1", qty: 3 }));
  ok(await sku("v2", { type: "reserve", orderId: "O-2", qty: 2 }));
  await cluster.settle();
  const ref = cluster.ref("sku", "SKU-1");
  const good = cluster.store.snapshot(ref);
  expect(good?.seq).toBeGreaterThan(0);
  // A snapshot whose state no longer passes the kind's schema (a bug, a damaged write, a format change).
  await cluster.store.saveSnapshot(ref, { ...good!, state: { warehouses: "garbage", reservations: 7 } });

  await cluster.restart("sku", "SKU-1");
  const view = ok(await sku(undefined, { type: "get" })) as ReturnType<typeof stockView>;
  expect({ physical: view.physical, reserved: view.reserved }).toEqual({ physical: 10, reserved: 5 });
  // The replayed actor remembers the orders: a release works and a repeated reservation is answered as held.
  ok(await sku("l1", { type: "release", orderId: "O-1" }));
  expect(ok(await sku("v2", { type: "reserve", orderId: "O-2", qty: 2 }))).toMatchObject({ orderId: "O-2" });
  expect(cluster.snapshotRejections.map((r) => `${r.ref.kind}/${r.ref.id}`)).toEqual(["sku/SKU-1"]);
  expect(String(cluster.snapshotRejections[0]?.error)).toContain("warehouses");
});

test("snapshot fallback - an unreadable idempotency table in a snapshot falls back the same way", async () => {
  const cluster = new MemoryCluster([skuKind, memberKind], { instance: { snapshotEvery: 1 } });
  ok(
    await cluster.command("member", "U-1", {
      id: "a1",
      cmd: { type: "adjustPoints", delta: 50, reason: "gift" },
    }),
  );
  await cluster.settle();
  const ref = cluster.ref("member", "U-1");
  const good = cluster.store.snapshot(ref)!;
  await cluster.store.saveSnapshot(ref, { ...good, idem: 42 as unknown as typeof good.idem });
  await cluster.restart("member", "U-1");
  const profile = ok(await cluster.command("member", "U-1", { cmd: { type: "get" } })) as { points: number };
  expect(profile.points).toBe(50);
  // The command id is still known after the replay: a retry is answered, not applied twice.
  ok(
    await cluster.command("member", "U-1", {
      id: "a1",
      cmd: { type: "adjustPoints", delta: 50, reason: "gift" },
    }),
  );
  const again = ok(await cluster.command("member", "U-1", { cmd: { type: "get" } })) as { points: number };
  expect(again.points).toBe(50);
  expect(cluster.snapshotRejections).toHaveLength(1);
});

test("snapshot fallback - on a real node over JetStream: a corrupt snapshot is counted in /metrics and the SKU still serves", async () => {
  await requireServices();
  const ns = testNamespace("snapfallback");
  const first = await startTestNode(ns, { ROLES: "actors" });
  let second: HubNode | undefined;
  try {
    const send = (node: HubNode, id: string | undefined, cmd: { type: string; [k: string]: unknown }) =>
      node.client.request("sku", "SKU-SNAP", cmd, id ? { id } : {});
    ok(await send(first, "r1", { type: "receive", warehouse: "WH-1", qty: 10 }));
    ok(await send(first, "v1", { type: "reserve", orderId: "O-1", qty: 4 }));
    await first.stop();

    // Write a snapshot the SKU's schema refuses, at the actor's last sequence, as a buggy writer would.
    const nc = await connect({ servers: NATS_URL });
    try {
      const subjects = new Subjects(ns);
      const jsm = await jetstreamManager(nc);
      const store = new JetStreamEventStore(jetstream(nc), jsm, subjects, streamNames(ns));
      const ref = { kind: "sku", id: "SKU-SNAP", shard: shardOf("SKU-SNAP", first.config.SHARD_COUNT) };
      const { lastSeq } = await store.load(ref);
      await store.saveSnapshot(ref, { seq: lastSeq, state: { warehouses: 42 }, idem: [], timers: [] });
      expect((await store.load(ref)).snapshot?.state).toEqual({ warehouses: 42 });
    } finally {
      await nc.close();
    }

    second = await startTestNode(ns, { ROLES: "actors" });
    const view = ok(await send(second, undefined, { type: "get" })) as { physical: number; reserved: number };
    expect({ physical: view.physical, reserved: view.reserved }).toEqual({ physical: 10, reserved: 4 });
    // The replay rebuilt the idempotency table too: the retried reservation is answered, not applied twice.
    ok(await send(second, "v1", { type: "reserve", orderId: "O-1", qty: 4 }));
    const metrics = second.metrics.render();
    expect(metrics).toContain('hub_actor_snapshots_rejected_total{kind="sku"} 1');
  } finally {
    await second?.stop();
    await cleanupNamespace(ns);
  }
}, 60_000);
