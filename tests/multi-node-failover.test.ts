import { afterAll, beforeAll, expect, test } from "bun:test";
import { shardOf } from "../actors/runtime/index.ts";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";
import { leaseOwners, type NodeProcess, spawnNode, waitForBalance } from "./support/processes.ts";

const ns = testNamespace("failover");
const LEASE_TTL_MS = 2_000;
const nodes: NodeProcess[] = [];
let gateway: HubNode;
let api: ApiClient;

beforeAll(async () => {
  await requireServices();
  for (const id of ["n1", "n2", "n3"]) nodes.push(spawnNode(ns, id, { LEASE_TTL: String(LEASE_TTL_MS) }));
  await waitForBalance(ns, ["n1", "n2", "n3"], 64);
  // The test's own gateway holds no shards: every command crosses NATS to one of the three processes.
  gateway = await startTestNode(
    ns,
    { ROLES: "gateway,projector", COMMAND_DEADLINE: "20s" },
    { waitForShards: false },
  );
  api = new ApiClient(gateway.app!);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-F", { name: "F", region: "east" });
});

afterAll(async () => {
  for (const n of nodes) n.kill("SIGKILL");
  await gateway?.stop();
  await cleanupNamespace(ns);
});

test("cluster - SIGKILL of a hot SKU's owner loses no acknowledged reservation, doubles none, oversells nothing", async () => {
  const sku = "HOT-FAILOVER";
  const STOCK = 1_000;
  expect(
    (
      await api.call(
        "POST",
        `/v1/inventory/${sku}/receipts`,
        { warehouse: "WH-F", qty: STOCK },
        { "idempotency-key": "f-1" },
      )
    ).status,
  ).toBe(201);

  const shard = shardOf(sku, 64);
  const ownerId = (await leaseOwners(ns)).get(shard)!;
  const owner = nodes.find((n) => n.nodeId === ownerId)!;
  expect(owner).toBeDefined();

  const acknowledged = new Set<string>();
  const refused = new Set<string>();
  const failed = new Set<string>();
  let next = 0;
  let killedAt = 0;
  let firstAckAfterKill = 0;
  const ATTEMPTS = 1_600;
  const worker = async () => {
    while (next < ATTEMPTS) {
      const orderId = `f-${next++}`;
      const sentAt = performance.now();
      const res = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId, qty: 1 });
      if (res.status === 201) {
        acknowledged.add(orderId);
        // Only a request sent after the kill proves the shard is served again.
        if (killedAt && sentAt > killedAt && !firstAckAfterKill) firstAckAfterKill = performance.now();
      } else if (res.status === 409) refused.add(orderId);
      else failed.add(orderId);
      if (acknowledged.size === 300 && !killedAt) {
        killedAt = performance.now();
        owner.kill("SIGKILL");
      }
    }
  };
  // A prober measures when the shard answers again, independent of requests stuck on the dead node.
  let servedAgainAt = 0;
  const prober = async () => {
    while (!servedAgainAt) {
      if (!killedAt) {
        await Bun.sleep(20);
        continue;
      }
      const sentAt = performance.now();
      const reply = await gateway.client.request("sku", sku, { type: "get" }, { readOnly: true });
      if (reply.ok && sentAt > killedAt) servedAgainAt = performance.now();
      else await Bun.sleep(50);
    }
  };
  await Promise.all([...Array.from({ length: 40 }, worker), prober()]);
  expect(killedAt).toBeGreaterThan(0);
  await owner.exited;

  const failoverSeconds = (servedAgainAt - killedAt) / 1000;
  console.log(
    `failover: shard ${shard} of ${ownerId} served again ${failoverSeconds.toFixed(2)} s after SIGKILL, ` +
      `first reservation acknowledged after ${((firstAckAfterKill - killedAt) / 1000).toFixed(2)} s ` +
      `(lease TTL ${LEASE_TTL_MS / 1000} s); acknowledged ${acknowledged.size}, refused ${refused.size}, failed ${failed.size}`,
  );
  expect(firstAckAfterKill).toBeGreaterThan(0);
  expect(failoverSeconds).toBeLessThan(LEASE_TTL_MS / 1000 + 5);
  const newOwner = (await leaseOwners(ns)).get(shard);
  expect(newOwner).toBeDefined();
  expect(newOwner).not.toBe(ownerId);

  // Nothing oversold, nothing lost, nothing doubled: reserved equals the distinct acknowledged orders.
  const stock = (await api.call("GET", `/v1/inventory/${sku}`)).body as {
    reserved: number;
    physical: number;
  };
  expect(stock.physical).toBe(STOCK);
  expect(stock.reserved).toBeLessThanOrEqual(STOCK);
  // Requests that failed without an answer may or may not have applied; retrying them settles it.
  for (const orderId of failed) {
    const retry = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId, qty: 1 });
    if (retry.status === 201) acknowledged.add(orderId);
    else expect(retry.status).toBe(409);
  }
  const settled = (await api.call("GET", `/v1/inventory/${sku}`)).body as { reserved: number };
  expect(settled.reserved).toBe(acknowledged.size);
  // Every acknowledged reservation is present: replaying it returns the original answer and changes nothing.
  const replays = await Promise.all(
    [...acknowledged].map((orderId) =>
      api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId, qty: 1 }),
    ),
  );
  expect(replays.every((r) => r.status === 201)).toBe(true);
  expect(((await api.call("GET", `/v1/inventory/${sku}`)).body as { reserved: number }).reserved).toBe(
    acknowledged.size,
  );
  expect(acknowledged.size).toBe(Math.min(STOCK, acknowledged.size + refused.size));
}, 90_000);

test("cluster - the survivors take over every shard of the dead node", async () => {
  const live = new Set(
    nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null).map((n) => n.nodeId),
  );
  expect(live.size).toBe(2);
  await waitFor(
    async () => {
      const owners = await leaseOwners(ns);
      return owners.size === 64 && [...owners.values()].every((n) => live.has(n));
    },
    15_000,
    "all 64 shards owned by the two live nodes",
  );
});
