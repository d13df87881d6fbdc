import { defineKind } from "../runtime/index.ts";
import {
  applyJobEvent,
  initialJob,
  type JobCommand,
  type JobEvent,
  type JobState,
  jobCommandSchema,
  jobEventSchema,
  jobHandlers,
  jobStateSchema,
  onJobEffect,
  onJobTimer,
} from "./job.ts";

/**
 * A scheduled job (kind "job", id = the job's name): its schedule (cron in a time zone, or one time),
 * catch-up policy and enabled flag; the next fire is a durable timer, so it fires once across restarts
 * and with several nodes up. A fire records `runStarted` and asks the job's runner through an effect
 * (a service of the hosting node, decision 0022); the runner's answer is recorded as `runFinished`.
 */
export const jobKind = defineKind<JobState, JobCommand, JobEvent>({
  name: "job",
  commands: jobCommandSchema,
  events: jobEventSchema,
  state: jobStateSchema,
  initialState: initialJob,
  apply: applyJobEvent,
  handlers: jobHandlers,
  readOnly: ["get"],
  onTimer: onJobTimer,
  onEffect: onJobEffect,
});

export { type JobCommandInput, jobs } from "./calls.ts";
export { type Cron, CronError, isTimeZone, nextFire, nextFireOf, parseCron } from "./cron.ts";
export {
  CATCH_UP,
  type CatchUp,
  DEFAULT_TIME_ZONE,
  JOB_RUNNER_KIND,
  type JobCommand,
  type JobEvent,
  type JobState,
  type JobView,
  jobView,
  MISFIRE_GRACE_MS,
  OUTCOMES,
  type Outcome,
  type RunResult,
  runResultSchema,
  type Schedule,
  scheduleProblem,
} from "./job.ts";
