import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
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

const ns = testNamespace("shipsla");
let node: HubNode | undefined;
let nc: NatsConnection;
const alerts: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  await requireServices();
  nc = await connect({ servers: NATS_URL });
  nc.subscribe(alertSubject(ns), {
    callback: (_e, msg) => {
      alerts.push(msg.json());
    },
  });
});

afterAll(async () => {
  await node?.stop();
  await nc?.close();
  await cleanupNamespace(ns);
});

test("shipments - an SLA promise set before a restart fires after it: the shipment is late once, one alert", async () => {
  node = await startTestNode(ns);
  const created = await node.client.request(
    "shipment",
    "SLA-1:S1",
    {
      type: "create",
      orderId: "SLA-1",
      carrier: "express",
      waybillNo: "SF770000009999",
      lines: [{ sku: "SKU-1", qty: 1 }],
      toRegion: "310115",
      slaHours: 6 / 3600, // a 6-second promise
    },
    { id: "create-sla-1" },
  );
  expect(created.ok).toBe(true);
  const promisedAt = Date.parse((created as { value: { sla: { promisedAt: string } } }).value.sla.promisedAt);
  // The node goes away before the promise is due and comes back after it.
  await node.stop();
  node = undefined;
  expect(alerts.filter((a) => a.kind === "shipmentLate")).toEqual([]);
  await new Promise((r) => setTimeout(r, Math.max(0, promisedAt - Date.now()) + 500));
  node = await startTestNode(ns);
  await waitFor(
    () => alerts.some((a) => a.kind === "shipmentLate" && a.shipmentId === "SLA-1:S1"),
    90_000,
    `the late alert after the restart (alerts so far: ${JSON.stringify(alerts)})`,
  );
  const api = new ApiClient(node.app!);
  await api.login();
  const view = (await api.call("GET", "/v1/shipments/SLA-1:S1")).body as {
    sla: { late: boolean; lateSince: string };
  };
  expect(view.sla.late).toBe(true);
  expect(Date.parse(view.sla.lateSince)).toBeGreaterThanOrEqual(promisedAt);
  // Operators also get it in their notification list (decision 0030), until acknowledged.
  const late = async () =>
    (
      (await api.call("GET", "/v1/notifications?kind=lateShipment")).body as {
        items: Array<{ kind: string; severity: string; subject: { kind: string; id: string } | null }>;
      }
    ).items.filter((n) => n.subject?.id === "SLA-1:S1");
  await waitFor(async () => (await late()).length > 0, 30_000, "a lateShipment notification");
  expect(await late()).toMatchObject([{ kind: "lateShipment", severity: "warning" }]);
  // Fires once: later restarts and time raise nothing more.
  await node.stop();
  node = await startTestNode(ns);
  await new Promise((r) => setTimeout(r, 2_000));
  expect(alerts.filter((a) => a.kind === "shipmentLate" && a.shipmentId === "SLA-1:S1")).toHaveLength(1);
  const alert = alerts.find((a) => a.kind === "shipmentLate")!;
  expect(alert).toMatchObject({
    carrier: "express",
    province: "310000",
    level: "warning",
    dashboard: "logistics",
  });
});
