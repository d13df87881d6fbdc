/**
 * Price rule and quote routes over in-memory ports (no NATS): replace semantics, refusals with their field
 * and nothing stored, the quote's sources and total, and orders charging exactly the quoted unit prices.
 * The same routes run end to end over a real node in tests/pricing.test.ts.
 */
import { expect, test } from "bun:test";
import { fakeGateway } from "../testing.ts";

const PROBLEMS = "https://business-hub.dev/problems/";
const send = (method: string, body: unknown, headers: Record<string, string>) => ({
  method,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});
const address = { region: "Shanghai", detail: "1 Nanjing Road", phone: "13800138000", name: "Wang Fang" };
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const LEVELS: Record<string, { name: string; discountPercent: number; freeShipping: boolean }> = {
  gold: { name: "gold", discountPercent: 5, freeShipping: true },
  regular: { name: "regular", discountPercent: 0, freeShipping: false },
};

/** A gateway whose member actors answer with the level in `levelOf` (default regular) and accept orders. */
async function setup(levelOf: Record<string, string> = {}) {
  const gw = fakeGateway();
  gw.actors.respond = ({ kind, id }) =>
    kind === "member"
      ? {
          ok: true,
          value: { userId: id, level: { ...LEVELS[levelOf[id] ?? "regular"], prioritySupport: false } },
        }
      : { ok: true, value: { orderId: id, status: "pending_payment" } };
  const auth = await gw.bearer(["product:write", "product:read", "order:write"]);
  const put = (sku: string, body: unknown) =>
    gw.app.request(`/v1/skus/${sku}/prices`, send("PUT", body, auth));
  const quote = async (body: unknown) => {
    const res = await gw.app.request("/v1/pricing/quote", send("POST", body, auth));
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown> & { lines: QuotedLine[] },
    };
  };
  return { gw, auth, put, quote };
}
interface QuotedLine {
  sku: string;
  qty: number;
  listPrice: number;
  unitPrice: number;
  source: string;
}

test("pricing routes - PUT replaces the whole rule set and answers the rules now stored", async () => {
  const { gw, put, auth } = await setup();
  await gw.prices.set("A", 10_000);
  const from = Date.parse("2030-01-01T00:00:00Z");
  const first = await put("A", {
    memberLevels: { gold: 9_000, silver: { price: 9_500, to: iso(from) } },
    channels: { app: 9_200, constructor: 9_100 },
    schedules: [
      { from: iso(from + HOUR), to: iso(from + 2 * HOUR), price: 8_000 },
      { from: iso(from), to: iso(from + HOUR), price: 8_500 },
    ],
  });
  expect(first.status).toBe(200);
  expect(await first.json()).toEqual({
    sku: "A",
    listPrice: 10_000,
    memberLevels: { gold: 9_000, silver: { price: 9_500, from: null, to: iso(from) } },
    channels: { app: 9_200, constructor: 9_100 },
    schedules: [
      { from: iso(from), to: iso(from + HOUR), price: 8_500 },
      { from: iso(from + HOUR), to: iso(from + 2 * HOUR), price: 8_000 },
    ],
  });
  // Replace semantics: what the next PUT leaves out is gone.
  const second = await put("A", { channels: { web: 9_900 } });
  expect(await second.json()).toEqual({
    sku: "A",
    listPrice: 10_000,
    memberLevels: {},
    channels: { web: 9_900 },
    schedules: [],
  });
  const read = await gw.app.request("/v1/skus/A/prices", { headers: auth });
  expect(((await read.json()) as { channels: unknown }).channels).toEqual({ web: 9_900 });
  // Rules may come before the list price; the SKU is still unpriced until it has one.
  const early = await put("NEW", { channels: { web: 1 } });
  expect(await early.json()).toMatchObject({ sku: "NEW", listPrice: null });
});

test("pricing routes - bad windows, overlaps and unknown levels are 422 with the field; nothing is stored", async () => {
  const { gw, put } = await setup();
  const t = Date.parse("2030-01-01T00:00:00Z");
  const cases: Array<[unknown, number, string]> = [
    [{ schedules: [{ from: iso(t), to: iso(t), price: 1 }] }, 422, "schedules.0.to"],
    [
      {
        schedules: [
          { from: iso(t), to: iso(t + HOUR), price: 1 },
          { from: iso(t + HOUR - 1), to: iso(t + 2 * HOUR), price: 2 },
        ],
      },
      422,
      "schedules.1.from",
    ],
    [{ channels: { app: { price: 1, from: iso(t), to: iso(t - 1) } } }, 422, "channels.app.to"],
    [{ memberLevels: { golde: 1 } }, 422, "memberLevels.golde"],
    [{ memberLevels: JSON.parse('{"__proto__": 1}') }, 422, "memberLevels.__proto__"],
    [{ memberLevels: { toString: 1 } }, 422, "memberLevels.toString"],
    [{ channels: { toString: 1 } }, 400, "channels"],
    [{ channels: { app: -1 } }, 400, "channels"],
    [{ schedules: [{ from: "yesterday", to: iso(t), price: 1 }] }, 400, "schedules.0.from"],
    [{ listPrice: 1 }, 400, ""],
  ];
  for (const [body, status, field] of cases) {
    const res = await put("A", body);
    const problem = (await res.json()) as { type: string; field?: string };
    expect({ body, status: res.status, field: problem.field?.startsWith(field) }).toEqual({
      body,
      status,
      field: true,
    });
    if (status === 422) expect(problem.type).toBe(`${PROBLEMS}validation`);
  }
  expect(gw.priceRules.rules.size).toBe(0);
  // Touching windows do not overlap: [t, t+1h) then [t+1h, t+2h).
  const touching = await put("A", {
    schedules: [
      { from: iso(t), to: iso(t + HOUR), price: 1 },
      { from: iso(t + HOUR), to: iso(t + 2 * HOUR), price: 2 },
    ],
  });
  expect(touching.status).toBe(200);
});

test("pricing routes - a quote names the winning rule per line and totals unit price × qty", async () => {
  const { gw, put, quote } = await setup({ "u-gold": "gold", constructor: "gold" });
  await gw.prices.set("A", 10_000);
  await gw.prices.set("B", 1_990);
  await gw.prices.set("C", 500);
  const now = Date.now();
  await put("A", { channels: { app: 9_000, web: 9_800 }, memberLevels: { gold: 9_600 } });
  await put("C", { schedules: [{ from: iso(now - HOUR), to: iso(now + HOUR), price: 450 }] });
  const lines = [
    { sku: "A", qty: 2 },
    { sku: "B", qty: 3 },
    { sku: "C", qty: 1 },
  ];

  const anonymous = await quote({ lines });
  expect(anonymous.status).toBe(200);
  // No user: the lowest level (regular, 0 %); no channel: the order's default, web.
  expect(anonymous.body.lines.map((l) => [l.sku, l.unitPrice, l.source])).toEqual([
    ["A", 9_800, "channel:web"],
    ["B", 1_990, "list"],
    ["C", 450, "schedule"],
  ]);
  expect(anonymous.body.items).toBe(9_800 * 2 + 1_990 * 3 + 450);
  expect(anonymous.body.benefits).toEqual({ level: "regular", discountPercent: 0, freeShipping: false });
  expect(gw.actors.sent.filter((s) => s.kind === "member")).toEqual([]);

  const gold = await quote({ userId: "u-gold", channel: "app", lines });
  expect(gold.body.lines.map((l) => [l.sku, l.listPrice, l.unitPrice, l.source])).toEqual([
    ["A", 10_000, 9_000, "channel:app"],
    ["B", 1_990, 1_891, "member:gold"], // 5 % off 1990 = 1890.5, half up
    ["C", 500, 450, "schedule"],
  ]);
  expect(gold.body.items).toBe(9_000 * 2 + 1_891 * 3 + 450);
  expect(gold.body.benefits).toEqual({ level: "gold", discountPercent: 5, freeShipping: true });
  expect(gw.actors.sent.at(-1)).toMatchObject({ kind: "member", id: "u-gold", options: { readOnly: true } });
  // A built-in name is just a user id.
  expect((await quote({ userId: "constructor", channel: "web", lines })).body.lines[0]?.source).toBe(
    "member:gold",
  );
});

test("pricing routes - unknown prices, duplicates and too many lines are refused with their field", async () => {
  const { gw, quote } = await setup();
  await gw.prices.set("A", 100);
  const unknown = await quote({
    lines: [
      { sku: "A", qty: 1 },
      { sku: "Z", qty: 1 },
    ],
  });
  expect(unknown).toMatchObject({
    status: 422,
    body: { type: `${PROBLEMS}unknown-price`, field: "lines.1.sku" },
  });
  expect(
    (
      await quote({
        lines: [
          { sku: "A", qty: 1 },
          { sku: "A", qty: 2 },
        ],
      })
    ).status,
  ).toBe(400);
  const many = Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, qty: 1 }));
  expect(await quote({ lines: many })).toMatchObject({ status: 400, body: { field: "lines" } });
  expect((await quote({ lines: [{ sku: "A", qty: 1 }], channel: "__proto__" })).status).toBe(400);
  // Σ unitPrice × qty stays within MAX_AMOUNT (100 million yuan), so sums stay exact integers.
  await gw.prices.set("BIG", 10_000_000_000);
  const huge = await quote({ lines: [{ sku: "BIG", qty: 2 }] });
  expect(huge).toMatchObject({ status: 422, body: { type: `${PROBLEMS}validation`, field: "lines" } });
});

test("pricing routes - an order charges exactly the quoted unit prices, for its user and channel", async () => {
  const { gw, auth, put, quote } = await setup({ u1: "gold" });
  await gw.prices.set("A", 10_000);
  await gw.prices.set("B", 1_990);
  await put("A", { channels: { app: 9_000 } });
  const lines = [
    { sku: "A", qty: 2 },
    { sku: "B", qty: 1 },
  ];
  const quoted = await quote({ userId: "u1", channel: "app", lines });
  const res = await gw.app.request(
    "/v1/orders",
    send("POST", { userId: "u1", channel: "app", lines, address }, { ...auth, "idempotency-key": "q-1" }),
  );
  expect(res.status).toBe(201);
  const place = gw.actors.sent.find((s) => s.kind === "order");
  expect(place?.cmd).toMatchObject({
    type: "place",
    channel: "app",
    discount: 0,
    lines: quoted.body.lines.map((l) => ({ sku: l.sku, qty: l.qty, unitPrice: l.unitPrice })),
  });
  expect(quoted.body.lines.map((l) => l.unitPrice)).toEqual([9_000, 1_891]);
});

test("pricing routes - a quote for a named buyer needs member:read or order:write (it tells their level)", async () => {
  const { gw, put } = await setup({ "U-GOLD": "gold" });
  expect((await put("SKU-Q1", { memberLevels: { gold: 900 } })).status).toBe(200);
  await gw.prices.set("SKU-Q1", 1_000);
  const catalogueOnly = await gw.bearer(["product:read"]);
  const quoteAs = (auth: Record<string, string>, body: unknown) =>
    gw.app.request("/v1/pricing/quote", send("POST", body, auth));
  const named = await quoteAs(catalogueOnly, { userId: "U-GOLD", lines: [{ sku: "SKU-Q1", qty: 1 }] });
  expect({ status: named.status, body: await named.json() }).toMatchObject({
    status: 403,
    body: { type: `${PROBLEMS}forbidden`, field: "userId" },
  });
  // Anonymous quotes stay open to catalogue readers; member readers may name the buyer.
  const anonymous = await quoteAs(catalogueOnly, { lines: [{ sku: "SKU-Q1", qty: 1 }] });
  expect(anonymous.status).toBe(200);
  const memberReader = await gw.bearer(["product:read", "member:read"]);
  const allowed = await quoteAs(memberReader, { userId: "U-GOLD", lines: [{ sku: "SKU-Q1", qty: 1 }] });
  expect({ status: allowed.status, body: await allowed.json() }).toMatchObject({
    status: 200,
    body: { lines: [{ sku: "SKU-Q1", unitPrice: 900, source: "member:gold" }] },
  });
});
