import { z } from "zod";
import type { DecideContext, Decision, Reply } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { isoTime, text } from "../shared/index.ts";
import { CronError, isTimeZone, nextFireOf } from "./cron.ts";

export const DEFAULT_TIME_ZONE = "Asia/Shanghai";
/** A scheduled fire later than this (the cluster was down) is "missed": catch-up policy applies. */
export const MISFIRE_GRACE_MS = 60_000;
/** Where an effect to run a job goes: a service of the node hosting the job actor (decision 0022). */
export const JOB_RUNNER_KIND = "job-runner";
const TIMER = "fire";

const instant = z.number().int().min(0).max(253_402_300_799_999);
export const cronScheduleSchema = z.object({
  cron: text({ max: 100 }),
  timeZone: text({ max: 64 }).default(DEFAULT_TIME_ZONE),
});
export const onceScheduleSchema = z.object({ at: instant });
export const scheduleSchema = z.union([cronScheduleSchema, onceScheduleSchema]);
export type Schedule = z.output<typeof scheduleSchema>;
export const CATCH_UP = ["skip", "none"] as const;
export type CatchUp = (typeof CATCH_UP)[number];
const catchUp = z.enum(CATCH_UP);

export const jobCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  /** The fresh-install definition: applied only when the job has none (operators' changes stay). */
  z.object({ type: z.literal("seed"), schedule: scheduleSchema, catchUp, enabled: z.boolean() }),
  /** An operator's change; omitted fields keep their value. */
  z.object({
    type: z.literal("configure"),
    schedule: scheduleSchema.optional(),
    catchUp: catchUp.optional(),
    enabled: z.boolean().optional(),
  }),
  /** Run now, whatever the schedule (refused while a run is in flight). */
  z.object({ type: z.literal("runNow") }),
]);
export type JobCommand = z.infer<typeof jobCommandSchema>;

export const OUTCOMES = ["ok", "failed"] as const;
export type Outcome = (typeof OUTCOMES)[number];
const trigger = z.enum(["schedule", "manual"]);
const who = { at: z.number(), by: z.string() };
export const jobEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("configured"),
    schedule: scheduleSchema,
    catchUp,
    enabled: z.boolean(),
    nextRunAt: z.number().nullable(),
    ...who,
  }),
  z.object({
    type: z.literal("runStarted"),
    runId: z.string(),
    n: z.number().int(),
    trigger,
    scheduledFor: z.number().optional(),
    nextRunAt: z.number().nullable(),
    ...who,
  }),
  z.object({
    type: z.literal("runFinished"),
    runId: z.string(),
    outcome: z.enum(OUTCOMES),
    startedAt: z.number(),
    durationMs: z.number().int().min(0),
    detail: z.string(),
    ...who,
  }),
  /** A fire that did not run: missed while down (catch-up `none`) or a run still in flight. */
  z.object({
    type: z.literal("runSkipped"),
    scheduledFor: z.number(),
    reason: z.enum(["missed", "overlap"]),
    nextRunAt: z.number().nullable(),
    ...who,
  }),
]);
export type JobEvent = z.infer<typeof jobEventSchema>;

const lastRunSchema = z.object({
  runId: z.string(),
  trigger,
  outcome: z.enum(OUTCOMES),
  startedAt: z.number(),
  durationMs: z.number(),
  detail: z.string(),
});
export const jobStateSchema = z.object({
  schedule: scheduleSchema.nullable(),
  catchUp,
  enabled: z.boolean(),
  nextRunAt: z.number().nullable(),
  running: z
    .object({ runId: z.string(), trigger, startedAt: z.number(), scheduledFor: z.number().optional() })
    .nullable(),
  lastRun: lastRunSchema.nullable(),
  runs: z.number().int(),
});
export type JobState = z.infer<typeof jobStateSchema>;

export const initialJob = (): JobState => ({
  schedule: null,
  catchUp: "skip",
  enabled: false,
  nextRunAt: null,
  running: null,
  lastRun: null,
  runs: 0,
});

export function applyJobEvent(s: JobState, e: JobEvent): JobState {
  switch (e.type) {
    case "configured":
      return { ...s, schedule: e.schedule, catchUp: e.catchUp, enabled: e.enabled, nextRunAt: e.nextRunAt };
    case "runStarted": {
      const running = { runId: e.runId, trigger: e.trigger, startedAt: e.at };
      return {
        ...s,
        runs: e.n,
        nextRunAt: e.nextRunAt,
        running: e.scheduledFor !== undefined ? { ...running, scheduledFor: e.scheduledFor } : running,
      };
    }
    case "runFinished": {
      const t = s.running?.runId === e.runId ? s.running.trigger : "schedule";
      const { runId, outcome, startedAt, durationMs, detail } = e;
      return {
        ...s,
        running: s.running?.runId === e.runId ? null : s.running,
        lastRun: { runId, trigger: t, outcome, startedAt, durationMs, detail },
      };
    }
    case "runSkipped":
      return { ...s, nextRunAt: e.nextRunAt };
  }
}

/** The job as `GET /v1/jobs` shows it. */
export function jobView(name: string, s: JobState) {
  const schedule = s.schedule;
  return {
    name,
    defined: schedule !== null,
    schedule: schedule && "cron" in schedule ? schedule.cron : null,
    at: schedule && "at" in schedule ? isoTime(schedule.at) : null,
    timezone: schedule && "cron" in schedule ? schedule.timeZone : DEFAULT_TIME_ZONE,
    catchUp: s.catchUp,
    enabled: s.enabled,
    nextRunAt: s.nextRunAt !== null ? isoTime(s.nextRunAt) : null,
    running: s.running ? { runId: s.running.runId, startedAt: isoTime(s.running.startedAt) } : null,
    lastRun: s.lastRun
      ? {
          runId: s.lastRun.runId,
          trigger: s.lastRun.trigger,
          outcome: s.lastRun.outcome,
          startedAt: isoTime(s.lastRun.startedAt),
          durationMs: s.lastRun.durationMs,
          detail: s.lastRun.detail,
        }
      : null,
  };
}
export type JobView = ReturnType<typeof jobView>;

/** Why a schedule cannot be used, with the field at fault; undefined when it is fine. */
export function scheduleProblem(
  schedule: Schedule,
  now: number,
): { field: string; message: string } | undefined {
  if ("at" in schedule) return undefined;
  if (!isTimeZone(schedule.timeZone))
    return { field: "timeZone", message: `unknown time zone ${schedule.timeZone}` };
  try {
    if (nextFireOf(schedule.cron, schedule.timeZone, now) === null)
      return { field: "cron", message: "the expression never fires" };
  } catch (error) {
    if (error instanceof CronError) return { field: "cron", message: error.message };
    throw error;
  }
  return undefined;
}

/** The next fire strictly after `after`, or null (disabled, a one-shot already done, or none). */
export function nextRun(
  schedule: Schedule | null,
  enabled: boolean,
  after: number,
  done = false,
): number | null {
  if (!schedule || !enabled) return null;
  if ("at" in schedule) return done ? null : schedule.at;
  return nextFireOf(schedule.cron, schedule.timeZone, after);
}

type Result = Decision<JobEvent>;

/** The timer for `next` (set or cancelled) as a decision's `timers`. */
function timerFor(next: number | null, now: number): NonNullable<Result["timers"]> {
  return next === null
    ? { cancel: [TIMER] }
    : { set: [{ name: TIMER, at: Math.max(next, now), data: { scheduledFor: next } }] };
}

function startRun(
  s: JobState,
  ctx: DecideContext,
  how: { trigger: "schedule" | "manual"; scheduledFor?: number; nextRunAt: number | null; by: string },
): { event: JobEvent; runId: string; effect: NonNullable<Result["effects"]>[number] } {
  const n = s.runs + 1;
  const runId = `${ctx.id}:${n}`;
  const event: JobEvent = {
    type: "runStarted",
    runId,
    n,
    trigger: how.trigger,
    ...(how.scheduledFor !== undefined ? { scheduledFor: how.scheduledFor } : {}),
    nextRunAt: how.nextRunAt,
    at: ctx.now,
    by: how.by,
  };
  const cmd = { type: "run", runId, trigger: how.trigger, startedAt: ctx.now };
  return { event, runId, effect: { key: `run:${n}`, to: { kind: JOB_RUNNER_KIND, id: ctx.id }, cmd } };
}

function configure(
  s: JobState,
  next: { schedule: Schedule; catchUp: CatchUp; enabled: boolean },
  ctx: DecideContext,
): Result {
  const problem = scheduleProblem(next.schedule, ctx.now);
  if (problem) throw new DomainError("invalid", problem.message, { field: problem.field });
  const nextRunAt = nextRun(next.schedule, next.enabled, ctx.now);
  const unchanged =
    JSON.stringify([s.schedule, s.catchUp, s.enabled, s.nextRunAt]) ===
    JSON.stringify([next.schedule, next.catchUp, next.enabled, nextRunAt]);
  if (unchanged) return { events: [], reply: jobView(ctx.id, s) };
  const event: JobEvent = {
    type: "configured",
    ...next,
    nextRunAt,
    at: ctx.now,
    by: ctx.meta.by ?? "system",
  };
  return {
    events: [event],
    reply: jobView(ctx.id, applyJobEvent(s, event)),
    timers: timerFor(nextRunAt, ctx.now),
  };
}

export const jobHandlers = {
  get: (s: JobState, _c: Extract<JobCommand, { type: "get" }>, ctx: DecideContext): Result => ({
    events: [],
    reply: jobView(ctx.id, s),
  }),
  seed: (s: JobState, c: Extract<JobCommand, { type: "seed" }>, ctx: DecideContext): Result =>
    s.schedule !== null
      ? { events: [], reply: jobView(ctx.id, s) }
      : configure(s, { schedule: c.schedule, catchUp: c.catchUp, enabled: c.enabled }, ctx),
  configure: (s: JobState, c: Extract<JobCommand, { type: "configure" }>, ctx: DecideContext): Result => {
    const schedule = c.schedule ?? s.schedule;
    if (!schedule)
      throw new DomainError("invalid", "this job has no schedule yet; give one", { field: "schedule" });
    return configure(s, { schedule, catchUp: c.catchUp ?? s.catchUp, enabled: c.enabled ?? s.enabled }, ctx);
  },
  runNow: (s: JobState, _c: Extract<JobCommand, { type: "runNow" }>, ctx: DecideContext): Result => {
    if (s.running)
      throw new DomainError("conflict", `run ${s.running.runId} is still in flight`, {
        runId: s.running.runId,
      });
    const run = startRun(s, ctx, { trigger: "manual", nextRunAt: s.nextRunAt, by: ctx.meta.by ?? "system" });
    return {
      events: [run.event],
      reply: { runId: run.runId, startedAt: isoTime(ctx.now) },
      effects: [run.effect],
    };
  },
};

/**
 * The schedule came due (once, across restarts: a durable timer). Late beyond the grace (the cluster was
 * down): `skip` runs once now for everything missed, `none` runs nothing. Either way the next fire is
 * computed from now, so missed fires never pile up.
 */
export function onJobTimer(s: JobState, timer: { name: string; data: unknown }, ctx: DecideContext): Result {
  if (timer.name !== TIMER || !s.schedule || !s.enabled) return { events: [], reply: null };
  const data = timer.data as { scheduledFor?: unknown } | null;
  const scheduledFor = typeof data?.scheduledFor === "number" ? data.scheduledFor : ctx.now;
  const nextRunAt = nextRun(s.schedule, s.enabled, ctx.now, true);
  const timers = timerFor(nextRunAt, ctx.now);
  const by = "system:timer";
  const late = ctx.now - scheduledFor > MISFIRE_GRACE_MS;
  const skipped = (reason: "missed" | "overlap"): Result => ({
    events: [{ type: "runSkipped", scheduledFor, reason, nextRunAt, at: ctx.now, by }],
    reply: null,
    timers,
  });
  if (late && s.catchUp === "none") return skipped("missed");
  if (s.running) return skipped("overlap");
  const run = startRun(s, ctx, { trigger: "schedule", scheduledFor, nextRunAt, by });
  return { events: [run.event], reply: null, timers, effects: [run.effect] };
}

/** What the runner answered (or why it could not), recorded as the run's outcome. */
export function onJobEffect(s: JobState, result: { key: string; reply: Reply }, ctx: DecideContext): Result {
  const running = s.running;
  if (!running || result.key !== `run:${running.runId.slice(running.runId.lastIndexOf(":") + 1)}`)
    return { events: [], reply: null };
  const parsed = runResultSchema.safeParse(result.reply.ok ? result.reply.value : undefined);
  const outcome: Outcome = parsed.success ? parsed.data.outcome : "failed";
  const detail = parsed.success
    ? parsed.data.detail
    : result.reply.ok
      ? "the runner answered something that is not a run result"
      : `${result.reply.error.kind}: ${result.reply.error.message}`;
  const durationMs = parsed.success ? parsed.data.durationMs : Math.max(0, ctx.now - running.startedAt);
  const event: JobEvent = {
    type: "runFinished",
    runId: running.runId,
    outcome,
    startedAt: running.startedAt,
    durationMs,
    detail: detail.slice(0, 2_000),
    at: ctx.now,
    by: "system:job-runner",
  };
  return { events: [event], reply: null };
}

/** What a job runner answers for `{ type: "run", runId }`. */
export const runResultSchema = z.object({
  outcome: z.enum(OUTCOMES),
  durationMs: z.number().int().min(0),
  detail: z.string(),
});
export type RunResult = z.infer<typeof runResultSchema>;
