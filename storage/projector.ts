import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { Logger, MetricsRegistry, Subjects } from "../actors/runtime/index.ts";
import { EventLogReader } from "./jetstream/event-log-reader.ts";
import type { Sql } from "./postgres/database.ts";
import type { ProjectedBatch, ReadModelProjection } from "./projection.ts";

const OFFSET_NAME = "read-models";
const FLUSH_MAX = 500;

export interface ProjectorStatus {
  running: boolean;
  offset: number;
  streamLastSeq: number;
  lagMessages: number;
  /** Seconds between the newest projected event's append and its commit in Postgres. */
  lagSeconds: number;
}

/**
 * Feeds the read models from the event log. One projector is active per cluster (a KV lease); it reads
 * with an ordered consumer from the stored offset and commits rows and offset in one transaction, with
 * a compare-and-set on the offset, so an overlapping projector (a lease that just moved) fails its
 * transaction instead of writing twice.
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
  #offset = 0;
  #streamLastSeq = 0;
  #lagSeconds = 0;
  #running = false;
  #stopped = false;
  #leaseRevision = 0;
  #timers: Array<ReturnType<typeof setInterval>> = [];
  #messages: { close(): Promise<unknown> } | undefined;

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
  }) {
    this.#sql = deps.sql;
    this.#reader = new EventLogReader(deps);
    this.#jsm = deps.jsm;
    this.#stream = deps.stream;
    this.#projections = deps.projections;
    this.#lease = deps.lease;
    this.#nodeId = deps.nodeId;
    this.#log = deps.log;
    if (deps.metrics) {
      deps.metrics.gauge("hub_projector_lag_messages", "Events appended but not yet in Postgres", () =>
        this.#running ? this.status().lagMessages : 0,
      );
      deps.metrics.gauge("hub_projector_lag_seconds", "Age of the newest projected event at commit", () =>
        this.#running ? this.#lagSeconds : 0,
      );
      deps.metrics.gauge(
        "hub_projector_offset",
        "Last event sequence in the read models",
        () => this.#offset,
      );
    }
  }

  status(): ProjectorStatus {
    return {
      running: this.#running,
      offset: this.#offset,
      streamLastSeq: this.#streamLastSeq,
      lagMessages: Math.max(0, this.#streamLastSeq - this.#offset),
      lagSeconds: this.#lagSeconds,
    };
  }

  async start(leaseTtlMs: number): Promise<void> {
    const tick = async () => {
      try {
        await this.#holdLease();
        const info = await this.#jsm.streams.info(this.#stream);
        this.#streamLastSeq = info.state.last_seq;
      } catch (error) {
        this.#log.warn("projector lease round failed", { error });
      }
    };
    await tick();
    this.#timers.push(setInterval(tick, Math.max(200, Math.floor(leaseTtlMs / 4))));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    await this.#messages?.close();
    if (this.#leaseRevision) {
      await this.#lease.delete("projector", { previousSeq: this.#leaseRevision }).catch(() => undefined);
    }
  }

  /** Waits until every event appended so far is in the read models (tests and `?consistent=true`). */
  async caughtUp(timeoutMs = 10_000): Promise<void> {
    const info = await this.#jsm.streams.info(this.#stream);
    const target = info.state.last_seq;
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

  async #holdLease(): Promise<void> {
    if (this.#stopped) return;
    const value = JSON.stringify({ node: this.#nodeId, at: Date.now() });
    if (this.#leaseRevision) {
      try {
        this.#leaseRevision = await this.#lease.update("projector", value, this.#leaseRevision);
        return;
      } catch {
        this.#log.warn("projector lease lost");
        this.#leaseRevision = 0;
        await this.#messages?.close();
        return;
      }
    }
    try {
      this.#leaseRevision = await this.#lease.create("projector", value);
    } catch {
      return; // another node projects
    }
    void this.#run();
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      this.#offset = await this.storedOffset();
      const messages = await this.#reader.follow(this.#offset + 1);
      this.#messages = messages;
      // Group commit for read models: messages keep arriving while a transaction is in flight, and the
      // next transaction takes all of them. One message per transaction could not keep up (fsync each).
      let buffer: ProjectedBatch[] = [];
      let lastSeq = 0;
      let flushing: Promise<void> | undefined;
      let failure: unknown;
      const flushAll = async () => {
        while (buffer.length > 0 && !failure) {
          const take = buffer;
          const upTo = lastSeq;
          buffer = [];
          try {
            await this.#flush(take, upTo);
          } catch (error) {
            failure = error;
          }
        }
        flushing = undefined;
      };
      for await (const entry of messages) {
        if (failure) throw failure;
        if (entry.ref)
          buffer.push({ seq: entry.seq, time: entry.time, ref: entry.ref, batch: entry.batch() });
        lastSeq = entry.seq;
        flushing ??= flushAll();
        // Backpressure: never hold more than a few flushes' worth in memory.
        if (buffer.length >= FLUSH_MAX * 4) await flushing;
      }
      await flushing;
      if (failure) throw failure;
    } catch (error) {
      this.#log.error("projector stopped", { error });
      this.#leaseRevision = 0;
    } finally {
      this.#running = false;
      this.#messages = undefined;
    }
  }

  async #flush(batches: ProjectedBatch[], lastSeq: number): Promise<void> {
    const expected = this.#offset;
    const newest = batches.at(-1);
    await this.#sql.begin(async (tx) => {
      for (const projection of this.#projections) await projection.apply(tx, batches);
      const moved = await tx`
        INSERT INTO projection_offsets (name, seq, event_time, updated_at)
        VALUES (${OFFSET_NAME}, ${lastSeq}, ${newest ? new Date(newest.batch.at) : null}, now())
        ON CONFLICT (name) DO UPDATE SET seq = EXCLUDED.seq, event_time = EXCLUDED.event_time, updated_at = now()
        WHERE projection_offsets.seq = ${expected}`;
      if (moved.count !== 1)
        throw new Error(`projection offset moved past ${expected}: another projector ran`);
    });
    this.#offset = lastSeq;
    if (lastSeq > this.#streamLastSeq) this.#streamLastSeq = lastSeq;
    if (newest) this.#lagSeconds = Math.max(0, (Date.now() - newest.batch.at) / 1000);
  }
}
