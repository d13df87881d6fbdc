/**
 * Reviews: the pure rules of the domain (no actor kind: reviews are reference data kept in Postgres,
 * see decision 0016). The HTTP edge and the store both decide the same way through these functions.
 */
import { z } from "zod";
import { text } from "../shared/index.ts";

export const REVIEW_STATUSES = ["pending", "approved", "rejected"] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];
export type ModerationDecision = "approve" | "reject";

/** The status a moderation decision moves a pending review to. */
export const DECIDED_STATUS: Readonly<Record<ModerationDecision, ReviewStatus>> = {
  approve: "approved",
  reject: "rejected",
};

/** Order statuses whose lines may be reviewed: the buyer confirmed receipt, or it completed by itself. */
export const REVIEWABLE_ORDER_STATUSES: readonly string[] = ["completed"];

export const ratingSchema = z.number().int().min(1).max(5);
/** A review's text: one to 2,000 characters, line breaks allowed, every other control refused. */
export const reviewText = text({ max: 2_000, multiline: true });
/** A merchant's public reply. */
export const replyText = text({ max: 1_000, multiline: true });
/**
 * An image by reference: an `https://` URL or a media key (`media/2026/a.jpg`) of the media store. The
 * review never holds image bytes.
 */
export const imageRef = text({ max: 500, trim: false }).regex(
  /^(https:\/\/[^\s"<>\\]+|(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]*)$/,
  "an https:// URL or a media key (letters, digits, '.', '_', '/', '-'; no '..')",
);
export const MAX_IMAGES = 9;

/** Blocked words: how many an operator may keep, and how long one may be (after normalisation). */
export const MAX_BLOCKED_WORDS = 1_000;
export const MAX_BLOCKED_WORD_LENGTH = 32;

/** Format characters (zero-width spaces and joiners, bidi marks): invisible, so never a word boundary. */
const FORMAT_CHARACTERS = /\p{Cf}/gu;

/**
 * The form texts and blocked words are compared in: NFKC (full-width `ＡＢＣ` and compatibility forms
 * become `ABC`), lower case, invisible format characters removed. Chinese has no case and survives NFKC
 * unchanged, so Chinese words match as plain substrings.
 */
export function matchingForm(value: string): string {
  return value.normalize("NFKC").toLowerCase().replace(FORMAT_CHARACTERS, "");
}

/**
 * The first blocked word `value` contains (in the order of `words`, which are in matching form), or
 * undefined. Substring matching: `广告` blocks `免费广告位`; a Latin word also matches inside a longer
 * word (operators choose words accordingly; see decision 0016).
 */
export function firstBlockedWord(value: string, words: readonly string[]): string | undefined {
  const form = matchingForm(value);
  return words.find((word) => word.length > 0 && form.includes(word));
}

/**
 * An operator's list in matching form: normalised, trimmed, empty entries dropped, duplicates removed
 * (first occurrence kept). Returns the words, or the index of an entry that is too long once normalised.
 */
export function normaliseBlockedWords(
  words: readonly string[],
): { ok: true; words: string[] } | { ok: false; index: number } {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const [index, word] of words.entries()) {
    const form = matchingForm(word).trim();
    if (form.length > MAX_BLOCKED_WORD_LENGTH) return { ok: false, index };
    if (form.length === 0 || seen.has(form)) continue;
    seen.add(form);
    out.push(form);
  }
  return { ok: true, words: out };
}

/** What the review rules read of an order (the order actor's `get` reply). */
export interface ReviewedOrder {
  status: string;
  userId: string;
  lines: ReadonlyArray<{ sku: string }>;
}

export type LineVerdict =
  | { ok: true }
  | { ok: false; reason: "order-not-completed"; orderStatus: string }
  | { ok: false; reason: "not-an-order-line" };

/** Whether `sku` is a line of `order` that may be reviewed now. */
export function reviewableLine(order: ReviewedOrder, sku: string): LineVerdict {
  if (!REVIEWABLE_ORDER_STATUSES.includes(order.status))
    return { ok: false, reason: "order-not-completed", orderStatus: order.status };
  if (!order.lines.some((line) => line.sku === sku)) return { ok: false, reason: "not-an-order-line" };
  return { ok: true };
}

/** Rating statistics of one SPU over its approved reviews. */
export interface RatingStats {
  count: number;
  /** Mean rating rounded to two decimals; null without reviews. */
  average: number | null;
  /** Approved reviews per rating, `"1"` … `"5"`. */
  histogram: { "1": number; "2": number; "3": number; "4": number; "5": number };
}

/** Statistics from per-rating counts (index 0 = one star … index 4 = five stars). */
export function ratingStats(counts: readonly number[]): RatingStats {
  const histogram = { "1": 0, "2": 0, "3": 0, "4": 0, "5": 0 };
  let count = 0;
  let total = 0;
  for (let stars = 1; stars <= 5; stars++) {
    const n = counts[stars - 1] ?? 0;
    histogram[String(stars) as keyof typeof histogram] = n;
    count += n;
    total += n * stars;
  }
  return { count, average: count === 0 ? null : Math.round((total / count) * 100) / 100, histogram };
}

/** A review as the API shows it. */
export interface Review {
  id: string;
  orderId: string;
  sku: string;
  /** The SKU's product (SPU), or null for a SKU that belongs to no product. */
  spuCode: string | null;
  /** The order's buyer. */
  userId: string;
  rating: number;
  text: string;
  images: string[];
  status: ReviewStatus;
  /** The moderator's reason (required for a rejection). */
  reason: string | null;
  reply: { text: string; by: string; at: string } | null;
  createdAt: string;
  createdBy: string;
  moderatedAt: string | null;
  moderatedBy: string | null;
}
