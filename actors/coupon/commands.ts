import { z } from "zod";
import { idSchema as codeSchema, MAX_AMOUNT, moneySchema, text } from "../shared/index.ts";

/** One template issues at most this many coupons: its coupons live in the actor's state (a hot counter). */
export const MAX_COUPONS_PER_TEMPLATE = 100_000;
/** Coupons one user may hold of one template. */
export const MAX_PER_USER_LIMIT = 1_000;
/** Users one operator push names at most (one command, one append). */
export const MAX_PUSH_USERS = 1_000;
/** The longest relative validity, in days from the claim. */
export const MAX_VALID_DAYS = 3_650;
const DAY_MS = 24 * 60 * 60 * 1_000;
/** Events a template can issue on (decision 0025). */
export const ISSUE_ON_EVENTS = ["first_order"] as const;
/** The push id the event issuer uses: one coupon per member and event, whatever the re-runs. */
export const issueOnPushId = (event: (typeof ISSUE_ON_EVENTS)[number]): string =>
  `event-${event.replace("_", "-")}`;

export { DAY_MS };

const codes = z.array(codeSchema).max(500);
const brands = z.array(text({ max: 100 })).max(500);

/**
 * What a coupon applies to — the promotion engine's scope (`actors/promotion` `Scope`): the whole shop
 * (`all`, also when no scope is given) or any line matching one of `skus`, `spus`, `categories` (a line's
 * category or any ancestor) or `brands`; anything under `exclude` wins over every inclusion.
 */
export const couponScopeSchema = z
  .object({
    all: z.boolean().optional(),
    skus: codes.optional(),
    spus: codes.optional(),
    categories: codes.optional(),
    brands: brands.optional(),
    exclude: z
      .object({
        skus: codes.optional(),
        spus: codes.optional(),
        categories: codes.optional(),
        brands: brands.optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine(
    (s) =>
      s.all === true ||
      (s.skus?.length ?? 0) + (s.spus?.length ?? 0) + (s.categories?.length ?? 0) + (s.brands?.length ?? 0) >
        0,
    { error: "a scope names `all: true` or at least one sku, spu, category or brand" },
  );
export type CouponScope = z.infer<typeof couponScopeSchema>;

const epoch = z.number().int().min(0).max(253_402_300_799_999);

/**
 * A coupon template (券模板): amount off (满减券 with a threshold) or percent off (折扣券, `value` percent
 * off, capped by `maxDiscount`), its budget (`totalQuantity`), how many one user may claim, and validity:
 * claims are accepted in `[validFrom, validTo)`; a coupon is usable in that same window, or — with
 * `validDays` — for that many days from its claim.
 */
export const couponTemplateSchema = z
  .object({
    name: text({ max: 100 }),
    kind: z.enum(["amount_off", "percent_off"]),
    value: z.number().int().positive().max(MAX_AMOUNT),
    threshold: moneySchema.optional(),
    maxDiscount: moneySchema.refine((n) => n > 0, "a cap of at least 1 fen").optional(),
    totalQuantity: z.number().int().positive().max(MAX_COUPONS_PER_TEMPLATE),
    perUserLimit: z.number().int().positive().max(MAX_PER_USER_LIMIT),
    validFrom: epoch,
    validTo: epoch,
    validDays: z.number().int().positive().max(MAX_VALID_DAYS).optional(),
    scope: couponScopeSchema.optional(),
    /**
     * Issue on an event (decision 0025): `first_order` gives one coupon to every member whose first paid order
     * comes after the template was created (the `coupon-issue-on-events` job pushes it, once per member).
     */
    issueOn: z.enum(ISSUE_ON_EVENTS).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.validTo <= t.validFrom)
      ctx.addIssue({ code: "custom", path: ["validTo"], message: "validTo must be after validFrom" });
    if (t.kind === "percent_off" && t.value >= 100)
      ctx.addIssue({ code: "custom", path: ["value"], message: "percent off is 1–99" });
    if (t.kind === "amount_off" && t.maxDiscount !== undefined)
      ctx.addIssue({ code: "custom", path: ["maxDiscount"], message: "a cap applies to percent_off only" });
  });
export type CouponTemplate = z.infer<typeof couponTemplateSchema>;

export const couponCommandSchema = z.discriminatedUnion("type", [
  /** The template and its counters (read-only). */
  z.object({ type: z.literal("get") }),
  /** One coupon with its template (read-only): what a checkout needs to price it. */
  z.object({ type: z.literal("coupon"), couponId: codeSchema }),
  z.object({ type: z.literal("create"), template: couponTemplateSchema }),
  /** A customer's claim (领券): one coupon, within the budget and the user's limit. */
  z.object({ type: z.literal("claim"), userId: codeSchema }),
  /**
   * An operator's push (发券) to a list of users: one coupon each where budget and limit allow. With
   * `pushId` (a segment push, decision 0025) a user this push already gave a coupon gets that coupon back
   * instead of another, so a push re-run after a crash never issues twice.
   */
  z.object({
    type: z.literal("push"),
    userIds: z.array(codeSchema).min(1).max(MAX_PUSH_USERS),
    pushId: codeSchema.optional(),
  }),
  /** Hold a coupon for an order being placed (all or nothing with the order). */
  z.object({
    type: z.literal("reserve"),
    couponId: codeSchema,
    orderId: codeSchema,
    userId: codeSchema,
    /** The coupon's share of the order's discount, in fen (priced by `couponDiscount`). */
    discount: moneySchema,
    /** The order's payable total, in fen: the GMV the coupon drove once the order is paid. */
    amount: moneySchema,
  }),
  /** The order was paid: the coupon is used. */
  z.object({ type: z.literal("commit"), couponId: codeSchema, orderId: codeSchema }),
  /** The order was cancelled, timed out or failed: the coupon is available again. */
  z.object({
    type: z.literal("release"),
    couponId: codeSchema,
    orderId: codeSchema,
    reason: text({ max: 200 }).optional(),
  }),
  /**
   * The order that used the coupon was refunded in full before shipment (decision 0024): the coupon is
   * its owner's again (within its own validity) and the template's used count, GMV and cost drop back.
   */
  z.object({ type: z.literal("restore"), couponId: codeSchema, orderId: codeSchema }),
  /** Ends the template now: no more claims, and its unused coupons expire. */
  z.object({ type: z.literal("expire"), reason: text({ max: 200 }).optional() }),
]);
export type CouponCommand = z.infer<typeof couponCommandSchema>;
