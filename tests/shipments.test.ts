import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { decodeCode128, decodeGrayPng, isWaybillNumber, LABEL_LAYOUT } from "../actors/carrier/index.ts";
import type { HubNode } from "../hub-node.ts";
import { alertSubject } from "../node/alerts.ts";
import {
  ApiClient,
  cleanupNamespace,
  NATS_URL,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("shipments");
let node: HubNode;
let api: ApiClient;
let nc: NatsConnection;
const alerts: Array<Record<string, unknown>> = [];
const address = { region: "上海市浦东新区", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };

interface Shipment {
  shipmentId: string;
  status: string;
  waybillNo: string | null;
  carrier: string;
  events: Array<{ eventId: string; type: string; at: string }>;
  sla: { late: boolean; onTime: boolean | null; promisedAt: string };
  compensations: Array<{ compensationId: string; reason: string; amount: number; status: string }>;
  refusal: { code: string; reason: string } | null;
  province: string | null;
  phone: string;
}
const show = (x: unknown) => JSON.stringify(x, null, 1);

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
  await api.call("PUT", "/v1/warehouses/WH-S", { name: "S", region: "east" });
  await api.call(
    "POST",
    "/v1/inventory/SKU-S/receipts",
    { warehouse: "WH-S", qty: 1_000 },
    { "idempotency-key": "stock-s" },
  );
  expect((await api.call("PUT", "/v1/skus/SKU-S/price", { listPrice: 2_500 })).status).toBe(200);
});

afterAll(async () => {
  await nc?.close();
  await node?.stop();
  await cleanupNamespace(ns);
});

/** An order placed and paid, ready to ship. */
async function paidOrder(key: string, qty = 2): Promise<string> {
  const placed = await api.call(
    "POST",
    "/v1/orders",
    { userId: `U-${key}`, lines: [{ sku: "SKU-S", qty }], address },
    { "idempotency-key": `order-${key}` },
  );
  if (placed.status !== 201) throw new Error(`order: ${placed.status} ${show(placed.body)}`);
  const orderId = (placed.body as { orderId: string }).orderId;
  const pay = await api.call("POST", "/v1/payments", { orderId, channel: "alipay" });
  await api.call("POST", `/v1/payments/${(pay.body as { paymentId: string }).paymentId}/simulate`, {});
  await waitFor(
    async () =>
      ((await api.call("GET", `/v1/orders/${orderId}`)).body as { status: string }).status ===
      "awaiting_shipment",
    60_000,
    `order ${orderId} paid`,
  );
  return orderId;
}

const getShipment = async (id: string) => {
  const res = await api.call("GET", `/v1/shipments/${id}`);
  if (res.status !== 200) throw new Error(`shipment ${id}: ${res.status} ${show(res.body)}`);
  return res.body as Shipment;
};

/** Ships an order with a catalogue carrier and waits for its e-waybill. */
async function shipWithWaybill(orderId: string, carrier: string): Promise<Shipment> {
  const shipped = await api.call("POST", `/v1/orders/${orderId}/ship`, { carrier });
  if (shipped.status !== 200) throw new Error(`ship: ${shipped.status} ${show(shipped.body)}`);
  const id = `${orderId}:S1`;
  let last: Shipment | undefined;
  await waitFor(
    async () => {
      const res = await api.call("GET", `/v1/shipments/${id}`);
      last = res.status === 200 ? (res.body as Shipment) : undefined;
      return last?.waybillNo !== null && last?.waybillNo !== undefined;
    },
    60_000,
    `waybill of ${id} (last seen ${show(last)})`,
  );
  return last!;
}

const simulate = (carrier: string, body: Record<string, unknown>) =>
  api.call("POST", `/v1/carriers/${carrier}/simulate`, body);

test("shipments - /ship with a catalogue carrier issues an e-waybill from the range; events out of order and duplicated fold into one history; delivered completes the order's delivery step", async () => {
  const orderId = await paidOrder("flow");
  const s = await shipWithWaybill(orderId, "express");
  expect(isWaybillNumber("express", s.waybillNo!)).toBe(true);
  expect(s.status).toBe("awaiting_pickup");
  expect(s.province).toBe("310000");
  expect(s.phone).toBe("138****8000");
  const id = s.shipmentId;
  const t0 = Date.now() - 60 * 60_000;
  const at = (min: number) => new Date(t0 + min * 60_000).toISOString();
  // The carrier's webhooks arrive out of order: out for delivery before in transit before picked up.
  const outFor = await simulate("express", {
    shipmentId: id,
    type: "out_for_delivery",
    at: at(30),
    region: "310115",
    deliver: false,
  });
  const transit = await simulate("express", { shipmentId: id, type: "in_transit", at: at(20) });
  expect(transit.status).toBe(200);
  const webhook = (outFor.body as { webhook: { headers: Record<string, string>; body: string } }).webhook;
  const post = () => api.call("POST", "/v1/carriers/express/webhooks", webhook.body, webhook.headers, false);
  expect((await post()).status).toBe(200);
  const picked = await simulate("express", { shipmentId: id, type: "picked_up", at: at(5) });
  expect((picked.body as { delivery: unknown }).delivery).toMatchObject({ received: 1 });
  // The same delivery again (a carrier retry): nothing new.
  const again = await post();
  expect(again.status).toBe(200);
  let view = await getShipment(id);
  expect(view.status).toBe("out_for_delivery");
  expect(view.events.map((e) => e.type)).toEqual(["picked_up", "in_transit", "out_for_delivery"]);
  const dupEvent = JSON.parse(webhook.body).events[0];
  expect(((await api.call("GET", `/v1/orders/${orderId}`)).body as { status: string }).status).toBe(
    "shipped",
  );
  const delivered = await simulate("express", { shipmentId: id, type: "delivered", at: at(55) });
  expect(delivered.status).toBe(200);
  view = await getShipment(id);
  expect(view.status).toBe("delivered");
  expect(view.events.map((e) => e.type)).toEqual([
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
  ]);
  expect(view.events.filter((e) => e.eventId === dupEvent.eventId)).toHaveLength(1);
  expect(view.sla.onTime).toBe(true);
  // A late scan after delivery fills in the history and changes nothing else.
  await simulate("express", { shipmentId: id, type: "in_transit", at: at(25) });
  view = await getShipment(id);
  expect(view.status).toBe("delivered");
  expect(view.events.map((e) => e.type)).toEqual([
    "picked_up",
    "in_transit",
    "in_transit",
    "out_for_delivery",
    "delivered",
  ]);
  // The order: all its shipments delivered → `delivered` in its timeline.
  await waitFor(
    async () =>
      ((await api.call("GET", `/v1/orders/${orderId}`)).body as { status: string }).status === "delivered",
    60_000,
    "order delivered",
  );
  const o = (await api.call("GET", `/v1/orders/${orderId}`)).body as { timeline: Array<{ status: string }> };
  expect(o.timeline.map((t) => t.status)).toContain("delivered");
  const list = await api.call("GET", `/v1/orders/${orderId}/shipments`);
  expect(list.status).toBe(200);
  expect((list.body as { shipments: Shipment[] }).shipments.map((x) => [x.shipmentId, x.status])).toEqual([
    [id, "delivered"],
  ]);
  // Receipt still completes it.
  expect((await api.call("POST", `/v1/orders/${orderId}/confirm-receipt`)).status).toBe(200);
});

test("shipments - webhook signatures: a changed body, another carrier's key, a stale timestamp or no signature are refused and change nothing", async () => {
  const orderId = await paidOrder("sig");
  const s = await shipWithWaybill(orderId, "ems");
  const recorded = await simulate("ems", { shipmentId: s.shipmentId, type: "delivered", deliver: false });
  const { headers, body } = (recorded.body as { webhook: { headers: Record<string, string>; body: string } })
    .webhook;
  const forged = body.replace('"delivered"', '"exception","reason":"lost"');
  const attempts = [
    api.call("POST", "/v1/carriers/ems/webhooks", forged, headers, false),
    // The same genuine body posted as another carrier: signed with the wrong key for that path.
    api.call(
      "POST",
      "/v1/carriers/express/webhooks",
      body.replace('"carrier":"ems"', '"carrier":"express"'),
      headers,
      false,
    ),
    api.call(
      "POST",
      "/v1/carriers/ems/webhooks",
      body,
      { ...headers, "x-carrier-timestamp": String(Date.now() - 600_000) },
      false,
    ),
    api.call("POST", "/v1/carriers/ems/webhooks", body, { "content-type": "application/json" }, false),
  ];
  for (const res of await Promise.all(attempts)) {
    expect(`${res.status} ${(res.body as { type: string }).type}`).toBe(
      "401 https://business-hub.dev/problems/unauthorized",
    );
  }
  expect((await getShipment(s.shipmentId)).status).toBe("awaiting_pickup");
  // The genuine one is accepted.
  const ok = await api.call("POST", "/v1/carriers/ems/webhooks", body, headers, false);
  expect(ok.status).toBe(200);
  expect((await getShipment(s.shipmentId)).status).toBe("delivered");
});

test("shipments - the carrier times out and fails: the adapter retries with the same idempotency key, one waybill number is issued", async () => {
  expect((await api.call("PUT", "/v1/carriers/mail/faults", { fault: "timeout", count: 2 })).status).toBe(
    200,
  );
  const first = await paidOrder("timeout-1");
  const a = await shipWithWaybill(first, "mail");
  expect(
    (await api.call("PUT", "/v1/carriers/mail/faults", { fault: "server_error", count: 3 })).status,
  ).toBe(200);
  const second = await paidOrder("timeout-2");
  const b = await shipWithWaybill(second, "mail");
  // Consecutive numbers of the range: the timed-out attempt's number was not lost or doubled.
  const serial = (w: string) => Number(w.slice(2, 10));
  expect(serial(b.waybillNo!) - serial(a.waybillNo!)).toBe(1);
  const metrics = await (await node.app!.request("/metrics")).text();
  expect(metrics).toMatch(/hub_carrier_calls_total\{carrier="mail",outcome="timeout"\} 2/);
  expect(metrics).toMatch(/hub_carrier_calls_total\{carrier="mail",outcome="server_error"\} 3/);
});

test("shipments - a carrier refusal is final: the shipment fails and an alert is raised", async () => {
  await api.call("PUT", "/v1/carriers/ems/faults", { fault: "reject", count: 1 });
  const orderId = await paidOrder("reject");
  expect((await api.call("POST", `/v1/orders/${orderId}/ship`, { carrier: "ems" })).status).toBe(200);
  const id = `${orderId}:S1`;
  let view: Shipment | undefined;
  await waitFor(
    async () => {
      const res = await api.call("GET", `/v1/shipments/${id}`);
      view = res.status === 200 ? (res.body as Shipment) : undefined;
      return view?.status === "failed";
    },
    60_000,
    `shipment ${id} failed (last ${show(view)})`,
  );
  expect(view!.refusal?.code).toBe("rejected");
  await waitFor(
    () => alerts.some((a) => a.kind === "shipmentWaybillRefused" && a.shipmentId === id),
    30_000,
    "refusal alert",
  );
});

test("shipments - polling fallback: a carrier without push is asked on a durable timer", async () => {
  const orderId = await paidOrder("poll");
  const id = "POLL-1:S1";
  // The order's own shipment via /ship, plus a second one opened directly (as the warehouse's handover does)
  // with a short polling interval.
  const reply = await node.client.request(
    "shipment",
    id,
    {
      type: "create",
      orderId,
      carrier: "mail",
      lines: [{ sku: "SKU-S", qty: 1 }],
      toRegion: "440305",
      pollEveryMs: 300,
    },
    { id: "create-poll-1" },
  );
  expect(reply.ok).toBe(true);
  let view: Shipment | undefined;
  await waitFor(
    async () => {
      view = await getShipment(id);
      return Boolean(view.waybillNo);
    },
    60_000,
    "poll waybill",
  );
  const recorded = await simulate("mail", { shipmentId: id, type: "picked_up" });
  expect((recorded.body as { webhook: unknown }).webhook).toBeNull();
  await waitFor(
    async () => {
      view = await getShipment(id);
      return view.status === "picked_up";
    },
    60_000,
    `polled pickup (${show(view)})`,
  );
  expect(view!.events[0]).toMatchObject({ type: "picked_up", source: "poll" });
});

test("shipments - exceptions (lost, damaged, refused) open one compensation record each; settling closes it", async () => {
  const orderId = await paidOrder("lost", 3);
  const s = await shipWithWaybill(orderId, "express");
  await simulate("express", { shipmentId: s.shipmentId, type: "picked_up" });
  const lost = await simulate("express", { shipmentId: s.shipmentId, type: "exception", reason: "lost" });
  expect(lost.status).toBe(200);
  await simulate("express", {
    shipmentId: s.shipmentId,
    type: "exception",
    reason: "lost",
    at: new Date(Date.now() + 1_000).toISOString(),
  });
  const view = await getShipment(s.shipmentId);
  expect(view.status).toBe("exception");
  expect(view.compensations).toEqual([
    expect.objectContaining({ reason: "lost", amount: 7_500, status: "open" }) as never,
  ]);
  await waitFor(
    () => alerts.some((a) => a.kind === "shipmentException" && a.shipmentId === s.shipmentId),
    30_000,
    "exception alert",
  );
  await node.projector!.caughtUp(30_000);
  const open = await api.call("GET", "/v1/shipment-compensations?status=open");
  expect((open.body as { items: Array<{ shipmentId: string }> }).items.map((i) => i.shipmentId)).toContain(
    s.shipmentId,
  );
  const tooMuch = await api.call("POST", `/v1/shipments/${s.shipmentId}/compensation/settle`, {
    amount: 7_501,
  });
  expect(tooMuch.status).toBe(422);
  const settled = await api.call("POST", `/v1/shipments/${s.shipmentId}/compensation/settle`, {
    amount: 7_500,
  });
  expect(settled.body).toMatchObject({ status: "settled", amount: 7_500 });
});

test("shipments - the label is a PNG whose barcode scans back to the waybill number", async () => {
  const orderId = await paidOrder("label");
  const s = await shipWithWaybill(orderId, "express");
  const documented = await api.call("GET", `/v1/shipments/${s.shipmentId}/label`);
  expect(documented.status).toBe(200);
  const res = await node.app!.request(`/v1/shipments/${s.shipmentId}/label`, {
    headers: { authorization: `Bearer ${api.token}` },
  });
  expect(res.headers.get("content-type")).toBe("image/png");
  const png = new Uint8Array(await res.arrayBuffer());
  const { width, pixels } = decodeGrayPng(png);
  const y = LABEL_LAYOUT.barcodeTop + 90;
  const dark = [...pixels.subarray(y * width, (y + 1) * width)].map((p) => p < 128);
  const first = dark.indexOf(true, 5);
  const last = dark.lastIndexOf(true, width - 6);
  const runs: number[] = [];
  let run = 1;
  for (let x = first + 1; x <= last + 1; x++) {
    if (dark[x] !== dark[x - 1] || x === last + 1) {
      runs.push(run);
      run = 0;
    }
    run += 1;
  }
  expect(decodeCode128(runs)).toBe(s.waybillNo!);
  // No e-waybill (an outside carrier's own number): nothing to print.
  const other = await paidOrder("label-2");
  await api.call("POST", `/v1/orders/${other}/ship`, { carrier: "顺丰速运", trackingNo: "SF123" });
  await waitFor(
    async () => (await api.call("GET", `/v1/shipments/${other}:S1`)).status === 200,
    60_000,
    "shipment",
  );
  expect((await api.call("GET", `/v1/shipments/${other}:S1/label`)).status).toBe(409);
});

test("shipments - /ship keeps taking a free-text carrier and tracking number; without a number only a catalogue carrier", async () => {
  const orderId = await paidOrder("legacy");
  const bad = await api.call("POST", `/v1/orders/${orderId}/ship`, { carrier: "某快递" });
  expect(bad.status).toBe(400);
  expect((bad.body as { field: string }).field).toBe("trackingNo");
  const ok = await api.call("POST", `/v1/orders/${orderId}/ship`, {
    carrier: "某快递",
    trackingNo: "ABC-123",
  });
  expect(ok.body).toEqual({ orderId, status: "shipped" });
  let view: Shipment | undefined;
  await waitFor(
    async () => {
      const res = await api.call("GET", `/v1/shipments/${orderId}:S1`);
      view = res.status === 200 ? (res.body as Shipment) : undefined;
      return view !== undefined;
    },
    60_000,
    "legacy shipment",
  );
  expect(view).toMatchObject({ carrier: "某快递", waybillNo: "ABC-123", status: "awaiting_pickup" });
  const carriers = await api.call("GET", "/v1/carriers");
  expect(
    (carriers.body as { items: Array<{ code: string; available: boolean }> }).items.map((c) => c.code),
  ).toEqual(["express", "ems", "mail"]);
});

test("shipments - ids and event ids named like built-ins (constructor, __proto__, toString) are just ids", async () => {
  const orderId = await paidOrder("builtin");
  for (const [i, id] of ["constructor", "toString", "hasOwnProperty"].entries()) {
    const created = await node.client.request(
      "shipment",
      id,
      {
        type: "create",
        orderId,
        carrier: "某快递",
        waybillNo: `BUILTIN${i}X`,
        lines: [{ sku: "SKU-S", qty: 1 }],
      },
      { id: `create-builtin-${i}` },
    );
    expect(created.ok).toBe(true);
    const tracked = await node.client.request(
      "shipment",
      id,
      {
        type: "track",
        carrier: "某快递",
        source: "operator",
        events: ["constructor", "__proto__", "toString", "constructor"].map((eventId, n) => ({
          eventId,
          waybillNo: `BUILTIN${i}X`,
          type: "in_transit",
          at: 1_700_000_000_000 + n * (eventId === "constructor" && n === 3 ? 0 : 1_000),
        })),
      },
      { id: `track-builtin-${i}` },
    );
    expect(tracked).toMatchObject({ ok: true, value: { accepted: 3, duplicates: 1, status: "in_transit" } });
    const view = await getShipment(id);
    expect(view.events.map((e) => e.eventId)).toEqual(["constructor", "__proto__", "toString"]);
  }
});
