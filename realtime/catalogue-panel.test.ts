import { expect, test } from "bun:test";
import { silentLogger } from "../actors/runtime/index.ts";
import { CataloguePanel, type PanelUpdate } from "./catalogue-panel.ts";

/** A panel over a snapshot source the test releases by hand, and a change source it fires. */
function rig(watchers = 1) {
  const pending: Array<() => void> = [];
  let reads = 0;
  let fire: () => void = () => undefined;
  const sent: PanelUpdate[] = [];
  let live = watchers;
  const panel = new CataloguePanel({
    snapshots: {
      snapshot: async () => {
        reads++;
        const n = reads;
        await new Promise<void>((resolve) => pending.push(resolve));
        return { asOf: n, data: { read: n } };
      },
    },
    watchers: () => live,
    broadcast: (update) => sent.push(update),
    changes: async (onChange) => {
      fire = onChange;
      return { close: async () => undefined };
    },
    log: silentLogger,
    minIntervalMs: 0,
    periodMs: 60_000,
  });
  return {
    panel,
    sent,
    reads: () => reads,
    fire: () => fire(),
    release: () => pending.shift()?.(),
    setWatchers: (n: number) => {
      live = n;
    },
  };
}

async function until(check: () => boolean, what: string) {
  const deadline = Date.now() + 2_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("catalogue panel - a burst of changes during a refresh costs one more refresh, not one each", async () => {
  const r = rig();
  await r.panel.start();
  r.fire();
  await until(() => r.reads() === 1, "the first read");
  for (let i = 0; i < 10; i++) r.fire();
  r.release();
  await until(() => r.sent.length === 1 && r.reads() === 2, "the first broadcast and one follow-up read");
  r.release();
  await until(() => r.sent.length === 2, "the follow-up broadcast");
  expect(r.reads()).toBe(2);
  expect(r.sent.map((u) => u.asOf)).toEqual([1, 2]);
  expect(r.panel.latest?.asOf).toBe(2);
  await r.panel.stop();
});

test("catalogue panel - nobody watching, nothing read; a socket going live gets the newest figures", async () => {
  const r = rig(0);
  await r.panel.start();
  r.fire();
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(r.reads()).toBe(0);
  r.setWatchers(1);
  r.fire();
  await until(() => r.reads() === 1, "a read once someone watches");
  r.release();
  await until(() => r.sent.length === 1, "the broadcast");
  const handed: PanelUpdate[] = [];
  r.panel.joined({} as never, (_socket, update) => handed.push(update));
  expect(handed).toEqual([r.sent[0]!]);
  await r.panel.stop();
});
