import { z } from "zod";
import {
  couponScopeSchema,
  ISSUE_ON_EVENTS,
  MAX_COUPONS_PER_TEMPLATE,
  MAX_PER_USER_LIMIT,
  MAX_PUSH_USERS,
  MAX_VALID_DAYS,
} from "../../actors/coupon/index.ts";
import { MAX_AMOUNT, moneySchema, text } from "../../actors/shared/index.ts";
import { codeSchema, filterText, instantSchema } from "../schemas.ts";

/** Request and response shapes of the coupon routes (the OpenAPI document is generated from these). */
export const templateBody = z
  .object({
    name: text({ max: 100 }),
    kind: z.enum(["amount_off", "percent_off"]),
    value: z
      .number()
      .int()
      .positive()
      .max(MAX_AMOUNT)
      .describe("amount_off: fen off; percent_off: percent off (1–99)"),
    threshold: moneySchema.optional().describe("In-scope spend (fen) the cart must reach (满 X)"),
    maxDiscount: moneySchema.optional().describe("percent_off only: the most one coupon takes off, fen"),
    totalQuantity: z.number().int().positive().max(MAX_COUPONS_PER_TEMPLATE),
    perUserLimit: z.number().int().positive().max(MAX_PER_USER_LIMIT),
    validFrom: instantSchema,
    validTo: instantSchema,
    validDays: z
      .number()
      .int()
      .positive()
      .max(MAX_VALID_DAYS)
      .optional()
      .describe("Coupons are valid this many days from their claim (else validFrom–validTo)"),
    scope: couponScopeSchema.optional().describe("Absent: the whole shop"),
    issueOn: z
      .enum(ISSUE_ON_EVENTS)
      .optional()
      .describe(
        "first_order: one coupon to every member whose first paid order comes after the template was created (pushed within minutes by the coupon-issue-on-events job)",
      ),
  })
  .strict();
export const claimBody = z.object({ userId: codeSchema }).strict();
export const pushBody = z
  .object({
    userIds: z.array(codeSchema).min(1).max(MAX_PUSH_USERS).describe(`At most ${MAX_PUSH_USERS} users`),
  })
  .strict();
export const expireBody = z.object({ reason: text({ max: 200 }).optional() }).strict();
export const memberCouponsQuery = z
  .object({
    status: z.enum(["available", "reserved", "used", "expired"]).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: filterText(200).optional(),
  })
  .strict();

const count = z.number().int();
const time = z.string().describe("ISO 8601");

export const createdTemplate = z.object({ templateId: z.string() });
export const claimedCoupon = z.object({
  couponId: z.string(),
  templateId: z.string(),
  userId: z.string(),
  validFrom: time,
  validTo: time,
});
export const pushReply = z.object({
  templateId: z.string(),
  issued: count,
  results: z.array(
    z.object({
      userId: z.string(),
      couponId: z.string().nullable(),
      refused: z.enum(["coupons-exhausted", "coupon-limit-reached"]).nullable(),
    }),
  ),
});
const counters = {
  issued: count.describe("Claimed + pushed"),
  claimed: count,
  pushed: count,
  remaining: count.describe("totalQuantity − issued"),
  reserved: count.describe("Held by unpaid orders"),
  used: count,
  expired: count.describe("Issued, never used, past validity"),
  gmv: count.describe("Payable totals of the paid orders that used a coupon, fen"),
  discountCost: count.describe("Discount those orders received from the coupons, fen"),
};
export const templateView = z.object({
  templateId: z.string(),
  name: z.string(),
  kind: z.enum(["amount_off", "percent_off"]),
  value: count,
  threshold: count.optional(),
  maxDiscount: count.optional(),
  totalQuantity: count,
  perUserLimit: count,
  validFrom: time,
  validTo: time,
  validDays: count.optional(),
  scope: couponScopeSchema.optional(),
  issueOn: z.enum(ISSUE_ON_EVENTS).optional(),
  status: z.enum(["scheduled", "active", "ended"]),
  createdAt: time,
  endedAt: time.nullable(),
  ...counters,
});
export const templateStats = z.object({
  templateId: z.string(),
  status: z.enum(["scheduled", "active", "ended"]),
  totalQuantity: count,
  ...counters,
});
export const memberCouponPage = z.object({
  items: z.array(
    z.object({
      couponId: z.string(),
      templateId: z.string(),
      name: z.string(),
      kind: z.enum(["amount_off", "percent_off"]),
      value: count,
      threshold: count.nullable(),
      maxDiscount: count.nullable(),
      status: z.enum(["available", "reserved", "used", "expired"]),
      source: z.enum(["claim", "push"]),
      issuedAt: time,
      validFrom: time,
      validTo: time,
      orderId: z.string().nullable(),
    }),
  ),
  nextCursor: z.string().nullable(),
});
