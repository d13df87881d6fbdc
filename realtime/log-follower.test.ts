import { expect, test } from "bun:test";
import { type LogBatch, Subjects, silentLogger } from "../actors/runtime/index.ts";
import type { EventLogCursor, EventLogEntry, EventLogReader } from "../storage/jetstream/event-log-reader.ts";
import type { FeedMessage } from "./dashboards.ts";
import { LogFollower } from "./log-follower.ts";

/** A log in memory behind the reader's interface; counts the replays that had to read it. */
function fakeLog() {
  const entries: EventLogEntry[] = [];
  const waiting: Array<() => void> = [];
  let reads = 0;
  const entry = (seq: number): EventLogEntry => {
    const batch: LogBatch = { at: seq, ev: [{ type: "counted", n: seq }], cmds: [] };
    return {
      seq,
      subject: `t.evt.0.sku.S-${seq % 3}`,
      time: new Date(),
      ref: { kind: "sku", id: `S-${seq % 3}`, shard: 0 },
      pending: 0,
      batch: () => batch,
    };
  };
  const reader = {
    lastSequence: async () => entries.length,
    follow: async (from: number): Promise<EventLogCursor> => {
      let closed = false;
      return {
        close: async () => {
          closed = true;
          for (const wake of waiting.splice(0)) wake();
        },
        async *[Symbol.asyncIterator]() {
          let next = from;
          while (!closed) {
            if (next <= entries.length) yield entries[next++ - 1]!;
            else await new Promise<void>((wake) => waiting.push(wake));
          }
        },
      };
    },
    async *range(from: number, upTo: number) {
      reads++;
      for (const e of entries) if (e.seq >= from && e.seq <= upTo) yield e;
    },
  } as unknown as EventLogReader;
  return {
    reader,
    reads: () => reads,
    append(count: number) {
      for (let i = 0; i < count; i++) entries.push(entry(entries.length + 1));
      for (const wake of waiting.splice(0)) wake();
    },
  };
}

async function collect(iterable: AsyncIterable<FeedMessage>): Promise<number[]> {
  const ids: number[] = [];
  for await (const m of iterable) ids.push(m.id);
  return ids;
}

test("log follower - replays inside the recent window come from memory, older ones read the log, both whole and in order", async () => {
  const log = fakeLog();
  log.append(5); // before the follower started: never in its window
  const follower = new LogFollower({
    reader: log.reader,
    subjects: new Subjects("t"),
    shardCount: 1,
    log: silentLogger,
    recent: 10,
  });
  const seen: number[] = [];
  await follower.start((m) => seen.push(m.id));
  log.append(25);
  while (follower.liveSeq < 30) await new Promise((r) => setTimeout(r, 1));
  expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 6));

  // The window holds 21..30: a replay from 21 on reads nothing from the log.
  expect(await collect(follower.replay(21, 30))).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  expect(await collect(follower.replay(28, 29))).toEqual([28, 29]);
  expect(log.reads()).toBe(0);
  // Older than the window (or than the follower's start): read from the log.
  expect(await collect(follower.replay(20, 30))).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  expect(await collect(follower.replay(3, 7))).toEqual([3, 4, 5, 6, 7]);
  expect(log.reads()).toBe(2);

  // The window keeps moving with the log (trimmed in chunks, never with a gap).
  log.append(27);
  while (follower.liveSeq < 57) await new Promise((r) => setTimeout(r, 1));
  expect(await collect(follower.replay(48, 57))).toEqual([48, 49, 50, 51, 52, 53, 54, 55, 56, 57]);
  expect(log.reads()).toBe(2);
  expect(await collect(follower.replay(47, 50))).toEqual([47, 48, 49, 50]);
  expect(log.reads()).toBe(3);
  await follower.stop();
});
