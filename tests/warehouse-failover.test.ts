/**
 * SIGKILL of the warehouse actor's owner mid-wave (issue 12 item 9): two node processes own the shards,
 * this test's gateway holds none. Putaways, waves and picks are in flight when the owner of the warehouse
 * dies; every command is retried with its own id (as a client with an Idempotency-Key would). Afterwards:
 * no pick confirmed twice, nothing lost between pick and confirm, and bins + lots + staging equal each
 * SKU actor's physical stock.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { shardOf } from "../actors/runtime/index.ts";
import { warehouses } from "../actors/warehouse/index.ts";
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

const ns = testNamespace("wms-kill");
const WH = "WH-K";
const SKU = "KILL-1";
const nodes: NodeProcess[] = [];
let gateway: HubNode;
let api: ApiClient;

/** Sends one command until it is answered (same id every time): ok, or the refusal it earned. */
async function until(cmd: { type: string; [k: string]: unknown }, id: string) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const reply = await gateway.client.request("warehouse", WH, cmd, {
      id,
      meta: { by: "kill-test", requestId: id },
    });
    if (reply.ok) return reply;
    const kind = reply.error.kind;
    if (!["timeout", "unavailable", "moved", "overloaded"].includes(kind)) return reply;
    if (Date.now() > deadline) throw new Error(`${cmd.type} ${id}: still ${kind} after 90 s`);
    await Bun.sleep(100);
  }
}

beforeAll(async () => {
  await requireServices();
  for (const id of ["k1", "k2"]) nodes.push(spawnNode(ns, id, { LEASE_TTL: "2000" }));
  await waitForBalance(ns, ["k1", "k2"], 64);
  gateway = await startTestNode(
    ns,
    { ROLES: "gateway,projector", COMMAND_DEADLINE: "20s" },
    { waitForShards: false },
  );
  api = new ApiClient(gateway.app!);
  await api.login();
  await api.call("PUT", `/v1/warehouses/${WH}`, { name: "K", region: "east" });
  for (let bay = 1; bay <= 6; bay++) {
    const res = await api.call("PUT", `/v1/warehouses/${WH}/bins/K-${bay}`, {
      zone: "ambient",
      aisle: 1 + (bay % 2),
      bay,
      level: 1,
      capacity: 100,
    });
    expect(res.status).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  for (const n of nodes) n.kill("SIGKILL");
  await gateway?.stop();
  await cleanupNamespace(ns);
});

test("wms - SIGKILL of the warehouse's owner mid-wave loses no pick and doubles none; bins = physical", async () => {
  // 300 units in 6 lots put away.
  for (let r = 0; r < 6; r++) {
    const call = warehouses.registerReceipt(WH, {
      receiptId: `RK-${r}`,
      lines: [{ sku: SKU, qty: 50, lot: `L${r}`, expiresAt: `2027-0${r + 1}-01` }],
    });
    expect((await until(call.cmd, `reg-${r}`)).ok).toBe(true);
    expect((await until({ type: "confirmPutaway", receiptId: `RK-${r}` }, `put-${r}`)).ok).toBe(true);
  }
  // 30 waves of one order for 7 units each (210 units promised).
  const steps = new Map<string, Array<{ step: number; qty: number }>>();
  for (let w = 0; w < 30; w++) {
    const reply = await until(
      {
        type: "createWave",
        waveId: `WV${String(w).padStart(12, "0")}:${WH}`,
        orders: [{ orderId: `OK-${w}`, lines: [{ sku: SKU, qty: 7 }] }],
      },
      `wave-${w}`,
    );
    if (!reply.ok) throw new Error(JSON.stringify(reply.error));
    const value = reply.value as {
      waveId: string;
      pickLists: Array<{ steps: Array<{ step: number; qty: number }> }>;
    };
    steps.set(
      value.waveId,
      value.pickLists.flatMap((l) => l.steps),
    );
  }

  const victim = await ownerOf(ns, shardOf(WH, 64), nodes);
  // Three pickers confirm the waves one after another; the owner dies after the fifth answer, so the
  // other 25 confirmations (and any effects still pending) go through the failover.
  const queue = [...steps];
  let answered = 0;
  let afterKill = 0;
  let killed = false;
  const outcomes: Array<{ waveId: string; ok: boolean; error: unknown }> = [];
  const picker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [waveId, list] = next;
      const sent = killed;
      const reply = await until(
        { type: "confirmPicks", waveId, picks: list.map((s) => ({ step: s.step, qty: s.qty })) },
        `pick-${waveId}`,
      );
      answered += 1;
      if (sent) afterKill += 1;
      if (answered === 5 && !killed) {
        killed = true;
        victim.kill("SIGKILL");
      }
      outcomes.push({ waveId, ok: reply.ok, error: reply.ok ? null : reply.error });
    }
  };
  await Promise.all([picker(), picker(), picker()]);
  console.log(
    `wms failover: ${answered} waves picked, ${afterKill} of them sent after the SIGKILL of ${victim.nodeId}`,
  );
  expect(afterKill).toBeGreaterThan(20);
  await victim.exited;
  expect(outcomes.filter((o) => !o.ok)).toEqual([]);

  // Every step confirmed exactly once, with its quantity; picked units are staged, not lost.
  const stock = (await api.call("GET", `/v1/warehouses/${WH}/stock?sku=${SKU}`)).body as {
    items: Array<{ qty: number; allocated: number }>;
    staged: Array<{ qty: number }>;
  };
  expect(stock.staged.reduce((n, s) => n + s.qty, 0)).toBe(210);
  expect(stock.items.reduce((n, s) => n + s.qty, 0)).toBe(90);
  expect(stock.items.reduce((n, s) => n + s.allocated, 0)).toBe(0);
  for (const [waveId, list] of steps) {
    const wave = (await api.call("GET", `/v1/waves/${waveId}`)).body as {
      pickLists: Array<{ steps: Array<{ picked: number | null; qty: number }> }>;
    };
    const got = wave.pickLists.flatMap((l) => l.steps);
    expect({ waveId, steps: got.length, picked: got.map((s) => s.picked) }).toEqual({
      waveId,
      steps: list.length,
      picked: list.map((s) => s.qty),
    });
  }
  let last: unknown;
  try {
    await waitFor(
      async () => {
        last = (await api.call("GET", `/v1/warehouses/${WH}/invariant`)).body;
        return (last as { ok: boolean }).ok;
      },
      60_000,
      "bins = physical after failover",
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${JSON.stringify(last)}`);
  }
  expect(last).toMatchObject({ ok: true, skus: [{ sku: SKU, bins: 300, physical: 300 }] });
}, 240_000);
