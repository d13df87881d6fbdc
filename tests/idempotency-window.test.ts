import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

// JetStream's Nats-Msg-Id dedupe only covers its window (1 s here); the actor's own command-id table must
// answer retries long after it, and across a restart.
const ns = testNamespace("idemwindow");
const overrides = { EVENTS_DUPLICATE_WINDOW: "1s" };
let node: HubNode;
let api: ApiClient;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, overrides);
  api = new ApiClient(node.app!);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-I", { name: "I", region: "east" });
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("idempotency - a retry after the duplicate window and a restart returns the original result", async () => {
  const receipt = () =>
    api.call(
      "POST",
      "/v1/inventory/SKU-I/receipts",
      { warehouse: "WH-I", qty: 7 },
      { "idempotency-key": "receipt-42" },
    );
  const first = await receipt();
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ physical: 7 });
  const reservation = await api.call("POST", "/v1/inventory/SKU-I/reservations", {
    orderId: "order-9",
    qty: 2,
  });
  expect(reservation.status).toBe(201);

  await Bun.sleep(1_500);
  await node.stop();
  node = await startTestNode(ns, overrides);
  api = new ApiClient(node.app!);
  await api.login();

  const retried = await receipt();
  expect(retried.status).toBe(201);
  expect(retried.body).toEqual(first.body);
  const retriedReservation = await api.call("POST", "/v1/inventory/SKU-I/reservations", {
    orderId: "order-9",
    qty: 2,
  });
  expect(retriedReservation.body).toEqual(reservation.body);
  expect((await api.call("GET", "/v1/inventory/SKU-I")).body).toMatchObject({
    physical: 7,
    reserved: 2,
    sellable: 5,
  });

  // A new key is a new receipt.
  const other = await api.call(
    "POST",
    "/v1/inventory/SKU-I/receipts",
    { warehouse: "WH-I", qty: 7 },
    { "idempotency-key": "receipt-43" },
  );
  expect(other.body).toMatchObject({ physical: 14 });
});
