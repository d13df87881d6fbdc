/**
 * Batch operations and the product import over a real node: one bad item never stops the others and no
 * item is half-applied (publish/unpublish through the listing actor, prices through the price book,
 * category changes through the catalogue store's own product write), server-side caps, and the import's
 * dry run that reports every row's faults and writes nothing, then the real import that applies exactly
 * the valid products. Built-in names (`constructor`, `toString`, `valueOf`) are ordinary codes, and a
 * `__proto__` spec name is just a name the category does not have.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("prod_batch");
let node: HubNode;
let api: ApiClient;
const PROBLEMS = "https://business-hub.dev/problems/";
type Body = Record<string, unknown>;
const show = (res: { status: number; body: unknown }) => `${res.status} ${JSON.stringify(res.body)}`;

interface BatchResult {
  index: number;
  spuCode?: string;
  sku?: string;
  ok: boolean;
  status: number;
  result?: Body;
  problem?: { type: string; status: number; field?: string; detail?: string };
}
interface ImportRow {
  row: number;
  spuCode: string | null;
  sku: string | null;
  ok: boolean;
  status: number;
  errors: Array<{ field: string; message: string }>;
}

const batch = async (action: string, items: unknown[]) => {
  const res = await api.call("POST", "/v1/products/batch", { action, items });
  expect(res.status, show(res)).toBe(200);
  return res.body as { succeeded: number; failed: number; results: BatchResult[] };
};
const product = async (spu: string) => {
  const res = await api.call("GET", `/v1/products/${encodeURIComponent(spu)}`);
  return res.status === 200
    ? (res.body as Body & { status: string; category: string; skus: Body[] })
    : undefined;
};
const importCsv = (csv: string, dryRun: boolean) =>
  api.call("POST", `/v1/products/import${dryRun ? "?dryRun=true" : ""}`, csv, { "content-type": "text/csv" });

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  const categories: Array<[string, Body]> = [
    ["dress", { name: "连衣裙", kind: "back", specs: [{ name: "颜色", values: ["红", "蓝"] }] }],
    ["shirt", { name: "衬衫", kind: "back", specs: [{ name: "尺码", values: ["M", "L"] }] }],
    ["toString", { name: "内建名", kind: "back", specs: [{ name: "颜色", values: ["红", "蓝", "绿"] }] }],
  ];
  for (const [code, body] of categories) {
    const res = await api.call("PUT", `/v1/categories/${code}`, body);
    expect(res.status, show(res)).toBe(201);
  }
  for (const spu of ["P1", "P2", "valueOf", "constructor"]) {
    const res = await api.call("PUT", `/v1/products/${spu}`, {
      name: `商品 ${spu}`,
      category: "dress",
      skus: [
        { sku: `${spu}-R`, specs: { 颜色: "红" }, listPrice: 9_900 },
        { sku: `${spu}-B`, specs: { 颜色: "蓝" }, listPrice: 10_900 },
      ],
    });
    expect(res.status, show(res)).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("batch - publish: a missing product, a malformed item and a draft unpublish fail alone; the rest apply", async () => {
  const at = new Date(Date.now() + 3_600_000).toISOString();
  const out = await batch("publish", [
    { spuCode: "P1" },
    { spuCode: "NOPE" },
    { spuCode: 42 },
    { spuCode: "valueOf" },
    { spuCode: "constructor", at },
  ]);
  expect(out.results.map((r) => [r.index, r.spuCode ?? null, r.ok, r.status])).toEqual([
    [0, "P1", true, 200],
    [1, "NOPE", false, 404],
    [2, null, false, 400],
    [3, "valueOf", true, 200],
    [4, "constructor", true, 202],
  ]);
  expect(out.results[1]?.problem?.type).toBe(`${PROBLEMS}not-found`);
  expect(out.results[2]?.problem).toMatchObject({ type: `${PROBLEMS}validation`, field: "spuCode" });
  expect({ succeeded: out.succeeded, failed: out.failed }).toEqual({ succeeded: 3, failed: 2 });
  expect((await product("P1"))?.status).toBe("on_sale");
  expect((await product("valueOf"))?.status).toBe("on_sale");
  expect(await product("constructor")).toMatchObject({ status: "draft", scheduled: { action: "publish" } });
  const off = await batch("unpublish", [{ spuCode: "P2" }, { spuCode: "P1" }]);
  expect(off.results.map((r) => [r.ok, r.status])).toEqual([
    [false, 409],
    [true, 200],
  ]);
  expect((await product("P1"))?.status).toBe("off_sale");
  expect((await product("P2"))?.status).toBe("draft");
});

test("batch - prices: each SKU's price applies or is refused on its own, with its history row", async () => {
  const out = await batch("price", [
    { sku: "P1-R", listPrice: 8_800 },
    { sku: "P1-B", listPrice: -1 },
    { sku: "constructor-R", listPrice: 7_700 },
    { sku: "P1-B", listPrice: 12_000, extra: true },
  ]);
  expect(out.results.map((r) => [r.sku, r.ok, r.status])).toEqual([
    ["P1-R", true, 200],
    ["P1-B", false, 400],
    ["constructor-R", true, 200],
    ["P1-B", false, 400],
  ]);
  const p1 = await product("P1");
  expect(p1?.skus.map((s) => [s.sku, s.listPrice])).toEqual(
    expect.arrayContaining([
      ["P1-R", 8_800],
      ["P1-B", 10_900],
    ]),
  );
  const history = await api.call("GET", "/v1/products/P1/history");
  const kinds = (history.body as { items: Array<{ kind: string; after: unknown }> }).items.map((i) => i.kind);
  expect(kinds).toContain("price");
});

test("batch - category: a move the new category's spec template refuses leaves the product as it was", async () => {
  const before = await product("P2");
  const out = await batch("category", [
    { spuCode: "P2", category: "shirt" },
    { spuCode: "valueOf", category: "toString" },
    { spuCode: "P1", category: "nowhere" },
  ]);
  expect(out.results.map((r) => [r.spuCode, r.ok, r.status])).toEqual([
    ["P2", false, 422],
    ["valueOf", true, 200],
    ["P1", false, 422],
  ]);
  expect(out.results[0]?.problem?.field).toMatch(/^skus\.0\.specs/);
  expect(await product("P2")).toEqual(before);
  const moved = await product("valueOf");
  expect(moved?.category).toBe("toString");
  expect(moved?.skus.map((s) => s.listPrice).sort()).toEqual([10_900, 9_900]);
});

test("batch - caps and envelopes: too many items or an unknown action is 400 for the whole request", async () => {
  const many = Array.from({ length: 101 }, (_, i) => ({ spuCode: `X${i}` }));
  const big = await api.call("POST", "/v1/products/batch", { action: "publish", items: many });
  expect(big.status).toBe(400);
  expect((big.body as { field: string }).field).toBe("items");
  const odd = await api.call("POST", "/v1/products/batch", { action: "delete", items: [{ spuCode: "P1" }] });
  expect(odd.status).toBe(400);
  expect((odd.body as { field: string }).field).toBe("action");
});

const CSV = [
  "spuCode,name,category,brand,sku,specs,listPrice,weightGrams",
  "NEW-1,新款碎花连衣裙,dress,花语,NEW-1-R,颜色=红,19900,300",
  'NEW-1,,,,NEW-1-B,"颜色=蓝",19900,',
  "BAD-1,坏商品,dress,,BAD-1-G,颜色=绿,100,",
  "BAD-1,,,,BAD-1-R,颜色=红,abc,",
  ",孤儿行,dress,,ORPHAN,颜色=红,100,",
  "BAD-2,无此类目,nowhere,,BAD-2-R,颜色=红,100,",
  "BAD-3,名字一,dress,,BAD-3-R,颜色=红,100,",
  "BAD-3,名字二,dress,,BAD-3-B,颜色,100,",
  "constructor,内建名商品,toString,,valueOf-R,颜色=绿,500,",
].join("\n");

test("import - dry run reports every row's faults, in their columns, and writes nothing", async () => {
  const res = await importCsv(CSV, true);
  expect(res.status, show(res)).toBe(200);
  const body = res.body as { dryRun: boolean; summary: Body; results: ImportRow[] };
  expect(body.dryRun).toBe(true);
  const byRow = new Map(body.results.map((r) => [r.row, r]));
  const fields = (row: number) =>
    byRow
      .get(row)
      ?.errors.map((e) => e.field)
      .sort();
  expect(body.results.map((r) => r.row)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(byRow.get(2)).toMatchObject({ spuCode: "NEW-1", sku: "NEW-1-R", ok: true, status: 201, errors: [] });
  expect(byRow.get(3)).toMatchObject({ ok: true, status: 201 });
  // BAD-1: a value its category does not allow (row 4) and a price that is not a number (row 5).
  expect(fields(4)).toEqual(["specs"]);
  expect(fields(5)).toEqual(["listPrice"]);
  expect(fields(6)).toEqual(["spuCode"]);
  expect(byRow.get(7)).toMatchObject({ ok: false, status: 422, errors: [{ field: "category" }] });
  // BAD-3: its second row names the product differently and has a spec without a value.
  expect(fields(9)).toEqual(["name", "specs"]);
  expect(byRow.get(8)).toMatchObject({ ok: false, status: 400, errors: [] });
  expect(byRow.get(10)).toMatchObject({ spuCode: "constructor", sku: "valueOf-R", ok: false, status: 409 });
  expect(fields(10)).toEqual(["sku"]);
  expect(body.summary).toMatchObject({ rows: 9, valid: 1, applied: 0 });
  expect(await product("NEW-1")).toBeUndefined();
  expect((await product("constructor"))?.category).toBe("dress");
});

test("import - applies exactly the products without a faulty row, each whole", async () => {
  const res = await importCsv(CSV, false);
  expect(res.status, show(res)).toBe(200);
  const body = res.body as { summary: Body; results: ImportRow[] };
  expect(body.summary).toMatchObject({ applied: 1 });
  const created = await product("NEW-1");
  expect(created).toMatchObject({ name: "新款碎花连衣裙", brand: "花语", status: "draft" });
  expect(created?.skus.map((s) => [s.sku, s.listPrice, s.weightGrams])).toEqual(
    expect.arrayContaining([
      ["NEW-1-R", 19_900, 300],
      ["NEW-1-B", 19_900, null],
    ]),
  );
  for (const spu of ["BAD-1", "BAD-2", "BAD-3"]) expect(await product(spu)).toBeUndefined();
  // Importing the same file again updates (200), creates nothing twice.
  const again = (await importCsv(CSV, false)).body as { results: ImportRow[] };
  expect(again.results.find((r) => r.row === 2)?.status).toBe(200);
});

test("import - a JSON array of products; a file-level fault is a 400 for the whole request", async () => {
  const res = await api.call("POST", "/v1/products/import?dryRun=true", [
    {
      spuCode: "J-1",
      name: "JSON 商品",
      category: "dress",
      skus: [{ sku: "J-1-R", specs: { 颜色: "红" }, listPrice: 1 }],
    },
    { spuCode: "J-2", name: "", category: "dress", skus: [] },
    {
      spuCode: "J-3",
      name: "原型",
      category: "dress",
      skus: [{ sku: "J-3-R", specs: JSON.parse('{"颜色":"红","__proto__":"x"}'), listPrice: 1 }],
    },
  ]);
  expect(res.status, show(res)).toBe(200);
  const rows = (res.body as { results: ImportRow[] }).results;
  expect(rows[0]).toMatchObject({ row: 0, spuCode: "J-1", ok: true });
  expect(rows[1]?.errors.map((e) => e.field).sort()).toEqual(["name", "skus"]);
  expect(rows[2]).toMatchObject({
    row: 2,
    ok: false,
    status: 422,
    errors: [{ field: "skus.0.specs.__proto__" }],
  });
  expect(await product("J-1")).toBeUndefined();
  const unknownColumn = await importCsv("spuCode,sku,listPrice,colour\nA,A-1,1,red", true);
  expect(unknownColumn.status).toBe(400);
  const text = await api.call("POST", "/v1/products/import", "x", { "content-type": "text/plain" });
  expect(text.status).toBe(415);
});
