import { createHash } from "node:crypto";
import { coupons, type ISSUE_ON_EVENTS, issueOnPushId } from "../actors/coupon/index.ts";
import type { ActorClient } from "../actors/runtime/index.ts";
import { PUSH_PAGE_SIZE } from "../actors/segment/index.ts";

/** How far back a run looks for first orders: runs every few minutes, so a day covers an outage of hours. */
export const FIRST_ORDER_LOOKBACK_MS = 24 * 60 * 60 * 1_000;

export interface EventIssueSource {
  liveTemplateIds(now: number): Promise<string[]>;
  firstPaidOrders(since: number, until: number, after: string | null, limit: number): Promise<string[]>;
}

type TemplateView = { createdAt: string; issueOn?: (typeof ISSUE_ON_EVENTS)[number] };
type PushReply = { issued: number; results: Array<{ couponId: string | null; refused: string | null }> };

/**
 * Issue on an event (decision 0025), run by the `coupon-issue-on-events` job: for every live template that
 * issues on `first_order`, the members whose first paid order came after the template was created (and within
 * the lookback) are pushed one coupon each. The push names the event (`issueOnPushId`), so a member already
 * served is answered with their coupon, never a second one: runs may overlap and repeat freely. Budget and
 * per-user limit are the template's, as for any push.
 */
export async function issueOnEvents(
  deps: { client: ActorClient; source: EventIssueSource },
  run: { runId: string; now: number },
  signal: AbortSignal,
): Promise<string> {
  let templates = 0;
  let members = 0;
  let issued = 0;
  let refused = 0;
  const now = run.now;
  for (const templateId of await deps.source.liveTemplateIds(now)) {
    signal.throwIfAborted();
    const reply = await deps.client.request(
      "coupon-template",
      templateId,
      { type: "get" },
      { readOnly: true },
    );
    if (!reply.ok) continue;
    const view = reply.value as TemplateView;
    if (view.issueOn !== "first_order") continue;
    templates += 1;
    const since = Math.max(Date.parse(view.createdAt), now - FIRST_ORDER_LOOKBACK_MS);
    let after: string | null = null;
    for (;;) {
      signal.throwIfAborted();
      const page = await deps.source.firstPaidOrders(since, now, after, PUSH_PAGE_SIZE);
      if (page.length === 0) break;
      const call = coupons.push(templateId, { userIds: page, pushId: issueOnPushId("first_order") });
      const digest = createHash("sha256").update(page.join("\n")).digest("base64url").slice(0, 16);
      const pushed = await deps.client.request(call.to.kind, call.to.id, call.cmd, {
        // Per run: a re-run of this run replays its answers; a later run asks again (and hears "already").
        id: `issue-on:${run.runId}:${templateId}:${digest}`,
        meta: { by: "system:coupon-issue-on-events" },
      });
      members += page.length;
      if (pushed.ok) {
        const r = pushed.value as PushReply;
        issued += r.issued;
        refused += r.results.filter((x) => x.couponId === null).length;
      } else refused += page.length; // the template ended meanwhile, or is busy: the next run tries again
      after = page.at(-1)!;
      if (page.length < PUSH_PAGE_SIZE) break;
    }
  }
  return `${templates} templates issue on first_order; ${members} first orders; ${issued} coupons issued, ${refused} refused`;
}
