import {
  ACCESS_REVIEW_CLOSER_KIND,
  accessReviewKind,
  campaignIdOfRun,
  type OnExpiry,
} from "../actors/access-review/index.ts";
import type { Notify } from "../actors/notification/index.ts";
import type { ActorClient, EffectService, Logger } from "../actors/runtime/index.ts";
import type { PostgresAccessReviews } from "../storage/access-reviews/index.ts";

/**
 * The `access-review-campaign` job's work (decision 0036): snapshot the grants into the run's campaign
 * (fenced by the run's attempt), then arm the campaign actor's deadline. Both steps are idempotent, so a
 * re-run of the same run after a crash finishes the same campaign.
 */
export async function startAccessReview(
  deps: { reviews: PostgresAccessReviews; client: ActorClient; notify?: Notify; now?: () => number },
  run: { runId: string; attempt: number },
  signal: AbortSignal,
): Promise<string> {
  const id = campaignIdOfRun(run.runId);
  const started = await deps.reviews.start(id, run, (deps.now ?? Date.now)());
  if (!started) throw new Error(`run ${run.runId} attempt ${run.attempt} was superseded; stopping`);
  signal.throwIfAborted();
  const { campaign } = started;
  const reply = await deps.client.request(
    accessReviewKind.name,
    id,
    { type: "open", deadline: Date.parse(campaign.deadline), onExpiry: campaign.onExpiry as OnExpiry },
    { id: `open:${id}`, meta: { by: "system:job" } },
  );
  if (!reply.ok) throw new Error(`campaign ${id} could not be opened: ${reply.error.message}`);
  await deps.notify?.({
    kind: "accessReviewStarted",
    severity: "info",
    source: "accessReviews",
    subject: { kind: "accessReview", id },
    message: `access review ${id}: ${campaign.counts.items} grants for their managers to confirm or revoke by ${campaign.deadline}`,
    key: `accessReview:start:${id}`,
  });
  return `campaign ${id}: ${campaign.counts.items} grants to review, deadline ${campaign.deadline}, on expiry ${campaign.onExpiry}`;
}

/**
 * The `access-review-closer` effect service: at a campaign's deadline, on the node owning its actor,
 * expires the unanswered items per policy and answers the outcome counts (at least once; closing twice
 * changes nothing). Postgres being away rejects, and the runtime retries.
 */
export function accessReviewCloserService(
  reviews: PostgresAccessReviews,
  log: Logger,
  notify?: Notify,
): EffectService {
  return async (id) => {
    const counts = await reviews.close(id);
    log.info("access review closed", { campaign: id, ...counts });
    // Grants kept without an answer are flagged: someone should look at them.
    if (counts.expiredKept > 0)
      await notify?.({
        kind: "accessReviewFlagged",
        severity: "warning",
        source: "accessReviews",
        subject: { kind: "accessReview", id },
        message: `access review ${id} closed: ${counts.expiredKept} unanswered grants kept and flagged`,
        key: `accessReview:flagged:${id}`,
      });
    return { ok: true, value: counts };
  };
}

export { ACCESS_REVIEW_CLOSER_KIND };
