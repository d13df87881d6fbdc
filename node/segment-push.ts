import { createHash } from "node:crypto";
import { coupons } from "../actors/coupon/index.ts";
import type { ActorClient, EffectService, Logger, Reply } from "../actors/runtime/index.ts";
import {
  PUSH_PAGE_SIZE,
  type PushTarget,
  type PushView,
  pushTargetSchema,
  type SegmentFilter,
  segmentFilterSchema,
  segmentPushes,
} from "../actors/segment/index.ts";

/** What a push's runner reads and writes outside the actors (bound to `PostgresSegmentStore`). */
export interface PushAudience {
  memberIdsAfter(filter: SegmentFilter, now: number, after: string | null, limit: number): Promise<string[]>;
  deliverMessages(
    pushId: string,
    userIds: readonly string[],
    message: { title: string; body: string },
  ): Promise<number>;
}

interface Step {
  delivered: number;
  failed: number;
  reasons: Map<string, number>;
}

type PushResult = { userId: string; couponId: string | null; refused: string | null };

/** One page of members through the coupon-template actor (one `push` command naming this push). */
async function pushCoupons(
  client: ActorClient,
  pushId: string,
  templateId: string,
  userIds: string[],
): Promise<Step> {
  const call = coupons.push(templateId, { userIds, pushId });
  // The id names the push and exactly these members: a retried step is the same command; the actor's
  // `pushId` check covers a re-run whose pages differ (decision 0025).
  const digest = createHash("sha256").update(userIds.join("\n")).digest("base64url").slice(0, 16);
  const reply = await client.request(call.to.kind, call.to.id, call.cmd, {
    id: `segment-push:${pushId}:${digest}`,
    meta: { by: `system:segment-push:${pushId}` },
  });
  const step: Step = { delivered: 0, failed: 0, reasons: new Map() };
  if (!reply.ok) {
    if (reply.error.kind !== "conflict" && reply.error.kind !== "not_found")
      throw new Error(`coupon push: ${reply.error.kind}: ${reply.error.message}`); // retried: the runner re-runs
    const reason = String(reply.error.details?.reason ?? reply.error.kind);
    return { delivered: 0, failed: userIds.length, reasons: new Map([[reason, userIds.length]]) };
  }
  for (const r of (reply.value as { results: PushResult[] }).results) {
    if (r.couponId !== null) step.delivered += 1;
    else {
      step.failed += 1;
      const reason = r.refused ?? "refused";
      step.reasons.set(reason, (step.reasons.get(reason) ?? 0) + 1);
    }
  }
  return step;
}

const unwrap = <T>(reply: Reply, what: string): T => {
  if (!reply.ok) throw new Error(`${what}: ${reply.error.kind}: ${reply.error.message}`);
  return reply.value as T;
};

/**
 * The `segment-push-runner` effect service: runs a push on the node that owns its actor. It resumes
 * from the actor's cursor (members are handled in id order), pages the segment's members (the filter
 * frozen in the push), sends each page to the coupon-template actor or the inbox, and records each step
 * with `progress` (idempotent per page). A crash or a handover re-runs it from the last recorded step;
 * nothing is issued twice (the coupon actor answers a member this push already served with the same
 * coupon). Its answer is `{ outcome, detail }`, recorded by the actor as `finished`.
 */
export function segmentPushService(deps: {
  client: ActorClient;
  audience: PushAudience;
  log: Logger;
}): EffectService {
  return async (pushId, cmd, _commandId, signal) => {
    const filter = segmentFilterSchema.parse(cmd.filter);
    const target: PushTarget = pushTargetSchema.parse(cmd.target);
    const get = segmentPushes.get(pushId, {});
    const view = unwrap<PushView>(
      await deps.client.request(get.to.kind, get.to.id, get.cmd, { readOnly: true }),
      "reading the push",
    );
    let after = view.cursor;
    const now = Date.now();
    try {
      for (;;) {
        signal.throwIfAborted();
        const page = await deps.audience.memberIdsAfter(filter, now, after, PUSH_PAGE_SIZE);
        if (page.length === 0) break;
        signal.throwIfAborted();
        let step: Step;
        if (target.kind === "coupon") step = await pushCoupons(deps.client, pushId, target.templateId, page);
        else {
          await deps.audience.deliverMessages(pushId, page, target);
          step = { delivered: page.length, failed: 0, reasons: new Map() };
        }
        const last = page.at(-1)!;
        const progress = segmentPushes.progress(pushId, {
          after: last,
          targeted: page.length,
          delivered: step.delivered,
          failed: step.failed,
          reasons: [...step.reasons].map(([reason, n]) => ({ reason, n })),
        });
        unwrap(
          await deps.client.request(progress.to.kind, progress.to.id, progress.cmd, {
            id: `progress:${pushId}:${last}`,
            meta: { by: `system:segment-push:${pushId}` },
          }),
          "recording progress",
        );
        after = last;
        if (page.length < PUSH_PAGE_SIZE) break;
      }
    } catch (error) {
      // The owner closed (shard moved, node stopping): not an outcome; the next owner resumes.
      if (signal.aborted) throw error;
      deps.log.warn("segment push step failed; it is retried", { pushId, error });
      throw error;
    }
    return {
      ok: true,
      value: { outcome: "done", detail: `handled every member up to ${after ?? "(none)"}` },
    };
  };
}
