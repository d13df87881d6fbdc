/**
 * Issue 8, defect 2 (second half): a snapshot that fails validation on load must never brick an actor.
 * Activation sets it aside, reports it, and replays the log from the start.
 */
import { expect, test } from "bun:test";
import { skuKind, type stockView } from "../actors/inventory/index.ts";
import { memberKind } from "../actors/member/index.ts";
import type { Reply } from "../actors/runtime/index.ts";
import { MemoryCluster } from "../actors/runtime/testing/index.ts";

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
