/**
 * Route behaviour over in-memory ports (no NATS): login limits, order pricing, PII masking, shipment
 * planning, merge candidates and payment risk refusals. The same routes run end to end in tests/.
 */
import { expect, test } from "bun:test";
import { createChannels, generateChannelKeys, UnionpayChannel } from "../../actors/payment/channels/index.ts";
import type { RiskVerdict } from "../ports.ts";
import { fakeGateway } from "../testing.ts";

const PROBLEMS = "https://business-hub.dev/problems/";
const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});
const address = { region: "Shanghai", detail: "1 Nanjing Road", phone: "13800138000", name: "Wang Fang" };

test("auth route - a right password gets a token that opens the API; a wrong one is 401", async () => {
  const gw = fakeGateway();
  gw.users.add("alice", "correct horse", ["inventory:read"]);
  const wrong = await gw.app.request("/v1/auth/token", post({ username: "alice", password: "nope" }));
  expect(wrong.status).toBe(401);
  const ok = await gw.app.request("/v1/auth/token", post({ username: "alice", password: "correct horse" }));
  expect(ok.status).toBe(200);
  const { token } = (await ok.json()) as { token: string };
  gw.actors.respond = () => ({ ok: true, value: { sku: "SKU-1" } });
  const res = await gw.app.request("/v1/inventory/SKU-1", { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(gw.actors.sent[0]?.options.meta?.by).toBe("alice");
});

test("auth route - a blocked address or username is 429 with Retry-After before the password is checked", async () => {
  const gw = fakeGateway();
  gw.users.add("bob", "pw", []);
  gw.loginThrottle.verdict = { allowed: false, retryAfterSeconds: 42 };
  const limited = await gw.app.request("/v1/auth/token", post({ username: "bob", password: "pw" }), {
    clientAddress: "10.9.9.9",
  });
  expect(limited.status).toBe(429);
  expect(limited.headers.get("retry-after")).toBe("42");
  expect(gw.loginThrottle.attempts).toEqual([{ address: "10.9.9.9", username: "bob" }]);
  expect(gw.loginThrottle.succeededFor).toEqual([]);
});

test("auth route - only a successful login is taken back from the failure counters", async () => {
  const gw = fakeGateway();
  gw.users.add("bob", "pw", []);
  expect((await gw.app.request("/v1/auth/token", post({ username: "bob", password: "no" }))).status).toBe(
    401,
  );
  expect((await gw.app.request("/v1/auth/token", post({ username: "bob", password: "pw" }))).status).toBe(
    200,
  );
  expect(gw.loginThrottle.attempts.map((a) => a.address)).toEqual(["unknown", "unknown"]);
  expect(gw.loginThrottle.succeededFor).toEqual(["bob"]);
});

test("order routes - placing prices every line from the price book and derives the order id from the key", async () => {
  const gw = fakeGateway();
  const auth = { ...(await gw.bearer(["order:write"])), "idempotency-key": "place-1" };
  const body = { userId: "u1", lines: [{ sku: "A", qty: 2 }], address };
  const regular = { name: "regular", discountPercent: 0, freeShipping: false, prioritySupport: false };
  gw.actors.respond = ({ kind, id }) =>
    kind === "member"
      ? { ok: true, value: { userId: id, level: regular } }
      : { ok: true, value: { orderId: id, status: "pending_payment" } };
  const unpriced = await gw.app.request("/v1/orders", post(body, auth));
  expect(unpriced.status).toBe(422);
  expect(((await unpriced.json()) as { type: string }).type).toBe(`${PROBLEMS}unknown-price`);
  const twice = await gw.app.request(
    "/v1/orders",
    post({ ...body, lines: [...body.lines, ...body.lines] }, auth),
  );
  expect(twice.status).toBe(400);
  expect(gw.actors.sent.filter((s) => s.kind === "order")).toEqual([]);

  await gw.prices.set("A", 1999);
  gw.actors.sent.length = 0;
  const placed = await gw.app.request("/v1/orders", post(body, auth));
  expect(placed.status).toBe(201);
  // The buyer's level is read from the member actor (read-only), then the order is placed.
  expect(gw.actors.sent[0]).toMatchObject({ kind: "member", id: "u1", cmd: { type: "get" } });
  gw.actors.sent.shift();
  // Then each line's stock, for routing and freight (decision 0028).
  expect(gw.actors.sent[0]).toMatchObject({ kind: "sku", id: "A", cmd: { type: "get" } });
  gw.actors.sent.shift();
  const sent = gw.actors.sent[0];
  expect(sent?.kind).toBe("order");
  expect(sent?.options.id).toBe("place:tester:place-1"); // scoped to the caller (issue 8, defect 5)
  expect(sent?.cmd).toMatchObject({
    type: "place",
    userId: "u1",
    lines: [{ sku: "A", qty: 2, unitPrice: 1999 }],
  });
  const again = await gw.app.request("/v1/orders", post(body, auth));
  expect(gw.actors.sent.filter((s) => s.kind === "order")[1]?.id).toBe(sent?.id);
  expect(again.status).toBe(201);
});

test("order routes - phone and address are masked without customer:pii and shown with it", async () => {
  const gw = fakeGateway();
  gw.actors.respond = ({ id }) => ({ ok: true, value: { orderId: id, status: "paid", address } });
  const masked = await gw.app.request("/v1/orders/O1", { headers: await gw.bearer(["order:read"]) });
  expect(((await masked.json()) as { address: unknown }).address).toEqual({
    region: "Shanghai",
    name: "W*",
    phone: "138****8000",
    detail: "***",
  });
  const clear = await gw.app.request("/v1/orders/O1", {
    headers: await gw.bearer(["order:read", "customer:pii"]),
  });
  expect(((await clear.json()) as { address: unknown }).address).toEqual(address);
});

test("order routes - the shipment plan has one parcel per warehouse the lines were reserved in", async () => {
  const gw = fakeGateway();
  gw.actors.respond = () => ({
    ok: true,
    value: {
      status: "awaiting_shipment",
      address,
      lines: [
        {
          sku: "A",
          allocation: [
            { warehouse: "W1", qty: 2 },
            { warehouse: "W2", qty: 1 },
          ],
        },
        { sku: "B", allocation: [{ warehouse: "W1", qty: 4 }] },
      ],
    },
  });
  const res = await gw.app.request("/v1/orders/O1/shipment-plan", {
    headers: await gw.bearer(["order:read"]),
  });
  expect(await res.json()).toEqual({
    orderId: "O1",
    status: "awaiting_shipment",
    parcels: [
      {
        warehouse: "W1",
        lines: [
          { sku: "A", qty: 2 },
          { sku: "B", qty: 4 },
        ],
      },
      { warehouse: "W2", lines: [{ sku: "A", qty: 1 }] },
    ],
  });
  expect(gw.actors.sent[0]?.options.readOnly).toBe(true);
});

test("order routes - merge candidates group waiting orders by identical address, as the actors see them", async () => {
  const gw = fakeGateway();
  for (const orderId of ["O1", "O2", "O3", "O4"])
    gw.orders.rows.push({ orderId, userId: "u1", status: "awaiting_shipment" });
  const elsewhere = { ...address, detail: "2 Huaihai Road" };
  const actorView = new Map([
    ["O1", { status: "awaiting_shipment", address }],
    ["O2", { status: "awaiting_shipment", address }],
    // The read model lags: O3 has shipped already, so it is not a candidate any more.
    ["O3", { status: "shipped", address }],
    ["O4", { status: "awaiting_shipment", address: elsewhere }],
  ]);
  gw.actors.respond = ({ id }) => ({ ok: true, value: actorView.get(id) });
  const res = await gw.app.request("/v1/orders/merge-candidates?userId=u1", {
    headers: await gw.bearer(["order:read", "customer:pii"]),
  });
  expect(await res.json()).toEqual({ userId: "u1", groups: [{ address, orders: ["O1", "O2"] }] });
});

test("payment routes - risk refusals are 403, 422 and 429 and no payment actor is asked", async () => {
  const gw = fakeGateway();
  const auth = await gw.bearer(["payment:write"]);
  gw.actors.respond = () => ({
    ok: true,
    value: { status: "pending_payment", userId: "u1", amounts: { total: 500_00 } },
  });
  const cases: Array<[RiskVerdict, number, string, string | null]> = [
    [{ allowed: false, reason: "blacklist" }, 403, "forbidden", null],
    [{ allowed: false, reason: "amount", limit: 100_00 }, 422, "risk-rejected", null],
    [{ allowed: false, reason: "velocity", retryAfterSeconds: 3600 }, 429, "rate-limited", "3600"],
  ];
  for (const [verdict, status, slug, retryAfter] of cases) {
    gw.risk.verdict = verdict;
    const res = await gw.app.request("/v1/payments", post({ orderId: "O1", channel: "alipay" }, auth));
    const body = (await res.json()) as { type: string; reason: string };
    expect({ status: res.status, type: body.type, reason: body.reason }).toEqual({
      status,
      type: `${PROBLEMS}${slug}`,
      reason: verdict.allowed ? "" : verdict.reason,
    });
    expect(res.headers.get("retry-after")).toBe(retryAfter);
  }
  expect(gw.actors.sent.filter((s) => s.kind === "payment")).toEqual([]);
});

test("payment routes - an order that is not awaiting payment is 409 with its status", async () => {
  const gw = fakeGateway();
  gw.actors.respond = () => ({ ok: true, value: { status: "paid", userId: "u1", amounts: { total: 1 } } });
  const res = await gw.app.request(
    "/v1/payments",
    post({ orderId: "O1", channel: "wechat" }, await gw.bearer(["payment:write"])),
  );
  expect(res.status).toBe(409);
  expect(((await res.json()) as { orderStatus: string }).orderStatus).toBe("paid");
});

test("payment routes - an unknown channel's callback is 404 and needs no token", async () => {
  const gw = fakeGateway();
  const res = await gw.app.request("/v1/payments/callbacks/paypal", { method: "POST", body: "x" });
  expect(res.status).toBe(404);
  expect(gw.audit.entries).toEqual([]);
});

test("payment routes - a UnionPay 5.0.0 (SHA-1) callback is refused and recorded when the 5.1.0 chain is configured", async () => {
  const keys = await generateChannelKeys();
  const gw = fakeGateway({ channels: createChannels(keys) });
  // Correctly signed the 5.0.0 way (certId, SHA-1) with the platform key: still a downgrade here.
  const { rootCert: _r, middleCert: _m, ...legacyKeys } = keys.unionpay;
  const { certificate: _c, ...platform } = legacyKeys.platform;
  const legacy = new UnionpayChannel({ ...legacyKeys, platform });
  const callback = legacy.simulateCallback({ paymentId: "PAY20240501A1", amount: 1999 });
  expect(new URLSearchParams(callback.body).get("version")).toBe("5.0.0");
  const res = await gw.app.request("/v1/payments/callbacks/unionpay", {
    method: "POST",
    headers: callback.headers,
    body: callback.body,
  });
  expect(res.status).toBe(400);
  expect(gw.actors.sent).toEqual([]);
  expect(gw.audit.entries.map((e) => [e.action, String(e.detail?.reason)])).toEqual([
    ["payment.callback_rejected", expect.stringContaining("5.0.0")],
  ]);
});

test("optional Idempotency-Key - with a key the command id is per caller and bound to the body; without, a fresh id", async () => {
  const gw = fakeGateway();
  const auth = await gw.bearer(["inventory:write", "order:write"]);
  gw.actors.respond = () => ({ ok: true, value: { sku: "S1", maxPerUser: 2, stock: {} } });
  const limit = (headers: Record<string, string>, maxPerUser = 2) =>
    gw.app.request("/v1/inventory/S1/purchase-limit", {
      ...post({ maxPerUser }, { ...auth, ...headers }),
      method: "PUT",
    });
  expect((await limit({ "idempotency-key": "k1" })).status).toBe(200);
  expect((await limit({ "idempotency-key": "k1" }, 3)).status).toBe(200);
  expect((await limit({})).status).toBe(200);
  expect((await limit({})).status).toBe(200);
  const [first, other, bare1, bare2] = gw.actors.sent.map((m) => m.options);
  expect(first?.id).toMatch(/^limit:.+:k1$/);
  expect(other?.id).toBe(first?.id);
  expect(other?.fingerprint).not.toBe(first?.fingerprint);
  expect(bare1?.id).toStartWith("limit:");
  expect(bare1?.fingerprint).toBeUndefined();
  expect(bare2?.id).not.toBe(bare1?.id);
  // The header is checked before the body: a bad key is reported even with a bad body.
  const bad = await gw.app.request(
    "/v1/orders/O1/cancel",
    post({ reason: 5 }, { ...auth, "idempotency-key": "bad key!" }),
  );
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { field: string }).field).toBe("Idempotency-Key");
  gw.actors.respond = () => ({ ok: true, value: { orderId: "O1", status: "cancelled" } });
  expect(
    (await gw.app.request("/v1/orders/O1/cancel", post({}, { ...auth, "idempotency-key": "c1" }))).status,
  ).toBe(200);
  expect(gw.actors.sent.at(-1)?.options.id).toMatch(/^cancel:.+:c1$/);
});

test("warehouse routes - PUT is 201 when it creates and 200 when it updates; the list pages by code", async () => {
  const gw = fakeGateway();
  const auth = await gw.bearer(["warehouse:*"]);
  const put = (name: string) =>
    gw.app.request("/v1/warehouses/WH-1", { ...post({ name, region: "east" }, auth), method: "PUT" });
  expect((await put("first")).status).toBe(201);
  const updated = await put("second");
  expect(updated.status).toBe(200);
  expect(await updated.json()).toMatchObject({ code: "WH-1", name: "second" });
  const list = await gw.app.request("/v1/warehouses?limit=1", { headers: auth });
  expect(await list.json()).toMatchObject({ items: [{ code: "WH-1" }], nextCursor: "WH-1" });
});

test("price routes - a price is set per SKU and used by the next order; a negative price is 400", async () => {
  const gw = fakeGateway();
  const auth = await gw.bearer(["product:write"]);
  const put = (listPrice: number) =>
    gw.app.request("/v1/skus/A/price", { ...post({ listPrice }, auth), method: "PUT" });
  expect((await put(-1)).status).toBe(400);
  const res = await put(1999);
  expect(await res.json()).toEqual({ sku: "A", listPrice: 1999, currency: "CNY" });
  expect(gw.prices.prices.get("A")).toBe(1999);
});
