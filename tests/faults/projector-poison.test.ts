import { afterAll, beforeAll, expect, test } from "bun:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type LogBatch, Subjects, shardOf } from "../../actors/runtime/index.ts";
import type { HubNode } from "../../hub-node.ts";
import { alertSubject } from "../../node/alerts.ts";
import { PROJECTIONS } from "../../node/projector.ts";
import { streamNames } from "../../storage/jetstream/streams.ts";
import type { ProjectedBatch } from "../../storage/projection.ts";
import { ParkedEvents } from "../../storage/projector.ts";
import {
  ApiClient,
  cleanupNamespace,
  NATS_URL,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "../support/harness.ts";

// Issue 8, defect 1 (projector half): an event a projection cannot apply (here a NUL in a receipt
// reason, which Postgres refuses in text) is appended straight to the stream, bypassing the gateway's
// validation. It must be parked with its error, the offset must move past it, later events must be
// projected, and an operator must be able to list it and retry it once the cause is fixed.
const ns = testNamespace("poison");
let node: HubNode;
let api: ApiClient;
let nc: NatsConnection;
const alerts: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  nc = await connect({ servers: NATS_URL });
  nc.subscribe(alertSubject(ns), {
    callback: (_e, msg) => {
      alerts.push(msg.json());
    },
  });
  const wh = await api.call("PUT", "/v1/warehouses/WH-P", { name: "P", region: "east" });
  expect(wh.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await node?.stop();
  await cleanupNamespace(ns);
}, 60_000);

async function receive(sku: string, qty: number, key: string) {
  const res = await api.call(
    "POST",
    `/v1/inventory/${sku}/receipts`,
    { warehouse: "WH-P", qty },
    { "idempotency-key": key },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function physical(sku: string): Promise<number | undefined> {
  const rows = await node.sql`SELECT physical FROM inventory_stock WHERE sku = ${sku} AND warehouse = 'WH-P'`;
  return rows[0] ? Number(rows[0].physical) : undefined;
}

test("projector - a poison event is parked, the offset moves past it, later events project, retry works once fixed", async () => {
  await receive("SKU-BEFORE", 5, "before-1");

  // The poison, appended the way an old or foreign writer could: straight into the stream.
  const subjects = new Subjects(ns);
  const sku = "SKU-POISON";
  const poison: LogBatch = {
    at: Date.now(),
    ev: [{ type: "received", warehouse: "WH-P", qty: 3, reason: "bad\u0000reason", fromTransit: 0 }],
    cmds: [{ type: "receive", n: 1, r: { ok: true, value: {} }, by: "admin" }],
  };
  const ack = await jetstream(nc).publish(
    subjects.events(shardOf(sku, node.config.SHARD_COUNT), "sku", sku),
    JSON.stringify(poison),
  );
  const poisonSeq = ack.seq;
  await receive("SKU-AFTER", 7, "after-1");

  // Caught up past the poison, and the event after it is in the read model.
  await node.projector!.caughtUp(15_000);
  expect(await node.projector!.storedOffset()).toBeGreaterThan(poisonSeq);
  expect(await physical("SKU-AFTER")).toBe(7);
  expect(await physical("SKU-BEFORE")).toBe(5);
  expect(await physical(sku)).toBeUndefined();

  // Parked with its error; reported in status (readiness: degraded), metrics and a dashboard alert.
  const listed = await api.call("GET", "/v1/ops/projector/parked");
  expect(listed.status, JSON.stringify(listed.body)).toBe(200);
  const items = (listed.body as { items: Array<{ seq: number; error: string; attempts: number }> }).items;
  expect(
    items.map((i) => i.seq),
    JSON.stringify(items),
  ).toEqual([poisonSeq]);
  expect(items[0]!.error.length).toBeGreaterThan(0);
  await waitFor(() => node.projector!.status().parked === 1, 10_000, "status().parked = 1");
  const metrics = await (await node.app!.request("/metrics")).text();
  expect(metrics).toMatch(/hub_projector_parked 1\b/);
  expect(metrics).toMatch(/hub_projector_parked_total 1\b/);
  const ready = await node.app!.request("/readyz");
  const readyBody = JSON.stringify(await ready.json());
  expect(ready.status, readyBody).toBe(200);
  expect(readyBody).toContain("parked");
  await waitFor(
    () => alerts.some((a) => a.kind === "projectorParked" && a.seq === poisonSeq),
    5_000,
    "parked alert",
  );

  // A retry while the cause is still there: refused, recorded, still parked.
  const refused = await api.call("POST", `/v1/ops/projector/parked/${poisonSeq}/retry`);
  expect(refused.status, JSON.stringify(refused.body)).toBe(409);
  const again = (await api.call("GET", "/v1/ops/projector/parked")).body as {
    items: Array<{ attempts: number }>;
  };
  expect(again.items[0]?.attempts).toBe(2);
  expect((await api.call("POST", "/v1/ops/projector/parked/999999/retry")).status).toBe(404);

  // The cause fixed (here: projections deployed that strip NUL from text): the retry applies it.
  const stripNul = (value: unknown): unknown =>
    typeof value === "string"
      ? value.replaceAll("\u0000", "")
      : Array.isArray(value)
        ? value.map(stripNul)
        : value && typeof value === "object"
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripNul(v)]))
          : value;
  const fixed = PROJECTIONS.map((p) => ({
    name: p.name,
    apply: (tx: Parameters<typeof p.apply>[0], batches: ProjectedBatch[]) =>
      p.apply(
        tx,
        batches.map((b) => ({ ...b, batch: stripNul(b.batch) as LogBatch })),
      ),
  }));
  const parked = new ParkedEvents({
    sql: node.sql,
    jsm: await jetstreamManager(nc),
    stream: streamNames(ns).events,
    subjects,
    projections: fixed,
  });
  expect(await parked.retry(poisonSeq)).toEqual({ outcome: "applied" });
  expect(await physical(sku)).toBe(3);
  expect(await parked.list({ limit: 10 })).toEqual([]);
  await waitFor(() => node.projector!.status().parked === 0, 10_000, "status().parked = 0");
}, 120_000);
