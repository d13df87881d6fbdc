import { describe, expect, test } from "bun:test";
import type { ActorRef, Reply } from "../runtime/index.ts";
import { ActorInstance } from "../runtime/index.ts";
import { MemoryEventStore, MemoryTimerIndex } from "../runtime/testing/index.ts";
import type { MemberCommand } from "./commands.ts";
import { memberKind } from "./index.ts";

const ref: ActorRef = { kind: "member", id: "U-1", shard: 0 };
const send = (actor: ActorInstance, envelope: { id?: string; cmd: MemberCommand }) =>
  new Promise<Reply>((resolve) => actor.enqueue(envelope, resolve));

function runtime(snapshotEvery = 100) {
  const store = new MemoryEventStore();
  const host = {
    store,
    timerIndex: new MemoryTimerIndex(),
    leaseValid: () => true,
    scheduleWake: () => undefined,
    now: () => 1_700_000_000_000,
    onAppend: () => undefined,
    onError: (_ref: ActorRef, message: string, error: unknown) => {
      throw new Error(`${message}: ${String(error)}`);
    },
  };
  const options = {
    mailboxMax: 1_000,
    maxBatch: 1_000,
    snapshotEvery,
    idempotencyMax: 1_000,
    idempotencyRetentionMs: 3_600_000,
  };
  const start = async () => {
    const actor = new ActorInstance(ref, memberKind, host, options);
    await actor.activate();
    return actor;
  };
  return { store, start };
}

const reasons = (replies: Reply[]) =>
  new Set(replies.flatMap((r) => (r.ok ? [] : [r.error.details?.reason])));

describe("member - on the runtime", () => {
  test("member - 30 concurrent orders group-committed on the runtime never pass a per-SKU limit of 3", async () => {
    const { store, start } = runtime();
    const actor = await start();
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        send(actor, {
          id: `rec-${i}`,
          cmd: {
            type: "recordOrder",
            orderId: `O-${i}`,
            lines: [{ sku: "SKU-1", qty: 1 }],
            amount: 9_900,
            campaignId: "FLASH-1",
            limits: { perSku: { "SKU-1": 3 } },
          },
        }),
      ),
    );
    expect(replies.filter((r) => r.ok)).toHaveLength(3);
    expect(replies.slice(0, 3).every((r) => r.ok)).toBe(true);
    expect(reasons(replies)).toEqual(new Set(["sku_limit"]));
    // Refusals are not logged: three orders recorded, in few appends.
    const recorded = store.batches(ref).flatMap((b) => b.batch.ev.filter((e) => e.type === "orderRecorded"));
    expect(recorded).toHaveLength(3);
    expect(store.appends).toBeLessThanOrEqual(2);

    const fresh = await start();
    const view = await send(fresh, { cmd: { type: "get" } });
    expect(view.ok && view.value).toMatchObject({
      openOrders: 3,
      purchases: { perSku: { "SKU-1": 3 }, perCampaign: { "FLASH-1": 3 } },
    });
  });

  test("member - concurrent checkouts cannot spend the same points twice", async () => {
    const { start } = runtime();
    const actor = await start();
    await send(actor, { id: "adj-1", cmd: { type: "adjustPoints", delta: 1_000, reason: "welcome" } });
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        send(actor, {
          id: `rec-${i}`,
          cmd: {
            type: "recordOrder",
            orderId: `O-${i}`,
            lines: [{ sku: "SKU-1", qty: 1 }],
            amount: 100,
            pointsToSpend: 300,
          },
        }),
      ),
    );
    expect(replies.filter((r) => r.ok)).toHaveLength(3);
    expect(reasons(replies)).toEqual(new Set(["insufficient_points"]));
    const view = await send(actor, { cmd: { type: "get" } });
    expect(view.ok && view.value).toMatchObject({ points: 100 });
  });

  test("member - a retried adjustment with the same command id applies once; a snapshot restores the state", async () => {
    const { store, start } = runtime(2);
    const actor = await start();
    const adjust: MemberCommand = { type: "adjustPoints", delta: 500, reason: "goodwill" };
    const first = await send(actor, { id: "adj-1", cmd: adjust });
    expect(await send(actor, { id: "adj-1", cmd: adjust })).toEqual(first);
    await send(actor, {
      id: "rec-1",
      cmd: { type: "recordOrder", orderId: "O-1", lines: [{ sku: "SKU-1", qty: 1 }], amount: 120_000 },
    });
    await send(actor, { id: "done-1", cmd: { type: "completeOrder", orderId: "O-1", amount: 120_000 } });
    await actor.settled();
    await new Promise((resolve) => setTimeout(resolve, 0)); // the snapshot is written in the background
    expect(store.snapshot(ref)).toBeDefined();
    const before = await send(actor, { cmd: { type: "get" } });
    expect(before.ok && before.value).toMatchObject({
      points: 1_700,
      growth: 1_200,
      level: { name: "silver" },
    });

    const fresh = await start();
    expect(await send(fresh, { cmd: { type: "get" } })).toEqual(before);
    // A write without a command id is refused by the runtime; a read needs none.
    expect(await send(fresh, { cmd: adjust })).toMatchObject({ ok: false, error: { kind: "invalid" } });
  });
});
