/**
 * Outbound webhooks against a local HTTP receiver: subscriptions (secret never shown, audited), signed
 * deliveries the receiver verifies, retries with backoff after 500s on durable timers, a dead letter
 * after the last attempt, and replay.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { signatureHeader, verifyWebhook, webhookDeliveryId } from "../actors/webhook/index.ts";
import type { HubNode } from "../hub-node.ts";
import { notificationId, PostgresNotifications } from "../storage/notifications/index.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("webhooks");
const SECRET = "integrator-secret-0123456789";
let node: HubNode;
let api: ApiClient;
let receiver: Server;
let receiverUrl: string;

interface Received {
  path: string;
  body: string;
  signature: string;
  event: string;
  delivery: string;
  attempt: number;
  at: number;
  verified: boolean;
}
const received: Received[] = [];
/** The status the receiver answers per path, in turn (then 200). */
const plans = new Map<string, number[]>();

beforeAll(async () => {
  await requireServices();
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const signature = String(req.headers[signatureHeader] ?? "");
      const path = req.url ?? "/";
      received.push({
        path,
        body,
        signature,
        event: String(req.headers["x-hub-event"]),
        delivery: String(req.headers["x-hub-delivery"]),
        attempt: Number(req.headers["x-hub-attempt"]),
        at: Date.now(),
        verified: verifyWebhook(SECRET, body, signature, Math.floor(Date.now() / 1000)),
      });
      const plan = plans.get(path) ?? [];
      res.statusCode = plan.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  node = await startTestNode(ns, {
    WEBHOOK_MAX_ATTEMPTS: "3",
    WEBHOOK_RETRY_BASE: "400ms",
    WEBHOOK_TIMEOUT: "5s",
  });
  api = new ApiClient(node.app!);
  await api.login();
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
  receiver?.close();
});

const raise = (key: string) =>
  new PostgresNotifications(node.sql).raise({
    kind: "lateShipment",
    severity: "warning",
    source: "shipments",
    message: `late ${key}`,
    key,
  });

test("webhooks - a subscription is validated, stored without showing its secret, and audited", async () => {
  const bad = await api.call("PUT", "/v1/webhooks/acme", {
    url: "ftp://x",
    eventTypes: ["notification.raised"],
    secret: SECRET,
  });
  expect([bad.status, (bad.body as { field?: string }).field]).toEqual([400, "url"]);
  const unknownType = await api.call("PUT", "/v1/webhooks/acme", {
    url: `${receiverUrl}/acme`,
    eventTypes: ["order.teleported"],
    secret: SECRET,
  });
  expect(unknownType.status).toBe(400);
  const short = await api.call("PUT", "/v1/webhooks/acme", {
    url: `${receiverUrl}/acme`,
    eventTypes: ["notification.raised"],
    secret: "short",
  });
  expect([short.status, (short.body as { field?: string }).field]).toEqual([400, "secret"]);
  const ok = await api.call("PUT", "/v1/webhooks/acme", {
    url: `${receiverUrl}/acme`,
    eventTypes: ["notification.raised", "notification.acknowledged"],
    secret: SECRET,
  });
  expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  expect(JSON.stringify(ok.body)).not.toContain(SECRET);
  expect(ok.body).toMatchObject({ id: "acme", enabled: true, updatedBy: "admin" });
  const listed = JSON.stringify((await api.call("GET", "/v1/webhooks")).body);
  expect(listed).toContain("acme");
  expect(listed).not.toContain(SECRET);
  const [stored] = await node.sql`SELECT secret FROM webhook_subscriptions WHERE id = 'acme'`;
  expect(String(stored?.secret)).not.toContain(SECRET);
  const audit = await node.sql`SELECT detail FROM audit_log WHERE target = 'webhook:acme'`;
  expect(audit.length).toBe(1);
  expect(JSON.stringify(audit[0]?.detail)).not.toContain(SECRET);
  for (const name of ["constructor", "__proto__", "toString"]) {
    const res = await api.call("GET", `/v1/webhooks/${name}`);
    expect([name, [400, 404].includes(res.status)]).toEqual([name, true]);
  }
  // A built-in name is an ordinary id.
  const ctor = await api.call("PUT", "/v1/webhooks/constructor", {
    url: `${receiverUrl}/ctor`,
    eventTypes: ["notification.acknowledged"],
    secret: SECRET,
    enabled: false,
  });
  expect(ctor.status, JSON.stringify(ctor.body)).toBe(200);
  expect((await api.call("GET", "/v1/webhooks/constructor")).body).toMatchObject({
    id: "constructor",
    enabled: false,
  });
});

test("webhooks - a raised notification is delivered once, signed over timestamp and body", async () => {
  const { id } = await raise("late:W-1");
  await waitFor(() => received.some((r) => r.body.includes(id)), 60_000, "the delivery at the receiver");
  const got = received.filter((r) => r.body.includes(id) && r.event === "notification.raised");
  expect(got).toHaveLength(1);
  expect(got[0]).toMatchObject({ path: "/acme", verified: true, attempt: 1 });
  expect(got[0]?.delivery).toBe(webhookDeliveryId("acme", `${id}:raised`));
  const payload = JSON.parse(got[0]!.body) as { type: string; data: { id: string; key: string } };
  expect(payload).toMatchObject({ type: "notification.raised", data: { id, key: "late:W-1" } });
  // The signature is over this exact body: a changed body or another secret does not verify.
  const now = Math.floor(Date.now() / 1000);
  expect(verifyWebhook(SECRET, `${got[0]!.body} `, got[0]!.signature, now)).toBe(false);
  expect(verifyWebhook("another-secret-0123456789", got[0]!.body, got[0]!.signature, now)).toBe(false);
  // Acknowledging sends notification.acknowledged.
  expect((await api.call("POST", `/v1/notifications/${id}/ack`)).status).toBe(200);
  await waitFor(
    () => received.some((r) => r.body.includes(id) && r.event === "notification.acknowledged" && r.verified),
    60_000,
    "the acknowledgement delivery",
  );
});

test("webhooks - 500s are retried with a growing backoff; the third failure is a dead letter; replay delivers", async () => {
  plans.set("/flaky", [500, 500, 500, 503]);
  const put = await api.call("PUT", "/v1/webhooks/flaky", {
    url: `${receiverUrl}/flaky`,
    eventTypes: ["notification.raised"],
    secret: SECRET,
  });
  expect(put.status).toBe(200);
  const { id } = await raise("late:W-2");
  const deliveryId = webhookDeliveryId("flaky", `${id}:raised`);
  await waitFor(
    async () => {
      const res = await api.call("GET", `/v1/webhook-deliveries/${deliveryId}`);
      return res.status === 200 && (res.body as { status: string }).status === "dead";
    },
    90_000,
    "the delivery to be dead-lettered",
  );
  const attempts = received.filter((r) => r.path === "/flaky" && r.body.includes(id));
  expect(attempts.map((r) => r.attempt)).toEqual([1, 2, 3]);
  expect(attempts.every((r) => r.verified)).toBe(true);
  // Backoff 400 ms then 800 ms (at least; timers fire late under load, never early).
  const gaps = [attempts[1]!.at - attempts[0]!.at, attempts[2]!.at - attempts[1]!.at];
  expect(gaps[0], JSON.stringify(gaps)).toBeGreaterThanOrEqual(350);
  expect(gaps[1], JSON.stringify(gaps)).toBeGreaterThanOrEqual(750);
  const view = (await api.call("GET", `/v1/webhook-deliveries/${deliveryId}`)).body;
  expect(view).toMatchObject({ status: "dead", attempts: 3, maxAttempts: 3, lastStatus: 500 });
  await waitFor(
    async () => {
      const dead = (await api.call("GET", "/v1/webhooks/dead-letters")).body as {
        items: Array<{ id: string }>;
      };
      return dead.items.some((d) => d.id === deliveryId);
    },
    60_000,
    "the dead-letter list",
  );
  // A replay gets one more 503, then the receiver recovers: delivered.
  const replay = await api.call("POST", `/v1/webhook-deliveries/${deliveryId}/replay`);
  expect(replay.status, JSON.stringify(replay.body)).toBe(202);
  expect(replay.body).toMatchObject({ status: "pending", attempts: 0 });
  await waitFor(
    async () =>
      ((await api.call("GET", `/v1/webhook-deliveries/${deliveryId}`)).body as { status: string }).status ===
      "delivered",
    60_000,
    "the replayed delivery",
  );
  const all = received.filter((r) => r.path === "/flaky" && r.body.includes(id));
  expect(all.map((r) => r.attempt)).toEqual([1, 2, 3, 1, 2]);
  const again = await api.call("POST", `/v1/webhook-deliveries/${deliveryId}/replay`);
  expect(again.status).toBe(409);
  await waitFor(
    async () => {
      const page = (await api.call("GET", "/v1/webhooks/flaky/deliveries")).body as {
        items: Array<{ id: string; status: string }>;
      };
      return page.items.some((d) => d.id === deliveryId && d.status === "delivered");
    },
    60_000,
    "the deliveries list to show it delivered",
  );
  expect(notificationId("late:W-2")).toBe(id);
}, 150_000);

test("webhooks - a retry due while the node is down is sent after the restart (durable timer)", async () => {
  plans.set("/restart", [500]);
  await api.call("PUT", "/v1/webhooks/restart", {
    url: `${receiverUrl}/restart`,
    eventTypes: ["notification.raised"],
    secret: SECRET,
  });
  const { id } = await raise("late:W-3");
  await waitFor(
    () => received.some((r) => r.path === "/restart" && r.body.includes(id)),
    60_000,
    "the first attempt",
  );
  await node.stop();
  node = await startTestNode(ns, {
    WEBHOOK_MAX_ATTEMPTS: "3",
    WEBHOOK_RETRY_BASE: "400ms",
    WEBHOOK_TIMEOUT: "5s",
  });
  api = new ApiClient(node.app!);
  await api.login();
  await waitFor(
    () => received.filter((r) => r.path === "/restart" && r.body.includes(id)).length >= 2,
    60_000,
    "the retry after the restart",
  );
  const attempts = received.filter((r) => r.path === "/restart" && r.body.includes(id)).map((r) => r.attempt);
  expect(attempts).toEqual([1, 2]);
}, 120_000);
