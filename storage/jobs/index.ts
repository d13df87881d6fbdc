import type { JobEvent } from "../../actors/scheduler/index.ts";
import type { Sql } from "../postgres/database.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";
import { decodeCursor, encodeCursor, InvalidCursorError } from "../read-models/cursor.ts";

/**
 * The `job` actors' runs → `job_runs` (migration 0015): a row when a run starts, completed when it
 * finishes; a skipped fire is a row of outcome 'skipped'. Replays add nothing (run ids are unique).
 */
export const jobRunProjection: ReadModelProjection = {
  name: "job-runs",
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "job") continue;
      for (const [idx, e] of (batch.ev as JobEvent[]).entries()) await applyRun(tx, ref.id, seq, idx, e);
    }
  },
};

async function applyRun(tx: ProjectionTx, job: string, seq: number, idx: number, e: JobEvent) {
  if (e.type === "runStarted") {
    await tx`INSERT INTO job_runs (run_id, job, trigger, scheduled_for, started_at, by)
      VALUES (${e.runId}, ${job}, ${e.trigger},
        ${e.scheduledFor !== undefined ? new Date(e.scheduledFor) : null}, ${new Date(e.at)}, ${e.by})
      ON CONFLICT (run_id) DO NOTHING`;
  } else if (e.type === "runFinished") {
    await tx`UPDATE job_runs SET finished_at = ${new Date(e.at)}, outcome = ${e.outcome},
      duration_ms = ${e.durationMs}, detail = ${e.detail} WHERE run_id = ${e.runId}`;
  } else if (e.type === "runSkipped") {
    await tx`INSERT INTO job_runs (run_id, job, trigger, scheduled_for, started_at, finished_at, outcome,
        duration_ms, detail, by)
      VALUES (${`${job}:skipped:${seq}:${idx}`}, ${job}, 'schedule', ${new Date(e.scheduledFor)},
        ${new Date(e.at)}, ${new Date(e.at)}, 'skipped', 0, ${e.reason}, ${e.by})
      ON CONFLICT (run_id) DO NOTHING`;
  }
}

export interface JobRunRecord {
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

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);

/** Run history of the jobs, newest first, cursor-paged. */
export class JobRunQueries {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async runs(job: string, limit: number, cursor?: string) {
    const after = cursor ? decodeCursor(cursor) : undefined;
    if (cursor && !after) throw new InvalidCursorError(cursor);
    const below = after ? after.seq : Number.MAX_SAFE_INTEGER;
    const rows = await this.#sql`SELECT * FROM job_runs WHERE job = ${job} AND id < ${below}
      ORDER BY id DESC LIMIT ${limit}`;
    const items: JobRunRecord[] = rows.map((r) => ({
      runId: r.run_id as string,
      trigger: r.trigger as string,
      scheduledFor: iso(r.scheduled_for),
      startedAt: iso(r.started_at) ?? "",
      finishedAt: iso(r.finished_at),
      outcome: (r.outcome as JobRunRecord["outcome"]) ?? null,
      durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
      detail: (r.detail as string | null) ?? null,
      by: r.by as string,
    }));
    const last = rows.at(-1);
    return { items, nextCursor: rows.length === limit && last ? encodeCursor(Number(last.id), 0) : null };
  }
}

/** How many events the projector has parked, and since when (the dead-letter report job). */
export async function parkedEventSummary(sql: Sql): Promise<{ count: number; oldest: string | null }> {
  const [row] = await sql`SELECT count(*)::int AS n, min(parked_at) AS oldest FROM projector_dead_letters`;
  return { count: Number(row?.n ?? 0), oldest: iso(row?.oldest) };
}

/**
 * Fencing for scheduled runs (migration 0025): each start of a run takes the next attempt number, and a
 * run's writes check theirs is still the current one, so a runner that went on after its actor moved to
 * another node (it ignored its abort signal) cannot overwrite what the new attempt writes.
 */
export class RunAttempts {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async begin(runId: string, node: string): Promise<number> {
    const [row] = await this
      .#sql`INSERT INTO job_run_attempts (run_id, attempt, node) VALUES (${runId}, 1, ${node})
      ON CONFLICT (run_id) DO UPDATE SET attempt = job_run_attempts.attempt + 1, node = EXCLUDED.node,
        started_at = now()
      RETURNING attempt`;
    return Number(row?.attempt);
  }

  async isCurrent(runId: string, attempt: number): Promise<boolean> {
    const [row] = await this.#sql`SELECT attempt FROM job_run_attempts WHERE run_id = ${runId}`;
    return Number(row?.attempt) === attempt;
  }
}

/** One SKU's sellable stock (all warehouses) and what a sales channel last received for it. */
export interface ChannelStockLine {
  sku: string;
  sellable: number;
  pushed: number | null;
}

/** Sellable stock per SKU beside what `channel` holds (the stock-sync job's diff). */
export async function channelStockDiff(sql: Sql, channel: string): Promise<ChannelStockLine[]> {
  const rows = await sql`SELECT s.sku, s.sellable::int AS sellable, c.quantity AS pushed
    FROM (SELECT sku, sum(sellable) AS sellable FROM inventory_stock GROUP BY sku) s
    LEFT JOIN channel_stock c ON c.channel = ${channel} AND c.sku = s.sku
    ORDER BY s.sku`;
  return rows.map((r) => ({
    sku: r.sku as string,
    sellable: Number(r.sellable),
    pushed: r.pushed === null ? null : Number(r.pushed),
  }));
}

/**
 * Records what a channel accepted, only while the run's attempt is current; false when it was superseded.
 */
export async function recordChannelStock(
  sql: Sql,
  channel: string,
  lines: ReadonlyArray<{ sku: string; quantity: number }>,
  run: { runId: string; attempt: number },
): Promise<boolean> {
  return sql.begin(async (tx) => {
    const [current] = await tx`SELECT 1 FROM job_run_attempts
      WHERE run_id = ${run.runId} AND attempt = ${run.attempt} FOR SHARE`;
    if (!current) return false;
    for (const line of lines)
      await tx`INSERT INTO channel_stock (channel, sku, quantity, run_id) VALUES (${channel}, ${line.sku},
          ${line.quantity}, ${run.runId})
        ON CONFLICT (channel, sku) DO UPDATE SET quantity = EXCLUDED.quantity, run_id = EXCLUDED.run_id,
          pushed_at = now()`;
    return true;
  });
}
