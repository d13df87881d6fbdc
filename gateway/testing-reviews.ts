/**
 * An in-memory `ReviewStore` for route tests (the Postgres one is covered by `tests/reviews.test.ts`).
 * It keeps the same rules: one review per (order, SKU), one per Idempotency-Key, pending-only moderation.
 */
import {
  DECIDED_STATUS,
  type ModerationDecision,
  type Review,
  type ReviewStatus,
  ratingStats,
} from "../actors/review/index.ts";
import { InvalidCursorError } from "../storage/read-models/cursor.ts";
import type { BlockedWordList, ChangeAudit, NewReview, ReviewFilter, ReviewStore } from "./ports.ts";

export class MemoryReviews implements ReviewStore {
  readonly reviews: Review[] = [];
  readonly fingerprints = new Map<string, { id: string; fingerprint: string }>();
  /** SKU → SPU, as the catalogue's product_skus would say. */
  readonly spuOf = new Map<string, string>();
  readonly products = new Set<string>();
  readonly audit: Array<{ action: string; target: string; by: string }> = [];
  #words: BlockedWordList = {
    words: [],
    version: 0,
    updatedAt: new Date(0).toISOString(),
    updatedBy: "system",
  };

  async create(input: NewReview, who: ChangeAudit) {
    const key = input.idempotency?.id;
    const first = key ? await this.byIdempotencyKey(key) : undefined;
    if (first) return { created: false as const, reason: "idempotency-key" as const, ...first };
    if (this.reviews.some((r) => r.orderId === input.orderId && r.sku === input.sku))
      return { created: false as const, reason: "already-reviewed" as const };
    const { idempotency, ...fields } = input;
    const review: Review = {
      id: `R-${this.reviews.length + 1}`,
      ...fields,
      spuCode: this.spuOf.get(input.sku) ?? null,
      status: "pending",
      reason: null,
      reply: null,
      createdAt: new Date().toISOString(),
      createdBy: who.by,
      moderatedAt: null,
      moderatedBy: null,
    };
    this.reviews.push(review);
    if (idempotency)
      this.fingerprints.set(idempotency.id, { id: review.id, fingerprint: idempotency.fingerprint });
    this.audit.push({ action: "review.create", target: `review/${review.id}`, by: who.by });
    return { created: true as const, review };
  }

  async byIdempotencyKey(key: string) {
    const entry = this.fingerprints.get(key);
    const review = entry && (await this.get(entry.id));
    return entry && review ? { review, fingerprint: entry.fingerprint } : undefined;
  }

  async get(id: string) {
    return this.reviews.find((r) => r.id === id);
  }

  async list(filter: ReviewFilter) {
    if (filter.cursor !== undefined) throw new InvalidCursorError(filter.cursor);
    const items = this.reviews.filter(
      (r) =>
        (!filter.status || r.status === filter.status) &&
        (!filter.sku || r.sku === filter.sku) &&
        (!filter.spuCode || r.spuCode === filter.spuCode),
    );
    if (filter.order === "newest") items.reverse();
    return { items: items.slice(0, filter.limit), nextCursor: null };
  }

  async moderate(id: string, decision: ModerationDecision, reason: string | undefined, who: ChangeAudit) {
    const review = await this.get(id);
    if (!review) return { ok: false as const, reason: "not-found" as const };
    if (review.status !== "pending")
      return { ok: false as const, reason: "state" as const, status: review.status };
    Object.assign(review, {
      status: DECIDED_STATUS[decision],
      reason: reason ?? null,
      moderatedAt: new Date().toISOString(),
      moderatedBy: who.by,
    });
    this.audit.push({ action: `review.${decision}`, target: `review/${id}`, by: who.by });
    return { ok: true as const, review };
  }

  async reply(id: string, text: string, who: ChangeAudit) {
    const review = await this.get(id);
    if (!review) return { ok: false as const, reason: "not-found" as const };
    if (review.status === "rejected")
      return { ok: false as const, reason: "state" as const, status: review.status };
    review.reply = { text, by: who.by, at: new Date().toISOString() };
    this.audit.push({ action: "review.reply", target: `review/${id}`, by: who.by });
    return { ok: true as const, review };
  }

  async blockedWords() {
    return this.#words;
  }

  async setBlockedWords(words: string[], expectedVersion: number | undefined, who: ChangeAudit) {
    if (expectedVersion !== undefined && expectedVersion !== this.#words.version)
      return { ok: false as const, current: this.#words };
    this.#words = {
      words,
      version: this.#words.version + 1,
      updatedAt: new Date().toISOString(),
      updatedBy: who.by,
    };
    this.audit.push({ action: "review.blocked-words", target: "reviews/blocked-words", by: who.by });
    return { ok: true as const, list: this.#words };
  }

  async rating(spuCode: string) {
    const approved = this.reviews.filter((r) => r.status === "approved" && r.spuCode === spuCode);
    if (!this.products.has(spuCode) && approved.length === 0) return undefined;
    return ratingStats([1, 2, 3, 4, 5].map((stars) => approved.filter((r) => r.rating === stars).length));
  }

  async counts() {
    const counts: Record<ReviewStatus, number> = { pending: 0, approved: 0, rejected: 0 };
    for (const review of this.reviews) counts[review.status]++;
    return counts;
  }
}
