/**
 * A scheduled listing change is a durable timer of the product actor: it survives the node going down
 * before it is due, fires once on the node that comes back (as `system:timer`), and never again after
 * another restart (graceful stop), also when the actor process is killed (SIGKILL). Real NATS, Postgres,
 * Redis.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";
import { type NodeProcess, spawnNode, waitForBalance } from "./support/processes.ts";

const ns = testNamespace("listing-rs");
let node: HubNode | undefined;

beforeAll(async () => {
  await requireServices();
});

afterAll(async () => {
  await node?.stop().catch(() => undefined);
  await cleanupNamespace(ns);
});

async function start(): Promise<ApiClient> {
  node = await startTestNode(ns);
  const api = new ApiClient(node.app!);
  await api.login();
  return api;
}

/** Listing history rows (one per projected listing event) of an SPU that put it on sale. */
async function onSaleRows(spu: string) {
  return node!.sql!`SELECT by, after FROM catalogue_history
    WHERE spu_code = ${spu} AND kind = 'listing' AND after->>'status' = 'on_sale' ORDER BY id`;
}

test("scheduled publish - survives a node restart before it is due and fires exactly once", async () => {
  let api = await start();
  expect((await api.call("PUT", "/v1/categories/rs", { name: "rs", kind: "back" })).status).toBe(201);
  for (const spu of ["RS-1", "RS-2"]) {
    const res = await api.call("PUT", `/v1/products/${spu}`, {
      name: spu,
      category: "rs",
      skus: [{ sku: `${spu}-A`, specs: {}, listPrice: 100 }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  const due = new Date(Date.now() + 2_500).toISOString();
  const scheduled = await api.call("POST", "/v1/products/RS-1/publish", { at: due });
  expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(202);
  expect((await api.call("GET", "/v1/products/RS-1")).body).toMatchObject({
    status: "draft",
    scheduled: { action: "publish", at: due },
  });

  // Down before the change is due; it comes due while no node runs.
  await node!.stop();
  node = undefined;
  await waitFor(() => Date.now() > Date.parse(due) + 200, 10_000, "the scheduled time to pass");

  api = await start();
  await waitFor(
    async () =>
      ((await api.call("GET", "/v1/products/RS-1")).body as { status: string }).status === "on_sale",
    20_000,
    "the scheduled publish to fire on the restarted node",
  );
  expect((await api.call("GET", "/v1/products/RS-1")).body).toMatchObject({
    status: "on_sale",
    scheduled: null,
  });
  await waitFor(async () => (await onSaleRows("RS-1")).length > 0, 15_000, "the listing row projected");

  // Another restart: the timer is gone, nothing fires again. A later write on another product proves the
  // new node runs and its projector has caught up past anything RS-1 could have produced.
  await node!.stop();
  api = await start();
  expect((await api.call("POST", "/v1/products/RS-2/publish")).status).toBe(200);
  await waitFor(async () => (await onSaleRows("RS-2")).length > 0, 15_000, "RS-2's listing row projected");
  const rows = await onSaleRows("RS-1");
  expect(
    rows.map((r) => [r.by, r.after.status]),
    JSON.stringify(rows),
  ).toEqual([["system:timer", "on_sale"]]);
  const [product] = await node!.sql!`SELECT status, scheduled FROM products WHERE spu_code = 'RS-1'`;
  expect(product).toEqual({ status: "on_sale", scheduled: null });
}, 90_000);

test("scheduled unpublish - the actor node is SIGKILLed before it is due; the next node fires it once", async () => {
  const kns = testNamespace("listing-kill");
  const actors: NodeProcess[] = [spawnNode(kns, "k1", { SHARD_COUNT: "8" })];
  const gateway = await startTestNode(
    kns,
    { ROLES: "gateway,projector", SHARD_COUNT: "8", COMMAND_DEADLINE: "20s" },
    { waitForShards: false },
  );
  try {
    await waitForBalance(kns, ["k1"], 8);
    const api = new ApiClient(gateway.app!);
    await api.login();
    await api.call("PUT", "/v1/categories/k", { name: "k", kind: "back" });
    await api.call("PUT", "/v1/products/K-1", {
      name: "k",
      category: "k",
      skus: [{ sku: "K-1-A", specs: {}, listPrice: 1 }],
    });
    expect((await api.call("POST", "/v1/products/K-1/publish")).status).toBe(200);
    const due = new Date(Date.now() + 3_000).toISOString();
    expect((await api.call("POST", "/v1/products/K-1/unpublish", { at: due })).status).toBe(202);

    actors[0]!.kill("SIGKILL");
    await actors[0]!.exited;
    actors.push(spawnNode(kns, "k2", { SHARD_COUNT: "8" }));
    await waitForBalance(kns, ["k2"], 8);
    await waitFor(
      async () =>
        ((await api.call("GET", "/v1/products/K-1")).body as { status?: string }).status === "off_sale",
      30_000,
      "the scheduled unpublish to fire on k2",
    );
    const offSale = async () =>
      gateway.sql!`SELECT by FROM catalogue_history WHERE spu_code = 'K-1' AND kind = 'listing'
        AND after->>'status' = 'off_sale'`;
    await waitFor(async () => (await offSale()).length > 0, 15_000, "the listing row projected");
    expect((await offSale()).map((r) => r.by)).toEqual(["system:timer"]);
  } finally {
    for (const n of actors) n.kill("SIGKILL");
    await gateway.stop();
    await cleanupNamespace(kns);
  }
}, 120_000);
