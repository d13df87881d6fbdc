/**
 * NATS-side faults against one node on a PRIVATE nats-server (quick versions of the `npm run faults`
 * cases): NATS killed 5 s under load, a 1 s network delay for 5 s, and the event stream full. The
 * scenarios check every answer against the log; these tests assert the required bounds.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  eventLogFullScenario,
  type NatsRig,
  natsDelayScenario,
  natsKillScenario,
  startNatsRig,
} from "./nats-scenarios.ts";

let rig: NatsRig;

beforeAll(async () => {
  rig = await startNatsRig();
});

afterAll(async () => {
  await rig?.close();
});

test("faults - NATS killed 5 s under load: 503 within 2 s, /readyz truthful within 1 s, first write within 2 s of return, log matches", async () => {
  const f = await natsKillScenario(rig, 5_000);
  console.log(`nats kill: ${JSON.stringify(f)}`);
  expect(f.requestsDuringOutage).toBeGreaterThan(0);
  expect(f.readyzProbesDuringOutage).toBeGreaterThan(0);
  expect({ bad: f.badAnswersDuringOutage, badReadyz: f.badReadyzDuringOutage }).toEqual({
    bad: [],
    badReadyz: [],
  });
  expect(f.firstWriteAfterReturnMs).toBeLessThan(2_000);
}, 120_000);

test("faults - a 1 s network delay: 503 within 2 s during it, every shard served again within 5 s after it ends", async () => {
  const f = await natsDelayScenario(rig, 1_000, 5_000);
  console.log(`1 s delay: ${JSON.stringify(f)}`);
  expect(f.requestsDuringDelay).toBeGreaterThan(0);
  expect(f.badAnswersDuringDelay).toEqual([]);
  expect(f.everyShardServedAfterMs).toBeLessThan(5_000);
}, 120_000);

test("faults - event stream full: storage-full problem within 2 s, 80 % warning in /metrics and /readyz, leases kept", async () => {
  const f = await eventLogFullScenario(rig);
  console.log(`storage full: ${JSON.stringify(f)}`);
  expect(f.fullAnswer).toMatchObject({ status: 507, type: "https://business-hub.dev/problems/storage-full" });
  expect(f.fullAnswer.retryAfter).toBeTruthy();
  expect(f.fullAnswer.ms).toBeLessThan(2_000);
  expect({ status: f.againStatus, fast: f.againMs < 2_000 }).toEqual({ status: 507, fast: true });
  expect(f.warningSeenInMetrics).toBe(true);
  expect(f.readyzWhenFull.status).toBe(503);
  expect(JSON.stringify(f.readyzWhenFull.body)).toContain("event log is full");
  expect(f.shardsAfterLeaseTtl).toBe(f.shardsBefore);
  expect(f.readStatus).toBe(200);
}, 120_000);
