/**
 * A parked event's retry tells the truth (review of issue 8, defect 1): the stock read model's rows are
 * version-guarded, so a parked inventory event retried after later events of the same SKU used to be
 * reported "applied" while its stock delta was dropped. A real projector parks an event (one of its
 * projections refuses it while "broken"), later events apply, the retry runs, and the read model must
 * equal the actor's stock. A projection whose rows a later event already moved past (orders: state, not
 * deltas) is reported as skipped instead of being overwritten with older state.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Subjects, silentLogger } from "../actors/runtime/index.ts";
import type { HubNode } from "../hub-node.ts";
import { PROJECTIONS } from "../node/projector.ts";
import { streamNames } from "../storage/jetstream/streams.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../storage/projection.ts";
import { ParkedEvents, Projector } from "../storage/projector.ts";
import {
  ApiClient,
  cleanupNamespace,
  NATS_URL,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("parkretry");
const WH = "WH-PR";
const address = { region: "Beijing", detail: "1 Main St", phone: "13800000000", name: "Li Lei" };
let node: HubNode;
let api: ApiClient;
let nc: NatsConnection;
let projector: Projector;
let parked: ParkedEvents;
/** While set, the projector's projections refuse the batches it matches (a bug later fixed by a deploy). */
let broken: ((b: ProjectedBatch) => boolean) | undefined;

/** The same projections, except that they refuse what `broken` matches, like a projection with a bug. */
const flaky: ReadModelProjection[] = PROJECTIONS.map((p) => ({
  ...p,
  apply: async (tx: ProjectionTx, batches: ProjectedBatch[]) => {
    const bad = broken && batches.find(broken);
    if (bad) throw new Error(`injected: ${p.name} cannot apply event ${bad.seq}`);
    await p.apply(tx, batches);
  },
}));

beforeAll(async () => {
  await requireServices();
  // No projector role: the test runs a real Projector over the node's log with the flaky projections.
  node = await startTestNode(ns, { ROLES: "gateway,actors" });
  api = new ApiClient(node.app!);
  await api.login();
  nc = await connect({ servers: NATS_URL });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const subjects = new Subjects(ns);
  const stream = streamNames(ns).events;
  const lease = await new Kvm(js).create(`${ns}_singletons`, { ttl: node.config.LEASE_TTL, history: 1 });
  projector = new Projector({
    sql: node.sql,
    js,
    jsm,
    subjects,
    stream,
    projections: flaky,
    lease,
    nodeId: "test-projector",
    log: silentLogger,
  });
  await projector.start(node.config.LEASE_TTL);
  parked = new ParkedEvents({ sql: node.sql, jsm, stream, subjects, projections: PROJECTIONS });
  expect((await api.call("PUT", `/v1/warehouses/${WH}`, { name: "PR", region: "east" })).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await projector?.stop();
  await nc?.close();
  await node?.stop();
  await cleanupNamespace(ns);
}, 60_000);

const receive = async (sku: string, qty: number, key: string, reason?: string) => {
  const res = await api.call(
    "POST",
    `/v1/inventory/${sku}/receipts`,
    { warehouse: WH, qty, ...(reason ? { reason } : {}) },
    { "idempotency-key": key },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
};

async function readModel(sku: string) {
  const rows = await node.sql`SELECT physical, reserved, in_transit, safety_stock FROM inventory_stock
    WHERE sku = ${sku} AND warehouse = ${WH}`;
  const r = rows[0];
  return r
    ? {
        physical: Number(r.physical),
        reserved: Number(r.reserved),
        inTransit: Number(r.in_transit),
        safetyStock: Number(r.safety_stock),
      }
    : undefined;
}

async function actorStock(sku: string) {
  const res = await api.call("GET", `/v1/inventory/${sku}`);
  type Row = {
    warehouse: string;
    physical: number;
    reserved: number;
    inTransit: number;
    safetyStock: number;
  };
  const w = (res.body as { warehouses: Row[] }).warehouses.find((x) => x.warehouse === WH)!;
  return { physical: w.physical, reserved: w.reserved, inTransit: w.inTransit, safetyStock: w.safetyStock };
}

const parkedSeqs = async () => (await parked.list({ limit: 100 })).map((p) => p.seq);

test("projector - a parked stock event retried after later events of its SKU is applied: the read model equals the actor", async () => {
  const sku = "PR-1";
  await receive(sku, 10, "pr1-first");
  await projector.caughtUp(15_000);
  broken = (b) =>
    b.ref.kind === "sku" && b.batch.ev.some((e) => (e as { reason?: string }).reason === "flaky receipt");
  await receive(sku, 5, "pr1-flaky", "flaky receipt");
  await waitFor(async () => (await parkedSeqs()).length === 1, 15_000, "the flaky receipt parked");
  const [seq] = await parkedSeqs();
  broken = undefined;
  // Later events of the same SKU and warehouse move the row past the parked event's version.
  const hold = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: "pr1-h", qty: 2 });
  expect(hold.status, JSON.stringify(hold.body)).toBe(201);
  const safety = await api.call("PUT", `/v1/inventory/${sku}/safety-stock`, { warehouse: WH, qty: 1 });
  expect(safety.status, JSON.stringify(safety.body)).toBe(200);
  await projector.caughtUp(15_000);
  expect(await readModel(sku)).toEqual({ physical: 10, reserved: 2, inTransit: 0, safetyStock: 1 });

  const result = await parked.retry(seq!);
  expect(result).toEqual({ outcome: "applied" });
  expect(await readModel(sku)).toEqual(await actorStock(sku));
  expect(await readModel(sku)).toEqual({ physical: 15, reserved: 2, inTransit: 0, safetyStock: 1 });
  const ledger = await node.sql`SELECT count(*)::int AS n, sum(physical_delta)::int AS physical
    FROM stock_ledger WHERE sku = ${sku}`;
  expect({ ...ledger[0] }).toEqual({ n: 3 + 0 + 1, physical: 15 });
  // A second retry finds nothing parked; replaying the same event again moves nothing.
  expect(await parked.retry(seq!)).toEqual({ outcome: "not-parked" });
  expect(await readModel(sku)).toEqual({ physical: 15, reserved: 2, inTransit: 0, safetyStock: 1 });
}, 60_000);

test("projector - a parked safety-stock change retried after later movements is applied; an older one never overrides a newer", async () => {
  const sku = "PR-2";
  await receive(sku, 10, "pr2-first");
  await projector.caughtUp(15_000);
  broken = (b) =>
    b.ref.kind === "sku" && b.ref.id === sku && b.batch.ev.some((e) => e.type === "safetyStockSet");
  const set = await api.call("PUT", `/v1/inventory/${sku}/safety-stock`, { warehouse: WH, qty: 4 });
  expect(set.status).toBe(200);
  await waitFor(async () => (await parkedSeqs()).length === 1, 15_000, "the safety-stock change parked");
  const [seq] = await parkedSeqs();
  broken = undefined;
  await receive(sku, 1, "pr2-later");
  await projector.caughtUp(15_000);
  expect(await parked.retry(seq!)).toEqual({ outcome: "applied" });
  expect(await readModel(sku)).toEqual(await actorStock(sku));
  expect((await readModel(sku))?.safetyStock).toBe(4);

  // Parked again, but this time a newer safety-stock change lands before the retry: the newer one stays.
  broken = (b) =>
    b.ref.kind === "sku" && b.ref.id === sku && b.batch.ev.some((e) => e.type === "safetyStockSet");
  expect((await api.call("PUT", `/v1/inventory/${sku}/safety-stock`, { warehouse: WH, qty: 6 })).status).toBe(
    200,
  );
  await waitFor(
    async () => (await parkedSeqs()).length === 1,
    15_000,
    "the second safety-stock change parked",
  );
  const [older] = await parkedSeqs();
  broken = undefined;
  expect((await api.call("PUT", `/v1/inventory/${sku}/safety-stock`, { warehouse: WH, qty: 3 })).status).toBe(
    200,
  );
  await projector.caughtUp(15_000);
  expect(await parked.retry(older!)).toEqual({ outcome: "applied" });
  expect(await readModel(sku)).toEqual(await actorStock(sku));
  expect((await readModel(sku))?.safetyStock).toBe(3);
}, 60_000);

test("projector - a parked order event whose order moved on is reported as skipped for the orders list, not applied over newer state", async () => {
  expect((await api.call("PUT", "/v1/skus/PR-3/price", { listPrice: 500 })).status).toBe(200);
  await receive("PR-3", 10, "pr3-first");
  await projector.caughtUp(15_000);
  // The orders list refuses this order's first event (its creation); its later events apply.
  broken = (b) =>
    b.ref.kind === "order" &&
    b.batch.ev.some((e) => e.type === "placed" && (e as { userId?: string }).userId === "u-pr3");
  const placed = await api.call(
    "POST",
    "/v1/orders",
    { userId: "u-pr3", lines: [{ sku: "PR-3", qty: 1 }], address },
    { "idempotency-key": "pr3-order" },
  );
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const orderId = (placed.body as { orderId: string }).orderId;
  await waitFor(async () => (await parkedSeqs()).length === 1, 15_000, "the order's creation parked");
  const [seq] = await parkedSeqs();
  broken = undefined;
  const cancelled = await api.call("POST", `/v1/orders/${orderId}/cancel`, { reason: "changed mind" });
  expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
  await projector.caughtUp(15_000);

  const result = await parked.retry(seq!);
  expect(result.outcome, JSON.stringify(result)).toBe("superseded");
  expect(result.skipped).toEqual(["orders"]);
  // The list was not given the order's older state as if it were current.
  const rows = await node.sql`SELECT status FROM orders WHERE order_id = ${orderId}`;
  expect(rows.map((r) => r.status)).not.toContain("placing");
  expect(await parkedSeqs()).toEqual([]);
}, 60_000);
