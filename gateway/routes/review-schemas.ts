import { z } from "zod";
import {
  imageRef,
  MAX_BLOCKED_WORD_LENGTH,
  MAX_BLOCKED_WORDS,
  MAX_IMAGES,
  REVIEW_STATUSES,
  ratingSchema,
  replyText,
  reviewText,
} from "../../actors/review/index.ts";
import { text } from "../../actors/shared/index.ts";
import { codeSchema, filterText, reasonText } from "../schemas.ts";

export const reviewBody = z
  .object({
    orderId: codeSchema,
    sku: codeSchema.describe("A line of the order"),
    rating: ratingSchema.describe("1 to 5 stars"),
    text: reviewText.describe("1–2,000 characters; line breaks allowed, other control characters refused"),
    images: z
      .array(imageRef)
      .max(MAX_IMAGES)
      .refine((refs) => new Set(refs).size === refs.length, "each image once")
      .default([])
      .describe("Up to 9 images by reference (https:// URL or media key)"),
    userId: codeSchema
      .optional()
      .describe("The buyer the caller speaks for; when given it must be the order's buyer (403)"),
  })
  .strict();

export const moderationBody = z
  .object({
    decision: z.enum(["approve", "reject"]),
    reason: reasonText.optional().describe("Required to reject; shown to the buyer"),
  })
  .strict()
  .refine((b) => b.decision !== "reject" || b.reason !== undefined, {
    message: "a rejection needs a reason",
    path: ["reason"],
  });

export const replyBody = z.object({ text: replyText }).strict();

export const blockedWordsBody = z
  .object({
    words: z
      .array(text({ max: MAX_BLOCKED_WORD_LENGTH }))
      .max(MAX_BLOCKED_WORDS)
      .describe(
        `The whole list (replaces it): up to ${MAX_BLOCKED_WORDS} words of up to ${MAX_BLOCKED_WORD_LENGTH} characters after NFKC`,
      ),
    version: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("The version this edit started from; 409 when the list changed since"),
  })
  .strict();

export const reviewListQuery = z
  .object({
    status: z.enum(REVIEW_STATUSES).optional(),
    sku: codeSchema.optional(),
    spuCode: codeSchema.optional(),
    order: z
      .enum(["oldest", "newest"])
      .optional()
      .describe("Default: oldest first for status=pending (the queue), newest first otherwise"),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: filterText(200).optional(),
  })
  .strict();

export const reviewSchema = z.object({
  id: z.string(),
  orderId: z.string(),
  sku: z.string(),
  spuCode: z.string().nullable(),
  userId: z.string(),
  rating: z.number().int(),
  text: z.string(),
  images: z.array(z.string()),
  status: z.enum(REVIEW_STATUSES),
  reason: z.string().nullable(),
  reply: z.object({ text: z.string(), by: z.string(), at: z.string() }).nullable(),
  createdAt: z.string(),
  createdBy: z.string(),
  moderatedAt: z.string().nullable(),
  moderatedBy: z.string().nullable(),
});

export const reviewPage = z.object({ items: z.array(reviewSchema), nextCursor: z.string().nullable() });

export const blockedWordsSchema = z.object({
  words: z.array(z.string()),
  version: z.number().int(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});

export const ratingSchemaOut = z.object({
  spuCode: z.string(),
  count: z.number().int(),
  average: z.number().nullable(),
  histogram: z.object({
    "1": z.number().int(),
    "2": z.number().int(),
    "3": z.number().int(),
    "4": z.number().int(),
    "5": z.number().int(),
  }),
});

export const reviewCounts = z.object({
  pending: z.number().int(),
  approved: z.number().int(),
  rejected: z.number().int(),
});
