/**
 * The catalogue end to end over a real node (Postgres, NATS): the category tree's rules (cycles, concurrent
 * opposite moves, deletes), the spec validation table, built-in names as codes, listing read from the actor,
 * the order's not-on-sale check, and the change history.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("catalogue");
let node: HubNode;
let api: ApiClient;
const PROBLEMS = "https://business-hub.dev/problems/";
const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };
const TEMPLATE = [
  { name: "颜色", values: ["红", "蓝"] },
  { name: "尺码", values: ["S", "M", "L"] },
];
type Body = Record<string, unknown>;
const show = (res: { status: number; body: unknown }) => `${res.status} ${JSON.stringify(res.body)}`;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  const dress = await api.call("PUT", "/v1/categories/dress", {
    name: "连衣裙",
    kind: "back",
    specs: TEMPLATE,
  });
  expect(dress.status, show(dress)).toBe(201);
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

const putCategory = (code: string, body: Body) => api.call("PUT", `/v1/categories/${code}`, body);
const putProduct = (spu: string, body: Body) => api.call("PUT", `/v1/products/${spu}`, body);
const sku = (code: string, specs: Body, listPrice = 1999) => ({ sku: code, specs, listPrice });

test("catalogue - moves keep the back tree a tree: a cycle is 409 on `parent`, nothing changes", async () => {
  for (const [code, parent] of [
    ["t-a", null],
    ["t-b", "t-a"],
    ["t-c", "t-b"],
  ] as const)
    expect((await putCategory(code, { name: code, kind: "back", parent })).status).toBe(201);
  for (const parent of ["t-c", "t-a"]) {
    const res = await putCategory("t-a", { name: "t-a", kind: "back", parent });
    expect(res.status, show(res)).toBe(409);
    expect(res.body).toMatchObject({ type: `${PROBLEMS}conflict`, field: "parent" });
  }
  // A legal move (c up under a), then the tree in order with depths.
  const moved = await putCategory("t-c", { name: "t-c", kind: "back", parent: "t-a" });
  expect(moved.status).toBe(200);
  expect(moved.body).toMatchObject({ code: "t-c", parent: "t-a", depth: 1 });
  const list = (await api.call("GET", "/v1/categories?kind=back")).body as { items: Body[] };
  const tree = list.items
    .filter((c) => String(c.code).startsWith("t-"))
    .map((c) => [c.code, c.parent, c.depth]);
  expect(tree).toEqual([
    ["t-a", null, 0],
    ["t-b", "t-a", 1],
    ["t-c", "t-a", 1],
  ]);
  // A front parent for a back category, or a kind change, is refused.
  expect((await putCategory("f-root", { name: "f", kind: "front" })).status).toBe(201);
  expect((await putCategory("t-b", { name: "t-b", kind: "back", parent: "f-root" })).body).toMatchObject({
    field: "parent",
  });
  expect((await putCategory("t-b", { name: "t-b", kind: "front" })).status).toBe(409);
});

test("catalogue - concurrent opposite moves never make a cycle: exactly one of each pair wins", async () => {
  for (let i = 0; i < 8; i++) {
    const [x, y] = [`cx-${i}`, `cy-${i}`];
    await putCategory(x, { name: x, kind: "back" });
    await putCategory(y, { name: y, kind: "back" });
    const [a, b] = await Promise.all([
      putCategory(x, { name: x, kind: "back", parent: y }),
      putCategory(y, { name: y, kind: "back", parent: x }),
    ]);
    expect([a.status, b.status].sort(), `${show(a)} / ${show(b)}`).toEqual([200, 409]);
    const items = ((await api.call("GET", "/v1/categories?kind=back")).body as { items: Body[] }).items;
    const parentOf = new Map(items.map((c) => [c.code, c.parent]));
    expect([parentOf.get(x), parentOf.get(y)].filter((p) => p !== null)).toHaveLength(1);
    // Both are still listed (a cycle would hide them from the tree order walk).
    expect(items.some((c) => c.code === x) && items.some((c) => c.code === y)).toBe(true);
  }
}, 60_000);

test("catalogue - a template change racing a product written against the old template: never both", async () => {
  for (let i = 0; i < 6; i++) {
    const code = `race-${i}`;
    const wide = [{ name: "色", values: ["红", "蓝"] }];
    expect((await putCategory(code, { name: code, kind: "back", specs: wide })).status).toBe(201);
    const [template, product] = await Promise.all([
      putCategory(code, { name: code, kind: "back", specs: [{ name: "色", values: ["红"] }] }),
      putProduct(`RACE-${i}`, { name: "r", category: code, skus: [sku(`RACE-${i}-B`, { 色: "蓝" })] }),
    ]);
    const outcome = `${show(template)} / ${show(product)}`;
    // Either the template narrowed and the product was refused (422) or written first and the change refused (409).
    expect([template.status, product.status].sort(), outcome).toEqual(
      template.status === 200 ? [200, 422] : [201, 409],
    );
  }
}, 60_000);

test("catalogue - front categories map onto back ones; a back category shown by one, with children or products, is not deleted", async () => {
  await putCategory("k-back", { name: "k", kind: "back" });
  await putCategory("k-child", { name: "kc", kind: "back", parent: "k-back" });
  const front = await putCategory("k-front", {
    name: "春季新款",
    kind: "front",
    backCategories: ["k-back", "dress"],
  });
  expect(front.status, show(front)).toBe(201);
  expect(front.body).toMatchObject({ backCategories: ["dress", "k-back"] });
  const wrong = await putCategory("k-front2", { name: "x", kind: "front", backCategories: ["k-front"] });
  expect(wrong.body).toMatchObject({ field: "backCategories.0" });
  expect((await putCategory("k-front3", { name: "x", kind: "front", specs: TEMPLATE })).status).toBe(422);
  const withChild = await api.call("DELETE", "/v1/categories/k-back");
  expect(withChild.status).toBe(409);
  expect((await api.call("DELETE", "/v1/categories/k-child")).status).toBe(204);
  expect((await api.call("DELETE", "/v1/categories/k-back")).status).toBe(409); // still shown by k-front
  expect((await api.call("DELETE", "/v1/categories/k-front")).status).toBe(204);
  expect((await api.call("DELETE", "/v1/categories/k-back")).status).toBe(204);
  await putProduct("P-DEL", {
    name: "p",
    category: "dress",
    skus: [sku("P-DEL-1", { 颜色: "红", 尺码: "S" })],
  });
  const withProducts = await api.call("DELETE", "/v1/categories/dress");
  expect(withProducts.status).toBe(409);
  expect(String((withProducts.body as Body).detail)).toContain("products");
});

test("catalogue - spec combinations are validated against the template (table)", async () => {
  const cases: Array<[string, Body[], number, string | undefined]> = [
    [
      "valid",
      [
        { 颜色: "红", 尺码: "S" },
        { 颜色: "蓝", 尺码: "S" },
      ],
      201,
      undefined,
    ],
    ["missing spec", [{ 颜色: "红" }], 422, "skus.0.specs.尺码"],
    ["value not allowed", [{ 颜色: "绿", 尺码: "S" }], 422, "skus.0.specs.颜色"],
    ["unknown spec", [{ 颜色: "红", 尺码: "S", 材质: "棉" }], 422, "skus.0.specs.材质"],
    [
      "same combination twice",
      [
        { 颜色: "红", 尺码: "M" },
        { 尺码: "M", 颜色: "红" },
      ],
      422,
      "skus.1.specs",
    ],
    // JSON.parse keeps a `__proto__` key as data, as a client's JSON would send it.
    [
      "__proto__ as a spec",
      [JSON.parse('{"颜色":"红","尺码":"S","__proto__":"x"}')],
      422,
      "skus.0.specs.__proto__",
    ],
    ["toString as a spec", [{ 颜色: "红", 尺码: "S", toString: "x" }], 422, "skus.0.specs.toString"],
  ];
  for (const [i, [what, specs, status, field]] of cases.entries()) {
    const skus = specs.map((s, j) => sku(`SV-${i}-${j}`, s));
    const res = await putProduct(`SV-${i}`, { name: what, category: "dress", skus });
    expect(res.status, `${what}: ${show(res)}`).toBe(status);
    if (field) expect((res.body as Body).field, what).toBe(field);
  }
  // Nothing of a refused product was written.
  expect((await api.call("GET", "/v1/products/SV-1")).status).toBe(404);
});

test("catalogue - built-in names are plain codes: constructor / toString as category, SPU and SKU; __proto__ as spec name and value", async () => {
  const specs = [
    { name: "constructor", values: ["toString", "__proto__"] },
    { name: "__proto__", values: ["valueOf"] },
  ];
  expect((await putCategory("toString", { name: "t", kind: "back", specs })).status).toBe(201);
  const skus = JSON.parse(`[
    { "sku": "constructor", "specs": { "constructor": "toString", "__proto__": "valueOf" }, "listPrice": 100 },
    { "sku": "toString", "specs": { "constructor": "__proto__", "__proto__": "valueOf" }, "listPrice": 200 }]`);
  const created = await putProduct("constructor", {
    name: "p",
    category: "toString",
    skus,
    attributes: { toString: "1" },
  });
  expect(created.status, show(created)).toBe(201);
  const got = await api.call("GET", "/v1/products/constructor");
  expect(got.body).toMatchObject({
    spuCode: "constructor",
    status: "draft",
    attributes: { toString: "1" },
    skus: [
      {
        sku: "constructor",
        specs: JSON.parse('{"constructor":"toString","__proto__":"valueOf"}'),
        listPrice: 100,
      },
      {
        sku: "toString",
        specs: JSON.parse('{"constructor":"__proto__","__proto__":"valueOf"}'),
        listPrice: 200,
      },
    ],
  });
});

test("catalogue - an SKU belongs to one product (409); removed SKUs are detached; prices live in the price store", async () => {
  const red = { 颜色: "红", 尺码: "L" };
  const blue = { 颜色: "蓝", 尺码: "L" };
  expect(
    (await putProduct("P-1", { name: "a", category: "dress", skus: [sku("P1-R", red), sku("P1-B", blue)] }))
      .status,
  ).toBe(201);
  const taken = await putProduct("P-2", { name: "b", category: "dress", skus: [sku("P1-R", red)] });
  expect(taken.status).toBe(409);
  expect(taken.body).toMatchObject({ field: "skus.0.sku" });
  const updated = await putProduct("P-1", { name: "a2", category: "dress", skus: [sku("P1-R", red, 2500)] });
  expect(updated.status).toBe(200);
  expect(updated.body).toMatchObject({ name: "a2", skus: [{ sku: "P1-R", listPrice: 2500 }] });
  expect((updated.body as { skus: unknown[] }).skus).toHaveLength(1);
  // The detached SKU can join another product; its list price stayed in the price store.
  expect(
    (await putProduct("P-2", { name: "b", category: "dress", skus: [sku("P1-B", blue, 777)] })).status,
  ).toBe(201);
  expect((await api.call("PUT", "/v1/skus/P1-R/price", { listPrice: 2600 })).status).toBe(200);
  const got = (await api.call("GET", "/v1/products/P-1")).body as { skus: Body[] };
  expect(got.skus).toEqual([expect.objectContaining({ sku: "P1-R", listPrice: 2600 })]);
});

test("catalogue - publish reads back at once from the actor; ordering needs the product on sale (409 not-on-sale)", async () => {
  await api.call("PUT", "/v1/warehouses/WH-C", { name: "C", region: "east" });
  const specs = { 颜色: "蓝", 尺码: "M" };
  await putProduct("P-SALE", { name: "s", category: "dress", skus: [sku("SALE-1", specs, 990)] });
  await api.call(
    "POST",
    "/v1/inventory/SALE-1/receipts",
    { warehouse: "WH-C", qty: 5 },
    { "idempotency-key": "r-sale" },
  );
  await api.call(
    "POST",
    "/v1/inventory/BARE-1/receipts",
    { warehouse: "WH-C", qty: 5 },
    { "idempotency-key": "r-bare" },
  );
  await api.call("PUT", "/v1/skus/BARE-1/price", { listPrice: 100 });
  const order = (key: string, lines: Body[]) =>
    api.call("POST", "/v1/orders", { userId: "u-1", lines, address }, { "idempotency-key": key });

  const draft = await order("o-1", [
    { sku: "BARE-1", qty: 1 },
    { sku: "SALE-1", qty: 1 },
  ]);
  expect(draft.status, show(draft)).toBe(409);
  expect(draft.body).toMatchObject({ type: `${PROBLEMS}not-on-sale`, field: "lines.1.sku" });
  expect((await order("o-2", [{ sku: "BARE-1", qty: 1 }])).status).toBe(201); // a bare SKU: as before

  const published = await api.call("POST", "/v1/products/P-SALE/publish");
  expect(published.status, show(published)).toBe(200);
  expect(((await api.call("GET", "/v1/products/P-SALE")).body as Body).status).toBe("on_sale");
  const placed = await order("o-3", [{ sku: "SALE-1", qty: 1 }]);
  expect(placed.status, show(placed)).toBe(201);
  expect((await api.call("POST", "/v1/products/P-SALE/unpublish", {})).status).toBe(200);
  expect((await order("o-4", [{ sku: "SALE-1", qty: 1 }])).status).toBe(409);
  expect((await api.call("POST", "/v1/products/NO-SUCH/publish")).status).toBe(404);
  // With an Idempotency-Key a retry returns the first answer; the same key with another body is refused.
  const at = new Date(Date.now() + 3_600_000).toISOString();
  const first = await api.call("POST", "/v1/products/P-SALE/publish", { at }, { "idempotency-key": "pub-1" });
  expect(first.status, show(first)).toBe(202);
  const again = await api.call("POST", "/v1/products/P-SALE/publish", { at }, { "idempotency-key": "pub-1" });
  expect(again.body).toEqual(first.body);
  const other = await api.call("POST", "/v1/products/P-SALE/publish", {}, { "idempotency-key": "pub-1" });
  expect(other.status, show(other)).toBe(422);
  expect(((await api.call("GET", "/v1/products/P-SALE")).body as Body).scheduled).toEqual({
    action: "publish",
    at,
  });
  // An operator cancels it: nothing scheduled, the status unchanged.
  const cancelled = await api.call("DELETE", "/v1/products/P-SALE/scheduled");
  expect(cancelled.status, show(cancelled)).toBe(200);
  expect(cancelled.body).toEqual({ spuCode: "P-SALE", status: "off_sale", scheduled: null });
  expect(((await api.call("GET", "/v1/products/P-SALE")).body as Body).scheduled).toBeNull();
  expect((await api.call("DELETE", "/v1/products/NO-SUCH/scheduled")).status).toBe(404);
  // The projection catches up: products.status and a listing history row per change.
  await waitFor(
    async () => {
      const [row] = await node.sql!`SELECT status, scheduled FROM products WHERE spu_code = 'P-SALE'`;
      return row?.status === "off_sale" && row.scheduled === null;
    },
    10_000,
    "products.status projected",
  );
});

test("catalogue - history: who, when, before/after for product, SKU, price and listing, newest first, cursor-paged", async () => {
  const specs = { 颜色: "红", 尺码: "S" };
  await api.call("PUT", "/v1/categories/h-cat", {
    name: "h",
    kind: "back",
    specs: [
      { name: "颜色", values: ["红"] },
      { name: "尺码", values: ["S"] },
    ],
  });
  await putProduct("P-H", { name: "first", category: "h-cat", skus: [sku("H-1", specs, 100)] });
  await putProduct("P-H", { name: "second", category: "h-cat", skus: [sku("H-1", specs, 150)] });
  await api.call("POST", "/v1/products/P-H/publish");
  await waitFor(
    async () =>
      ((await api.call("GET", "/v1/products/P-H/history")).body as { items: Body[] }).items.some(
        (i) => i.kind === "listing",
      ),
    10_000,
    "the listing row",
  );
  const { items } = (await api.call("GET", "/v1/products/P-H/history?limit=50")).body as { items: Body[] };
  expect(items.map((i) => i.kind)).toEqual(["listing", "price", "product", "price", "sku", "product"]);
  expect(items[0]).toMatchObject({ by: "admin", before: { status: "draft" }, after: { status: "on_sale" } });
  expect(items[1]).toMatchObject({ sku: "H-1", before: { listPrice: 100 }, after: { listPrice: 150 } });
  expect(items[2]).toMatchObject({ before: { name: "first" }, after: { name: "second" } });
  expect(items.at(-1)).toMatchObject({ before: null, after: { name: "first" } });
  const page1 = (await api.call("GET", "/v1/products/P-H/history?limit=4")).body as {
    items: Body[];
    nextCursor: string;
  };
  const page2 = (await api.call("GET", `/v1/products/P-H/history?limit=4&cursor=${page1.nextCursor}`))
    .body as { items: Body[]; nextCursor: null };
  expect([...page1.items, ...page2.items]).toEqual(items);
  expect(page2.nextCursor).toBeNull();
  expect((await api.call("GET", "/v1/products/P-H/history?cursor=bogus")).status).toBe(400);
});
