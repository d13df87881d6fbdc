/**
 * Inputs the review turned into 500s (issue 8, defect 9), several without logging in: each must be a 4xx
 * problem. NUL bytes reaching Postgres, dates outside Postgres's range in order filters, impossible
 * statement dates, built-in property names under /dashboard/vendor/, NUL in callback fields.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createChannels } from "../actors/payment/channels/index.ts";
import type { HubNode } from "../hub-node.ts";
import { channelKeys } from "../node/channel-keys.ts";
import { defaultSecretsKeyFile, SecretBox } from "../storage/secrets.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("no-500s");
let node: HubNode;
let admin: ApiClient;
let anonymous: ApiClient;

type Res = Awaited<ReturnType<ApiClient["call"]>>;

function expect4xx(res: Res, what: string, problem = true): void {
  const context = `${what} → ${res.status} ${JSON.stringify(res.body)}`;
  expect(res.status >= 400 && res.status < 500, context).toBe(true);
  if (problem) expect(res.headers.get("content-type") ?? "", context).toStartWith("application/problem+json");
}

const cursorOf = (text: string) => Buffer.from(text).toString("base64url");

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  admin = new ApiClient(node.app!);
  await admin.login();
  anonymous = new ApiClient(node.app!);
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("no 500s - dates outside Postgres's range in order filters and stats are 400", async () => {
  for (const query of [
    "from=99999-01-01",
    "from=-271821-04-20",
    "to=%2B275760-09-13T00:00:00Z",
    "from=0000-01-01",
    "to=not-a-date",
  ]) {
    expect4xx(await admin.call("GET", `/v1/orders?${query}`), `GET /v1/orders?${query}`);
  }
  expect4xx(await admin.call("GET", "/v1/orders/stats?from=99999-01-01&to=100000-01-01"), "stats far future");
  expect4xx(await admin.call("GET", "/v1/orders/stats?from=-001000-01-01&to=2026-01-01"), "stats far past");
  // Sensible bounds still work.
  expect((await admin.call("GET", "/v1/orders?from=2026-01-01&to=2026-12-31")).status).toBe(200);
});

test("no 500s - impossible statement and reconciliation dates are 400", async () => {
  for (const date of ["2026-02-30", "2026-13-01", "0000-01-01", "2025-02-29"]) {
    expect4xx(await admin.call("GET", `/v1/payments/statements/wechat?date=${date}`), `statement ${date}`);
    expect4xx(
      await admin.call("POST", "/v1/payments/reconciliations", { channel: "wechat", date, statement: "x" }),
      `reconciliation ${date}`,
    );
  }
  expect((await admin.call("GET", "/v1/payments/statements/wechat?date=2024-02-29")).status).toBe(200);
});

test("no 500s - NUL bytes in query filters, cursors and bodies never reach Postgres", async () => {
  for (const path of [
    "/v1/orders?status=a%00b",
    "/v1/orders?channel=a%00b",
    "/v1/orders?cursor=a%00b",
    `/v1/orders?cursor=${cursorOf("1\u0000:2")}`,
    "/v1/warehouses?cursor=a%00b",
    "/v1/inventory/SKU-1/ledger?cursor=a%00b",
  ]) {
    expect4xx(await admin.call("GET", path), `GET ${path}`);
  }
  expect4xx(
    await admin.call("PUT", "/v1/warehouses/WH-NUL", { name: "a\u0000b", region: "east" }),
    "warehouse",
  );
  // Without logging in.
  expect4xx(
    await anonymous.call("POST", "/v1/auth/token", { username: "ad\u0000min", password: "x" }, {}, false),
    "login username",
  );
});

test("no 500s - built-in property names under /dashboard/vendor/ are 404, without logging in", async () => {
  for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
    const res = await anonymous.call("GET", `/dashboard/vendor/${name}`, undefined, {}, false);
    expect(res.status, `${name} → ${res.status}`).toBe(404);
  }
  expect((await anonymous.call("GET", "/dashboard/vendor/uPlot.min.css", undefined, {}, false)).status).toBe(
    200,
  );
});

test("no 500s - NUL in callback fields is refused in the channel's own format, without logging in", async () => {
  const callbacks: Array<[string, string, Record<string, string>]> = [
    [
      "wechat",
      JSON.stringify({ id: "a\u0000b", resource: { ciphertext: "\u0000" } }),
      {
        "content-type": "application/json",
      },
    ],
    [
      "alipay",
      "out_trade_no=P1%00&trade_status=TRADE_SUCCESS&sign=x",
      {
        "content-type": "application/x-www-form-urlencoded",
      },
    ],
    [
      "unionpay",
      "orderId=P1%00&respCode=00&signature=x",
      { "content-type": "application/x-www-form-urlencoded" },
    ],
    // Refusal reasons that quote the field (audited as JSON) must not carry the NUL into Postgres.
    [
      "unionpay",
      "version=5.1.0&signMethod=0%00&orderId=P1&respCode=00&signature=x",
      { "content-type": "application/x-www-form-urlencoded" },
    ],
    [
      "alipay",
      "out_trade_no=P1&trade_status=TRADE_SUCCESS&sign_type=R%00SA2&sign=x",
      { "content-type": "application/x-www-form-urlencoded" },
    ],
    ["constructor", "x=1", { "content-type": "application/x-www-form-urlencoded" }],
  ];
  for (const [channel, body, headers] of callbacks) {
    const res = await anonymous.call("POST", `/v1/payments/callbacks/${channel}`, body, headers, false);
    expect4xx(res, `callback ${channel}`, false);
  }
});

test("no 500s - a correctly signed callback carrying NUL in a field is refused as bad input, without logging in", async () => {
  // Sign exactly as the channel would, with this cluster's simulated channel keys.
  const { box } = SecretBox.load({
    secret: node.config.HUB_SECRETS_KEY,
    keyFile: node.config.HUB_SECRETS_KEY_FILE ?? defaultSecretsKeyFile(ns),
  });
  const channels = createChannels(await channelKeys(node.sql, box));
  // A real payment waiting for its callback, so the NUL gets as far as it can.
  expect((await admin.call("PUT", "/v1/skus/NUL-CB/price", { listPrice: 100 })).status).toBe(200);
  expect((await admin.call("PUT", "/v1/warehouses/WH-CB", { name: "CB", region: "east" })).status).toBe(201);
  const stocked = await admin.call(
    "POST",
    "/v1/inventory/NUL-CB/receipts",
    { warehouse: "WH-CB", qty: 5 },
    {
      "idempotency-key": "nul-cb-stock",
    },
  );
  expect(stocked.status).toBe(201);
  const address = { region: "Beijing", detail: "1 Main St", phone: "13800000000", name: "Li Lei" };
  const order = await admin.call(
    "POST",
    "/v1/orders",
    { userId: "u-cb", lines: [{ sku: "NUL-CB", qty: 1 }], address },
    {
      "idempotency-key": "nul-cb-order",
    },
  );
  expect(order.status, JSON.stringify(order.body)).toBe(201);
  const orderId = (order.body as { orderId: string }).orderId;
  const payment = await admin.call("POST", "/v1/payments", { orderId, channel: "alipay" });
  expect(payment.status, JSON.stringify(payment.body)).toBe(201);
  const paymentId = (payment.body as { paymentId: string }).paymentId;
  const signed = channels.alipay.simulateCallback({
    paymentId,
    amount: 100,
    status: "paid",
    channelTxnId: "2026\u0000112233",
  });
  const res = await anonymous.call(
    "POST",
    "/v1/payments/callbacks/alipay",
    signed.body,
    signed.headers,
    false,
  );
  expect4xx(res, "signed alipay notify with NUL in trade_no", false);
  const after = (await admin.call("GET", `/v1/payments/${paymentId}`)).body as { status: string };
  expect(after.status).toBe("created");
});
