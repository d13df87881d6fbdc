import { type Logger, type Subjects, shardOf } from "../actors/runtime/index.ts";
import type { EventLogEntry, EventLogReader } from "../storage/jetstream/event-log-reader.ts";
import type { FeedMessage } from "./dashboards.ts";

/**
 * Follows the event log from its end (one ordered read per node) and replays ranges of it for clients
 * that reconnect. Knows nothing of sockets: it turns log entries into feed messages.
 */
export class LogFollower {
  readonly #reader: EventLogReader;
  readonly #subjects: Subjects;
  readonly #shardCount: number;
  readonly #log: Logger;
  #liveSeq = 0;
  #cursor: { close(): Promise<void> } | undefined;

  constructor(deps: { reader: EventLogReader; subjects: Subjects; shardCount: number; log: Logger }) {
    this.#reader = deps.reader;
    this.#subjects = deps.subjects;
    this.#shardCount = deps.shardCount;
    this.#log = deps.log;
  }

  /** The newest log sequence this node has handed to its listener (or the end of the log at start). */
  get liveSeq(): number {
    return this.#liveSeq;
  }

  async start(onMessage: (message: FeedMessage) => void): Promise<void> {
    this.#liveSeq = await this.#reader.lastSequence();
    const cursor = await this.#reader.follow(this.#liveSeq + 1);
    this.#cursor = cursor;
    void (async () => {
      try {
        for await (const entry of cursor) {
          this.#liveSeq = entry.seq;
          const message = this.#toMessage(entry);
          if (!message) continue;
          try {
            onMessage(message);
          } catch (error) {
            this.#log.error("realtime listener failed on a message; continuing", { error, seq: entry.seq });
          }
        }
      } catch (error) {
        this.#log.error("realtime feed stopped", { error });
      }
    })();
  }

  async stop(): Promise<void> {
    await this.#cursor?.close();
  }

  /** The dashboards' gap: every entity's messages from `from` to `upTo`. */
  async *replay(from: number, upTo: number): AsyncGenerator<FeedMessage> {
    for await (const entry of this.#reader.range(from, upTo)) {
      const message = this.#toMessage(entry);
      if (message) yield message;
    }
  }

  /** One entity's gap, read from its own subject (cheap however busy the rest of the log is). */
  async *replayEntity(kind: string, id: string, from: number, upTo: number): AsyncGenerator<FeedMessage> {
    const subject = this.#subjects.events(shardOf(id, this.#shardCount), kind, id);
    for await (const entry of this.#reader.range(from, upTo, { subject })) {
      const message = this.#toMessage(entry);
      if (message) yield message;
    }
  }

  #toMessage(entry: EventLogEntry): FeedMessage | undefined {
    if (!entry.ref) return undefined;
    let batch: ReturnType<EventLogEntry["batch"]>;
    try {
      batch = entry.batch();
    } catch (error) {
      // Not ours to judge (the projector parks it); a live view just has nothing to show for it.
      this.#log.warn("realtime skipped an undecodable log entry", { seq: entry.seq, error });
      return undefined;
    }
    if (!Array.isArray(batch.ev) || batch.ev.length === 0) return undefined;
    return { id: entry.seq, kind: entry.ref.kind, entityId: entry.ref.id, at: batch.at, events: batch.ev };
  }
}
