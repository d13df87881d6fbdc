import { afterEach, beforeEach, expect, jest, test } from "bun:test";
import type { ActorRef } from "./protocol.ts";
import { WakeSchedule } from "./wake-schedule.ts";

const ref = (id: string, shard = 0): ActorRef => ({ kind: "order", id, shard });

let clock = 1_000_000;
let fired: string[] = [];
let schedule: WakeSchedule;

/** Moves the fake clock and the fake timers together. */
function advance(ms: number): void {
  clock += ms;
  jest.advanceTimersByTime(ms);
}

beforeEach(() => {
  jest.useFakeTimers();
  clock = 1_000_000;
  fired = [];
  schedule = new WakeSchedule(
    (r) => fired.push(r.id),
    () => clock,
  );
});

afterEach(() => {
  schedule.stop();
  jest.useRealTimers();
});

test("runtime - wake schedule: fires due actors in time order", () => {
  schedule.set(ref("c"), clock + 300);
  schedule.set(ref("a"), clock + 100);
  schedule.set(ref("d"), clock + 400);
  schedule.set(ref("b"), clock + 200);
  expect(schedule.size).toBe(4);
  advance(99);
  expect(fired).toEqual([]);
  advance(1);
  expect(fired).toEqual(["a"]);
  advance(250);
  expect(fired).toEqual(["a", "b", "c"]);
  advance(1_000);
  expect(fired).toEqual(["a", "b", "c", "d"]);
  expect(schedule.size).toBe(0);
});

test("runtime - wake schedule: actors due at the same moment all fire, earliest first", () => {
  schedule.set(ref("late"), clock - 10);
  schedule.set(ref("later"), clock - 5);
  schedule.set(ref("earliest"), clock - 50);
  advance(0);
  expect(fired).toEqual(["earliest", "late", "later"]);
});

test("runtime - wake schedule: re-setting moves a wake later", () => {
  schedule.set(ref("a"), clock + 100);
  schedule.set(ref("a"), clock + 500);
  expect(schedule.size).toBe(1);
  advance(200);
  expect(fired).toEqual([]);
  advance(300);
  expect(fired).toEqual(["a"]);
  advance(1_000);
  expect(fired).toEqual(["a"]);
});

test("runtime - wake schedule: re-setting moves a wake earlier", () => {
  schedule.set(ref("a"), clock + 10_000);
  schedule.set(ref("b"), clock + 5_000);
  schedule.set(ref("a"), clock + 100);
  advance(100);
  expect(fired).toEqual(["a"]);
  advance(10_000);
  expect(fired).toEqual(["a", "b"]);
});

test("runtime - wake schedule: set(ref, 0) cancels a wake", () => {
  schedule.set(ref("a"), clock + 100);
  schedule.set(ref("b"), clock + 200);
  schedule.set(ref("a"), 0);
  expect(schedule.size).toBe(1);
  advance(1_000);
  expect(fired).toEqual(["b"]);
});

test("runtime - wake schedule: a cancelled then re-armed wake fires once", () => {
  schedule.set(ref("a"), clock + 100);
  schedule.set(ref("a"), 0);
  schedule.set(ref("a"), clock + 100);
  advance(1_000);
  expect(fired).toEqual(["a"]);
});

test("runtime - wake schedule: dropShard removes only that shard's wakes", () => {
  schedule.set(ref("a", 1), clock + 100);
  schedule.set(ref("b", 2), clock + 150);
  schedule.set(ref("c", 1), clock + 200);
  schedule.dropShard(1);
  expect(schedule.size).toBe(1);
  advance(1_000);
  expect(fired).toEqual(["b"]);
  // The shard can be served again later (re-acquired): its wakes arm normally.
  schedule.set(ref("a", 1), clock + 100);
  advance(100);
  expect(fired).toEqual(["b", "a"]);
});

test("runtime - wake schedule: the same id under two kinds is two wakes", () => {
  schedule.set({ kind: "order", id: "X", shard: 0 }, clock + 100);
  schedule.set({ kind: "sku", id: "X", shard: 0 }, clock + 100);
  expect(schedule.size).toBe(2);
  advance(100);
  expect(fired).toEqual(["X", "X"]);
});

test("runtime - wake schedule: a wake beyond the setTimeout range is re-armed, not fired early", () => {
  const farAway = 40 * 24 * 3600_000; // past the ~24.8-day setTimeout limit
  schedule.set(ref("far"), clock + farAway);
  advance(2 ** 31 - 1);
  expect(fired).toEqual([]);
  advance(farAway - (2 ** 31 - 1));
  expect(fired).toEqual(["far"]);
});
