import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { ActorClient, type ActorNode, DomainError, defineKind } from "../actors/runtime/index.ts";
import { startBareNode } from "./support/actor-nodes.ts";
import { cleanupNamespace, NATS_URL, requireServices, testNamespace, waitFor } from "./support/harness.ts";

// Two kinds that exist only here: a wallet, and a transfer that moves money between wallets as a
// process manager (debit, then credit, compensating the debit if the credit is refused).
type WalletEvent = { type: "debited"; amount: number } | { type: "credited"; amount: number };
const wallet = defineKind<
  { balance: number },
  | { type: "debit"; amount: number }
  | { type: "credit"; amount: number }
  | { type: "refund"; amount: number }
  | { type: "get" },
  WalletEvent
>({
  name: "wallet",
  commands: z.discriminatedUnion("type", [
    z.object({ type: z.literal("debit"), amount: z.number().int().positive() }),
    z.object({ type: z.literal("credit"), amount: z.number().int().positive() }),
    z.object({ type: z.literal("refund"), amount: z.number().int().positive() }),
    z.object({ type: z.literal("get") }),
  ]),
  initialState: () => ({ balance: 0 }),
  apply: (s, e) => ({ balance: s.balance + (e.type === "credited" ? e.amount : -e.amount) }),
  handlers: {
    debit: (s, c) => {
      if (s.balance < c.amount) throw new DomainError("insufficient_stock", "insufficient funds");
      return { events: [{ type: "debited", amount: c.amount }], reply: { balance: s.balance - c.amount } };
    },
    credit: (s, c) => {
      if (c.amount > 500) throw new DomainError("forbidden", "credit limit");
      return { events: [{ type: "credited", amount: c.amount }], reply: { balance: s.balance + c.amount } };
    },
    refund: (s, c) => ({
      events: [{ type: "credited", amount: c.amount }],
      reply: { balance: s.balance + c.amount },
    }),
    get: (s) => ({ events: [], reply: s }),
  },
  readOnly: ["get"],
});

type TransferState = {
  step: "new" | "debiting" | "crediting" | "refunding" | "done" | "failed";
  from: string;
  to: string;
  amount: number;
  caller: string;
};
type TransferEvent =
  | { type: "started"; from: string; to: string; amount: number; caller: string }
  | { type: "debited" }
  | { type: "finished"; ok: boolean };
const transfer = defineKind<
  TransferState,
  { type: "start"; from: string; to: string; amount: number } | { type: "get" },
  TransferEvent
>({
  name: "transfer",
  commands: z.discriminatedUnion("type", [
    z.object({
      type: z.literal("start"),
      from: z.string(),
      to: z.string(),
      amount: z.number().int().positive(),
    }),
    z.object({ type: z.literal("get") }),
  ]),
  initialState: () => ({ step: "new", from: "", to: "", amount: 0, caller: "" }),
  apply: (s, e) => {
    if (e.type === "started")
      return { step: "debiting", from: e.from, to: e.to, amount: e.amount, caller: e.caller };
    if (e.type === "debited") return { ...s, step: "crediting" };
    return { ...s, step: e.ok ? "done" : "failed" };
  },
  handlers: {
    start: (s, c, ctx) => {
      if (s.step !== "new") throw new DomainError("conflict", "transfer already started");
      return {
        events: [
          { type: "started", from: c.from, to: c.to, amount: c.amount, caller: ctx.meta.requestId ?? "" },
        ],
        reply: null,
        defer: true,
        effects: [
          { key: "debit", to: { kind: "wallet", id: c.from }, cmd: { type: "debit", amount: c.amount } },
        ],
      };
    },
    get: (s) => ({ events: [], reply: s }),
  },
  readOnly: ["get"],
  onEffect: (s, { key, reply }) => {
    const finish = (ok: boolean, value: unknown) => ({
      events: [{ type: "finished" as const, ok }],
      reply: null,
      resolve: [
        {
          commandId: s.caller,
          reply: ok
            ? { ok: true as const, value }
            : { ok: false as const, error: { kind: "conflict" as const, message: String(value) } },
        },
      ],
    });
    if (key === "debit") {
      if (!reply.ok) return finish(false, reply.error.message);
      return {
        events: [{ type: "debited" }],
        reply: null,
        effects: [
          { key: "credit", to: { kind: "wallet", id: s.to }, cmd: { type: "credit", amount: s.amount } },
        ],
      };
    }
    if (key === "credit") {
      if (reply.ok) return finish(true, { moved: s.amount });
      // Compensation: give the money back to the payer.
      return {
        events: [],
        reply: null,
        effects: [
          { key: "refund", to: { kind: "wallet", id: s.from }, cmd: { type: "refund", amount: s.amount } },
        ],
      };
    }
    return finish(false, "credit refused; debit compensated");
  },
});

const ns = testNamespace("workflow");
const SHARDS = 8;
const connections: NatsConnection[] = [];
let client: ActorClient;

async function startNode(nodeId: string): Promise<ActorNode> {
  const node = await startBareNode({
    namespace: ns,
    nodeId,
    kinds: [wallet, transfer],
    shardCount: SHARDS,
    leaseTtlMs: 1_500,
    connections,
  });
  await waitFor(
    () => node.coveredShards >= SHARDS || node.ownedShards.length === SHARDS,
    10_000,
    `${nodeId} serving`,
  );
  return node;
}

beforeAll(async () => {
  await requireServices();
  const nc = await connect({ servers: NATS_URL });
  connections.push(nc);
  client = new ActorClient(nc, {
    namespace: ns,
    shardCount: SHARDS,
    attemptTimeoutMs: 1_000,
    deadlineMs: 20_000,
  });
});

afterAll(async () => {
  for (const nc of connections) await nc.close().catch(() => undefined);
  await cleanupNamespace(ns);
});

const balance = async (id: string) =>
  (await client.send<{ balance: number }>("wallet", id, { type: "get" }, { readOnly: true })).balance;

test("workflow - effects carry a multi-actor flow; the caller waits for its outcome; compensation runs", async () => {
  const node = await startNode("wf-a");
  await client.send("wallet", "alice", { type: "credit", amount: 500 }, { id: "seed-alice" });
  const ok = await client.send(
    "transfer",
    "t-1",
    { type: "start", from: "alice", to: "bob", amount: 200 },
    { id: "call-t-1", meta: { requestId: "call-t-1" } },
  );
  expect(ok).toEqual({ moved: 200 });
  expect(await balance("alice")).toBe(300);
  expect(await balance("bob")).toBe(200);
  // Refused debit: nothing moves, the caller hears why.
  const poor = await client.request(
    "transfer",
    "t-2",
    { type: "start", from: "bob", to: "carol", amount: 999 },
    { id: "call-t-2", meta: { requestId: "call-t-2" } },
  );
  expect(poor.ok).toBe(false);
  // Refused credit: the debit is compensated.
  await client.send("wallet", "dave", { type: "refund", amount: 1_000 }, { id: "seed-dave" });
  const refused = await client.request(
    "transfer",
    "t-3",
    { type: "start", from: "dave", to: "erin", amount: 1_000 },
    { id: "call-t-3", meta: { requestId: "call-t-3" } },
  );
  expect(refused.ok).toBe(false);
  expect(await balance("dave")).toBe(1_000);
  // A retry of a finished transfer returns the first outcome without moving money again.
  expect(
    await client.send(
      "transfer",
      "t-1",
      { type: "start", from: "alice", to: "bob", amount: 200 },
      { id: "call-t-1" },
    ),
  ).toEqual({ moved: 200 });
  expect(await balance("alice")).toBe(300);
  await node.stop();
}, 60_000);

test("workflow - a node crash mid-flow resumes on the next owner; every effect applies exactly once", async () => {
  const a = await startNode("wf-b");
  const N = 60;
  for (let i = 0; i < N; i++)
    await client.send("wallet", `payer-${i}`, { type: "credit", amount: 100 }, { id: `fund-${i}` });
  // Start many transfers, crash the only node while their effects are in flight, then start a new node.
  const calls = Array.from({ length: N }, (_, i) =>
    client.request(
      "transfer",
      `x-${i}`,
      { type: "start", from: `payer-${i}`, to: `payee-${i % 7}`, amount: 100 },
      { id: `call-x-${i}`, meta: { requestId: `call-x-${i}` } },
    ),
  );
  await Bun.sleep(15);
  await a.crash();
  const b = await startNode("wf-c");
  const outcomes = await Promise.all(calls);
  // Callers that timed out retry with the same command id and get the single outcome.
  for (let i = 0; i < N; i++) {
    if (!outcomes[i]!.ok)
      outcomes[i] = await client.request(
        "transfer",
        `x-${i}`,
        { type: "start", from: `payer-${i}`, to: `payee-${i % 7}`, amount: 100 },
        { id: `call-x-${i}` },
      );
  }
  expect(outcomes.every((o) => o.ok)).toBe(true);
  let payers = 0;
  let payees = 0;
  for (let i = 0; i < N; i++) payers += await balance(`payer-${i}`);
  for (let i = 0; i < 7; i++) payees += await balance(`payee-${i}`);
  expect(payers).toBe(0);
  expect(payees).toBe(N * 100);
  await b.stop();
}, 90_000);
