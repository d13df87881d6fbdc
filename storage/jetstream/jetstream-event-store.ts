import { promisify } from "node:util";
import { gunzipSync, gzip } from "node:zlib";
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import type {
  ActorRef,
  LogBatch,
  SnapshotRecord,
  StoredBatch,
  Subjects,
} from "../../actors/runtime/index.ts";
import {
  type EventStore,
  type LoadedActor,
  type LoadOptions,
  StaleWriteError,
  StorageFullError,
  type TimerIndex,
} from "../../actors/runtime/index.ts";
import type { StreamNames } from "./streams.ts";

/** NATS refuses messages over max_payload (1 MiB by default); snapshots are split below that. */
const SNAPSHOT_CHUNK_BYTES = 512 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Compression runs on the thread pool: a hot actor's snapshot is megabytes, and actors share this loop. */
const gzipAsync = promisify(gzip);

/**
 * The event log on JetStream. One message per group-commit batch on `evt.<shard>.<kind>.<id>`,
 * published with `Nats-Expected-Last-Subject-Sequence` (the per-actor compare-and-set that fences stale
 * owners) and a `Nats-Msg-Id` derived from that sequence (so a republish after a lost ack is deduplicated
 * inside the window; outside it, the sequence check refuses it).
 *
 * Snapshots are gzipped JSON on `snap.<shard>.<kind>.<id>.<part>`: parts 1..n first, then part 0 (the
 * manifest, carrying the part count and the sequence), so a reader never sees a manifest without its parts.
 */
export class JetStreamEventStore implements EventStore {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #subjects: Subjects;
  readonly #streams: StreamNames;
  readonly #timeoutMs: number;

  constructor(
    js: JetStreamClient,
    jsm: JetStreamManager,
    subjects: Subjects,
    streams: StreamNames,
    options: { timeoutMs?: number } = {},
  ) {
    this.#js = js;
    this.#jsm = jsm;
    this.#subjects = subjects;
    this.#streams = streams;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
  }

  async load(ref: ActorRef, options: LoadOptions = {}): Promise<LoadedActor> {
    const eventSubject = this.#subjects.events(ref.shard, ref.kind, ref.id);
    const [snapshot, last] = await Promise.all([
      options.withoutSnapshot ? undefined : this.#readSnapshot(ref),
      this.#jsm.direct.getMessage(this.#streams.events, { last_by_subj: eventSubject }),
    ]);
    const lastSeq = last?.seq ?? 0;
    const from = (snapshot?.seq ?? 0) + 1;
    if (lastSeq < from) return { snapshot, batches: [], lastSeq: Math.max(lastSeq, snapshot?.seq ?? 0) };
    if (lastSeq === from && last) {
      return { snapshot, batches: [{ seq: last.seq, batch: last.json<LogBatch>() }], lastSeq };
    }
    const batches = await this.#readTail(eventSubject, from, lastSeq);
    return { snapshot, batches, lastSeq };
  }

  async append(ref: ActorRef, batch: LogBatch, expectedSeq: number): Promise<number> {
    const subject = this.#subjects.events(ref.shard, ref.kind, ref.id);
    try {
      const ack = await this.#js.publish(subject, encoder.encode(JSON.stringify(batch)), {
        expect: { lastSubjectSequence: expectedSeq },
        msgID: `${ref.kind}.${ref.id}.${expectedSeq}`,
        timeout: this.#timeoutMs,
      });
      if (ack.duplicate) {
        // Our own earlier publish of this very batch may have landed, or a stale owner's with the same
        // expected sequence did: either way our in-memory copy cannot be trusted, so reload.
        throw new StaleWriteError(`duplicate append at ${expectedSeq} for ${ref.kind}/${ref.id}`);
      }
      return ack.seq;
    } catch (error) {
      if (String((error as Error)?.message).includes("wrong last sequence")) {
        throw new StaleWriteError(`${ref.kind}/${ref.id} was written after sequence ${expectedSeq}`);
      }
      throw asStorageFull(error);
    }
  }

  async saveSnapshot(ref: ActorRef, snapshot: SnapshotRecord): Promise<void> {
    // Serialize before the first await: the caller goes on mutating its state object.
    const packed = await gzipAsync(encoder.encode(JSON.stringify(snapshot)));
    const parts = Math.max(1, Math.ceil(packed.length / SNAPSHOT_CHUNK_BYTES));
    for (let part = parts - 1; part >= 0; part--) {
      const h = headers();
      h.set("Hub-Snapshot-Seq", String(snapshot.seq));
      h.set("Hub-Snapshot-Parts", String(parts));
      const chunk = packed.subarray(part * SNAPSHOT_CHUNK_BYTES, (part + 1) * SNAPSHOT_CHUNK_BYTES);
      await this.#js.publish(this.#subjects.snapshot(ref.shard, ref.kind, ref.id, part), chunk, {
        headers: h,
      });
    }
  }

  async #readSnapshot(ref: ActorRef): Promise<SnapshotRecord | undefined> {
    const get = (part: number) =>
      this.#jsm.direct.getMessage(this.#streams.snapshots, {
        last_by_subj: this.#subjects.snapshot(ref.shard, ref.kind, ref.id, part),
      });
    const manifest = await get(0);
    if (!manifest) return undefined;
    const seq = manifest.header.get("Hub-Snapshot-Seq");
    const parts = Number(manifest.header.get("Hub-Snapshot-Parts") || "1");
    const chunks: Uint8Array[] = [manifest.data];
    for (let part = 1; part < parts; part++) {
      const chunk = await get(part);
      // A newer snapshot is being written over this one: fall back to replaying the log from the start.
      if (!chunk || chunk.header.get("Hub-Snapshot-Seq") !== seq) return undefined;
      chunks.push(chunk.data);
    }
    const packed = Buffer.concat(chunks);
    return JSON.parse(decoder.decode(gunzipSync(packed))) as SnapshotRecord;
  }

  /** Reads batches `from..to` of one actor through an ephemeral ordered consumer. */
  async #readTail(subject: string, from: number, to: number): Promise<StoredBatch[]> {
    const consumer = await this.#js.consumers.get(this.#streams.events, {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
    });
    const batches: StoredBatch[] = [];
    // Ask for the whole tail at once: one pull instead of ten for a 10,000-event actor.
    const messages = await consumer.consume({ max_messages: Math.min(10_000, Math.max(100, to - from + 1)) });
    for await (const msg of messages) {
      batches.push({ seq: msg.seq, batch: msg.json<LogBatch>() });
      if (msg.seq >= to || msg.info.pending === 0) break;
    }
    await messages.close();
    await consumer.delete().catch(() => undefined);
    return batches;
  }
}

/** The timer index: one message per actor with its next due time, newest wins. */
export class JetStreamTimerIndex implements TimerIndex {
  readonly #js: JetStreamClient;
  readonly #subjects: Subjects;
  readonly #streams: StreamNames;

  constructor(js: JetStreamClient, subjects: Subjects, streams: StreamNames) {
    this.#js = js;
    this.#subjects = subjects;
    this.#streams = streams;
  }

  async set(ref: ActorRef, dueAt: number): Promise<void> {
    await this.#js
      .publish(this.#subjects.timerIndex(ref.shard, ref.kind, ref.id), String(dueAt))
      .catch((error) => {
        throw asStorageFull(error);
      });
  }

  async loadShard(shard: number): Promise<Array<{ ref: ActorRef; dueAt: number }>> {
    const consumer = await this.#js.consumers.get(this.#streams.timers, {
      filter_subjects: this.#subjects.shardTimers(shard),
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    const info = await consumer.info(true);
    const out: Array<{ ref: ActorRef; dueAt: number }> = [];
    if (info.num_pending > 0) {
      const messages = await consumer.consume({ max_messages: 1_000 });
      for await (const msg of messages) {
        const target = this.#subjects.parse(msg.subject);
        const dueAt = Number(decoder.decode(msg.data));
        if (target && dueAt > 0) out.push({ ref: target, dueAt });
        if (msg.info.pending === 0) break;
      }
      await messages.close();
    }
    await consumer.delete().catch(() => undefined);
    return out;
  }
}

/**
 * JetStream's refusals for lack of space: the stream's own `max_bytes` with discard-new (10077, "maximum
 * bytes exceeded") and the server's store exhausted (10023, "insufficient resources"). Both are definite
 * refusals (nothing was stored), unlike a timeout.
 */
export function isStorageFull(error: unknown): boolean {
  const e = error as { code?: number; message?: string } | undefined;
  const message = String(e?.message ?? "");
  return (
    e?.code === 10077 ||
    e?.code === 10023 ||
    message.includes("maximum bytes exceeded") ||
    message.includes("insufficient resources")
  );
}

function asStorageFull(error: unknown): unknown {
  return isStorageFull(error) ? new StorageFullError((error as Error).message) : error;
}
