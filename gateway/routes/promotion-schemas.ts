import { z } from "zod";
import { moneySchema } from "../../actors/order/index.ts";
import { PRICING_LEVELS } from "../../actors/pricing/index.ts";
import { describeBenefit, PROMOTION_TYPES, statusAt, toPromotion } from "../../actors/promotion/index.ts";
import { text } from "../../actors/shared/index.ts";
import type { PromotionRecord } from "../ports.ts";
import { codeSchema, filterText, instantSchema } from "../schemas.ts";
import { channelName } from "./pricing-schemas.ts";

/** Request and response shapes of the promotion routes (decision 0021). */
const positive = moneySchema.refine((n) => n > 0, "more than 0");
const MAX_IDS = 1_000;
const ids = z.array(codeSchema).max(MAX_IDS).optional();
const brands = z
  .array(text({ max: 100, trim: false }))
  .max(MAX_IDS)
  .optional();

export const scopeSchema = z
  .object({
    all: z.literal(true).optional().describe("The whole shop, SKUs of no product included"),
    skus: ids,
    spus: ids,
    categories: ids.describe("A category covers its descendants (back categories, and front ones linked)"),
    brands,
    exclude: z.object({ skus: ids, spus: ids, categories: ids, brands }).strict().optional(),
  })
  .strict()
  .refine(
    (s) => s.all === true || [s.skus, s.spus, s.categories, s.brands].some((l) => (l?.length ?? 0) > 0),
    "name what the promotion covers: all, skus, spus, categories or brands",
  );

const levelNames = PRICING_LEVELS.map((l) => l.name);
const levelName = z.string().refine((n) => levelNames.includes(n), `one of ${levelNames.join(", ")}`);
export const conditionsSchema = z
  .object({
    minSpend: moneySchema.optional().describe("Scoped spend at resolved prices, before promotions"),
    minItems: z.number().int().min(1).max(10_000).optional(),
    memberLevels: z.array(levelName).max(levelNames.length).optional(),
    firstOrder: z.boolean().optional().describe("Only for a buyer with no earlier open or completed order"),
    channels: z.array(channelName).max(20).optional(),
  })
  .strict();

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, "HH:MM, 00:00 to 24:00");
const slot = z
  .object({ from: hhmm, to: hhmm })
  .strict()
  .refine((s) => s.from < s.to, { message: "a slot's to must be after its from", path: ["to"] });

const common = {
  name: text({ max: 100 }),
  scope: scopeSchema,
  startsAt: instantSchema,
  endsAt: instantSchema,
  conditions: conditionsSchema.default({}),
  timeSlots: z.array(slot).max(10).default([]).describe("Daily [from, to) slots, Asia/Shanghai time"),
  weekdays: z
    .array(z.number().int().min(1).max(7))
    .max(7)
    .default([])
    .describe("ISO weekdays, 1 = Monday … 7 = Sunday, Asia/Shanghai time; none: every day"),
  exclusive: z.boolean().default(false).describe("Applies alone, never with another promotion"),
  stackGroup: codeSchema.optional().describe("At most one promotion of a stack group applies to a cart"),
  priority: z.number().int().min(0).max(1_000).default(0).describe("Higher applies first and wins ties"),
};
const variant = <T extends (typeof PROMOTION_TYPES)[number], R extends z.ZodType>(type: T, rules: R) =>
  z.object({ type: z.literal(type), rules, ...common }).strict();

export const promotionBody = z.discriminatedUnion("type", [
  variant(
    "threshold_reduction",
    z
      .object({ threshold: moneySchema, reduction: positive })
      .strict()
      .describe("满减: reduction off at threshold"),
  ),
  variant(
    "percent_off",
    z
      .object({
        percent: z.number().int().min(1).max(99).describe("Percent off: 20 is 8折"),
        threshold: moneySchema.default(0),
        maxDiscount: positive.optional(),
      })
      .strict(),
  ),
  variant(
    "every_n_off",
    z
      .object({ every: positive, reduction: positive, maxDiscount: positive.optional() })
      .strict()
      .refine((r) => r.reduction < r.every, { message: "reduction must be below every", path: ["reduction"] })
      .describe("每满减: reduction off for every full `every` of scoped spend"),
  ),
  variant(
    "nth_item_price",
    z
      .object({
        n: z.number().int().min(2).max(10),
        price: moneySchema.optional(),
        percent: z.number().int().min(0).max(99).optional().describe("Percent of its price: 50 is 半价"),
      })
      .strict()
      .refine((r) => (r.price === undefined) !== (r.percent === undefined), {
        message: "give exactly one of price and percent",
        path: ["price"],
      }),
  ),
  variant("fixed_price", z.object({ price: moneySchema }).strict().describe("一口价: each scoped unit")),
  variant(
    "gift",
    z
      .object({ sku: codeSchema, qty: z.number().int().min(1).max(100), threshold: moneySchema.default(0) })
      .strict(),
  ),
  variant("free_shipping", z.object({ threshold: moneySchema.default(0) }).strict()),
]);
export type PromotionBody = z.infer<typeof promotionBody>;

export const PROMOTION_STATUSES = ["scheduled", "active", "ended"] as const;
export const promotionListQuery = z
  .object({
    status: z.enum(PROMOTION_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: filterText(200).optional(),
  })
  .strict();

const idList = z.array(z.string()).optional();
const explanation = z.object({ "zh-CN": z.string(), en: z.string() });
export const promotionSchema = z.object({
  promotionId: z.string(),
  name: z.string(),
  type: z.enum(PROMOTION_TYPES),
  rules: z.record(z.string(), z.union([z.number(), z.string()])),
  scope: z.object({
    all: z.boolean().optional(),
    skus: idList,
    spus: idList,
    categories: idList,
    brands: idList,
    exclude: z.object({ skus: idList, spus: idList, categories: idList, brands: idList }).optional(),
  }),
  conditions: z.object({
    minSpend: z.number().int().optional(),
    minItems: z.number().int().optional(),
    memberLevels: idList,
    firstOrder: z.boolean().optional(),
    channels: idList,
  }),
  timeSlots: z.array(z.object({ from: z.string(), to: z.string() })),
  weekdays: z.array(z.number().int()),
  startsAt: z.string(),
  endsAt: z.string(),
  endedAt: z.string().nullable(),
  exclusive: z.boolean(),
  stackGroup: z.string().nullable(),
  priority: z.number().int(),
  status: z.enum(PROMOTION_STATUSES),
  /** What the benefit is, in words. */
  description: explanation,
  createdAt: z.string(),
  createdBy: z.string(),
});
export const promotionPage = z.object({ items: z.array(promotionSchema), nextCursor: z.string().nullable() });

const iso = (ms: number) => new Date(ms).toISOString();

/** The one JSON form of a promotion. */
export function promotionView(p: PromotionRecord, now: number): z.infer<typeof promotionSchema> {
  return {
    promotionId: p.id,
    name: p.name,
    type: p.type,
    rules: Object.fromEntries(
      Object.entries(p.rules).flatMap(([k, v]) =>
        typeof v === "number" || typeof v === "string" ? [[k, v] as const] : [],
      ),
    ),
    scope: p.scope as z.infer<typeof promotionSchema>["scope"],
    conditions: p.conditions as z.infer<typeof promotionSchema>["conditions"],
    timeSlots: [...p.timeSlots],
    weekdays: [...p.weekdays],
    startsAt: iso(p.startsAt),
    endsAt: iso(p.endsAt),
    endedAt: p.endedAt === undefined ? null : iso(p.endedAt),
    exclusive: p.exclusive,
    stackGroup: p.stackGroup ?? null,
    priority: p.priority,
    status: statusAt(p, now),
    description: describeBenefit(toPromotion(p).benefit),
    createdAt: iso(p.createdAt),
    createdBy: p.createdBy,
  };
}
