import type { Context } from "hono";
import { z } from "zod";
import {
  CATCH_UP,
  DEFAULT_TIME_ZONE,
  type JobView,
  jobs,
  OUTCOMES,
  scheduleProblem,
} from "../../actors/scheduler/index.ts";
import { text } from "../../actors/shared/index.ts";
import type { GatewayKit } from "../app.ts";
import { pagedRead } from "../cursor.ts";
import { optionalIdempotency } from "../idempotency.ts";
import { ProblemError } from "../problem.ts";
import { pageQuery } from "../schemas.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";

/** One recorded run (or skipped fire) of a job, from the run history read model. */
export interface JobRun {
  runId: string;
  trigger: string;
  scheduledFor: string | null;
  startedAt: string;
  finishedAt: string | null;
  outcome: "ok" | "failed" | "skipped" | null;
  durationMs: number | null;
  detail: string | null;
  by: string;
}

/** The jobs this build knows (names are the job actors' ids) and their run history (may lag). */
export interface JobDirectory {
  definitions: ReadonlyArray<{ name: string; description: string }>;
  runs(job: string, limit: number, cursor?: string): Promise<{ items: JobRun[]; nextCursor: string | null }>;
}

const nameSchema = text({ max: 64 });
const jobBody = z
  .object({
    cron: text({ max: 100 }).optional(),
    timeZone: text({ max: 64 }).optional(),
    at: z.iso.datetime({ offset: true }).optional(),
    catchUp: z.enum(CATCH_UP).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

const lastRunSchema = z.object({
  runId: z.string(),
  trigger: z.enum(["schedule", "manual"]),
  outcome: z.enum(OUTCOMES),
  startedAt: z.string(),
  durationMs: z.number(),
  detail: z.string(),
});
const jobSchema = z.object({
  name: z.string(),
  description: z.string(),
  defined: z.boolean(),
  schedule: z.string().nullable().describe("The cron expression (5 fields), null for a one-time job"),
  at: z.string().nullable().describe("The one time, for a one-time job"),
  timezone: z.string(),
  catchUp: z.enum(CATCH_UP),
  enabled: z.boolean(),
  nextRunAt: z.string().nullable(),
  running: z.object({ runId: z.string(), startedAt: z.string() }).nullable(),
  lastRun: lastRunSchema.nullable(),
});
const jobListSchema = z.object({ items: z.array(jobSchema) });
const runStartedSchema = z.object({ runId: z.string(), startedAt: z.string() });
const runSchema = z.object({
  runId: z.string(),
  trigger: z.string(),
  scheduledFor: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  outcome: z
    .enum([...OUTCOMES, "skipped"])
    .nullable()
    .describe("null while running"),
  durationMs: z.number().nullable(),
  detail: z.string().nullable(),
  by: z.string(),
});
const runPageSchema = z.object({ items: z.array(runSchema), nextCursor: z.string().nullable() });
const runsQuery = pageQuery.extend({ limit: z.coerce.number().int().min(1).max(200).default(50) });

/** Scheduled jobs (decision 0022): list, change the schedule, run now, run history. */
export function jobRoutes(deps: { jobs: JobDirectory }) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const known = new Map(deps.jobs.definitions.map((d) => [d.name, d.description]));
    const named = (c: Context) => {
      const name = parseParam(c.req.param("name"), nameSchema, "name");
      const description = known.get(name);
      if (description === undefined) throw new ProblemError(404, "not-found", `no job ${name}`);
      return { name, description };
    };
    const view = async (c: Context, name: string, description: string) => ({
      ...(await kit.read<JobView>(c, jobs.kind, name)),
      description,
    });

    define(
      {
        method: "get",
        path: "/v1/jobs",
        summary: "Every scheduled job: schedule, time zone, enabled, next run and last run",
        tag: "Jobs",
        permission: "jobs:read",
        response: { status: 200, schema: jobListSchema, description: "The jobs" },
      },
      async (c) => {
        const items = await Promise.all([...known].map(([name, d]) => view(c, name, d)));
        return c.json({ items });
      },
    );
    define(
      {
        method: "put",
        path: "/v1/jobs/:name",
        summary:
          "Change a job's schedule (cron in a time zone, or one time), catch-up policy or enabled flag",
        tag: "Jobs",
        permission: "jobs:write",
        body: jobBody,
        response: { status: 200, schema: jobSchema, description: "The job, changed" },
      },
      async (c) => {
        const { name, description } = named(c);
        const body = await parseBody(c, jobBody);
        if (body.cron !== undefined && body.at !== undefined)
          throw new ProblemError(422, "validation", "give either cron or at, not both", { field: "at" });
        let schedule: { cron: string; timeZone: string } | { at: number } | undefined;
        if (body.cron !== undefined) {
          schedule = { cron: body.cron, timeZone: body.timeZone ?? DEFAULT_TIME_ZONE };
        } else if (body.at !== undefined) {
          const at = Date.parse(body.at);
          if (at <= Date.now())
            throw new ProblemError(422, "validation", "at must be in the future", { field: "at" });
          schedule = { at };
        } else if (body.timeZone !== undefined) {
          const current = await kit.read<JobView>(c, jobs.kind, name);
          if (current.schedule === null)
            throw new ProblemError(422, "validation", "a time zone needs a cron schedule", {
              field: "timeZone",
            });
          schedule = { cron: current.schedule, timeZone: body.timeZone };
        }
        const problem = schedule ? scheduleProblem(schedule, Date.now()) : undefined;
        if (problem) throw new ProblemError(422, "validation", problem.message, { field: problem.field });
        const call = jobs.configure(name, {
          ...(schedule ? { schedule } : {}),
          ...(body.catchUp ? { catchUp: body.catchUp } : {}),
          ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
        });
        const reply = await kit.command<JobView>(c, call.to.kind, name, call.cmd);
        return c.json({ ...reply, description });
      },
    );
    define(
      {
        method: "post",
        path: "/v1/jobs/:name/run",
        summary: "Run a job now (202 with the run id); 409 while a run is in flight",
        tag: "Jobs",
        permission: "jobs:run",
        idempotencyKey: "optional",
        response: { status: 202, schema: runStartedSchema, description: "The run started" },
      },
      async (c) => {
        const idempotency = optionalIdempotency(c);
        const { name } = named(c);
        const call = jobs.runNow(name, {});
        const reply = await kit.command<z.infer<typeof runStartedSchema>>(
          c,
          call.to.kind,
          name,
          call.cmd,
          idempotency(`run:${name}`, {}),
        );
        return c.json(reply, 202);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/jobs/:name/runs",
        summary: "A job's runs, newest first: outcome, duration, detail (from the history; may lag)",
        tag: "Jobs",
        permission: "jobs:read",
        query: runsQuery,
        response: { status: 200, schema: runPageSchema, description: "A page of runs" },
      },
      async (c) => {
        const { name } = named(c);
        const q = parseQuery(c, runsQuery);
        return c.json(await pagedRead(() => deps.jobs.runs(name, q.limit, q.cursor)));
      },
    );
  };
}
