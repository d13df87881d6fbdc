/**
 * Flash sales across node failures (issue 11 item 4, decision 0023), with real node processes: the
 * campaign's owner SIGKILLed mid-sale sells no unit twice and loses none; per-user limits and the
 * durable end timer hold across a restart of every actor node (the timer fires once).
 */
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
import { type NodeProcess, ownerOf, spawnNode, waitForBalance } from "./support/processes.ts";

const ns = testNamespace("flash-fail");
const LEASE_TTL_MS = 2_000;
const nodes: NodeProcess[] = [];
let gateway: HubNode;
let api: ApiClient;
const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };
const show = (r: { status: number; body: unknown }) => `${r.status} ${JSON.stringify(r.body)}`;
const typeOf = (r: { body: unknown }) =>
  String((r.body as { type?: string }).type ?? "")
    .split("/")
    .at(-1);

beforeAll(async () => {
  await requireServices();
  for (const id of ["n1", "n2", "n3"]) nodes.push(spawnNode(ns, id, { LEASE_TTL: String(LEASE_TTL_MS) }));
  await waitForBalance(ns, ["n1", "n2", "n3"], 64);
  gateway = await startTestNode(
    ns,
    { ROLES: "gateway,projector", COMMAND_DEADLINE: "30s" },
    { waitForShards: false },
  );
  api = new ApiClient(gateway.app!);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-K", { name: "K", region: "east" });
});

afterAll(async () => {
  for (const n of nodes) n.kill("SIGKILL");
  await gateway?.stop();
  await cleanupNamespace(ns);
});

async function receive(sku: string, qty: number) {
  const r = await api.call(
    "POST",
    `/v1/inventory/${sku}/receipts`,
    { warehouse: "WH-K", qty },
    { "idempotency-key": `r-${sku}` },
  );
  expect(r.status, show(r)).toBe(201);
}
async function create(sku: string, stock: number, endsInMs: number): Promise<string> {
  const r = await api.call("POST", "/v1/flash-sales", {
    name: "秒杀",
    sku,
    price: 100,
    stock,
    perUserLimit: 1,
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    endsAt: new Date(Date.now() + endsInMs).toISOString(),
  });
  expect(r.status, show(r)).toBe(201);
  return (r.body as { campaignId: string }).campaignId;
}
const order = (campaignId: string, sku: string, userId: string, key: string) =>
  api.call(
    "POST",
    "/v1/orders",
    { userId, lines: [{ sku, qty: 1 }], address, campaignId },
    { "idempotency-key": key },
  );
const campaign = async (id: string) =>
  (await api.call("GET", `/v1/flash-sales/${id}`)).body as Record<string, number | string | null>;
const stockOf = async (sku: string) =>
  (await api.call("GET", `/v1/inventory/${sku}`)).body as {
    physical: number;
    reserved: number;
    allocated: number;
    sellable: number;
  };

/** Sends `key` until it gets an answer that is not a failure of the infrastructure. */
async function settle(send: () => ReturnType<typeof order>) {
  for (let i = 0; i < 40; i++) {
    const r = await send();
    if (r.status < 500 && !(r.status === 429 && typeOf(r) !== "queue-full")) return r;
    await Bun.sleep(250);
  }
  throw new Error("a request never settled");
}

test("flash sale failover - SIGKILL of the campaign's owner mid-sale: no unit sold twice, none lost", async () => {
  const sku = "FK-1";
  const STOCK = 60;
  await receive(sku, 200);
  const id = await create(sku, STOCK, 30 * 60_000);
  const owner = await ownerOf(ns, shardOf(id, 64), nodes);

  // 300 buyers (5× the units), each trying twice under two keys: the per-user limit (1) must hold too.
  const attempts = Array.from({ length: 600 }, (_, i) => ({ user: `b-${i % 300}`, key: `k-${i}` }));
  const answers = new Map<string, { status: number; body: unknown }>();
  let killed = false;
  let next = 0;
  const worker = async () => {
    while (next < attempts.length) {
      const a = attempts[next++]!;
      const r = await order(id, sku, a.user, a.key);
      answers.set(a.key, r);
      const acked = [...answers.values()].filter((x) => x.status === 201).length;
      if (acked >= 15 && !killed) {
        killed = true;
        owner.kill("SIGKILL");
      }
    }
  };
  await Promise.all(Array.from({ length: 30 }, worker));
  expect(killed).toBe(true);
  await owner.exited;
  // Requests lost with the node, or pushed back, are retried under their own key: the same order.
  for (const a of attempts) {
    const r = answers.get(a.key)!;
    if (r.status >= 500 || (r.status === 429 && typeOf(r) === "queue-full"))
      answers.set(a.key, await settle(() => order(id, sku, a.user, a.key)));
  }
  const summary = new Map<string, number>();
  for (const r of answers.values()) {
    const k = r.status === 201 ? "201" : `${r.status} ${typeOf(r)}`;
    summary.set(k, (summary.get(k) ?? 0) + 1);
  }
  const acked = [...answers.entries()].filter(([, r]) => r.status === 201);
  const orderIds = new Set(acked.map(([, r]) => (r.body as { orderId: string }).orderId));
  const buyers = new Map<string, number>();
  for (const [key] of acked) {
    const user = attempts.find((a) => a.key === key)!.user;
    buyers.set(user, (buyers.get(user) ?? 0) + 1);
  }
  const view = await campaign(id);
  const stock = await stockOf(sku);
  const detail = JSON.stringify({ summary: Object.fromEntries(summary), view, stock });
  // Every acknowledged order is a distinct order holding one unit; no buyer has two.
  expect(orderIds.size, detail).toBe(acked.length);
  expect(Math.max(...buyers.values()), detail).toBe(1);
  // Sold out exactly: the campaign, the SKU and the acknowledged orders agree; no unit lost, none twice.
  expect(acked.length, detail).toBe(STOCK);
  expect(view.sold, detail).toBe(STOCK);
  expect(view.remaining, detail).toBe(0);
  expect(stock, detail).toMatchObject({ physical: 200, reserved: STOCK, allocated: 0, sellable: 140 });
  for (const oid of orderIds) {
    const o = await api.call("GET", `/v1/orders/${oid}`);
    expect((o.body as { status: string }).status, show(o)).toBe("pending_payment");
  }
}, 240_000);

test("flash sale restart - per-user limits and the end timer survive a restart of every actor node; the timer fires once", async () => {
  const sku = "FK-2";
  await receive(sku, 10);
  const id = await create(sku, 4, 25_000);
  expect((await settle(() => order(id, sku, "u-1", "rs-1"))).status).toBe(201);
  // Every actor node dies; new processes take the shards over from the log.
  for (const n of nodes) n.kill("SIGKILL");
  await Promise.all(nodes.map((n) => n.exited));
  nodes.length = 0;
  for (const nid of ["n4", "n5"]) nodes.push(spawnNode(ns, nid, { LEASE_TTL: String(LEASE_TTL_MS) }));
  await waitForBalance(ns, ["n4", "n5"], 64);
  const again = await settle(() => order(id, sku, "u-1", "rs-2"));
  expect([again.status, typeOf(again)], show(again)).toEqual([409, "purchase-limit-reached"]);
  expect((await settle(() => order(id, sku, "u-2", "rs-3"))).status).toBe(201);
  expect(await campaign(id)).toMatchObject({ sold: 2, remaining: 2, allocated: 4 });
  // The end timer fires on the new owner: the 2 units left go back to sellable, exactly once.
  await waitFor(async () => (await campaign(id)).returned === 2, 90_000, "the end timer after the restart");
  expect(await stockOf(sku)).toMatchObject({ physical: 10, reserved: 2, allocated: 0, sellable: 8 });
  await gateway.projector!.caughtUp(30_000);
  const [row] = await gateway.sql`SELECT count(*)::int AS n FROM stock_ledger
    WHERE sku = ${sku} AND movement = 'deallocation'`;
  expect(row?.n).toBe(1);
  const late = await settle(() => order(id, sku, "u-3", "rs-4"));
  expect([late.status, typeOf(late)], show(late)).toEqual([409, "campaign-not-active"]);
}, 240_000);
