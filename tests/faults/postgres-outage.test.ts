import { afterAll, beforeAll, expect, test } from "bun:test";
import { requireServices } from "../support/harness.ts";
import { type FaultRig, postgresOutage, startRig } from "./scenarios.ts";

// Quick cases (short outages) of the Postgres faults; `npm run faults` runs the 15 s ones.
let rig: FaultRig;
beforeAll(async () => {
  await requireServices();
  rig = await startRig("pgout", ["postgres"]);
}, 120_000);
afterAll(async () => {
  await rig?.close();
}, 60_000);

function explain(figures: unknown): string {
  return JSON.stringify(figures, null, 2);
}

test("faults - Postgres stopped: dependent routes 503 with Retry-After within 2 s, reservations keep working, back within 2 s", async () => {
  const f = await postgresOutage(rig, "stop", 3_000);
  console.log(`postgres stop: ${explain(f)}`);
  expect({ serverErrors: f.serverErrors, missingRetryAfter: f.missingRetryAfter }, explain(f)).toEqual({
    serverErrors: 0,
    missingRetryAfter: 0,
  });
  // Within 2 s of the server's own time: a stall of this (shared, busy) process delays every timer.
  expect(f.slowestDependentMs - f.loopStallMs, explain(f)).toBeLessThan(2_000);
  expect(f.during["reserve 201"] ?? 0, explain(f)).toBeGreaterThan(0);
  expect(f.during["order 503"] ?? 0, explain(f)).toBeGreaterThan(0);
  // /readyz answers within a second (it says "degraded": writes work, read models and login do not).
  expect(f.readyzSlowestMs - f.loopStallMs, explain(f)).toBeLessThan(1_000);
  expect(f.recovery.firstSuccessMs, explain(f)).toBeLessThan(2_000);
  expect(f.recovery.readModelsMs, explain(f)).toBeLessThan(5_000);
  expect({ lost: f.lostAcknowledged, landed: f.unacknowledgedLanded }, explain(f)).toEqual({
    lost: 0,
    landed: 0,
  });
}, 120_000);

test("faults - Postgres paused: dependent routes 503 within 2 s instead of hanging, back within 2 s of SIGCONT", async () => {
  const f = await postgresOutage(rig, "pause", 3_000);
  console.log(`postgres pause: ${explain(f)}`);
  expect({ serverErrors: f.serverErrors, missingRetryAfter: f.missingRetryAfter }, explain(f)).toEqual({
    serverErrors: 0,
    missingRetryAfter: 0,
  });
  // Within 2 s of the server's own time: a stall of this (shared, busy) process delays every timer.
  expect(f.slowestDependentMs - f.loopStallMs, explain(f)).toBeLessThan(2_000);
  expect(f.during["reserve 201"] ?? 0, explain(f)).toBeGreaterThan(0);
  expect(f.recovery.firstSuccessMs, explain(f)).toBeLessThan(2_000);
  expect(f.recovery.readModelsMs, explain(f)).toBeLessThan(5_000);
  expect({ lost: f.lostAcknowledged, landed: f.unacknowledgedLanded }, explain(f)).toEqual({
    lost: 0,
    landed: 0,
  });
}, 120_000);
