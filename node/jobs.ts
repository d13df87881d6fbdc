import { createHash } from "node:crypto";
import type { Notify } from "../actors/notification/index.ts";
import { CHANNEL_NAMES, type ChannelName, type SimulatedChannel } from "../actors/payment/channels/index.ts";
import type { ActorClient, EffectService, Logger, MetricsRegistry } from "../actors/runtime/index.ts";
import { type CatchUp, JOB_RUNNER_KIND, jobs, type Schedule } from "../actors/scheduler/index.ts";
import { SEGMENT_PUSH_RUNNER_KIND } from "../actors/segment/index.ts";
import type { PaymentLedger } from "../gateway/ports.ts";
import type { SalesChannelAdapter } from "./sales-channels.ts";

/**
 * A job's work: gets the run id (the same on a re-run after a crash), a signal, and the attempt (a new
 * number each time the run starts, e.g. on a new owner): writes that must not be made by a superseded
 * attempt check it (`RunAttempts`). Returns a summary.
 */
export type JobRunner = (runId: string, signal: AbortSignal, run: { attempt: number }) => Promise<string>;

export interface JobDefinition {
  name: string;
  description: string;
  /** The fresh-install schedule (operators change it with `PUT /v1/jobs/{name}`). */
  schedule: Schedule;
  catchUp: CatchUp;
  enabled: boolean;
  /** A run still going after this is failed (and told to stop). */
  timeoutMs: number;
}

/** Every scheduled job of this build. Seeded on start; the gateway lists exactly these. */
export const JOB_DEFINITIONS: readonly JobDefinition[] = [
  {
    name: "payments-reconciliation-daily",
    description: "Reconciles yesterday's (Beijing day) statement of every payment channel against the ledger",
    schedule: { cron: "30 2 * * *", timeZone: "Asia/Shanghai" },
    catchUp: "skip",
    enabled: true,
    timeoutMs: 15 * 60_000,
  },
  {
    name: "channel-stock-sync",
    description:
      "Pushes every SKU's sellable stock (all warehouses) to the sales channels, only what changed",
    schedule: { cron: "*/30 * * * *", timeZone: "Asia/Shanghai" },
    catchUp: "skip",
    enabled: true,
    timeoutMs: 10 * 60_000,
  },
  {
    name: "projector-dead-letter-report",
    description: "Counts the events the projector has parked (dead letters) and reports them",
    schedule: { cron: "0 * * * *", timeZone: "Asia/Shanghai" },
    catchUp: "none",
    enabled: true,
    timeoutMs: 60_000,
  },
  {
    name: "member-tags-recompute",
    description:
      "Recomputes every member's behaviour figures and tags (spend, frequency, recency, categories) from the read models",
    schedule: { cron: "15 3 * * *", timeZone: "Asia/Shanghai" },
    catchUp: "skip",
    enabled: true,
    timeoutMs: 30 * 60_000,
  },
  {
    name: "access-review-campaign",
    description:
      "Starts an access review campaign: every manager confirms or revokes their team's role grants before the deadline (decision 0036)",
    // Quarterly, 09:00 Beijing time on the first day of January, April, July and October.
    schedule: { cron: "0 9 1 1,4,7,10 *", timeZone: "Asia/Shanghai" },
    catchUp: "skip",
    enabled: true,
    timeoutMs: 5 * 60_000,
  },
  {
    name: "coupon-issue-on-events",
    description:
      "Issues the coupons of templates that issue on an event (first_order) to the members who had that event",
    schedule: { cron: "*/5 * * * *", timeZone: "Asia/Shanghai" },
    catchUp: "skip",
    enabled: true,
    timeoutMs: 5 * 60_000,
  },
  {
    name: "audit-retention",
    description:
      "Prunes audit rows older than the retention policy in whole chain segments, recording the checkpoint verification starts from",
    schedule: { cron: "45 3 * * *", timeZone: "Asia/Shanghai" },
    catchUp: "skip",
    enabled: true,
    timeoutMs: 10 * 60_000,
  },
];

/** The calendar day before `now` in Asia/Shanghai, `YYYY-MM-DD` (the channels cut statements there). */
export function beijingYesterday(now: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date(now - 86_400_000));
}

export interface JobRunnerDeps {
  payments: { channels: Record<ChannelName, SimulatedChannel>; ledger: PaymentLedger };
  parkedSummary(): Promise<{ count: number; oldest: string | null }>;
  /** Member tags from behaviour (decision 0025): recomputed from the read models as of `now`. */
  recomputeMemberTags(
    now: number,
    signal: AbortSignal,
  ): Promise<{ members: number; tagged: number; added: number; removed: number }>;
  /** Coupons issued on an event (decision 0025): one run over the live templates that issue on one. */
  issueOnEvents(run: { runId: string; now: number }, signal: AbortSignal): Promise<string>;
  /** Audit retention (decision 0035): prunes whole chain segments older than the policy, checkpointed. */
  pruneAudit?(run: { runId: string }): Promise<{ pruned: number; throughSeq: number | null }>;
  alert(alert: object): void;
  /** Access reviews (decision 0036): starts the run's campaign; answers a summary. */
  startAccessReview?(run: { runId: string; attempt: number }, signal: AbortSignal): Promise<string>;
  /** Raises operator notifications (decision 0030). */
  notify?: Notify;
  /** The stock-sync job: the channels, the diff of sellable against what each holds, and recording it. */
  stockSync?: {
    channels: readonly SalesChannelAdapter[];
    diff(channel: string): Promise<Array<{ sku: string; sellable: number; pushed: number | null }>>;
    record(
      channel: string,
      lines: ReadonlyArray<{ sku: string; quantity: number }>,
      run: { runId: string; attempt: number },
    ): Promise<boolean>;
  };
  now?: () => number;
}

/** The runners of `JOB_DEFINITIONS`, by name. */
export function jobRunners(deps: JobRunnerDeps): Map<string, JobRunner> {
  const now = deps.now ?? Date.now;
  return new Map<string, JobRunner>([
    [
      "payments-reconciliation-daily",
      // What `GET /v1/payments/statements/{channel}` + `POST /v1/payments/reconciliations` do, per channel.
      async (runId, signal, run) => {
        const date = beijingYesterday(now());
        const lines: string[] = [];
        for (const channel of CHANNEL_NAMES) {
          signal.throwIfAborted();
          const { channels, ledger } = deps.payments;
          const file = channels[channel].statement(date, await ledger.channelMovements(channel, date));
          const statement = channels[channel].parseStatement(file);
          // Keyed by run id and channel: a retry of this run replaces its own report, nothing else.
          const report = (await ledger.reconcile({
            channel,
            date,
            statement,
            run: { runId, attempt: run.attempt },
          })) as {
            id?: string;
            matched?: number;
            summary?: { differences?: number };
          };
          const differences = report.summary?.differences ?? 0;
          lines.push(
            `${channel} ${date}: ${report.matched ?? 0} matched, ${differences} differences (report ${report.id})`,
          );
          if (differences > 0) {
            deps.alert({
              kind: "reconciliationDifferences",
              level: "critical",
              at: now(),
              detail: `${channel} statement of ${date}: ${differences} differences (report ${report.id}, run ${runId})`,
            });
            await deps.notify?.({
              kind: "reconciliationDifferences",
              severity: "critical",
              source: "payments",
              message: `${channel} statement of ${date}: ${differences} differences (report ${report.id})`,
              key: `reconciliation:${runId}:${channel}`,
            });
          }
        }
        return lines.join("; ");
      },
    ],
    [
      "channel-stock-sync",
      async (runId, signal, run) => {
        const sync = deps.stockSync;
        if (!sync) throw new Error("no sales channels configured on this node");
        const lines: string[] = [];
        for (const channel of sync.channels) {
          signal.throwIfAborted();
          const all = await sync.diff(channel.name);
          const changed = all
            .filter((l) => l.pushed !== l.sellable)
            .map((l) => ({ sku: l.sku, quantity: l.sellable }));
          let pushed = 0;
          for (let i = 0; i < changed.length; i += channel.maxBatch) {
            const batch = changed.slice(i, i + channel.maxBatch);
            // The key names the run, channel and batch: a retry of this run is not applied twice.
            const { applied } = await channel.pushStock(
              batch,
              `${runId}:${channel.name}:${i / channel.maxBatch}`,
              signal,
            );
            if (!(await sync.record(channel.name, batch, { runId, attempt: run.attempt })))
              throw new Error(`run ${runId} attempt ${run.attempt} was superseded; stopping`);
            pushed += applied;
          }
          lines.push(`${channel.name}: ${pushed} pushed, ${all.length - changed.length} unchanged`);
        }
        return lines.join("; ");
      },
    ],
    [
      "projector-dead-letter-report",
      async () => {
        const { count, oldest } = await deps.parkedSummary();
        return count === 0 ? "no parked events" : `${count} parked events, oldest parked at ${oldest}`;
      },
    ],
    [
      "member-tags-recompute",
      async (_runId, signal) => {
        const r = await deps.recomputeMemberTags(now(), signal);
        return `${r.members} members, ${r.tagged} with behaviour tags; ${r.added} tags added, ${r.removed} removed`;
      },
    ],
    ["coupon-issue-on-events", (runId, signal) => deps.issueOnEvents({ runId, now: now() }, signal)],
    [
      "audit-retention",
      async (runId) => {
        if (!deps.pruneAudit) throw new Error("no audit store on this node");
        const r = await deps.pruneAudit({ runId });
        return r.throughSeq === null
          ? "nothing old enough to prune"
          : `${r.pruned} audit rows pruned; the kept chain starts after seq ${r.throughSeq}`;
      },
    ],
    [
      "access-review-campaign",
      async (runId, signal, run) => {
        if (!deps.startAccessReview) throw new Error("no access review store on this node");
        return deps.startAccessReview({ runId, attempt: run.attempt }, signal);
      },
    ],
  ]);
}

/**
 * The `job-runner` effect service: runs the job's runner for a fire of its `job` actor on the node that
 * owns the actor (decision 0022), bounded by the job's timeout; answers the run's outcome. A failed run
 * raises an operator alert; every run is counted in `hub_job_runs_total{job,outcome}`. When the actor's
 * owner closes mid-run, the promise rejects so nothing is recorded here: the next owner runs it again
 * with the same run id.
 */
export function jobRunnerService(
  runners: ReadonlyMap<string, JobRunner>,
  deps: {
    metrics: MetricsRegistry;
    alert(alert: object): void;
    log: Logger;
    notify?: Notify;
    /** Fencing of a run's attempts (migration 0025); without it every attempt is 1 and nothing is checked. */
    attempts?: {
      begin(runId: string, node: string): Promise<number>;
      isCurrent(runId: string, attempt: number): Promise<boolean>;
    };
    nodeId?: string;
  },
): EffectService {
  const runs = deps.metrics.counter("hub_job_runs_total", "Scheduled job runs by job and outcome");
  const timeouts = new Map(JOB_DEFINITIONS.map((d) => [d.name, d.timeoutMs]));
  return async (name, cmd, commandId, signal) => {
    signal.throwIfAborted();
    const runId = typeof cmd.runId === "string" ? cmd.runId : commandId;
    const runner = runners.get(name);
    const attempt = deps.attempts ? await deps.attempts.begin(runId, deps.nodeId ?? "node") : 1;
    const started = performance.now();
    let outcome: "ok" | "failed" = "ok";
    let detail: string;
    if (!runner) {
      outcome = "failed";
      detail = `no runner for job ${name} in this build`;
    } else {
      const limit = AbortSignal.timeout(timeouts.get(name) ?? 60_000);
      const both = AbortSignal.any([signal, limit]);
      try {
        detail = await Promise.race([
          runner(runId, both, { attempt }),
          new Promise<never>((_, reject) => {
            if (both.aborted) reject(both.reason);
            both.addEventListener("abort", () => reject(both.reason), { once: true });
          }),
        ]);
      } catch (error) {
        if (signal.aborted) throw error; // the owner closed: not an outcome, the next owner re-runs it
        outcome = "failed";
        detail = limit.aborted
          ? `timed out after ${timeouts.get(name)} ms`
          : error instanceof Error
            ? error.message
            : String(error);
      }
    }
    const durationMs = Math.round(performance.now() - started);
    // A newer attempt of this run started elsewhere (the actor moved): its outcome is the one recorded.
    if (deps.attempts && !(await deps.attempts.isCurrent(runId, attempt))) {
      deps.log.warn("job run superseded; its outcome is not recorded", { job: name, runId, attempt });
      throw new Error(`run ${runId} attempt ${attempt} was superseded`);
    }
    runs.inc({ job: name, outcome });
    if (outcome === "failed") {
      deps.log.warn("job run failed", { job: name, runId, detail });
      deps.alert({ kind: "jobFailed", level: "critical", at: Date.now(), job: name, runId, detail });
      await deps
        .notify?.({
          kind: "jobFailed",
          severity: "critical",
          source: "jobs",
          subject: { kind: "job", id: name },
          message: `job ${name} run ${runId} failed: ${detail}`.slice(0, 500),
          key: `jobFailed:${runId}`,
        })
        .catch((error: unknown) =>
          deps.log.warn("job failure notification not stored", { error: String(error) }),
        );
    }
    return { ok: true, value: { outcome, durationMs, detail: detail.slice(0, 2_000) } };
  };
}

/** The node-local effect services of the actor host: job runs and segment pushes (decision 0025). */
export function jobServices(service: EffectService, segmentPush?: EffectService): Map<string, EffectService> {
  const services = new Map([[JOB_RUNNER_KIND, service]]);
  if (segmentPush) services.set(SEGMENT_PUSH_RUNNER_KIND, segmentPush);
  return services;
}

/**
 * Seeds every job's fresh-install definition (an upsert that keeps an operator's changes), retrying in
 * the background until the job actors answer (shards may still be settling at start-up). The command id
 * names the definition, so every node seeding the same build is one command.
 */
export function seedJobs(client: ActorClient, log: Logger, definitions = JOB_DEFINITIONS): () => void {
  let stopped = false;
  const seedOne = async (d: JobDefinition, attempt = 0): Promise<void> => {
    if (stopped) return;
    const fields = { schedule: d.schedule, catchUp: d.catchUp, enabled: d.enabled };
    const digest = createHash("sha256").update(JSON.stringify(fields)).digest("base64url").slice(0, 16);
    const call = jobs.seed(d.name, fields);
    const reply = await client
      .request(call.to.kind, call.to.id, call.cmd, {
        id: `seed:${d.name}:${digest}`,
        meta: { by: "system:seed" },
      })
      .catch((error: unknown) => ({
        ok: false as const,
        error: { kind: "unavailable", message: String(error) },
      }));
    if (reply.ok || stopped) return;
    if (attempt % 10 === 9)
      log.warn("seeding a job keeps failing; retrying", { job: d.name, error: reply.error });
    await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** Math.min(attempt, 5))));
    return seedOne(d, attempt + 1);
  };
  for (const d of definitions) void seedOne(d);
  return () => {
    stopped = true;
  };
}
