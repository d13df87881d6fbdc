import { z } from "zod";
import {
  MAX_MANUAL_TAGS,
  pushTargetSchema,
  segmentFilterSchema,
  tagSchema,
} from "../../actors/segment/index.ts";
import { text } from "../../actors/shared/index.ts";
import { codeSchema, filterText } from "../schemas.ts";

/** Request and response shapes of the tag, segment and push routes (decision 0025). */
const count = z.number().int();
const time = z.string().describe("ISO 8601");

export const manualTagsBody = z
  .object({
    tags: z
      .array(tagSchema)
      .max(MAX_MANUAL_TAGS)
      .describe(`The member's manual tags, all of them (at most ${MAX_MANUAL_TAGS}); behaviour tags stay`),
  })
  .strict();
export const segmentBody = z
  .object({
    name: text({ max: 100 }),
    description: text({ max: 500 }).optional(),
    filter: segmentFilterSchema.describe("Every condition must hold; {} is every known member"),
  })
  .strict();
export const previewBody = z.object({ filter: segmentFilterSchema }).strict();
export const pushBody = z
  .object({
    templateId: codeSchema.optional().describe("Push one coupon of this template to each member"),
    message: z
      .object({ title: text({ max: 100 }), body: text({ max: 2_000, multiline: true }) })
      .strict()
      .optional(),
  })
  .strict();
export const pageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: filterText(200).optional(),
  })
  .strict();
export const messagesQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(200).default(50) })
  .strict();

const figures = z.object({
  level: z.string().nullable(),
  spend: count.describe("Fen paid on paid orders, net of refunds"),
  orders: count.describe("Paid orders"),
  recentOrders: count.describe("Paid orders within the loyalty window (90 days)"),
  firstOrderAt: time.nullable(),
  lastOrderAt: time.nullable(),
  categories: z.array(z.string()).describe("Category codes bought"),
  computedAt: time.nullable().describe("When the recompute job last ran over this member"),
});
export const memberTagsView = z.object({
  userId: z.string(),
  tags: z.array(
    z.object({
      tag: z.string(),
      source: z.enum(["behaviour", "manual"]),
      addedAt: time,
      addedBy: z.string(),
    }),
  ),
  figures: figures.nullable().describe("null: no order, level or tag known for this member yet"),
});
export const segmentView = z.object({
  code: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  filter: segmentFilterSchema,
  version: count,
  createdAt: time,
  updatedAt: time,
  updatedBy: z.string(),
  count: count.describe("Members matching now"),
});
export const segmentPage = z.object({
  items: z.array(segmentView.omit({ count: true })),
  nextCursor: z.string().nullable(),
});
export const previewView = z.object({
  count: count,
  sample: z.array(z.string()).describe("Up to 10 member ids"),
});
export const segmentMemberPage = z.object({
  items: z.array(figures.extend({ userId: z.string(), tags: z.array(z.string()) })),
  nextCursor: z.string().nullable(),
});
export const pushView = z.object({
  pushId: z.string(),
  segment: z.string(),
  target: pushTargetSchema,
  status: z.enum(["running", "done", "failed"]),
  targeted: count.describe("Members handled so far"),
  delivered: count.describe("Members who got the coupon or the message"),
  failed: count.describe("Members who did not (budget, per-user limit, template not active)"),
  failures: z.array(z.object({ reason: z.string(), count: count })),
  cursor: z.string().nullable().describe("The last member id handled"),
  createdAt: time,
  createdBy: z.string(),
  finishedAt: time.nullable(),
  detail: z.string().nullable(),
});
export const messagesView = z.object({
  items: z.array(z.object({ pushId: z.string(), title: z.string(), body: z.string(), deliveredAt: time })),
});
