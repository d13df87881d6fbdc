import { afterAll, beforeAll, expect, test } from "bun:test";
import { requireServices, waitFor } from "../support/harness.ts";
import { type PrivateService, readEventLog, timeUntil } from "./harness.ts";
import { type FaultRig, mixedLoad, startRig } from "./scenarios.ts";

// Issue 16, point 4: one projector round at a time, provably. NATS is paused (SIGSTOP) again and again
// under load; the stored offset only ever moves forward, never two rounds run at once, and the read
// models catch up once NATS answers again.
let rig: FaultRig;
beforeAll(async () => {
  await requireServices();
  rig = await startRig("rounds", ["nats"]);
}, 120_000);
afterAll(async () => {
  await rig?.close();
}, 60_000);

test("projector - NATS paused repeatedly under load: the offset only advances and rounds never overlap", async () => {
  const nats = rig.stack.nats as PrivateService;
  const projector = rig.node.projector!;
  const offsets: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      offsets.push(projector.status().offset);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const load = mixedLoad(rig.api, `rounds${Date.now().toString(36)}`);
  for (let i = 0; i < 3; i++) {
    const seen = load.answers.length;
    await waitFor(() => load.answers.length >= seen + 20, 30_000, "load between pauses");
    // Long enough that a lease renewal is sure to time out (2 s deadline) even when the lease loop's
    // tick was itself waiting on NATS when the pause began (its stream read has a 2 s deadline too):
    // the round ends and a new one starts.
    nats.pause();
    await new Promise((r) => setTimeout(r, 6_000));
    nats.resume();
  }
  await load.stop();
  const last = (await readEventLog(rig.natsUrl, rig.namespace)).at(-1)?.seq ?? 0;
  const caughtUpMs = await timeUntil(
    async () => (await projector.storedOffset()) >= last,
    30_000,
    "read models caught up",
  ).catch((error: Error) => {
    throw new Error(`${error.message}; log ends at ${last}; projector ${JSON.stringify(projector.status())}`);
  });
  // The live dashboards read the same log with the same kind of reader: they must not stay frozen either.
  const realtime = rig.node.realtime;
  if (realtime) {
    await timeUntil(() => realtime.feedStatus().seq >= last, 30_000, "live feed caught up").catch(
      (error: Error) => {
        throw new Error(
          `${error.message}; log ends at ${last}; feed ${JSON.stringify(realtime.feedStatus())}`,
        );
      },
    );
  }
  sampling = false;
  await sampler;
  const status = projector.status();
  const backwards = offsets.findIndex((o, i) => i > 0 && o < offsets[i - 1]!);
  console.log(
    `projector rounds: ${JSON.stringify({ rounds: status.rounds, maxConcurrentRounds: status.maxConcurrentRounds, last, caughtUpMs: Math.round(caughtUpMs), feed: rig.node.realtime?.feedStatus() })}`,
  );
  expect(
    backwards,
    `offset went back at sample ${backwards}: ${offsets.slice(Math.max(0, backwards - 3), backwards + 2)}`,
  ).toBe(-1);
  // The pauses did end rounds (else this would prove nothing), and never did two run at once.
  expect(status.rounds).toBeGreaterThan(1);
  expect(status.maxConcurrentRounds).toBe(1);
  expect(offsets.at(-1)! > offsets[0]!).toBe(true);
}, 180_000);
