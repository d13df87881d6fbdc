import type { JetStreamClient, JetStreamManager, MsgRequest } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { Counter, LogBatch, Logger, MetricsRegistry, Subjects } from "../actors/runtime/index.ts";
import { withDeadline } from "../actors/runtime/index.ts";
import { asDependencyUnavailable } from "../platform/dependency.ts";
import { EventLogReader } from "./jetstream/event-log-reader.ts";
import type { Sql } from "./postgres/database.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "./projection.ts";

const OFFSET_NAME = "read-models";
const FLUSH_MAX = 500;
/** NATS and Postgres calls of the lease loop (never the flush itself: see `#runRounds`). */
const CALL_DEADLINE_MS = 2_000;
/** No progress for this long while the log has more: stalled. */
const STALL_AFTER_MS = 5_000;
/**
 * A reader that delivers nothing for this long while the log has more is stuck, not slow (an event
 * reaches the reader in milliseconds): its round is ended and the next one opens a fresh reader.
 */
const READER_QUIET_MS = 2_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 1_000;

/** What the projector tells dashboards (via the node's alert channel) when it needs an operator. */
export interface ProjectorAlert {
  kind: "projectorStalled" | "projectorRecovered" | "projectorParked";
  level: "critical" | "info";
  at: number;
  detail: string;
  seq?: number;
  lagMessages?: number;
}

export interface ProjectorStatus {
  /** This node holds the projector lease (the others stand by). */
  running: boolean;
  offset: number;
  streamLastSeq: number;
  lagMessages: number;
  /** Seconds between the newest projected event's append and its commit in Postgres. */
  lagSeconds: number;
  /** The log has more than the read models and the offset has not moved for `STALL_AFTER_MS`. */
  stalled: boolean;
  stalledForMs: number;
  /** Events in the dead-letter table (parked: could not be applied; the projector moved on). */
  parked: number;
  /** Rounds started since this node began, and the most that ever ran at once (always ≤ 1). */
  rounds: number;
  maxConcurrentRounds: number;
  /** What the round runner is doing now, and since when: where a stalled projector is stuck. */
  phase: ProjectorPhase;
  phaseForMs: number;
  lastError: string | undefined;
}

export type ProjectorPhase = "standby" | "opening" | "reading" | "committing" | "closing" | "backoff";

/** A failure that will pass by itself (a dependency away, a competing projector): retry the round. */
function transient(error: unknown): boolean {
  if (asDependencyUnavailable(error)) return true;
  if (error instanceof Error && error.name === "DeadlineError") return true;
  if (error instanceof OffsetMovedError) return true;
  const code = (error as { code?: unknown })?.code;
  // Serialization failure, deadlock, lock not available: the same transaction may succeed next time.
  return code === "40001" || code === "40P01" || code === "55P03";
}

class OffsetMovedError extends Error {
  constructor(expected: number) {
    super(`projection offset moved past ${expected}: another projector ran`);
  }
}

/** Postgres refuses NUL in text: an error message quoting the poison must not be poison itself. */
function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing exactly those characters
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "?").slice(0, 2_000);
}

type Entry = ProjectedBatch | { seq: number; subject: string; poison: string };

/**
 * Feeds the read models from the event log. One projector is active per cluster (a KV lease); it reads
 * with an ordered consumer from the stored offset and commits rows and offset in one transaction, with
 * a compare-and-set on the offset, so an overlapping projector (a lease that just moved) fails its
 * transaction instead of writing twice.
 *
 * Rounds (read from the stored offset until something fails) run one at a time by construction: one
 * runner loop per node runs them in sequence and is started only when none is running; the lease loop
 * is a loop too (no interval that could fire while the last tick hangs). An event a projection cannot
 * apply is parked in `projector_dead_letters` with the error, in the same transaction that moves the
 * offset past it; a failure that will pass (Postgres away) retries the round within a second instead.
 */
export class Projector {
  readonly #sql: Sql;
  readonly #reader: EventLogReader;
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #projections: ReadModelProjection[];
  readonly #lease: KV;
  readonly #nodeId: string;
  readonly #log: Logger;
  readonly #onAlert: ((alert: ProjectorAlert) => void) | undefined;
  readonly #parkedTotal: Counter | undefined;
  #offset = 0;
  #streamLastSeq = 0;
  #lagSeconds = 0;
  #stopped = false;
  #leaseRevision = 0;
  #tickMs = 1_000;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #runner: Promise<void> | undefined;
  #cursor: { close(): Promise<unknown> } | undefined;
  #rounds = 0;
  #activeRounds = 0;
  #maxConcurrentRounds = 0;
  #lastProgressAt = performance.now();
  #stalled = false;
  #parked = 0;
  #lastError: string | undefined;
  #phase: ProjectorPhase = "standby";
  #phaseSince = performance.now();
  /** When the current round's reader last delivered (or opened). */
  #lastEntryAt = performance.now();

  constructor(deps: {
    sql: Sql;
    js: JetStreamClient;
    jsm: JetStreamManager;
    subjects: Subjects;
    stream: string;
    projections: ReadModelProjection[];
    lease: KV;
    nodeId: string;
    log: Logger;
    metrics?: MetricsRegistry;
    /** Raised when the projector stalls, recovers or parks an event (dashboards show it). */
    onAlert?: (alert: ProjectorAlert) => void;
  }) {
    this.#sql = deps.sql;
    this.#reader = new EventLogReader(deps);
    this.#jsm = deps.jsm;
    this.#stream = deps.stream;
    this.#projections = deps.projections;
    this.#lease = deps.lease;
    this.#nodeId = deps.nodeId;
    this.#log = deps.log;
    this.#onAlert = deps.onAlert;
    const m = deps.metrics;
    if (m) {
      m.gauge("hub_projector_lag_messages", "Events appended but not yet in Postgres", () =>
        this.#leaseRevision ? this.status().lagMessages : 0,
      );
      m.gauge("hub_projector_lag_seconds", "Age of the newest projected event at commit", () =>
        this.#leaseRevision ? this.#lagSeconds : 0,
      );
      m.gauge("hub_projector_offset", "Last event sequence in the read models", () => this.#offset);
      m.gauge("hub_projector_stalled", "1 while the projector makes no progress and the log grows", () =>
        this.#stalled ? 1 : 0,
      );
      m.gauge("hub_projector_parked", "Events in the projector's dead-letter table", () => this.#parked);
      this.#parkedTotal = m.counter("hub_projector_parked_total", "Events this node parked as unappliable");
    }
  }

  status(): ProjectorStatus {
    return {
      running: this.#leaseRevision !== 0,
      offset: this.#offset,
      streamLastSeq: this.#streamLastSeq,
      lagMessages: Math.max(0, this.#streamLastSeq - this.#offset),
      lagSeconds: this.#lagSeconds,
      stalled: this.#stalled,
      stalledForMs: this.#stalled ? Math.round(performance.now() - this.#lastProgressAt) : 0,
      parked: this.#parked,
      rounds: this.#rounds,
      maxConcurrentRounds: this.#maxConcurrentRounds,
      phase: this.#phase,
      phaseForMs: Math.round(performance.now() - this.#phaseSince),
      lastError: this.#lastError,
    };
  }

  async start(leaseTtlMs: number): Promise<void> {
    this.#tickMs = Math.max(200, Math.floor(leaseTtlMs / 4));
    await this.#tick();
    this.#loop = (async () => {
      while (!this.#stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#tickMs);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (!this.#stopped) await this.#tick();
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#cursor?.close().catch(() => undefined);
    await this.#loop;
    await this.#runner;
    if (this.#leaseRevision) {
      await this.#lease.delete("projector", { previousSeq: this.#leaseRevision }).catch(() => undefined);
      this.#leaseRevision = 0;
    }
  }

  /** Waits until every event appended so far is in the read models (tests and `?consistent=true`). */
  async caughtUp(timeoutMs = 10_000): Promise<void> {
    const target = await this.#reader.lastSequence();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const offset = await this.storedOffset();
      if (offset >= target) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`projector did not reach sequence ${target} within ${timeoutMs} ms`);
  }

  async storedOffset(): Promise<number> {
    const rows = await this.#sql`SELECT seq FROM projection_offsets WHERE name = ${OFFSET_NAME}`;
    return Number(rows[0]?.seq ?? 0);
  }

  /** One pass of the lease loop: hold the lease, start the round runner if needed, watch progress. */
  async #tick(): Promise<void> {
    try {
      await this.#holdLease();
      if (this.#leaseRevision && !this.#runner && !this.#stopped) {
        this.#runner = this.#runRounds().finally(() => {
          this.#runner = undefined;
        });
      }
    } catch (error) {
      this.#log.warn("projector lease round failed", { error: describe(error) });
    }
    await withDeadline(this.#reader.lastSequence(), CALL_DEADLINE_MS, "stream info").then(
      (last) => {
        this.#streamLastSeq = Math.max(this.#streamLastSeq, last);
      },
      () => undefined,
    );
    await withDeadline(
      Promise.resolve(this.#sql`SELECT count(*)::int AS n FROM projector_dead_letters`),
      CALL_DEADLINE_MS,
      "parked count",
    ).then(
      (rows) => {
        this.#parked = Number(rows[0]?.n ?? 0);
      },
      () => undefined,
    );
    this.#watchProgress();
  }

  #watchProgress(): void {
    const behind = this.#leaseRevision !== 0 && this.#streamLastSeq > this.#offset;
    if (!behind) this.#lastProgressAt = performance.now();
    const stalledFor = performance.now() - this.#lastProgressAt;
    const quietFor = performance.now() - this.#lastEntryAt;
    if (behind && this.#phase === "reading" && quietFor >= READER_QUIET_MS && this.#cursor) {
      this.#log.warn("projector reader went quiet while the log has more; reopening it", {
        offset: this.#offset,
        streamLastSeq: this.#streamLastSeq,
        quietMs: Math.round(quietFor),
      });
      this.#lastEntryAt = performance.now();
      void this.#cursor.close().catch(() => undefined);
    }
    if (!this.#stalled && behind && stalledFor >= STALL_AFTER_MS) {
      this.#stalled = true;
      const lagMessages = this.#streamLastSeq - this.#offset;
      const detail = `projector stalled at offset ${this.#offset} for ${Math.round(stalledFor / 1000)} s while the log has ${lagMessages} more event(s); the cause is in the log`;
      this.#log.error("projector stalled", { offset: this.#offset, lagMessages, lastError: this.#lastError });
      this.#alert({ kind: "projectorStalled", level: "critical", detail, lagMessages });
    }
    if (this.#stalled && behind && stalledFor >= STALL_AFTER_MS) {
      // A round whose reader went quiet (an ordered consumer that never came back after NATS paused)
      // would wait forever while holding the lease. End it: the runner waits for its in-flight commit,
      // then starts the next round from the stored offset, so rounds still never overlap.
      this.#lastProgressAt = performance.now();
      void this.#cursor?.close().catch(() => undefined);
    } else if (this.#stalled && !behind) {
      this.#stalled = false;
      this.#log.info("projector caught up again", { offset: this.#offset });
      this.#alert({ kind: "projectorRecovered", level: "info", detail: "projector caught up again" });
    }
  }

  #enter(phase: ProjectorPhase): void {
    this.#phase = phase;
    this.#phaseSince = performance.now();
  }

  #progressed(): void {
    this.#lastProgressAt = performance.now();
    this.#lastError = undefined;
    if (this.#stalled && this.#offset >= this.#streamLastSeq) this.#watchProgress();
  }

  #alert(alert: Omit<ProjectorAlert, "at">): void {
    try {
      this.#onAlert?.({ ...alert, at: Date.now() });
    } catch (error) {
      this.#log.warn("projector alert not delivered", { error: describe(error) });
    }
  }

  async #holdLease(): Promise<void> {
    if (this.#stopped) return;
    const value = JSON.stringify({ node: this.#nodeId, at: Date.now() });
    if (this.#leaseRevision) {
      try {
        this.#leaseRevision = await withDeadline(
          this.#lease.update("projector", value, this.#leaseRevision),
          CALL_DEADLINE_MS,
          "projector lease renewal",
        );
      } catch (error) {
        this.#log.warn("projector lease lost", { error: describe(error) });
        this.#leaseRevision = 0;
        await this.#cursor?.close().catch(() => undefined);
      }
      return;
    }
    try {
      this.#leaseRevision = await withDeadline(
        this.#lease.create("projector", value),
        CALL_DEADLINE_MS,
        "projector lease",
      );
    } catch {
      // Held by another node, or by this one from before a renewal timed out: take our own back.
      const entry = await withDeadline(this.#lease.get("projector"), CALL_DEADLINE_MS, "projector lease");
      const holder = entry?.operation === "PUT" ? (entry.json() as { node?: string }).node : undefined;
      if (entry && holder === this.#nodeId)
        this.#leaseRevision = await withDeadline(
          this.#lease.update("projector", value, entry.revision),
          CALL_DEADLINE_MS,
          "projector lease",
        );
    }
  }

  /**
   * The only place rounds start: one after the other while this node holds the lease, with a short
   * backoff after a failure. No deadline on a round's transaction: a second round must not start while
   * the first one's commit may still land (statement_timeout and TCP keep-alive bound it instead).
   */
  async #runRounds(): Promise<void> {
    let backoff = RETRY_MIN_MS;
    while (this.#leaseRevision && !this.#stopped) {
      const offsetBefore = this.#offset;
      this.#enter("opening");
      try {
        await this.#round();
      } catch (error) {
        this.#lastError = describe(error);
        const level = transient(error) ? "warn" : "error";
        this.#log[level]("projector round ended; retrying", { offset: this.#offset, error: this.#lastError });
      }
      backoff = this.#offset > offsetBefore ? RETRY_MIN_MS : Math.min(backoff * 2, RETRY_MAX_MS);
      this.#enter("backoff");
      if (this.#leaseRevision && !this.#stopped) await new Promise((r) => setTimeout(r, backoff));
    }
    this.#enter("standby");
  }

  async #round(): Promise<void> {
    this.#rounds++;
    this.#activeRounds++;
    this.#maxConcurrentRounds = Math.max(this.#maxConcurrentRounds, this.#activeRounds);
    try {
      this.#offset = await this.storedOffset();
      const cursor = await this.#reader.follow(this.#offset + 1);
      this.#cursor = cursor;
      this.#lastEntryAt = performance.now();
      this.#enter("reading");
      if (this.#stopped || !this.#leaseRevision) await cursor.close();
      // Group commit for read models: messages keep arriving while a transaction is in flight, and the
      // next transaction takes all of them. One message per transaction could not keep up (fsync each).
      let buffer: Entry[] = [];
      let lastSeq = 0;
      let flushing: Promise<void> | undefined;
      let failure: unknown;
      const flushAll = async () => {
        while (buffer.length > 0 && !failure) {
          const take = buffer;
          const upTo = lastSeq;
          buffer = [];
          if (this.#phase === "reading") this.#enter("committing");
          try {
            await this.#flush(take, upTo);
          } catch (error) {
            failure = error;
          }
          if (this.#phase === "committing") this.#enter("reading");
        }
        flushing = undefined;
      };
      for await (const entry of cursor) {
        this.#lastEntryAt = performance.now();
        if (failure) break;
        if (entry.ref) {
          try {
            buffer.push({ seq: entry.seq, time: entry.time, ref: entry.ref, batch: entry.batch() });
          } catch (error) {
            buffer.push({
              seq: entry.seq,
              subject: entry.subject,
              poison: `not a batch: ${describe(error)}`,
            });
          }
        }
        lastSeq = entry.seq;
        flushing ??= flushAll();
        // Backpressure: never hold more than a few flushes' worth in memory.
        if (buffer.length >= FLUSH_MAX * 4) await flushing;
      }
      // Closed (lease lost, stop) or failed: the in-flight commit settles before the round ends.
      this.#enter("closing");
      await flushing;
      if (failure) throw failure;
    } finally {
      await this.#cursor?.close().catch(() => undefined);
      this.#cursor = undefined;
      this.#activeRounds--;
    }
  }

  /** Commits `entries` up to `lastSeq`; when a projection refuses one, parks it and commits the rest. */
  async #flush(entries: Entry[], lastSeq: number): Promise<void> {
    try {
      await this.#commit(entries, lastSeq);
    } catch (error) {
      if (transient(error) || entries.length === 0) throw error;
      // Find the event(s) at fault: one transaction per event, parking each that still fails.
      for (const entry of entries) {
        try {
          await this.#commit([entry], entry.seq);
        } catch (single) {
          if (transient(single)) throw single;
          await this.#commit(
            [{ seq: entry.seq, subject: subjectOf(entry), poison: describe(single) }],
            entry.seq,
          );
        }
      }
      if (lastSeq > this.#offset) await this.#commit([], lastSeq);
    }
  }

  /** Rows, parked events and the offset in one transaction; the offset moves by compare-and-set. */
  async #commit(entries: Entry[], lastSeq: number): Promise<void> {
    const expected = this.#offset;
    const batches = entries.filter((e): e is ProjectedBatch => !("poison" in e));
    const poisoned = entries.filter((e): e is Extract<Entry, { poison: string }> => "poison" in e);
    const newest = batches.at(-1);
    await this.#sql.begin(async (tx) => {
      // First: the compare-and-set takes the offset row's lock before any row is written, so a parked
      // event's retry (which takes this lock too) and a round never interleave. It is sent without
      // waiting for its answer: the rows' statements follow it on the connection in the same round trip
      // (a round trip costs a turn of a busy event loop), and it is checked before the commit.
      const moved = tx`
        INSERT INTO projection_offsets (name, seq, event_time, updated_at)
        VALUES (${OFFSET_NAME}, ${lastSeq}, ${newest ? new Date(newest.batch.at) : null}, now())
        ON CONFLICT (name) DO UPDATE SET seq = EXCLUDED.seq, event_time = EXCLUDED.event_time, updated_at = now()
        WHERE projection_offsets.seq = ${expected}`.execute();
      const casFailure = moved.then(
        (result) => (result.count === 1 ? undefined : new OffsetMovedError(expected)),
        (error: unknown) => error,
      );
      try {
        if (batches.length > 0) await applyAll(tx, this.#projections, batches);
        for (const p of poisoned) {
          await tx`INSERT INTO projector_dead_letters (seq, subject, error) VALUES (${p.seq}, ${p.subject}, ${p.poison})
            ON CONFLICT (seq) DO UPDATE SET error = EXCLUDED.error, attempts = projector_dead_letters.attempts + 1,
              last_attempt_at = now()`;
        }
      } catch (error) {
        // When the compare-and-set failed, the statements after it failed because of it (an aborted
        // transaction): raise its error, so a transient failure is retried, never parked as poison.
        throw (await casFailure) ?? error;
      }
      const failure = await casFailure;
      if (failure) throw failure;
    });
    this.#offset = lastSeq;
    if (lastSeq > this.#streamLastSeq) this.#streamLastSeq = lastSeq;
    if (newest) this.#lagSeconds = Math.max(0, (Date.now() - newest.batch.at) / 1000);
    this.#progressed();
    for (const p of poisoned) {
      this.#parked++;
      this.#parkedTotal?.inc();
      this.#log.error("projector parked an event it cannot apply", {
        seq: p.seq,
        subject: p.subject,
        error: p.poison,
      });
      this.#alert({
        kind: "projectorParked",
        level: "critical",
        seq: p.seq,
        // Dashboards reach more people than `ops:read` does, and the error can quote row data: the
        // cause stays in the log and behind GET /v1/ops/projector/parked.
        detail: `event ${p.seq} (${p.subject}) parked; see GET /v1/ops/projector/parked`,
      });
    }
  }
}

async function applyAll(tx: ProjectionTx, projections: ReadModelProjection[], batches: ProjectedBatch[]) {
  for (const projection of projections) await projection.apply(tx, batches);
}

function subjectOf(entry: Entry): string {
  return "poison" in entry ? entry.subject : `${entry.ref.kind}.${entry.ref.id}`;
}

/** A parked event as an operator sees it. */
export interface ParkedEvent {
  seq: number;
  subject: string;
  error: string;
  parkedAt: string;
  attempts: number;
  lastAttemptAt: string;
}

/** What a retry of a parked event did. */
export interface RetryResult {
  /**
   * `applied`: every projection applied it. `superseded`: applied, except to the projections in
   * `skipped`, which keep the newer state a later event of the same actor (`laterSeq`) already gave them.
   * `still-failing`: refused again (`error`), still parked. `not-parked`: no such parked event.
   */
  outcome: "applied" | "superseded" | "still-failing" | "not-parked";
  error?: string;
  skipped?: string[];
  laterSeq?: number;
}

/**
 * The dead-letter list, for any gateway node: list the parked events and retry one. A retry reads the
 * event from the log (the source of truth), applies the projections to it in one transaction and
 * removes it from the list; if it still fails, the error and the attempt are recorded and it stays.
 * Projections that move by deltas apply each movement once whatever the order (the stock counts each
 * ledger row `(seq, idx)` once), so a retry after later events of the same entity is applied in full.
 * Projections that keep state guarded by version (`orderSensitive`) would drop it or overwrite newer
 * state with older: when the actor has a later event in the log, they are skipped and the answer says so.
 */
export class ParkedEvents {
  readonly #sql: Sql;
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #subjects: Subjects;
  readonly #projections: ReadModelProjection[];

  constructor(deps: {
    sql: Sql;
    jsm: JetStreamManager;
    stream: string;
    subjects: Subjects;
    projections: ReadModelProjection[];
  }) {
    this.#sql = deps.sql;
    this.#jsm = deps.jsm;
    this.#stream = deps.stream;
    this.#subjects = deps.subjects;
    this.#projections = deps.projections;
  }

  async list(opts: { limit: number; after?: number }): Promise<ParkedEvent[]> {
    const rows = await this.#sql`
      SELECT seq, subject, error, parked_at, attempts, last_attempt_at FROM projector_dead_letters
      WHERE seq > ${opts.after ?? 0} ORDER BY seq LIMIT ${opts.limit}`;
    return rows.map((r) => ({
      seq: Number(r.seq),
      subject: r.subject as string,
      error: r.error as string,
      parkedAt: (r.parked_at as Date).toISOString(),
      attempts: Number(r.attempts),
      lastAttemptAt: (r.last_attempt_at as Date).toISOString(),
    }));
  }

  /** `not-parked` when no such row; `still-failing` with the error when the projections still refuse it. */
  async retry(seq: number): Promise<RetryResult> {
    const [row] = await this.#sql`SELECT seq FROM projector_dead_letters WHERE seq = ${seq}`;
    if (!row) return { outcome: "not-parked" };
    try {
      const stored = await withDeadline(
        this.#jsm.streams.getMessage(this.#stream, { seq }),
        CALL_DEADLINE_MS,
        "event log read",
      );
      if (!stored) throw new Error(`event ${seq} is no longer in the log`);
      const ref = this.#subjects.parse(stored.subject);
      if (!ref) throw new Error(`event ${seq} has a subject outside the layout: ${stored.subject}`);
      const batch = stored.json<LogBatch>();
      const sensitive = this.#projections.filter((p) => p.orderSensitive?.includes(ref.kind));
      let laterSeq: number | undefined;
      let skipped: string[] = [];
      await this.#sql.begin(async (tx) => {
        // The projector's commits take the same row lock first: while this retry decides and writes,
        // no round applies a later event of this entity, and a round that applied one before has
        // committed it, so the check below sees it in the log and keeps the newer state.
        await tx`SELECT seq FROM projection_offsets WHERE name = ${OFFSET_NAME} FOR UPDATE`;
        laterSeq = sensitive.length > 0 ? await this.#laterEventOf(stored.subject, seq) : undefined;
        skipped = laterSeq === undefined ? [] : sensitive.map((p) => p.name);
        const projections = this.#projections.filter((p) => !skipped.includes(p.name));
        await applyAll(tx, projections, [{ seq, time: stored.time, ref, batch }]);
        await tx`DELETE FROM projector_dead_letters WHERE seq = ${seq}`;
      });
      if (laterSeq !== undefined) return { outcome: "superseded", skipped, laterSeq };
      return { outcome: "applied" };
    } catch (error) {
      if (transient(error)) throw error;
      const message = describe(error);
      await this.#sql`UPDATE projector_dead_letters SET error = ${message}, attempts = attempts + 1,
        last_attempt_at = now() WHERE seq = ${seq}`;
      return { outcome: "still-failing", error: message };
    }
  }

  /** The sequence of the actor's next event after `seq` (same subject), if the log has one. */
  async #laterEventOf(subject: string, seq: number): Promise<number | undefined> {
    // STREAM.MSG.GET takes `next_by_subj` (NATS ≥ 2.9); the client types it only for direct gets.
    const query = { next_by_subj: subject, seq: seq + 1 } as unknown as MsgRequest;
    const next = await withDeadline(
      this.#jsm.streams.getMessage(this.#stream, query),
      CALL_DEADLINE_MS,
      "event log read",
    );
    return next ? next.seq : undefined;
  }
}
