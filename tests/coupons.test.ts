import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Context } from "hono";
import type { GatewayKit } from "../gateway/app.ts";
import { problemFromErrorBody } from "../gateway/problem.ts";
import { couponDiscounts } from "../gateway/routes/coupon-checkout.ts";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("coupons");
let node: HubNode;
let api: ApiClient;

const DAY = 86_400_000;
const template = (over: Record<string, unknown> = {}) => ({
  name: "满100减15",
  kind: "amount_off",
  value: 1_500,
  threshold: 10_000,
  totalQuantity: 100,
  perUserLimit: 2,
  validFrom: new Date(Date.now() - DAY).toISOString(),
  validTo: new Date(Date.now() + 30 * DAY).toISOString(),
  ...over,
});
const typeOf = (r: { body: unknown }) => String((r.body as { type?: string }).type ?? "");
async function create(over: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const res = await api.call("POST", "/v1/coupon-templates", template(over), headers);
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { templateId: string }).templateId;
}
const claim = (id: string, userId: string, headers: Record<string, string> = {}) =>
  api.call("POST", `/v1/coupon-templates/${id}/claims`, { userId }, headers);

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("coupons - 2,000 concurrent claims over HTTP for 100 coupons: exactly 100 issued, no user over the limit, the log agrees", async () => {
  const id = await create();
  // 700 users, most claiming three times: the per-user limit (2) and the budget (100) both bind.
  const results = await Promise.all(
    Array.from({ length: 2_000 }, (_, i) =>
      claim(id, `U-${i % 700}`).then((r) => ({ ...r, user: `U-${i % 700}` })),
    ),
  );
  const statuses = new Map<string, number>();
  for (const r of results) {
    const key = r.status === 201 ? "201" : `${r.status} ${typeOf(r).split("/").at(-1)}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  }
  const summary = Object.fromEntries(statuses);
  expect(summary["201"]).toBe(100);
  expect((summary["409 coupons-exhausted"] ?? 0) + (summary["409 coupon-limit-reached"] ?? 0)).toBe(1_900);
  const issued = results
    .filter((r) => r.status === 201)
    .map((r) => r.body as { couponId: string; userId: string });
  expect(new Set(issued.map((c) => c.couponId)).size).toBe(100);
  const perUser = new Map<string, number>();
  for (const c of issued) perUser.set(c.userId, (perUser.get(c.userId) ?? 0) + 1);
  expect(Math.max(...perUser.values())).toBeLessThanOrEqual(2);

  // The actor's counts are those of acknowledged writes, straight away.
  const stats = await api.call("GET", `/v1/coupon-templates/${id}/stats`);
  expect(stats.body).toMatchObject({ issued: 100, claimed: 100, remaining: 0, used: 0, reserved: 0 });
  // The log, as projected: the same 100 coupons, to the same users.
  await node.projector!.caughtUp(15_000);
  const rows =
    await node.sql`SELECT coupon_id, user_id FROM coupons WHERE template_id = ${id} ORDER BY coupon_id`;
  expect(rows.map((r) => `${r.coupon_id}=${r.user_id}`).sort()).toEqual(
    issued.map((c) => `${c.couponId}=${c.userId}`).sort(),
  );
  const [t] = await node.sql`SELECT issued, claimed FROM coupon_templates WHERE template_id = ${id}`;
  expect({ ...t }).toEqual({ issued: 100, claimed: 100 });
  const over = await node.sql`SELECT user_id, count(*)::int AS n FROM coupons WHERE template_id = ${id}
    GROUP BY user_id HAVING count(*) > 2`;
  expect(over.map((r) => ({ ...r }))).toEqual([]);
});

test("coupons - a retried claim with the same Idempotency-Key returns the same coupon; another body with it is 422", async () => {
  const id = await create({ totalQuantity: 5, perUserLimit: 3 });
  const first = await claim(id, "U-1", { "idempotency-key": "k-1" });
  expect(first.status).toBe(201);
  expect(await claim(id, "U-1", { "idempotency-key": "k-1" })).toMatchObject({
    status: 201,
    body: first.body,
  });
  const reused = await claim(id, "U-2", { "idempotency-key": "k-1" });
  expect([reused.status, typeOf(reused)]).toEqual([422, expect.stringMatching(/idempotency-key-reused$/)]);
  expect((await api.call("GET", `/v1/coupon-templates/${id}/stats`)).body).toMatchObject({ issued: 1 });
  // A create retried with its key names the same template.
  const a = await create({ name: "retry" }, { "idempotency-key": "tpl-1" });
  expect(await create({ name: "retry" }, { "idempotency-key": "tpl-1" })).toBe(a);
});

test("coupons - a push gives per-user results within budget and limits; the member's list shows the coupons", async () => {
  const id = await create({
    totalQuantity: 3,
    perUserLimit: 1,
    kind: "percent_off",
    value: 10,
    maxDiscount: 2_000,
  });
  expect((await claim(id, "P-1")).status).toBe(201);
  const push = await api.call("POST", `/v1/coupon-templates/${id}/push`, {
    userIds: ["P-1", "P-2", "P-3", "P-4"],
  });
  expect(push.status).toBe(200);
  expect((push.body as { results: unknown[] }).results).toEqual([
    { userId: "P-1", couponId: null, refused: "coupon-limit-reached" },
    { userId: "P-2", couponId: `${id}-2`, refused: null },
    { userId: "P-3", couponId: `${id}-3`, refused: null },
    { userId: "P-4", couponId: null, refused: "coupons-exhausted" },
  ]);
  const tooMany = await api.call("POST", `/v1/coupon-templates/${id}/push`, {
    userIds: Array.from({ length: 1_001 }, (_, i) => `X-${i}`),
  });
  expect([tooMany.status, (tooMany.body as { field?: string }).field]).toEqual([400, "userIds"]);
  expect((await api.call("GET", `/v1/coupon-templates/${id}/stats`)).body).toMatchObject({
    issued: 3,
    claimed: 1,
    pushed: 2,
  });
  await node.projector!.caughtUp(15_000);
  const list = await api.call("GET", "/v1/members/P-2/coupons");
  expect(list.status).toBe(200);
  expect(list.body).toMatchObject({
    items: [
      {
        couponId: `${id}-2`,
        templateId: id,
        kind: "percent_off",
        value: 10,
        status: "available",
        source: "push",
      },
    ],
    nextCursor: null,
  });
});

test("coupons - expire ends claims (409 coupon-not-active) and turns unused coupons expired; a future window is not active yet", async () => {
  const id = await create();
  expect((await claim(id, "E-1")).status).toBe(201);
  const ended = await api.call("POST", `/v1/coupon-templates/${id}/expire`, { reason: "budget moved" });
  expect(ended.body).toMatchObject({ status: "ended", issued: 1, expired: 1 });
  const late = await claim(id, "E-2");
  expect([late.status, typeOf(late)]).toEqual([409, expect.stringMatching(/coupon-not-active$/)]);
  await node.projector!.caughtUp(15_000);
  expect((await api.call("GET", "/v1/members/E-1/coupons?status=expired")).body).toMatchObject({
    items: [{ templateId: id, status: "expired" }],
  });
  const future = await create({ validFrom: new Date(Date.now() + DAY).toISOString() });
  const early = await claim(future, "E-3");
  expect([early.status, typeOf(early)]).toEqual([409, expect.stringMatching(/coupon-not-active$/)]);
});

test("coupons - built-in names are plain ids; unknown templates are 404; paging cursors are checked", async () => {
  const id = await create({ perUserLimit: 1 });
  for (const userId of ["constructor", "toString", "hasOwnProperty", "valueOf"]) {
    expect((await claim(id, userId)).status).toBe(201);
    const again = await claim(id, userId);
    expect([again.status, typeOf(again)]).toEqual([409, expect.stringMatching(/coupon-limit-reached$/)]);
  }
  for (const name of ["constructor", "toString", "hasOwnProperty"]) {
    expect((await api.call("GET", `/v1/coupon-templates/${name}/stats`)).status).toBe(404);
    expect((await claim(name, "U-1")).status).toBe(404);
  }
  expect((await claim(id, "__proto__")).status).toBe(400);
  await node.projector!.caughtUp(15_000);
  const mine = await api.call("GET", "/v1/members/constructor/coupons");
  expect((mine.body as { items: unknown[] }).items).toHaveLength(1);
  const bad = await api.call("GET", "/v1/members/constructor/coupons?cursor=bm9wZQ");
  expect([bad.status, (bad.body as { field?: string }).field]).toEqual([400, "cursor"]);
});

test("coupons - hostile text and bad templates are refused with the field at fault; names are stored as NFC", async () => {
  const refused = async (over: Record<string, unknown>, field: string) => {
    const res = await api.call("POST", "/v1/coupon-templates", template(over));
    expect({ over, status: res.status, field: (res.body as { field?: string }).field }).toEqual({
      over,
      status: 400,
      field,
    });
  };
  await refused({ name: "a\u0000b" }, "name");
  await refused({ name: "x\u202e\u0085y" }, "name");
  await refused({ name: "bad \ud800" }, "name");
  await refused({ kind: "percent_off", value: 100 }, "value");
  await refused({ kind: "amount_off", maxDiscount: 10 }, "maxDiscount");
  await refused({ validTo: new Date(Date.now() - 2 * DAY).toISOString() }, "validTo");
  await refused({ totalQuantity: 100_001 }, "totalQuantity");
  await refused({ scope: { skus: ["A"], __proto__x: 1 } }, "scope.__proto__x");
  await refused({ scope: {} }, "scope");
  const raw = await api.call(
    "POST",
    "/v1/coupon-templates",
    `{"name":"x","kind":"amount_off","value":1,"totalQuantity":1,"perUserLimit":1,"validFrom":"2026-01-01","validTo":"2027-01-01","__proto__":{"admin":true}}`,
  );
  expect(raw.status).toBe(400);
  const id = await create({
    name: " Cafe\u0301 <script>alert(1)</script> 😀 ",
    scope: { categories: ["constructor"] },
  });
  const view = await api.call("GET", `/v1/coupon-templates/${id}`);
  expect(view.body).toMatchObject({
    name: "Caf\u00e9 <script>alert(1)</script> 😀",
    scope: { categories: ["constructor"] },
  });
});

test("coupons - couponDiscounts prices the buyer's coupons in order on what is left, and refuses what is not usable", async () => {
  // The route kit's `command`, over the real node's actor client.
  const kit = {
    command: async (_c: Context, kind: string, id: string, cmd: { type: string }, options = {}) => {
      const reply = await node.client.request(kind, id, cmd, options);
      if (!reply.ok) throw problemFromErrorBody(reply.error);
      return reply.value;
    },
  } as unknown as GatewayKit;
  const c = {} as Context;
  const amountOff = await create({ perUserLimit: 5 }); // 满100减15 on the whole shop
  const percent = await create({
    kind: "percent_off",
    value: 10,
    maxDiscount: 500,
    threshold: undefined,
    scope: { skus: ["SKU-B"] },
  });
  const claimed = async (id: string, userId = "B-1") =>
    ((await claim(id, userId)).body as { couponId: string }).couponId;
  const a = await claimed(amountOff);
  const p = await claimed(percent);
  const lines = [
    { sku: "SKU-A", qty: 2, unitPrice: 4_000 },
    { sku: "SKU-B", qty: 1, unitPrice: 3_000 },
  ];
  const applied = await couponDiscounts(kit, c, { userId: "B-1", couponIds: [a, p], lines });
  expect(applied.map(({ couponId, discount, lines }) => ({ couponId, discount, lines }))).toEqual([
    // 1,500 over 8,000 + 3,000, largest remainder: 1,091 / 409.
    {
      couponId: a,
      discount: 1_500,
      lines: [
        { sku: "SKU-A", discount: 1_091 },
        { sku: "SKU-B", discount: 409 },
      ],
    },
    // 10 % of what SKU-B still costs (2,591), half up: 259.
    { couponId: p, discount: 259, lines: [{ sku: "SKU-B", discount: 259 }] },
  ]);
  expect(applied[0]!.explanation.en).toContain("¥15.00 off");
  expect(applied[0]!.explanation["zh-CN"]).toContain("满¥100.00减¥15.00");
  const refused = async (req: { userId: string; couponIds: string[] }, status: number, type: string) => {
    const error = await couponDiscounts(kit, c, { ...req, lines }).then(
      () => undefined,
      (e: unknown) => e as { status: number; slug: string },
    );
    expect({ req, status: error?.status, type: error?.slug }).toEqual({ req, status, type });
  };
  await refused({ userId: "B-2", couponIds: [a] }, 409, "coupon-not-usable");
  await refused({ userId: "B-1", couponIds: [a, `${amountOff}-99`] }, 409, "coupon-not-usable");
  await refused({ userId: "B-1", couponIds: [`${percent}-99`] }, 404, "not-found");
  await refused({ userId: "B-1", couponIds: ["constructor"] }, 404, "not-found");
  const small = await couponDiscounts(kit, c, {
    userId: "B-1",
    couponIds: [p],
    lines: [{ sku: "SKU-A", qty: 1, unitPrice: 100 }],
  }).catch((e: { slug: string }) => e.slug);
  expect(small).toBe("coupon-not-usable");
});
