import { type Logger, type Subjects, shardOf } from "../actors/runtime/index.ts";
import type { EventLogCursor, EventLogEntry, EventLogReader } from "../storage/jetstream/event-log-reader.ts";
import type { FeedMessage } from "./dashboards.ts";

/** A live read that delivers nothing for this long while the log has more is stuck: reopen it. */
const QUIET_MS = 2_000;
const CHECK_EVERY_MS = 1_000;
const REOPEN_BACKOFF_MS = 250;
/** Feed messages kept in memory for replays, by default (the hub passes its resume limit). */
const RECENT_MESSAGES = 10_000;

/**
 * Follows the event log from its end (one ordered read per node) and replays ranges of it for clients
 * that reconnect. Knows nothing of sockets: it turns log entries into feed messages.
 *
 * The newest messages it handed on stay in memory (`recent`, a window of the log with no gap): a replay
 * inside that window is served from it, so a thousand dashboards subscribing at once cost no read of the
 * log each (one consumer and one JSON parse per entry per client before), only older gaps are read.
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
  /** Messages handed on, oldest first; with `#recentFrom` they cover every log entry since then. */
  #recent: FeedMessage[] = [];
  /** Index of the oldest kept message in `#recent` (trimmed in chunks, not one shift per message). */
  #recentStart = 0;
  /** The oldest log sequence the window covers: every entry from it to `liveSeq` was seen. */
  #recentFrom = 1;
  readonly #recentMax: number;

  constructor(deps: {
    reader: EventLogReader;
    subjects: Subjects;
    shardCount: number;
    log: Logger;
    /** Feed messages kept in memory for replays (0: every replay reads the log). */
    recent?: number;
  }) {
    this.#reader = deps.reader;
    this.#subjects = deps.subjects;
    this.#shardCount = deps.shardCount;
    this.#log = deps.log;
    this.#recentMax = deps.recent ?? RECENT_MESSAGES;
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
    this.#recentFrom = this.#liveSeq + 1;
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
          this.#remember(message);
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

  #remember(message: FeedMessage): void {
    if (this.#recentMax <= 0) return;
    this.#recent.push(message);
    if (this.#recent.length - this.#recentStart <= this.#recentMax) return;
    this.#recentStart++;
    this.#recentFrom = this.#recent[this.#recentStart - 1]!.id + 1;
    // Drop the trimmed head in one splice once it is as long as the window itself.
    if (this.#recentStart >= this.#recentMax) {
      this.#recent.splice(0, this.#recentStart);
      this.#recentStart = 0;
    }
  }

  /** The kept messages from `from` to `upTo`, or undefined when the window does not reach back to `from`. */
  #fromMemory(from: number, upTo: number): FeedMessage[] | undefined {
    if (this.#recentMax <= 0 || from < this.#recentFrom || upTo > this.#liveSeq) return undefined;
    const recent = this.#recent;
    // Binary search for the first message at or after `from`.
    let lo = this.#recentStart;
    let hi = recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (recent[mid]!.id < from) lo = mid + 1;
      else hi = mid;
    }
    const out: FeedMessage[] = [];
    for (let i = lo; i < recent.length && recent[i]!.id <= upTo; i++) out.push(recent[i]!);
    return out;
  }

  /** The dashboards' gap: every entity's messages from `from` to `upTo`. */
  async *replay(from: number, upTo: number): AsyncGenerator<FeedMessage> {
    const kept = this.#fromMemory(from, upTo);
    if (kept) {
      yield* kept;
      return;
    }
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
