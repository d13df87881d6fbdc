/** The reviews' port (decision 0016), re-exported by `gateway/ports.ts`. */
import type { ModerationDecision, RatingStats, Review, ReviewStatus } from "../actors/review/index.ts";
import type { Page } from "./ports.ts";

/** Who made a change and in which request: the audit row written with it. */
export interface ChangeAudit {
  by: string;
  requestId: string;
}

export interface NewReview {
  orderId: string;
  sku: string;
  userId: string;
  rating: number;
  text: string;
  images: string[];
  /** `review:<principal>:<key>` and the request fingerprint, when the caller sent an Idempotency-Key. */
  idempotency?: { id: string; fingerprint: string };
}

export type ReviewCreation =
  | { created: true; review: Review }
  | { created: false; reason: "already-reviewed" }
  /** Another request with the same Idempotency-Key got there first. */
  | { created: false; reason: "idempotency-key"; review: Review; fingerprint: string };

export type ReviewChange =
  | { ok: true; review: Review }
  | { ok: false; reason: "not-found" }
  /** The review is not in a state that allows the change (moderation: not pending; reply: rejected). */
  | { ok: false; reason: "state"; status: ReviewStatus };

export interface ReviewFilter {
  status?: ReviewStatus;
  sku?: string;
  spuCode?: string;
  order: "oldest" | "newest";
  limit: number;
  cursor?: string;
}

export interface BlockedWordList {
  /** In matching form (NFKC, lower case), in the operator's order. */
  words: string[];
  /** Bumped by every change; a PUT may name the version it edited (409 when it moved on). */
  version: number;
  updatedAt: string;
  updatedBy: string;
}

/**
 * Reviews, their moderation, rating statistics and the blocked-word list (Postgres in production).
 * Every change is written in one transaction with its audit row. `list` throws `InvalidCursorError`
 * for a cursor it did not issue.
 */
export interface ReviewStore {
  create(review: NewReview, audit: ChangeAudit): Promise<ReviewCreation>;
  /** The review created under this Idempotency-Key id, with the fingerprint of the request that created it. */
  byIdempotencyKey(id: string): Promise<{ review: Review; fingerprint: string } | undefined>;
  get(id: string): Promise<Review | undefined>;
  list(filter: ReviewFilter): Promise<Page<Review>>;
  /** pending → approved / rejected, atomically (one decision wins); approval counts in the SPU's rating. */
  moderate(
    id: string,
    decision: ModerationDecision,
    reason: string | undefined,
    audit: ChangeAudit,
  ): Promise<ReviewChange>;
  /** Sets (or replaces) the merchant's reply; refused for a rejected review. */
  reply(id: string, text: string, audit: ChangeAudit): Promise<ReviewChange>;
  blockedWords(): Promise<BlockedWordList>;
  /** Replaces the list; with `expectedVersion`, only if it is still that version. */
  setBlockedWords(
    words: string[],
    expectedVersion: number | undefined,
    audit: ChangeAudit,
  ): Promise<{ ok: true; list: BlockedWordList } | { ok: false; current: BlockedWordList }>;
  /** An SPU's rating over its approved reviews; undefined when there is neither such a product nor a rating. */
  rating(spuCode: string): Promise<RatingStats | undefined>;
  /** Reviews per status (the dashboard's "waiting for moderation" is `pending`). */
  counts(): Promise<Record<ReviewStatus, number>>;
}
