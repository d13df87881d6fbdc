import { expect, test } from "bun:test";
import { silentLogger } from "../actors/runtime/index.ts";
import { PromotionsPanel, type PromotionsPanelUpdate } from "./promotions-panel.ts";

/** A panel over read models whose offset (`asOf`) the test moves, as the projector would. */
function rig(watchers = 1) {
  let offset = 0;
  let reads = 0;
  const sent: PromotionsPanelUpdate[] = [];
  let live = watchers;
  const panel = new PromotionsPanel({
    snapshots: {
      snapshot: async () => {
        reads++;
        return { asOf: offset, data: { read: reads } };
      },
    },
    watchers: () => live,
    broadcast: (update) => sent.push(update),
    log: silentLogger,
    minIntervalMs: 5,
    periodMs: 60_000,
  });
  return {
    panel,
    sent,
    reads: () => reads,
    project: (seq: number) => {
      offset = seq;
    },
    setWatchers: (n: number) => {
      live = n;
    },
  };
}

async function until(check: () => boolean, what: string) {
  const deadline = Date.now() + 3_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const message = (id: number, kind = "coupon-template") => ({ id, kind, entityId: "CT1", at: 0, events: [] });

test("promotions panel - an event the read models do not hold yet is refreshed again until they do", async () => {
  const r = rig();
  r.project(10);
  r.panel.onMessage(message(12));
  await until(() => r.reads() >= 3, "refreshes while the projector is behind");
  expect(r.sent.at(-1)!.asOf).toBe(10);
  r.project(12);
  await until(() => r.sent.at(-1)!.asOf === 12, "the refresh that holds the event");
  const settled = r.reads();
  await new Promise((res) => setTimeout(res, 60));
  // Caught up: no more reads until something happens.
  expect(r.reads()).toBe(settled);
  r.panel.stop();
});

test("promotions panel - only figure kinds refresh it, and nobody watching costs no read", async () => {
  const r = rig(0);
  r.panel.onMessage(message(5));
  await new Promise((res) => setTimeout(res, 30));
  expect(r.reads()).toBe(0);
  r.setWatchers(1);
  r.panel.onMessage(message(6, "product"));
  await new Promise((res) => setTimeout(res, 30));
  expect(r.reads()).toBe(0);
  r.project(7);
  r.panel.onMessage(message(7, "order"));
  await until(() => r.sent.length === 1, "one refresh for an order event");
  expect(r.sent[0]).toMatchObject({ dashboard: "promotions", asOf: 7 });
  r.panel.stop();
});
