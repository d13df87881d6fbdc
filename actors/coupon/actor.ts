import type { DecideContext, Decision } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { isoTime } from "../shared/index.ts";
import { type CouponCommand, type CouponTemplate, DAY_MS } from "./commands.ts";
import type { CouponEvent } from "./events.ts";
import { type CouponState, type CouponStatus, couponStatus, type IssuedCoupon } from "./state.ts";

type Cmd<T extends CouponCommand["type"]> = Extract<CouponCommand, { type: T }>;
type Result = Decision<CouponEvent>;

/** Why a claim, push or redemption was refused: `details.reason` (the gateway's problem type). */
export type CouponRefusal =
  | "coupons-exhausted"
  | "coupon-limit-reached"
  | "coupon-not-active"
  | "coupon-unavailable"
  | "coupon-expired"
  | "coupon-not-owned";

const refuse = (reason: CouponRefusal, message: string, details: Record<string, unknown> = {}) =>
  new DomainError("conflict", message, { reason, ...details });

/** A coupon's id: its template's id, `-`, and its issue number (so any coupon id leads to its template). */
export const couponIdFor = (templateId: string, n: number): string => `${templateId}-${n}`;

/** The template a coupon id belongs to, or undefined when it is not a coupon id. */
export function templateOfCoupon(couponId: string): string | undefined {
  const m = /^(.+)-([1-9][0-9]*)$/.exec(couponId);
  return m ? m[1] : undefined;
}

function requireTemplate(state: CouponState, id: string): CouponTemplate {
  if (!state.template) throw new DomainError("not_found", `no coupon template ${id}`);
  return state.template;
}

/** The template's phase at `now`: claims are accepted while `active`. */
export function templatePhase(state: CouponState, now: number): "scheduled" | "active" | "ended" {
  const t = state.template!;
  if (state.endedAt !== null || now >= t.validTo) return "ended";
  return now < t.validFrom ? "scheduled" : "active";
}

export function templateView(id: string, state: CouponState, now: number) {
  const t = requireTemplate(state, id);
  let expired = 0;
  for (const c of state.coupons.values()) if (couponStatus(c, now, state.endedAt) === "expired") expired += 1;
  return {
    templateId: id,
    ...t,
    validFrom: isoTime(t.validFrom),
    validTo: isoTime(t.validTo),
    status: templatePhase(state, now),
    createdAt: isoTime(state.createdAt ?? 0),
    endedAt: state.endedAt === null ? null : isoTime(state.endedAt),
    issued: state.issued,
    claimed: state.claimed,
    pushed: state.pushed,
    remaining: t.totalQuantity - state.issued,
    reserved: state.reserved,
    used: state.used,
    expired,
    gmv: state.gmv,
    discountCost: state.discountCost,
  };
}

export function couponView(
  couponId: string,
  templateId: string,
  coupon: IssuedCoupon,
  state: CouponState,
  now: number,
) {
  return {
    couponId,
    templateId,
    userId: coupon.userId,
    source: coupon.source,
    status: couponStatus(coupon, now, state.endedAt) as CouponStatus,
    issuedAt: isoTime(coupon.issuedAt),
    validFrom: isoTime(coupon.validFrom),
    validTo: isoTime(coupon.validTo),
    orderId: coupon.orderId ?? null,
    template: state.template!,
  };
}

/** Issues one coupon to `userId` if the budget and the user's limit allow; the events go to `out`. */
function issue(
  state: CouponState,
  t: CouponTemplate,
  userId: string,
  source: "claim" | "push",
  ctx: DecideContext,
  n: number,
  perUser: Map<string, number>,
  pushId?: string,
): { couponId: string; validFrom: number; validTo: number; event: CouponEvent } {
  if (n > t.totalQuantity)
    throw refuse("coupons-exhausted", `all ${t.totalQuantity} coupons of ${ctx.id} are issued`, {
      totalQuantity: t.totalQuantity,
    });
  const held = perUser.get(userId) ?? state.perUser.get(userId) ?? 0;
  if (held >= t.perUserLimit)
    throw refuse("coupon-limit-reached", `user ${userId} already has ${held} of ${ctx.id}`, {
      userId,
      perUserLimit: t.perUserLimit,
    });
  perUser.set(userId, held + 1);
  const couponId = couponIdFor(ctx.id, n);
  const validFrom = t.validDays ? ctx.now : t.validFrom;
  const validTo = t.validDays ? ctx.now + t.validDays * DAY_MS : t.validTo;
  const event: CouponEvent = {
    type: "issued",
    couponId,
    userId,
    source,
    ...(pushId === undefined ? {} : { pushId }),
    validFrom,
    validTo,
    at: ctx.now,
    by: ctx.meta.by ?? "system",
  };
  return { couponId, validFrom, validTo, event };
}

function requireActive(state: CouponState, t: CouponTemplate, ctx: DecideContext): void {
  const phase = templatePhase(state, ctx.now);
  if (phase !== "active")
    throw refuse("coupon-not-active", `coupon template ${ctx.id} is ${phase}`, {
      validFrom: isoTime(t.validFrom),
      validTo: isoTime(t.validTo),
    });
}

function heldCoupon(state: CouponState, couponId: string, ctx: DecideContext): IssuedCoupon {
  const coupon = state.coupons.get(couponId);
  if (!coupon)
    throw new DomainError("not_found", `no coupon ${couponId} in template ${ctx.id}`, { couponId });
  return coupon;
}

export const couponHandlers = {
  get: (state: CouponState, _c: Cmd<"get">, ctx: DecideContext): Result => ({
    events: [],
    reply: templateView(ctx.id, state, ctx.now),
  }),

  coupon: (state: CouponState, c: Cmd<"coupon">, ctx: DecideContext): Result => {
    requireTemplate(state, ctx.id);
    return {
      events: [],
      reply: couponView(c.couponId, ctx.id, heldCoupon(state, c.couponId, ctx), state, ctx.now),
    };
  },

  create: (state: CouponState, c: Cmd<"create">, ctx: DecideContext): Result => {
    if (state.template) {
      if (JSON.stringify(state.template) === JSON.stringify(c.template))
        return { events: [], reply: { templateId: ctx.id } };
      throw new DomainError("conflict", `coupon template ${ctx.id} already exists`, { templateId: ctx.id });
    }
    return {
      events: [{ type: "created", template: c.template, at: ctx.now, by: ctx.meta.by ?? "system" }],
      reply: { templateId: ctx.id },
    };
  },

  claim: (state: CouponState, c: Cmd<"claim">, ctx: DecideContext): Result => {
    const t = requireTemplate(state, ctx.id);
    requireActive(state, t, ctx);
    const issued = issue(state, t, c.userId, "claim", ctx, state.issued + 1, new Map());
    return {
      events: [issued.event],
      reply: {
        couponId: issued.couponId,
        templateId: ctx.id,
        userId: c.userId,
        validFrom: isoTime(issued.validFrom),
        validTo: isoTime(issued.validTo),
      },
    };
  },

  push: (state: CouponState, c: Cmd<"push">, ctx: DecideContext): Result => {
    const t = requireTemplate(state, ctx.id);
    requireActive(state, t, ctx);
    const events: CouponEvent[] = [];
    const perUser = new Map<string, number>();
    const results: Array<{ userId: string; couponId: string | null; refused: CouponRefusal | null }> = [];
    // A segment push's earlier coupons (a re-run after a crash, a repeated step): answered, not issued again.
    const earlier = new Map<string, string>();
    if (c.pushId !== undefined)
      for (const [couponId, coupon] of state.coupons)
        if (coupon.pushId === c.pushId && !earlier.has(coupon.userId)) earlier.set(coupon.userId, couponId);
    for (const userId of c.userIds) {
      const already = earlier.get(userId);
      if (already !== undefined) {
        results.push({ userId, couponId: already, refused: null });
        continue;
      }
      try {
        const issued = issue(
          state,
          t,
          userId,
          "push",
          ctx,
          state.issued + events.length + 1,
          perUser,
          c.pushId,
        );
        if (c.pushId !== undefined) earlier.set(userId, issued.couponId);
        events.push(issued.event);
        results.push({ userId, couponId: issued.couponId, refused: null });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        results.push({ userId, couponId: null, refused: error.details?.reason as CouponRefusal });
      }
    }
    return { events, reply: { templateId: ctx.id, issued: events.length, results } };
  },

  reserve: (state: CouponState, c: Cmd<"reserve">, ctx: DecideContext): Result => {
    const t = requireTemplate(state, ctx.id);
    const coupon = heldCoupon(state, c.couponId, ctx);
    const answer = { couponId: c.couponId, orderId: c.orderId, discount: c.discount };
    if (coupon.userId !== c.userId)
      throw refuse("coupon-not-owned", `coupon ${c.couponId} belongs to another user`, {
        couponId: c.couponId,
      });
    if (coupon.status === "reserved" && coupon.orderId === c.orderId) return { events: [], reply: answer };
    if (coupon.status !== "available")
      throw refuse("coupon-unavailable", `coupon ${c.couponId} is ${coupon.status}`, {
        couponId: c.couponId,
        couponStatus: coupon.status,
      });
    if (couponStatus(coupon, ctx.now, state.endedAt) === "expired")
      throw refuse("coupon-expired", `coupon ${c.couponId} has expired`, { couponId: c.couponId });
    if (ctx.now < coupon.validFrom)
      throw refuse("coupon-not-active", `coupon ${c.couponId} is valid from ${isoTime(coupon.validFrom)}`, {
        couponId: c.couponId,
      });
    // The checkout prices the coupon (`couponDiscount`); the template still bounds what it may be worth.
    const cap = t.kind === "amount_off" ? t.value : (t.maxDiscount ?? c.amount + c.discount);
    if (c.discount > cap)
      throw new DomainError("invalid", `coupon ${c.couponId} is worth at most ${cap}`, {
        field: "discount",
        couponId: c.couponId,
      });
    return {
      events: [
        {
          type: "reserved",
          couponId: c.couponId,
          orderId: c.orderId,
          discount: c.discount,
          amount: c.amount,
          at: ctx.now,
        },
      ],
      reply: answer,
    };
  },

  commit: (state: CouponState, c: Cmd<"commit">, ctx: DecideContext): Result => {
    requireTemplate(state, ctx.id);
    const coupon = heldCoupon(state, c.couponId, ctx);
    const answer = { couponId: c.couponId, orderId: c.orderId, status: "used" };
    if (coupon.orderId === c.orderId && coupon.status === "used") return { events: [], reply: answer };
    if (coupon.orderId !== c.orderId || coupon.status !== "reserved")
      throw refuse("coupon-unavailable", `coupon ${c.couponId} is not held by order ${c.orderId}`, {
        couponId: c.couponId,
        couponStatus: coupon.status,
      });
    return {
      events: [{ type: "committed", couponId: c.couponId, orderId: c.orderId, at: ctx.now }],
      reply: answer,
    };
  },

  release: (state: CouponState, c: Cmd<"release">, ctx: DecideContext): Result => {
    requireTemplate(state, ctx.id);
    const coupon = heldCoupon(state, c.couponId, ctx);
    if (coupon.orderId === c.orderId && coupon.status === "used")
      throw refuse("coupon-unavailable", `coupon ${c.couponId} was used by order ${c.orderId}`, {
        couponId: c.couponId,
        couponStatus: "used",
      });
    // Not held by this order (already released, or never reserved): nothing to give back.
    if (coupon.orderId !== c.orderId || coupon.status !== "reserved")
      return { events: [], reply: { couponId: c.couponId, orderId: c.orderId, released: false } };
    return {
      events: [
        {
          type: "released",
          couponId: c.couponId,
          orderId: c.orderId,
          reason: c.reason ?? "released",
          at: ctx.now,
        },
      ],
      reply: { couponId: c.couponId, orderId: c.orderId, released: true },
    };
  },

  restore: (state: CouponState, c: Cmd<"restore">, ctx: DecideContext): Result => {
    requireTemplate(state, ctx.id);
    const coupon = heldCoupon(state, c.couponId, ctx);
    // Not used by this order (already restored, or never used by it): nothing to give back.
    if (coupon.orderId !== c.orderId || coupon.status !== "used")
      return { events: [], reply: { couponId: c.couponId, orderId: c.orderId, restored: false } };
    return {
      events: [{ type: "restored", couponId: c.couponId, orderId: c.orderId, at: ctx.now }],
      reply: { couponId: c.couponId, orderId: c.orderId, restored: true },
    };
  },

  expire: (state: CouponState, c: Cmd<"expire">, ctx: DecideContext): Result => {
    requireTemplate(state, ctx.id);
    if (state.endedAt !== null) return { events: [], reply: templateView(ctx.id, state, ctx.now) };
    const event: CouponEvent = {
      type: "expired",
      reason: c.reason ?? "ended by an operator",
      at: ctx.now,
      by: ctx.meta.by ?? "system",
    };
    return { events: [event], reply: templateView(ctx.id, { ...state, endedAt: ctx.now }, ctx.now) };
  },
};
