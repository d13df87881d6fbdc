import { z } from "zod";
import {
  DECISIONS,
  ITEM_STATUSES,
  MAX_DURATION_SECONDS,
  MIN_DURATION_SECONDS,
  ON_EXPIRY,
} from "../../actors/access-review/index.ts";
import { idSchema, text } from "../../actors/shared/index.ts";
import { pageQuery } from "../schemas.ts";

/** Bodies, queries and responses of the access review routes (decision 0036). */
const countsSchema = z.object({
  items: z.number().int(),
  confirmed: z.number().int().describe("Confirmed by the manager"),
  revoked: z.number().int().describe("Revoked by the manager"),
  expiredRevoked: z.number().int().describe("Unanswered at the deadline, revoked by policy"),
  expiredKept: z.number().int().describe("Unanswered at the deadline, kept and flagged by policy"),
  pending: z.number().int().describe("Not answered yet (0 once closed)"),
});
export const campaignSchema = z.object({
  id: z.string(),
  runId: z.string().describe("The run of the access-review-campaign job that started it"),
  status: z.enum(["open", "closed"]),
  startedAt: z.string(),
  startedBy: z.string(),
  deadline: z.string(),
  closedAt: z.string().nullable(),
  onExpiry: z.enum(ON_EXPIRY).describe("What the deadline does with unanswered grants (policy at the start)"),
  counts: countsSchema,
});
export const campaignPageSchema = z.object({
  items: z.array(campaignSchema),
  nextCursor: z.string().nullable(),
});
export const itemSchema = z.object({
  id: z.string(),
  campaign: z.string(),
  user: z.string(),
  role: z.string(),
  manager: z.string().describe("Who decides this item (the user's manager at the start)"),
  status: z.enum(ITEM_STATUSES),
  decision: z.enum(DECISIONS).nullable(),
  expiry: z.enum(["revoked", "kept"]).nullable().describe("What the policy did at the deadline"),
  flagged: z.boolean().describe("Kept without an answer: to look at"),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  comment: z.string().nullable(),
});
export const itemPageSchema = z.object({ items: z.array(itemSchema), nextCursor: z.string().nullable() });
export const itemListSchema = z.object({ items: z.array(itemSchema) });
export const settingsSchema = z.object({
  onExpiry: z.enum(ON_EXPIRY),
  durationSeconds: z.number().int(),
  updatedAt: z.string(),
  updatedBy: z.string(),
  schedule: z.string().nullable().describe("The campaign job's cron expression"),
  timezone: z.string(),
  enabled: z.boolean(),
  nextRunAt: z.string().nullable(),
});
export const startedSchema = z.object({ runId: z.string(), campaign: z.string(), startedAt: z.string() });

export const decisionBody = z
  .object({ decision: z.enum(DECISIONS), comment: text({ max: 500 }).optional() })
  .strict();
export const batchBody = z
  .object({
    items: z
      .array(
        z
          .object({ item: idSchema, decision: z.enum(DECISIONS), comment: text({ max: 500 }).optional() })
          .strict(),
      )
      .min(1)
      .max(200),
  })
  .strict();
export const settingsBody = z
  .object({
    onExpiry: z.enum(ON_EXPIRY).optional(),
    durationSeconds: z.number().int().min(MIN_DURATION_SECONDS).max(MAX_DURATION_SECONDS).optional(),
    cron: text({ max: 100 }).optional(),
    timeZone: text({ max: 64 }).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export const itemsQuery = pageQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  mine: z.enum(["true", "false"]).optional(),
  status: z.enum(ITEM_STATUSES).optional(),
});
export const campaignsQuery = pageQuery.extend({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
