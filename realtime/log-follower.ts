import { type Logger, type Subjects, shardOf } from "../actors/runtime/index.ts";
import type { EventLogCursor, EventLogEntry, EventLogReader } from "../storage/jetstream/event-log-reader.ts";
import type { FeedMessage } from "./dashboards.ts";

/** A live read that delivers nothing for this long while the log has more is stuck: reopen it. */
const QUIET_MS = 2_000;
const CHECK_EVERY_MS = 1_000;
const REOPEN_BACKOFF_MS = 250;

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
  #cursor: EventLogCursor | undefined;
  #stopped = false;
  #lastEntryAt = performance.now();
  #reopened = 0;
  #checking = false;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #loop: Promise<void> | undefined;

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

  /** How often the live read was reopened (it ended, failed, or went quiet while the log grew). */
  get reopened(): number {
    return this.#reopened;
  }

  /**
   * Follows from the log's end. The live read is supervised: when it ends, fails, or goes quiet while
   * the log has more (an ordered consumer can stay silent after NATS pauses), it is reopened right after
   * the last sequence handed on, so listeners see neither a gap nor a repeat.
   */
  async start(onMessage: (message: FeedMessage) => void): Promise<void> {
    this.#liveSeq = await this.#reader.lastSequence();
    const first = await this.#reader.follow(this.#liveSeq + 1);
    this.#cursor = first;
    this.#loop = this.#run(onMessage, first);
    this.#watchdog = setInterval(() => void this.#checkQuiet(), CHECK_EVERY_MS);
    (this.#watchdog as { unref?: () => void }).unref?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#watchdog);
    await this.#cursor?.close();
    await this.#loop;
  }

  async #run(onMessage: (message: FeedMessage) => void, first: EventLogCursor) {
    let cursor: EventLogCursor | undefined = first;
    while (!this.#stopped) {
      try {
        cursor ??= await this.#reader.follow(this.#liveSeq + 1);
        this.#cursor = cursor;
        this.#lastEntryAt = performance.now();
        if (this.#stopped) await cursor.close();
        for await (const entry of cursor) {
          this.#lastEntryAt = performance.now();
          // A reopened read starts after the last sequence handed on; never hand one on twice.
          if (entry.seq <= this.#liveSeq) continue;
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
        this.#log.warn("realtime feed interrupted; reopening", { error, seq: this.#liveSeq });
      }
      cursor = undefined;
      if (this.#stopped) return;
      this.#reopened++;
      await new Promise((resolve) => setTimeout(resolve, REOPEN_BACKOFF_MS));
    }
  }

  async #checkQuiet(): Promise<void> {
    if (this.#stopped || this.#checking || performance.now() - this.#lastEntryAt < QUIET_MS) return;
    this.#checking = true;
    try {
      const last = await this.#reader.lastSequence();
      if (last > this.#liveSeq && performance.now() - this.#lastEntryAt >= QUIET_MS) {
        this.#log.warn("realtime feed went quiet while the log has more; reopening it", {
          seq: this.#liveSeq,
          last,
        });
        this.#lastEntryAt = performance.now();
        await this.#cursor?.close();
      }
    } catch {
      // NATS away: the next check asks again.
    } finally {
      this.#checking = false;
    }
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
