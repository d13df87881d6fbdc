import { promisify } from "node:util";
import { gunzipSync, gzip } from "node:zlib";
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { JetStreamClientImpl } from "@nats-io/jetstream/internal";
import { createInbox, headers, type NatsConnection, nanos } from "@nats-io/transport-node";
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
  readonly #nc: NatsConnection;
  readonly #subjects: Subjects;
  readonly #streams: StreamNames;
  readonly #timeoutMs: number;
  readonly #pull: { messages: number; bytes: number };

  constructor(
    js: JetStreamClient,
    jsm: JetStreamManager,
    subjects: Subjects,
    streams: StreamNames,
    options: {
      timeoutMs?: number;
      /** One pull of an actor's tail: at most this many messages and bytes (tests make it small). */
      tailPull?: { messages?: number; bytes?: number };
    } = {},
  ) {
    this.#js = js;
    this.#jsm = jsm;
    // The tail is read with plain requests and a subscription on the client's own connection.
    this.#nc = (js as JetStreamClientImpl).nc;
    this.#subjects = subjects;
    this.#streams = streams;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#pull = {
      messages: options.tailPull?.messages ?? TAIL_PULL_MESSAGES,
      bytes: options.tailPull?.bytes ?? TAIL_PULL_BYTES,
    };
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

  /**
   * Reads batches `from..to` of one actor: one ephemeral, unacknowledged consumer filtered on its subject,
   * pulled in large batches (by default up to `TAIL_PULL_MESSAGES` messages or `TAIL_PULL_BYTES`) over a plain
   * subscription. The client's consumer API (stream info first, per-message `JsMsg`, heartbeats, an awaited
   * delete) cost more than the bytes themselves on a 10,000-event tail; here each message costs its
   * reply-subject sequence and one `JSON.parse`. Delivery is checked to be gap-free (the consumer's own
   * delivery sequence counts 1, 2, 3…), and the consumer is deleted without waiting (its inactivity
   * threshold removes it anyway if that request is lost).
   */
  async #readTail(subject: string, from: number, to: number): Promise<StoredBatch[]> {
    const nc = this.#nc;
    const api = this.#js.apiPrefix;
    const stream = this.#streams.events;
    const created = await nc.request(
      `${api}.CONSUMER.CREATE.${stream}`,
      encoder.encode(
        JSON.stringify({
          stream_name: stream,
          config: {
            filter_subject: subject,
            deliver_policy: DeliverPolicy.StartSequence,
            opt_start_seq: from,
            ack_policy: AckPolicy.None,
            max_deliver: 1,
            mem_storage: true,
            num_replicas: 1,
            inactive_threshold: nanos(TAIL_CONSUMER_IDLE_MS),
          },
        }),
      ),
      { timeout: this.#timeoutMs },
    );
    const info = created.json<{ name?: string; error?: { code: number; description: string } }>();
    if (info.error || !info.name) {
      throw new Error(`could not read ${subject}: ${info.error?.description ?? "no consumer created"}`);
    }
    const name = info.name;
    const batches: StoredBatch[] = [];
    const inbox = createInbox((nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix);
    try {
      await new Promise<void>((resolve, reject) => {
        let delivered = 0;
        let pulledAt = 0;
        let requested = 0;
        let done = false;
        const pull = () => {
          const batch = Math.min(this.#pull.messages, Math.max(1, to - from + 1 - batches.length));
          pulledAt = delivered;
          requested = delivered + batch;
          nc.publish(
            `${api}.CONSUMER.MSG.NEXT.${stream}.${name}`,
            encoder.encode(JSON.stringify({ batch, max_bytes: this.#pull.bytes, no_wait: true })),
            { reply: inbox },
          );
        };
        // A deadline on progress, not on the whole read: a read that delivers nothing for a timeout fails.
        let seen = 0;
        const timer = setInterval(() => {
          if (delivered === seen) finish(new Error(`reading ${subject} stalled after ${delivered} messages`));
          seen = delivered;
        }, this.#timeoutMs);
        const finish = (error?: Error) => {
          if (done) return;
          done = true;
          clearInterval(timer);
          sub.unsubscribe();
          if (error) reject(error);
          else resolve();
        };
        const sub = nc.subscribe(inbox, {
          callback: (error, msg) => {
            if (error) return finish(error);
            if (!msg.reply) {
              // A status ends this pull. 409 with messages delivered: its byte limit was reached, pull on.
              // Anything else before the last sequence (404 no messages, a 409 for a message larger than
              // a whole pull, the consumer gone) would leave the actor with part of its log: an error.
              const code = msg.headers?.code;
              if (code === 409 && delivered > pulledAt) return pull();
              return finish(
                new Error(
                  `reading ${subject} ended at ${batches.at(-1)?.seq ?? from - 1} of ${to}: ${code} ${msg.headers?.description ?? ""}`,
                ),
              );
            }
            const at = deliveryOf(msg.reply);
            if (at.delivered !== delivered + 1) {
              return finish(new Error(`reading ${subject}: delivery ${at.delivered} after ${delivered}`));
            }
            delivered = at.delivered;
            try {
              batches.push({ seq: at.seq, batch: JSON.parse(decoder.decode(msg.data)) as LogBatch });
            } catch (parseError) {
              return finish(parseError as Error);
            }
            if (at.seq >= to) return finish();
            if (delivered === requested) pull();
          },
        });
        pull();
      });
    } finally {
      nc.request(`${api}.CONSUMER.DELETE.${stream}.${name}`, undefined, { timeout: this.#timeoutMs }).catch(
        () => undefined,
      );
    }
    return batches;
  }
}

/** How many messages one pull of an actor's tail asks for, and how many bytes at most. */
const TAIL_PULL_MESSAGES = 10_000;
const TAIL_PULL_BYTES = 8 * 1024 * 1024;
/** The server removes a tail consumer idle this long (should its delete request be lost). */
const TAIL_CONSUMER_IDLE_MS = 30_000;

/**
 * The stream sequence and the consumer's delivery count of a JetStream delivery, from its reply subject:
 * `$JS.ACK.<stream>.<consumer>.<redelivered>.<sseq>.<dseq>.<ts>.<pending>` (9 tokens), or with
 * `<domain>.<account hash>` after `ACK` and a trailing token (12; newer servers).
 */
function deliveryOf(reply: string): { seq: number; delivered: number } {
  // Found from the end with `lastIndexOf`, not `split`: this runs once per message of the tail.
  let dots = 0;
  for (let i = reply.indexOf("."); i >= 0; i = reply.indexOf(".", i + 1)) dots++;
  // `<dseq>` is followed by `<ts>.<pending>` (9 tokens) or `<ts>.<pending>.<token>` (12 tokens).
  let end = reply.length;
  for (let after = dots === 8 ? 2 : 3; after > 0; after--) end = reply.lastIndexOf(".", end - 1);
  const mid = reply.lastIndexOf(".", end - 1);
  const start = reply.lastIndexOf(".", mid - 1);
  return { seq: Number(reply.slice(start + 1, mid)), delivered: Number(reply.slice(mid + 1, end)) };
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
