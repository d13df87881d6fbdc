import { z } from "zod";
import type { DecideContext, Decision, Reply } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { isoTime } from "../shared/index.ts";

/** Where the deadline's closing work goes: a service of the node owning the campaign actor (0036). */
export const ACCESS_REVIEW_CLOSER_KIND = "access-review-closer";
export const ON_EXPIRY = ["revoke", "keep"] as const;
export type OnExpiry = (typeof ON_EXPIRY)[number];
const DEADLINE = "deadline";

const instant = z.number().int().min(0).max(253_402_300_799_999);
/** What closing a campaign counted (the closer's answer, recorded on the actor). */
export const outcomeCountsSchema = z.object({
  items: z.number().int().min(0),
  confirmed: z.number().int().min(0),
  revoked: z.number().int().min(0),
  expiredRevoked: z.number().int().min(0),
  expiredKept: z.number().int().min(0),
  pending: z.number().int().min(0),
});
export type OutcomeCounts = z.infer<typeof outcomeCountsSchema>;

export const accessReviewCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  /** Arms the deadline of a campaign the job started (idempotent: a repeat changes nothing). */
  z.object({ type: z.literal("open"), deadline: instant, onExpiry: z.enum(ON_EXPIRY) }),
]);
export type AccessReviewCommand = z.infer<typeof accessReviewCommandSchema>;

const who = { at: z.number(), by: z.string() };
export const accessReviewEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("opened"), deadline: instant, onExpiry: z.enum(ON_EXPIRY), ...who }),
  /** The deadline came (once, across restarts); the closer was asked to expire what is unanswered. */
  z.object({ type: z.literal("deadlineReached"), ...who }),
  z.object({ type: z.literal("closed"), counts: outcomeCountsSchema, ...who }),
]);
export type AccessReviewEvent = z.infer<typeof accessReviewEventSchema>;

export const accessReviewStateSchema = z.object({
  status: z.enum(["new", "open", "closing", "closed"]),
  deadline: z.number().nullable(),
  onExpiry: z.enum(ON_EXPIRY),
  counts: outcomeCountsSchema.nullable(),
});
export type AccessReviewState = z.infer<typeof accessReviewStateSchema>;

export const initialAccessReview = (): AccessReviewState => ({
  status: "new",
  deadline: null,
  onExpiry: "revoke",
  counts: null,
});

export function applyAccessReviewEvent(s: AccessReviewState, e: AccessReviewEvent): AccessReviewState {
  switch (e.type) {
    case "opened":
      return { ...s, status: "open", deadline: e.deadline, onExpiry: e.onExpiry };
    case "deadlineReached":
      return { ...s, status: "closing" };
    case "closed":
      return { ...s, status: "closed", counts: e.counts };
  }
}

export function accessReviewView(id: string, s: AccessReviewState) {
  return {
    id,
    status: s.status,
    deadline: s.deadline !== null ? isoTime(s.deadline) : null,
    onExpiry: s.onExpiry,
    counts: s.counts,
  };
}

type Result = Decision<AccessReviewEvent>;

export const accessReviewHandlers = {
  get: (s: AccessReviewState, _c: { type: "get" }, ctx: DecideContext): Result => ({
    events: [],
    reply: accessReviewView(ctx.id, s),
  }),
  open: (
    s: AccessReviewState,
    c: Extract<AccessReviewCommand, { type: "open" }>,
    ctx: DecideContext,
  ): Result => {
    if (s.status !== "new") {
      if (s.deadline !== c.deadline || s.onExpiry !== c.onExpiry)
        throw new DomainError("conflict", `campaign ${ctx.id} is already open with another deadline`);
      return { events: [], reply: accessReviewView(ctx.id, s) };
    }
    const event: AccessReviewEvent = {
      type: "opened",
      deadline: c.deadline,
      onExpiry: c.onExpiry,
      at: ctx.now,
      by: ctx.meta.by ?? "system",
    };
    return {
      events: [event],
      reply: accessReviewView(ctx.id, applyAccessReviewEvent(s, event)),
      timers: { set: [{ name: DEADLINE, at: Math.max(c.deadline, ctx.now) }] },
    };
  },
};

/** The deadline (a durable timer: once, across restarts) asks the closer to expire what is unanswered. */
export function onAccessReviewTimer(
  s: AccessReviewState,
  timer: { name: string },
  ctx: DecideContext,
): Result {
  if (timer.name !== DEADLINE || s.status !== "open") return { events: [], reply: null };
  return {
    events: [{ type: "deadlineReached", at: ctx.now, by: "system:timer" }],
    reply: null,
    effects: [
      {
        key: "close",
        to: { kind: ACCESS_REVIEW_CLOSER_KIND, id: ctx.id },
        cmd: { type: "close", onExpiry: s.onExpiry },
      },
    ],
  };
}

/** The closer's counts, recorded as the campaign's outcome. */
export function onAccessReviewEffect(
  s: AccessReviewState,
  result: { key: string; reply: Reply },
  ctx: DecideContext,
): Result {
  if (result.key !== "close" || s.status !== "closing") return { events: [], reply: null };
  const counts = outcomeCountsSchema.safeParse(result.reply.ok ? result.reply.value : undefined);
  if (!counts.success) return { events: [], reply: null };
  return {
    events: [{ type: "closed", counts: counts.data, at: ctx.now, by: "system:access-review" }],
    reply: null,
  };
}
