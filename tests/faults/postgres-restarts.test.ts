import { expect, test } from "bun:test";
import { requireServices } from "../support/harness.ts";
import { postgresRestarts } from "./scenarios.ts";

// Issue 16: "a Postgres restart can kill the node" (postgres.js write-after-close race). A real node
// process under write load lives through twenty Postgres restarts.
test("faults - the node process survives twenty Postgres restarts under write load", async () => {
  await requireServices();
  const f = await postgresRestarts(20);
  const explain = JSON.stringify(f, null, 2);
  console.log(`postgres restarts: ${explain}`);
  expect(f.survived, explain).toBe(20);
  expect(f.crashLines, explain).toEqual([]);
  expect(f.contractDeviations, explain).toEqual([]);
  expect(f.serverErrors, explain).toBe(0);
  expect({ lost: f.lostAcknowledged, landed: f.unacknowledgedLanded }, explain).toEqual({
    lost: 0,
    landed: 0,
  });
}, 300_000);
