import { expect, test } from "bun:test";
import type { ActorClient, Reply } from "../actors/runtime/index.ts";
import { silentLogger } from "../actors/runtime/index.ts";
import { PUSH_PAGE_SIZE } from "../actors/segment/index.ts";
import { segmentPushService } from "./segment-push.ts";

/** A fake cluster: the push actor's cursor and progress, and a coupon template that remembers each push's users. */
function fakes(members: string[], failOnce: (userIds: string[]) => boolean) {
  const progress: Array<{ after: string; targeted: number; delivered: number; failed: number }> = [];
  let cursor: string | null = null;
  const issued = new Map<string, string>(); // `${pushId}|${user}` → couponId
  let couponCalls = 0;
  let failed = false;
  const client = {
    async request(kind: string, _id: string, cmd: Record<string, unknown>): Promise<Reply> {
      if (kind === "segment-push" && cmd.type === "get") return { ok: true, value: { cursor } };
      if (kind === "segment-push" && cmd.type === "progress") {
        const after = cmd.after as string;
        if (cursor === null || after > cursor) {
          cursor = after;
          progress.push(cmd as never);
        }
        return { ok: true, value: {} };
      }
      if (kind === "coupon-template" && cmd.type === "push") {
        couponCalls += 1;
        const userIds = cmd.userIds as string[];
        if (!failed && failOnce(userIds)) {
          failed = true;
          throw new Error("connection lost mid-push");
        }
        const results = userIds.map((userId) => {
          const key = `${cmd.pushId}|${userId}`;
          if (!issued.has(key)) issued.set(key, `C-${issued.size + 1}`);
          return { userId, couponId: issued.get(key)!, refused: null };
        });
        return { ok: true, value: { results } };
      }
      throw new Error(`unexpected ${kind} ${String(cmd.type)}`);
    },
  } as unknown as ActorClient;
  const audience = {
    memberIdsAfter: async (_f: unknown, _now: number, after: string | null, limit: number) =>
      members.filter((m) => after === null || m > after).slice(0, limit),
    deliverMessages: async () => 0,
  };
  return { client, audience, progress, issued, calls: () => couponCalls };
}

const run = { type: "run", filter: {}, target: { kind: "coupon", templateId: "CT1" } };

test("segment push runner - a run that fails mid-way resumes from the recorded step; nothing is issued twice", async () => {
  const members = Array.from({ length: 1_200 }, (_, i) => `U${String(i).padStart(5, "0")}`);
  // The second page fails once (after page one was recorded).
  const f = fakes(members, (userIds) => userIds[0] === members[PUSH_PAGE_SIZE]);
  const service = segmentPushService({ client: f.client, audience: f.audience, log: silentLogger });
  const signal = new AbortController().signal;
  await expect(service("SP1", run, "c1", signal)).rejects.toThrow("connection lost");
  expect(f.progress.map((p) => p.targeted)).toEqual([500]);
  // The runtime retries the effect (a new owner re-sends it): same push, resumed after page one.
  expect(await service("SP1", run, "c1", signal)).toMatchObject({ ok: true, value: { outcome: "done" } });
  expect(f.progress.map((p) => p.targeted)).toEqual([500, 500, 200]);
  expect(f.progress.reduce((n, p) => n + p.delivered, 0)).toBe(1_200);
  expect(f.issued.size).toBe(1_200);
  // Page one once, page two twice (the failed call and the re-run), page three once.
  expect(f.calls()).toBe(4);

  // Run again after it finished: the cursor is at the end, so nothing is sent.
  const reply = await service("SP1", run, "c1", signal);
  expect(reply).toMatchObject({ ok: true, value: { outcome: "done" } });
  expect(f.calls()).toBe(4);
});

test("segment push runner - an aborted run (owner closing) stops without recording an outcome", async () => {
  const f = fakes(["A", "B"], () => false);
  const service = segmentPushService({ client: f.client, audience: f.audience, log: silentLogger });
  const abort = new AbortController();
  abort.abort(new Error("shard moved"));
  await expect(service("SP2", run, "c2", abort.signal)).rejects.toThrow("shard moved");
  expect(f.calls()).toBe(0);
});
