import { z } from "zod";
import { idSchema, moneySchema } from "../shared/index.ts";
import { tagSchema } from "./tags.ts";

const tags = z.array(tagSchema).min(1).max(20);
const days = z.number().int().min(1).max(3_650);
const count = z.number().int().min(0).max(1_000_000);

/**
 * A segment's saved filter (人群圈选): every given condition must hold. Tags match behaviour and manual
 * tags alike; spend is fen paid net of refunds; recency is days since the last paid order (a member who
 * never paid matches `noOrderWithinDays` and never `lastOrderWithinDays`); categories are codes bought.
 * An empty filter is every known member.
 */
export const segmentFilterSchema = z
  .object({
    tagsAll: tags.optional(),
    tagsAny: tags.optional(),
    tagsNone: tags.optional(),
    levels: z.array(idSchema).min(1).max(20).optional(),
    minSpend: moneySchema.optional(),
    maxSpend: moneySchema.optional(),
    minOrders: count.optional(),
    maxOrders: count.optional(),
    lastOrderWithinDays: days.optional(),
    noOrderWithinDays: days.optional(),
    categories: z.array(idSchema).min(1).max(50).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.minSpend !== undefined && f.maxSpend !== undefined && f.maxSpend < f.minSpend)
      ctx.addIssue({ code: "custom", path: ["maxSpend"], message: "maxSpend is below minSpend" });
    if (f.minOrders !== undefined && f.maxOrders !== undefined && f.maxOrders < f.minOrders)
      ctx.addIssue({ code: "custom", path: ["maxOrders"], message: "maxOrders is below minOrders" });
  });
export type SegmentFilter = z.infer<typeof segmentFilterSchema>;
