/**
 * The product actor hosted by the real runtime (in memory): a scheduled change is a durable timer that
 * survives a crash and a restart from a snapshot, fires once, and ids such as `constructor` or `toString`
 * are just SPU codes.
 */
import { expect, test } from "bun:test";
import { MemoryCluster } from "../runtime/testing/index.ts";
import { productKind } from "./index.ts";

const T0 = 1_700_000_000_000;
const TIMERS = { cmd: { type: "$timers" } };

for (const spu of ["constructor", "toString", "hasOwnProperty", "SPU-1"]) {
  for (const snapshotEvery of [1, 1_000]) {
    test(`product actor - ${spu}: a scheduled publish fires once across a crash (snapshot every ${snapshotEvery})`, async () => {
      const cluster = new MemoryCluster([productKind], { clock: T0, instance: { snapshotEvery } });
      const send = (cmd: Record<string, unknown>, id: string) =>
        cluster.command("product", spu, { id, cmd: cmd as { type: string }, meta: { by: "alice" } });
      const due = T0 + 60_000;
      expect(await send({ type: "publish", at: due }, "c-1")).toEqual({
        ok: true,
        value: {
          spuCode: spu,
          status: "draft",
          scheduled: { action: "publish", at: new Date(due).toISOString() },
        },
      });
      // The retried command is answered from the idempotency record, not scheduled twice.
      expect((await send({ type: "publish", at: due }, "c-1")).ok).toBe(true);
      expect(cluster.events("product", spu).filter((e) => e.type === "scheduled")).toHaveLength(1);

      cluster.crash("product", spu);
      await cluster.restart("product", spu);
      // Not due yet: nothing fires.
      expect(await cluster.command("product", spu, TIMERS)).toEqual({ ok: true, value: { fired: 0 } });
      cluster.clock = due + 1;
      expect(await cluster.command("product", spu, TIMERS)).toEqual({ ok: true, value: { fired: 1 } });
      cluster.crash("product", spu);
      await cluster.restart("product", spu);
      expect(await cluster.command("product", spu, TIMERS)).toEqual({ ok: true, value: { fired: 0 } });

      const listed = cluster.events("product", spu).filter((e) => e.type === "listed");
      expect(listed).toEqual([
        { type: "listed", from: "draft", to: "on_sale", scheduledFor: due, at: due + 1, by: "system:timer" },
      ]);
      expect(await cluster.command("product", spu, { cmd: { type: "get" } })).toEqual({
        ok: true,
        value: { spuCode: spu, status: "on_sale", scheduled: null },
      });
    });
  }
}
