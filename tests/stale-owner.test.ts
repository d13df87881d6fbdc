import { afterAll, beforeAll, expect, test } from "bun:test";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import type { LogBatch } from "../actors/runtime/index.ts";
import { Subjects, shardOf } from "../actors/runtime/index.ts";
import type { HubNode } from "../hub-node.ts";
import { streamNames } from "../storage/jetstream/streams.ts";
import {
  ApiClient,
  cleanupNamespace,
  NATS_URL,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";
import { leaseOwners, type NodeProcess, spawnNode, waitForBalance } from "./support/processes.ts";

const ns = testNamespace("stale");
const nodes: NodeProcess[] = [];
let gateway: HubNode;
let api: ApiClient;

beforeAll(async () => {
  await requireServices();
  for (const id of ["s1", "s2"]) nodes.push(spawnNode(ns, id, { LEASE_TTL: "2000" }));
  await waitForBalance(ns, ["s1", "s2"], 64);
  gateway = await startTestNode(ns, { ROLES: "gateway", COMMAND_DEADLINE: "20s" }, { waitForShards: false });
  api = new ApiClient(gateway.app!);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-S", { name: "S", region: "east" });
});

afterAll(async () => {
  for (const n of nodes) {
    n.kill("SIGCONT");
    n.kill("SIGKILL");
  }
  await gateway?.stop();
  await cleanupNamespace(ns);
});

/** The revision of a node's heartbeat key (undefined when it has none). */
async function heartbeatOf(nodeId: string): Promise<{ revision: number } | undefined> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const kv = await new Kvm(nc).open(`${ns}_nodes`);
    const entry = await kv.get(nodeId);
    return entry && entry.operation === "PUT" ? { revision: entry.revision } : undefined;
  } finally {
    await nc.close();
  }
}

/** Every batch ever appended for the SKU, from the first (not from a snapshot). */
async function batchesOf(sku: string): Promise<Array<{ seq: number; batch: LogBatch }>> {
  const nc = await connect({ servers: NATS_URL });
  const js = jetstream(nc);
  const subject = new Subjects(ns).events(shardOf(sku, 64), "sku", sku);
  const consumer = await js.consumers.get(streamNames(ns).events, { filter_subjects: subject });
  const out: Array<{ seq: number; batch: LogBatch }> = [];
  const messages = await consumer.consume();
  for await (const msg of messages) {
    out.push({ seq: msg.seq, batch: msg.json<LogBatch>() });
    if (msg.info.pending === 0) break;
  }
  await messages.close();
  await nc.close();
  return out;
}

test("cluster - an owner paused past its lease (SIGSTOP/SIGCONT) writes nothing after the lease moved", async () => {
  const sku = "HOT-STALE";
  expect(
    (
      await api.call(
        "POST",
        `/v1/inventory/${sku}/receipts`,
        { warehouse: "WH-S", qty: 1_000 },
        { "idempotency-key": "s-1" },
      )
    ).status,
  ).toBe(201);
  const shard = shardOf(sku, 64);
  const staleId = (await leaseOwners(ns)).get(shard)!;
  const stale = nodes.find((n) => n.nodeId === staleId)!;
  const acknowledged = new Set<string>();
  // A 503 means "outcome unknown, retry with the same id" (a handover, a busy machine): the client retries
  // until the deadline, as a real one does. Anything else, or no 201 in time, fails with the problem seen.
  const reserve = async (orderId: string) => {
    const deadline = performance.now() + 30_000;
    let res = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId, qty: 1 });
    while (res.status === 503 && performance.now() < deadline) {
      await Bun.sleep(100);
      res = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId, qty: 1 });
    }
    if (res.status !== 201)
      throw new Error(`reservation ${orderId} answered ${res.status}: ${JSON.stringify(res.body)}`);
    acknowledged.add(orderId);
  };
  for (let i = 0; i < 20; i++) await reserve(`before-${i}`);

  stale.kill("SIGSTOP");
  await waitFor(
    async () => {
      const owner = (await leaseOwners(ns)).get(shard);
      return owner !== undefined && owner !== staleId;
    },
    15_000,
    "the lease to move off the paused node",
  );

  // While it sleeps, its subscription still exists: some of these are delivered to it and sit in its buffer.
  await Promise.all(Array.from({ length: 30 }, (_, i) => reserve(`paused-${i}`)));
  const heartbeatBefore = await heartbeatOf(staleId);
  stale.kill("SIGCONT");
  // The paused node runs again (a fresh heartbeat from it): it has found its leases lost by then.
  await waitFor(
    async () => {
      const beat = await heartbeatOf(staleId);
      return beat !== undefined && beat.revision > (heartbeatBefore?.revision ?? 0);
    },
    15_000,
    "the resumed node to heartbeat again",
  );
  await Promise.all(Array.from({ length: 30 }, (_, i) => reserve(`after-${i}`)));

  const batches = await batchesOf(sku);
  // Fencing: each batch carries its writer's lease epoch, and successive owners have increasing epochs.
  // A stale owner writing after the lease moved would show as an epoch lower than one already in the log.
  const writers = batches.map((b) => ({ seq: b.seq, node: b.batch.node, epoch: b.batch.epoch ?? 0 }));
  const regressions = writers.filter((w, i) => i > 0 && w.epoch < writers[i - 1]!.epoch);
  expect(regressions).toEqual([]);
  // And the lease really moved: the paused node's epoch is followed by another node's.
  const staleEpoch = writers.find((w) => w.node === staleId)!.epoch;
  expect(writers.some((w) => w.node !== staleId && w.epoch > staleEpoch)).toBe(true);

  const stock = (await api.call("GET", `/v1/inventory/${sku}`)).body as { reserved: number };
  expect(stock.reserved).toBe(acknowledged.size);
  expect(acknowledged.size).toBe(80);
}, 90_000);
