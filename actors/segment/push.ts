import { z } from "zod";
import type { DecideContext, Decision, Reply } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { idSchema, isoTime, mapEntries, mapSchema, text } from "../shared/index.ts";
import { type SegmentFilter, segmentFilterSchema } from "./filter.ts";

/** Where a push's work goes: a service of the node hosting the push actor (as scheduled jobs, ADR 0022). */
export const SEGMENT_PUSH_RUNNER_KIND = "segment-push-runner";
/** Members one step of a push handles (one coupon `push` command, one progress record). */
export const PUSH_PAGE_SIZE = 500;

/** What a push sends to each member: one coupon of a template, or a message to the member's inbox. */
export const pushTargetSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("coupon"), templateId: idSchema }).strict(),
  z
    .object({
      kind: z.literal("message"),
      title: text({ max: 100 }),
      body: text({ max: 2_000, multiline: true }),
    })
    .strict(),
]);
export type PushTarget = z.infer<typeof pushTargetSchema>;

const count = z.number().int().min(0);
const reasons = z.array(z.object({ reason: z.string(), n: count })).max(50);

export const pushCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  /** Starts the push: the segment's filter is frozen here, so editing the segment never changes it. */
  z.object({
    type: z.literal("create"),
    segment: idSchema,
    filter: segmentFilterSchema,
    target: pushTargetSchema,
  }),
  /** One step done (from the runner): members up to `after` (by id) are handled. */
  z.object({
    type: z.literal("progress"),
    after: idSchema,
    targeted: count,
    delivered: count,
    failed: count,
    reasons,
  }),
]);
export type PushCommand = z.infer<typeof pushCommandSchema>;

const who = { at: z.number(), by: z.string() };
export const pushEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("created"),
    segment: z.string(),
    filter: segmentFilterSchema,
    target: pushTargetSchema,
    ...who,
  }),
  z.object({
    type: z.literal("progressed"),
    after: z.string(),
    targeted: count,
    delivered: count,
    failed: count,
    reasons,
    at: z.number(),
  }),
  z.object({
    type: z.literal("finished"),
    status: z.enum(["done", "failed"]),
    detail: z.string(),
    at: z.number(),
  }),
]);
export type PushEvent = z.infer<typeof pushEventSchema>;

export interface PushState {
  segment: string | null;
  filter: SegmentFilter | null;
  target: PushTarget | null;
  status: "none" | "running" | "done" | "failed";
  createdAt: number | null;
  createdBy: string | null;
  /** The last member id handled (members are handled in id order); null before the first step. */
  cursor: string | null;
  targeted: number;
  delivered: number;
  failed: number;
  /** Why members were not delivered (e.g. `coupons-exhausted`), with counts. */
  reasons: Map<string, number>;
  finishedAt: number | null;
  detail: string | null;
}

export const pushStateSchema: z.ZodType<PushState> = z.object({
  segment: z.string().nullable(),
  filter: segmentFilterSchema.nullable(),
  target: pushTargetSchema.nullable(),
  status: z.enum(["none", "running", "done", "failed"]),
  createdAt: z.number().nullable(),
  createdBy: z.string().nullable(),
  cursor: z.string().nullable(),
  targeted: count,
  delivered: count,
  failed: count,
  reasons: mapSchema(count),
  finishedAt: z.number().nullable(),
  detail: z.string().nullable(),
});

export function encodePushState(state: PushState): unknown {
  return { ...state, reasons: mapEntries(state.reasons) };
}

export function initialPush(): PushState {
  return {
    segment: null,
    filter: null,
    target: null,
    status: "none",
    createdAt: null,
    createdBy: null,
    cursor: null,
    targeted: 0,
    delivered: 0,
    failed: 0,
    reasons: new Map(),
    finishedAt: null,
    detail: null,
  };
}

export function applyPushEvent(s: PushState, e: PushEvent): PushState {
  switch (e.type) {
    case "created":
      Object.assign(s, { segment: e.segment, filter: e.filter, target: e.target, status: "running" });
      s.createdAt = e.at;
      s.createdBy = e.by;
      break;
    case "progressed":
      s.cursor = e.after;
      s.targeted += e.targeted;
      s.delivered += e.delivered;
      s.failed += e.failed;
      for (const { reason, n } of e.reasons) s.reasons.set(reason, (s.reasons.get(reason) ?? 0) + n);
      break;
    case "finished":
      s.status = e.status;
      s.finishedAt = e.at;
      s.detail = e.detail;
      break;
  }
  return s;
}

/** A push as the API shows it: its progress (targeted, delivered, failed, why) and status. */
export function pushView(id: string, s: PushState) {
  if (s.status === "none") throw new DomainError("not_found", `no segment push ${id}`);
  return {
    pushId: id,
    segment: s.segment!,
    target: s.target!,
    status: s.status,
    targeted: s.targeted,
    delivered: s.delivered,
    failed: s.failed,
    failures: [...s.reasons].map(([reason, n]) => ({ reason, count: n })),
    cursor: s.cursor,
    createdAt: isoTime(s.createdAt ?? 0),
    createdBy: s.createdBy ?? "system",
    finishedAt: s.finishedAt === null ? null : isoTime(s.finishedAt),
    detail: s.detail,
  };
}
export type PushView = ReturnType<typeof pushView>;

type Cmd<T extends PushCommand["type"]> = Extract<PushCommand, { type: T }>;
type Result = Decision<PushEvent>;

function runEffect(ctx: DecideContext, filter: SegmentFilter, target: PushTarget) {
  return {
    key: "run",
    to: { kind: SEGMENT_PUSH_RUNNER_KIND, id: ctx.id },
    cmd: { type: "run", filter, target },
  };
}

export const pushHandlers = {
  get: (s: PushState, _c: Cmd<"get">, ctx: DecideContext): Result => ({
    events: [],
    reply: pushView(ctx.id, s),
  }),

  create: (s: PushState, c: Cmd<"create">, ctx: DecideContext): Result => {
    if (s.status !== "none") {
      const same =
        JSON.stringify([s.segment, s.filter, s.target]) === JSON.stringify([c.segment, c.filter, c.target]);
      if (same) return { events: [], reply: pushView(ctx.id, s) };
      throw new DomainError("conflict", `segment push ${ctx.id} already exists with other content`, {
        pushId: ctx.id,
      });
    }
    const event: PushEvent = {
      type: "created",
      segment: c.segment,
      filter: c.filter,
      target: c.target,
      at: ctx.now,
      by: ctx.meta.by ?? "system",
    };
    return {
      events: [event],
      reply: pushView(ctx.id, applyPushEvent(initialPush(), event)),
      effects: [runEffect(ctx, c.filter, c.target)],
    };
  },

  progress: (s: PushState, c: Cmd<"progress">, ctx: DecideContext): Result => {
    // A step reported twice (a runner re-run after a crash resumes from the cursor) counts once.
    if (s.status !== "running" || (s.cursor !== null && c.after <= s.cursor))
      return { events: [], reply: pushView(ctx.id, s) };
    const event: PushEvent = {
      type: "progressed",
      after: c.after,
      targeted: c.targeted,
      delivered: c.delivered,
      failed: c.failed,
      reasons: c.reasons.filter((r) => r.n > 0),
      at: ctx.now,
    };
    return { events: [event], reply: pushView(ctx.id, applyPushEvent(structuredClone(s), event)) };
  },
};

/** The runner's answer: the push is done (every member handled) or failed (with why). */
export const pushRunResultSchema = z.object({ outcome: z.enum(["done", "failed"]), detail: z.string() });

export function onPushEffect(
  s: PushState,
  result: { key: string; reply: Reply },
  ctx: DecideContext,
): Result {
  if (result.key !== "run" || s.status !== "running") return { events: [], reply: null };
  const parsed = pushRunResultSchema.safeParse(result.reply.ok ? result.reply.value : undefined);
  const status = parsed.success ? parsed.data.outcome : "failed";
  const detail = parsed.success
    ? parsed.data.detail
    : result.reply.ok
      ? "the runner answered something that is not a push result"
      : `${result.reply.error.kind}: ${result.reply.error.message}`;
  return { events: [{ type: "finished", status, detail: detail.slice(0, 2_000), at: ctx.now }], reply: null };
}
