import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { jobCommandSchema } from "./job.ts";

export type JobCommandInput = z.input<typeof jobCommandSchema>;

const build = commandBuilder<JobCommandInput>("job");

/**
 * The job actor's public calls (the job name is the actor id).
 * @example jobs.configure("payments-reconciliation-daily", { enabled: false })
 */
export const jobs = {
  kind: "job" as const,
  get: build("get"),
  seed: build("seed"),
  configure: build("configure"),
  runNow: build("runNow"),
};
