import { defineKind } from "../runtime/index.ts";
import type { OnExpiry, OutcomeCounts } from "./actor.ts";
import {
  type AccessReviewCommand,
  type AccessReviewEvent,
  type AccessReviewState,
  accessReviewCommandSchema,
  accessReviewEventSchema,
  accessReviewHandlers,
  accessReviewStateSchema,
  applyAccessReviewEvent,
  initialAccessReview,
  onAccessReviewEffect,
  onAccessReviewTimer,
} from "./actor.ts";

/**
 * Access reviews (decision 0036). A run of the `access-review-campaign` job snapshots every (user, role)
 * grant of users with a manager into a campaign (Postgres, `storage/access-reviews`); each manager
 * confirms or revokes their team's items until the deadline. The campaign's `access-review` actor (id =
 * the campaign id) holds the deadline as a durable timer, so it fires once across restarts; it then asks
 * the node-local closer service to expire every unanswered item per the campaign's policy and records
 * the outcome counts.
 */
export const accessReviewKind = defineKind<AccessReviewState, AccessReviewCommand, AccessReviewEvent>({
  name: "access-review",
  commands: accessReviewCommandSchema,
  events: accessReviewEventSchema,
  state: accessReviewStateSchema,
  initialState: initialAccessReview,
  apply: applyAccessReviewEvent,
  handlers: accessReviewHandlers,
  readOnly: ["get"],
  onTimer: onAccessReviewTimer,
  onEffect: onAccessReviewEffect,
});

/** The job whose runs start campaigns (`node/jobs.ts`). */
export const ACCESS_REVIEW_JOB = "access-review-campaign";
export const DECISIONS = ["confirm", "revoke"] as const;
export type ReviewDecision = (typeof DECISIONS)[number];
export const ITEM_STATUSES = ["pending", "confirmed", "revoked", "expired"] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** The campaign id of a job run (`access-review-campaign:7` → `ar-7`): one campaign per run, on retries too. */
export function campaignIdOfRun(runId: string): string {
  return `ar-${runId.slice(runId.lastIndexOf(":") + 1)}`;
}

/** Shortest and longest campaign (the short end serves tests and drills). */
export const MIN_DURATION_SECONDS = 2;
export const MAX_DURATION_SECONDS = 90 * 86_400;

/** The policy (`GET/PUT /v1/access-reviews/settings`). */
export interface AccessReviewSettings {
  onExpiry: OnExpiry;
  durationSeconds: number;
  updatedAt: string;
  updatedBy: string;
}

export interface CampaignRecord {
  id: string;
  runId: string;
  status: "open" | "closed";
  startedAt: string;
  startedBy: string;
  deadline: string;
  closedAt: string | null;
  onExpiry: OnExpiry;
  counts: OutcomeCounts;
}

export interface ReviewItemRecord {
  id: string;
  campaign: string;
  user: string;
  role: string;
  manager: string;
  status: ItemStatus;
  decision: ReviewDecision | null;
  /** For an expired item: what the policy did with the grant. */
  expiry: "revoked" | "kept" | null;
  /** Kept at the deadline without an answer: someone should look at it. */
  flagged: boolean;
  decidedBy: string | null;
  decidedAt: string | null;
  comment: string | null;
}

export {
  ACCESS_REVIEW_CLOSER_KIND,
  type AccessReviewCommand,
  type AccessReviewEvent,
  type AccessReviewState,
  accessReviewView,
  ON_EXPIRY,
  type OnExpiry,
  type OutcomeCounts,
  outcomeCountsSchema,
} from "./actor.ts";
