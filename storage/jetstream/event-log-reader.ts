import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { ActorRef, LogBatch, Subjects } from "../../actors/runtime/index.ts";

/** How long `close()` waits for the client to confirm before the cursor counts as closed anyway. */
const CLOSE_WAIT_MS = 1_000;

/** One message of the event log: one actor's batch, at its log sequence. */
export interface EventLogEntry {
  seq: number;
  subject: string;
  /** When JetStream stored it. */
  time: Date;
  /** Whose batch it is; undefined for a subject outside the layout (never ours to interpret). */
  ref: ActorRef | undefined;
  /** Messages after this one in the reader's view when it was delivered (0: caught up). */
  pending: number;
  /** Decodes the batch; throws on a message that is not JSON (the caller decides: park, skip or stop). */
  batch(): LogBatch;
}

/** An open, ordered read of the log: iterate it, close it when done. */
export interface EventLogCursor extends AsyncIterable<EventLogEntry> {
  close(): Promise<void>;
}

/**
 * The one way this code base reads the event log in order: the projector (from its stored offset) and
 * the realtime hub (live from the end, and replays for reconnecting clients) both go through it. It is
 * an ordered consumer: ephemeral, in sequence, no acks, recreated by the client after a gap.
 */
export class EventLogReader {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #subjects: Subjects;
  readonly #stream: string;

  constructor(deps: { js: JetStreamClient; jsm: JetStreamManager; subjects: Subjects; stream: string }) {
    this.#js = deps.js;
    this.#jsm = deps.jsm;
    this.#subjects = deps.subjects;
    this.#stream = deps.stream;
  }

  /** The sequence of the newest message in the log (0 when empty). */
  async lastSequence(): Promise<number> {
    return (await this.#jsm.streams.info(this.#stream)).state.last_seq;
  }

  /**
   * Everything from `from` on (all events, or one subject), without end: the live feed. `from` ≤ 1 reads
   * from the log's first message.
   */
  async follow(
    from: number,
    options: { subject?: string; maxMessages?: number } = {},
  ): Promise<EventLogCursor> {
    const consumer = await this.#consumer(from, options.subject);
    const messages = await consumer.consume({ max_messages: options.maxMessages ?? 2_000 });
    const subjects = this.#subjects;
    // `close()` must end the iteration even when the client's iterator does not: an ordered consumer
    // that is re-creating itself after NATS paused (seen on 2.9) can leave `for await` waiting for good
    // after `messages.close()`, and a projector round would then hold its lease and never progress.
    let markClosed!: () => void;
    const closed = new Promise<"closed">((resolve) => {
      markClosed = () => resolve("closed");
    });
    return {
      async close() {
        markClosed();
        // The client's close waits for its pending pulls; a paused server must not hold the caller.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          messages.close().catch(() => undefined),
          new Promise((resolve) => {
            timer = setTimeout(resolve, CLOSE_WAIT_MS);
          }),
        ]);
        clearTimeout(timer);
      },
      async *[Symbol.asyncIterator]() {
        const source = messages[Symbol.asyncIterator]();
        while (true) {
          const next = await Promise.race([source.next(), closed]);
          if (next === "closed" || next.done) return;
          const msg = next.value;
          yield {
            seq: msg.seq,
            subject: msg.subject,
            time: msg.time,
            ref: subjects.parse(msg.subject),
            pending: msg.info.pending,
            batch: () => msg.json<LogBatch>(),
          };
        }
      },
    };
  }

  /**
   * The closed range `from`..`upTo` (all events, or one subject), then the read ends by itself: a replay.
   * `upTo` must be a sequence already in the log (the live feed's position). The end is found from
   * sequences, never from the consumer's `pending` count: the server's count can reach 0 before the
   * end (seen on 2.9 under load), and a replay that stops there loses messages.
   */
  async *range(
    from: number,
    upTo: number,
    options: { subject?: string } = {},
  ): AsyncGenerator<EventLogEntry> {
    let end = upTo;
    if (options.subject) {
      // A subject's messages may stop before `upTo`: its own last message ends the read then.
      const found = await this.#jsm.streams
        .getMessage(this.#stream, { last_by_subj: options.subject })
        .catch((error: Error) => {
          if (/no message found/i.test(error.message)) return null;
          throw error;
        });
      const last = found?.seq;
      if (last === undefined) return;
      end = Math.min(upTo, last);
    }
    if (from > end) return;
    const consumer = await this.#consumer(from, options.subject);
    try {
      const messages = await consumer.consume({ max_messages: 1_000 });
      try {
        for await (const msg of messages) {
          if (msg.seq > upTo) break;
          yield {
            seq: msg.seq,
            subject: msg.subject,
            time: msg.time,
            ref: this.#subjects.parse(msg.subject),
            pending: msg.info.pending,
            batch: () => msg.json<LogBatch>(),
          };
          if (msg.seq >= end) break;
        }
      } finally {
        await messages.close();
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }

  #consumer(from: number, subject: string | undefined) {
    return this.#js.consumers.get(this.#stream, {
      filter_subjects: subject ?? this.#subjects.allEvents(),
      ...(from > 1
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from }
        : { deliver_policy: DeliverPolicy.All }),
    });
  }
}
