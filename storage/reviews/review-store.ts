import type postgres from "postgres";
import {
  DECIDED_STATUS,
  type ModerationDecision,
  type RatingStats,
  type Review,
  type ReviewStatus,
  ratingStats,
} from "../../actors/review/index.ts";
import type { Sql } from "../postgres/database.ts";
import { decodeCursor, encodeCursor, InvalidCursorError } from "../read-models/cursor.ts";

type Row = Record<string, unknown>;
type Tx = postgres.TransactionSql;
type Queryable = Sql | Tx;

interface Audit {
  by: string;
  requestId: string;
}

const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : null);

function toReview(row: Row): Review {
  return {
    id: row.id as string,
    orderId: row.order_id as string,
    sku: row.sku as string,
    spuCode: (row.spu_code as string | null) ?? null,
    userId: row.user_id as string,
    rating: Number(row.rating),
    text: row.text as string,
    images: row.images as string[],
    status: row.status as ReviewStatus,
    reason: (row.reason as string | null) ?? null,
    reply:
      row.reply_text === null
        ? null
        : { text: row.reply_text as string, by: row.reply_by as string, at: iso(row.reply_at) ?? "" },
    createdAt: iso(row.created_at) ?? "",
    createdBy: row.created_by as string,
    moderatedAt: iso(row.moderated_at),
    moderatedBy: (row.moderated_by as string | null) ?? null,
  };
}

/** The number of reviews waiting for moderation (the catalogue dashboard's panel; works inside a transaction). */
export async function pendingReviewCount(sql: Queryable): Promise<number> {
  const [row] = await sql`SELECT count(*)::int AS n FROM reviews WHERE status = 'pending'`;
  return row?.n ?? 0;
}

async function audit(tx: Tx, who: Audit, action: string, target: string, detail: Record<string, unknown>) {
  await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
    VALUES (${who.by}, ${action}, ${target}, ${who.requestId}, ${tx.json(detail as postgres.JSONValue)})`;
}

/**
 * Reviews in Postgres. It fulfils the gateway's `ReviewStore` port (gateway/ports.ts); node/ checks the
 * fit. SKU → SPU comes from `product_skus` (catalogue, migration 0008).
 */
export class PostgresReviewStore {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async create(
    review: {
      orderId: string;
      sku: string;
      userId: string;
      rating: number;
      text: string;
      images: string[];
      idempotency?: { id: string; fingerprint: string };
    },
    who: Audit,
  ) {
    const id = `R-${crypto.randomUUID()}`;
    const key = review.idempotency?.id ?? null;
    const row = await this.#sql.begin(async (tx) => {
      // ON CONFLICT DO NOTHING covers both unique keys: one review per line, one per Idempotency-Key.
      const [inserted] = await tx`
        INSERT INTO reviews (id, order_id, sku, spu_code, user_id, rating, text, images, created_by,
                             idempotency_key, fingerprint)
        VALUES (${id}, ${review.orderId}, ${review.sku},
                (SELECT spu_code FROM product_skus WHERE sku = ${review.sku}), ${review.userId},
                ${review.rating}, ${review.text}, ${tx.json(review.images)}, ${who.by}, ${key},
                ${review.idempotency?.fingerprint ?? null})
        ON CONFLICT DO NOTHING
        RETURNING *`;
      if (inserted) {
        await audit(tx, who, "review.create", `review/${id}`, {
          orderId: review.orderId,
          sku: review.sku,
          rating: review.rating,
        });
      }
      return inserted;
    });
    if (row) return { created: true as const, review: toReview(row) };
    const first = key === null ? undefined : await this.byIdempotencyKey(key);
    if (first) return { created: false as const, reason: "idempotency-key" as const, ...first };
    return { created: false as const, reason: "already-reviewed" as const };
  }

  async byIdempotencyKey(key: string) {
    const [row] = await this.#sql`SELECT * FROM reviews WHERE idempotency_key = ${key}`;
    return row ? { review: toReview(row), fingerprint: String(row.fingerprint ?? "") } : undefined;
  }

  async get(id: string): Promise<Review | undefined> {
    const [row] = await this.#sql`SELECT * FROM reviews WHERE id = ${id}`;
    return row ? toReview(row) : undefined;
  }

  async list(filter: {
    status?: ReviewStatus;
    sku?: string;
    spuCode?: string;
    order: "oldest" | "newest";
    limit: number;
    cursor?: string;
  }) {
    const sql = this.#sql;
    let after: number | undefined;
    if (filter.cursor !== undefined) {
      const decoded = decodeCursor(filter.cursor);
      if (decoded?.idx !== 0) throw new InvalidCursorError(filter.cursor);
      after = decoded.seq;
    }
    const newest = filter.order === "newest";
    const conditions = [
      filter.status ? sql`status = ${filter.status}` : sql`true`,
      filter.sku ? sql`sku = ${filter.sku}` : sql`true`,
      filter.spuCode ? sql`spu_code = ${filter.spuCode}` : sql`true`,
      after === undefined ? sql`true` : newest ? sql`seq < ${after}` : sql`seq > ${after}`,
    ];
    const rows = await sql`
      SELECT * FROM reviews
      WHERE ${conditions[0]!} AND ${conditions[1]!} AND ${conditions[2]!} AND ${conditions[3]!}
      ORDER BY seq ${newest ? sql`DESC` : sql`ASC`} LIMIT ${filter.limit + 1}`;
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      items: page.map(toReview),
      nextCursor: rows.length > filter.limit && last ? encodeCursor(Number(last.seq), 0) : null,
    };
  }

  async moderate(id: string, decision: ModerationDecision, reason: string | undefined, who: Audit) {
    const status = DECIDED_STATUS[decision];
    const row = await this.#sql.begin(async (tx) => {
      // The conditional UPDATE is the arbiter: of two concurrent moderators exactly one sees the row
      // still pending (the other waits for its lock, re-checks, and updates nothing).
      const [updated] = await tx`
        UPDATE reviews SET status = ${status}, reason = ${reason ?? null}, moderated_at = now(),
          moderated_by = ${who.by},
          spu_code = COALESCE((SELECT spu_code FROM product_skus WHERE sku = reviews.sku), spu_code)
        WHERE id = ${id} AND status = 'pending'
        RETURNING *`;
      if (!updated) return undefined;
      if (status === "approved" && updated.spu_code !== null) {
        const stars = Number(updated.rating);
        await tx`
          INSERT INTO review_ratings (spu_code, r1, r2, r3, r4, r5)
          VALUES (${updated.spu_code as string}, ${stars === 1 ? 1 : 0}, ${stars === 2 ? 1 : 0},
                  ${stars === 3 ? 1 : 0}, ${stars === 4 ? 1 : 0}, ${stars === 5 ? 1 : 0})
          ON CONFLICT (spu_code) DO UPDATE SET
            r1 = review_ratings.r1 + EXCLUDED.r1, r2 = review_ratings.r2 + EXCLUDED.r2,
            r3 = review_ratings.r3 + EXCLUDED.r3, r4 = review_ratings.r4 + EXCLUDED.r4,
            r5 = review_ratings.r5 + EXCLUDED.r5, updated_at = now()`;
      }
      await audit(tx, who, `review.${decision}`, `review/${id}`, {
        before: { status: "pending" },
        after: { status, ...(reason ? { reason } : {}) },
      });
      return updated;
    });
    if (row) return { ok: true as const, review: toReview(row) };
    return this.#refusal(id);
  }

  async reply(id: string, text: string, who: Audit) {
    const result = await this.#sql.begin(async (tx) => {
      const [before] =
        await tx`SELECT reply_text FROM reviews WHERE id = ${id} AND status <> 'rejected' FOR UPDATE`;
      if (!before) return undefined;
      const [updated] = await tx`
        UPDATE reviews SET reply_text = ${text}, reply_at = now(), reply_by = ${who.by}
        WHERE id = ${id} RETURNING *`;
      await audit(tx, who, "review.reply", `review/${id}`, {
        before: before.reply_text ?? null,
        after: text,
      });
      return updated;
    });
    if (result) return { ok: true as const, review: toReview(result) };
    return this.#refusal(id);
  }

  async #refusal(id: string) {
    const [current] = await this.#sql`SELECT status FROM reviews WHERE id = ${id}`;
    if (!current) return { ok: false as const, reason: "not-found" as const };
    return { ok: false as const, reason: "state" as const, status: current.status as ReviewStatus };
  }

  async blockedWords() {
    const [row] = await this.#sql`SELECT words, version, updated_at, updated_by FROM review_blocked_words`;
    return toWordList(row);
  }

  async setBlockedWords(words: string[], expectedVersion: number | undefined, who: Audit) {
    const list = await this.#sql.begin(async (tx) => {
      const [before] = await tx`SELECT words, version FROM review_blocked_words WHERE id = 1 FOR UPDATE`;
      const current = before ? Number(before.version) : 0;
      if (expectedVersion !== undefined && expectedVersion !== current) return undefined;
      const [row] = await tx`
        INSERT INTO review_blocked_words (id, words, version, updated_at, updated_by)
        VALUES (1, ${words}, ${current + 1}, now(), ${who.by})
        ON CONFLICT (id) DO UPDATE SET words = EXCLUDED.words, version = EXCLUDED.version,
          updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
        RETURNING words, version, updated_at, updated_by`;
      const old = new Set((before?.words as string[] | undefined) ?? []);
      const now = new Set(words);
      await audit(tx, who, "review.blocked-words", "reviews/blocked-words", {
        version: current + 1,
        added: words.filter((w) => !old.has(w)),
        removed: [...old].filter((w) => !now.has(w)),
      });
      return toWordList(row);
    });
    if (list) return { ok: true as const, list };
    return { ok: false as const, current: await this.blockedWords() };
  }

  async rating(spuCode: string): Promise<RatingStats | undefined> {
    const [row] = await this.#sql`
      SELECT r.r1, r.r2, r.r3, r.r4, r.r5,
             EXISTS (SELECT 1 FROM products WHERE spu_code = ${spuCode}) AS product
      FROM (SELECT 1) one LEFT JOIN review_ratings r ON r.spu_code = ${spuCode}`;
    if (!row || (row.r1 === null && !row.product)) return undefined;
    return ratingStats([row.r1, row.r2, row.r3, row.r4, row.r5].map((n) => Number(n ?? 0)));
  }

  async counts(): Promise<Record<ReviewStatus, number>> {
    const rows = await this.#sql`SELECT status, count(*)::int AS n FROM reviews GROUP BY status`;
    const counts: Record<ReviewStatus, number> = { pending: 0, approved: 0, rejected: 0 };
    for (const row of rows) counts[row.status as ReviewStatus] = row.n as number;
    return counts;
  }

  /** The number of reviews waiting for moderation. */
  pendingCount(): Promise<number> {
    return pendingReviewCount(this.#sql);
  }
}

function toWordList(row: Row | undefined) {
  return {
    words: (row?.words as string[] | undefined) ?? [],
    version: Number(row?.version ?? 0),
    updatedAt: iso(row?.updated_at) ?? new Date(0).toISOString(),
    updatedBy: (row?.updated_by as string | undefined) ?? "system",
  };
}
