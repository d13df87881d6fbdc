/**
 * Operator search (`GET /v1/products`) over a real node: Chinese substring search through the trigram
 * index and the one/two-character fallback, the category tree (back descendants, front mappings), brand,
 * status, price range over SKU list prices, stock state from the inventory read model, and keyset paging
 * without duplicates or skips. Products are written straight into the catalogue tables (the catalogue's
 * own routes have their tests); prices and stock go through the API, so the facts triggers of migration
 * 0012 are exercised by the real price book and projector.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import type { HubNode } from "../hub-node.ts";
import { likePattern } from "../storage/catalogue-search/search.ts";
import {
  ApiClient,
  cleanupNamespace,
  DATABASE_URL,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("prod_search");
let node: HubNode;
let api: ApiClient;
let sql: postgres.Sql;
const WH = "WH-S";

interface Item {
  spuCode: string;
  name: string;
  status: string;
  minPrice: number | null;
  maxPrice: number | null;
  stock: string;
  sellable: number;
}
interface SearchPage {
  items: Item[];
  nextCursor: string | null;
}

async function search(query: Record<string, string | number>): Promise<SearchPage> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  const res = await api.call("GET", `/v1/products?${qs}`);
  if (res.status !== 200) throw new Error(`search ${qs} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as SearchPage;
}
const codes = async (query: Record<string, string | number>) =>
  (await search(query)).items.map((i) => i.spuCode).sort();

async function product(
  spu: string,
  name: string,
  category: string,
  skus: Array<[string, number]>,
  brand?: string,
) {
  await sql`INSERT INTO products (spu_code, name, category, brand) VALUES (${spu}, ${name}, ${category}, ${brand ?? null})`;
  for (const [sku, price] of skus) {
    await sql`INSERT INTO product_skus (sku, spu_code) VALUES (${sku}, ${spu})`;
    const res = await api.call("PUT", `/v1/skus/${encodeURIComponent(sku)}/price`, { listPrice: price });
    expect(res.status).toBe(200);
  }
}

async function receive(sku: string, qty: number) {
  const res = await api.call(
    "POST",
    `/v1/inventory/${encodeURIComponent(sku)}/receipts`,
    { warehouse: WH, qty },
    { "idempotency-key": `r-${sku}-${qty}` },
  );
  expect(res.status).toBe(201);
}

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  sql = postgres(DATABASE_URL, {
    max: 2,
    onnotice: () => undefined,
    connection: { search_path: `${ns}, public` },
  });
  expect((await api.call("PUT", `/v1/warehouses/${WH}`, { name: "S", region: "east" })).status).toBeLessThan(
    300,
  );
  // Back tree: WOMEN > DRESS > SUMMER; MEN > constructor (a built-in name as a code). Front: F-SALE maps
  // DRESS; its front child F-KIDS maps the built-in-named back category.
  await sql`INSERT INTO categories (code, kind, name, parent) VALUES
    ('WOMEN', 'back', '女装', NULL), ('DRESS', 'back', '连衣裙', 'WOMEN'), ('SUMMER', 'back', '夏装', 'DRESS'),
    ('MEN', 'back', '男装', NULL), ('constructor', 'back', '衬衫', 'MEN'),
    ('F-SALE', 'front', '大促', NULL), ('F-KIDS', 'front', '童装', 'F-SALE'), ('F-EMPTY', 'front', '空', NULL)`;
  await sql`INSERT INTO front_category_links (front, back) VALUES ('F-SALE', 'DRESS'), ('F-KIDS', 'constructor')`;
  await product(
    "D-1",
    "2026春季新款碎花连衣裙",
    "SUMMER",
    [
      ["D-1-S", 19_900],
      ["D-1-M", 21_900],
    ],
    "花语",
  );
  await product(
    "D-2",
    "法式复古连衣裙 Vintage",
    "DRESS",
    [
      ["D-2-S", 9_900],
      ["D-2-L", 59_900],
    ],
    "花语",
  );
  await product("__proto__", "男士纯棉衬衫", "constructor", [["toString", 12_900]], "constructor");
  await product("T-1", "印花T恤 100%纯棉", "MEN", [["T-1-M", 4_900]]);
  await product("EMPTY", "无规格商品", "WOMEN", []);
  await receive("D-1-S", 10);
  await receive("D-1-M", 5);
  await receive("D-2-S", 3);
  await receive("toString", 8);
  // D-2-L never received: D-2 is "low" (one SKU out). The shirt goes low through its safety stock.
  const safety = await api.call("PUT", "/v1/inventory/toString/safety-stock", { warehouse: WH, qty: 6 });
  expect(safety.status).toBe(200);
  await node.projector!.caughtUp();
}, 60_000);

afterAll(async () => {
  await sql?.end();
  await node?.stop();
  await cleanupNamespace(ns);
});

test("product search - a Chinese keyword finds it anywhere in the name, longer or shorter than a trigram", async () => {
  expect(await codes({ q: "连衣裙" })).toEqual(["D-1", "D-2"]);
  expect(await codes({ q: "碎花连衣" })).toEqual(["D-1"]);
  // One and two characters carry no trigram: the name's set of short substrings answers them.
  expect(await codes({ q: "裙" })).toEqual(["D-1", "D-2"]);
  expect(await codes({ q: "鑫" })).toEqual([]);
  expect(await codes({ q: "VI" })).toEqual(["D-2"]);
  expect(await codes({ q: "衬衫" })).toEqual(["__proto__"]);
  expect(await codes({ q: "t恤" })).toEqual(["T-1"]);
  expect(await codes({ q: "vintage" })).toEqual(["D-2"]);
  // LIKE wildcards are literal; the exact SPU code matches too.
  expect(await codes({ q: "100%" })).toEqual(["T-1"]);
  expect(await codes({ q: "%" })).toEqual(["T-1"]);
  expect(await codes({ q: "_" })).toEqual([]);
  expect(await codes({ q: "__proto__" })).toEqual(["__proto__"]);
  expect(await codes({ q: "牛仔裤" })).toEqual([]);
  const [item] = (await search({ q: "碎花" })).items;
  expect(item).toMatchObject({ spuCode: "D-1", name: "2026春季新款碎花连衣裙", status: "draft" });
});

test("product search - a keyword of three or more characters is answered from the trigram index", async () => {
  const plan = async (keyword: string) =>
    sql.begin(async (tx) => {
      await tx`SET LOCAL enable_seqscan = off`;
      const rows =
        await tx`EXPLAIN (FORMAT JSON) SELECT spu_code FROM products WHERE name ILIKE ${`%${keyword}%`}`;
      return JSON.stringify(rows[0]);
    });
  expect(await plan("连衣裙")).toContain("products_name_trgm");
  // Two characters still run (and match, above), the index only narrows when there is a trigram.
  expect(await plan("衬衫")).toMatch(/products_name_trgm|Seq Scan/);
});

test("product search - a keyword of one or two characters is answered from the short-substring index", async () => {
  const [row] = await sql.begin(async (tx) => {
    await tx`SET LOCAL enable_seqscan = off`;
    return tx`EXPLAIN (FORMAT JSON) SELECT spu_code FROM products WHERE name_grams @> ARRAY[lower(${"衬衫"}::text)]`;
  });
  expect(JSON.stringify(row)).toContain("products_name_grams");
});

test("product search - short-substring containment answers exactly what ILIKE answers", async () => {
  // Mixed scripts and cases, an emoji (a surrogate pair in JavaScript, one character in Postgres),
  // a combining accent, LIKE's own wildcards and a backslash.
  const names = [
    "2026春季新款碎花连衣裙",
    "Vintage DRESS 复古",
    "T恤 100% 纯棉",
    "Café 😀 a_b\\c",
    "ÀÉ ß straße",
  ];
  const keywords = new Set<string>(["鑫", "zz", "%", "_", "\\", "😀", "é", "É", "SS", "ß", "e\u0301"]);
  for (const name of names) {
    const chars = [...name];
    for (let i = 0; i < chars.length; i++) {
      keywords.add(chars[i]!);
      if (i + 1 < chars.length) keywords.add(chars[i]! + chars[i + 1]!);
      keywords.add(chars[i]!.toUpperCase());
    }
  }
  const mismatches: string[] = [];
  for (const name of names)
    for (const q of keywords) {
      if ([...q].length > 2) continue;
      const [r] = await sql`SELECT product_name_short_grams(${name}) @> ARRAY[lower(${q}::text)] AS grams,
        ${name}::text ILIKE ${likePattern(q)} AS ilike`;
      if (r?.grams !== r?.ilike)
        mismatches.push(
          `${JSON.stringify(name)} / ${JSON.stringify(q)}: grams ${r?.grams}, ILIKE ${r?.ilike}`,
        );
    }
  expect(mismatches).toEqual([]);
});

test("product search - a category includes its descendants; a front category its mapped back trees", async () => {
  expect(await codes({ category: "DRESS" })).toEqual(["D-1", "D-2"]);
  expect(await codes({ category: "SUMMER" })).toEqual(["D-1"]);
  expect(await codes({ category: "WOMEN" })).toEqual(["D-1", "D-2", "EMPTY"]);
  expect(await codes({ category: "MEN" })).toEqual(["T-1", "__proto__"]);
  expect(await codes({ category: "constructor" })).toEqual(["__proto__"]);
  expect(await codes({ category: "F-SALE" })).toEqual(["D-1", "D-2", "__proto__"]);
  expect(await codes({ category: "F-KIDS" })).toEqual(["__proto__"]);
  expect(await codes({ category: "F-EMPTY" })).toEqual([]);
  expect(await codes({ category: "toString" })).toEqual([]);
  expect(await codes({ category: "DRESS", q: "碎花" })).toEqual(["D-1"]);
});

test("product search - brand, status, price range over SKU prices and stock state filter together", async () => {
  expect(await codes({ brand: "花语" })).toEqual(["D-1", "D-2"]);
  expect(await codes({ brand: "constructor" })).toEqual(["__proto__"]);
  await sql`UPDATE products SET status = 'on_sale' WHERE spu_code IN ('D-1', '__proto__')`;
  expect(await codes({ status: "on_sale" })).toEqual(["D-1", "__proto__"]);
  expect(await codes({ status: "draft" })).toEqual(["D-2", "EMPTY", "T-1"]);
  // D-2 has SKUs at 99 and 599 yuan: a range between them matches no SKU, so not D-2.
  expect(await codes({ minPrice: 20_000, maxPrice: 50_000 })).toEqual(["D-1"]);
  expect(await codes({ minPrice: 50_000 })).toEqual(["D-2"]);
  expect(await codes({ maxPrice: 9_900 })).toEqual(["D-2", "T-1"]);
  expect(await codes({ minPrice: 12_900, maxPrice: 12_900 })).toEqual(["__proto__"]);
  const items = new Map((await search({ q: "" })).items.map((i) => [i.spuCode, i]));
  expect(items.get("D-1")).toMatchObject({
    minPrice: 19_900,
    maxPrice: 21_900,
    stock: "in_stock",
    sellable: 15,
  });
  expect(items.get("D-2")).toMatchObject({ minPrice: 9_900, maxPrice: 59_900, stock: "low", sellable: 3 });
  expect(items.get("__proto__")).toMatchObject({ stock: "low", sellable: 2 });
  expect(items.get("T-1")).toMatchObject({ stock: "out", sellable: 0 });
  expect(items.get("EMPTY")).toMatchObject({ minPrice: null, maxPrice: null, stock: "out" });
  expect(await codes({ stock: "in_stock" })).toEqual(["D-1"]);
  expect(await codes({ stock: "low" })).toEqual(["D-2", "__proto__"]);
  expect(await codes({ stock: "out" })).toEqual(["EMPTY", "T-1"]);
  expect(await codes({ stock: "low", maxPrice: 10_000 })).toEqual(["D-2"]);
  expect(await codes({ stock: "low", status: "on_sale", category: "F-SALE" })).toEqual(["__proto__"]);
});

test("product search - stock and price facts follow the inventory read model and the price book", async () => {
  await receive("T-1-M", 4);
  const price = await api.call("PUT", "/v1/skus/T-1-M/price", { listPrice: 5_900 });
  expect(price.status).toBe(200);
  await node.projector!.caughtUp();
  expect((await search({ q: "T恤" })).items[0]).toMatchObject({
    stock: "in_stock",
    minPrice: 5_900,
    sellable: 4,
  });
  // Selling out through reservations moves it back to out.
  expect(
    (await api.call("POST", "/v1/inventory/T-1-M/reservations", { orderId: "o-1", qty: 4 })).status,
  ).toBe(201);
  await node.projector!.caughtUp();
  expect(await codes({ stock: "out", q: "T恤" })).toEqual(["T-1"]);
  // The incremental facts equal a full rebuild.
  const before = await sql`SELECT * FROM product_facts ORDER BY spu_code`;
  await sql`SELECT product_facts_rebuild()`;
  expect(await sql`SELECT * FROM product_facts ORDER BY spu_code`).toEqual(before);
});

test("product search - cursor paging visits every product once, also across equal creation times", async () => {
  // 45 products created in one statement share a creation time: the code breaks the tie.
  await sql`INSERT INTO products (spu_code, name, category)
    SELECT 'PG-' || lpad(i::text, 3, '0'), '分页商品 ' || i, 'SUMMER' FROM generate_series(1, 45) i`;
  const all = await codes({ category: "SUMMER", limit: 100 });
  expect(all.length).toBe(46);
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: SearchPage = await search({ category: "SUMMER", limit: 7, ...(cursor ? { cursor } : {}) });
    if (pages === 2) {
      // A product created while paging is newer than every cursor: it never shows up mid-way as a duplicate.
      await sql`INSERT INTO products (spu_code, name, category) VALUES ('PG-LATE', '新来的', 'SUMMER')`;
    }
    seen.push(...page.items.map((i) => i.spuCode));
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 20);
  expect(pages).toBe(7);
  expect(new Set(seen).size).toBe(seen.length);
  expect([...seen].sort()).toEqual(all);
  const newest = await search({ category: "SUMMER", limit: 1 });
  expect(newest.items[0]?.spuCode).toBe("PG-LATE");
});

test("product search - refuses a foreign cursor, a limit over the cap and an inverted price range", async () => {
  const bad = await api.call("GET", "/v1/products?cursor=bm90LW91cnM");
  expect(bad.status).toBe(400);
  expect((bad.body as { field: string }).field).toBe("cursor");
  const big = await api.call("GET", "/v1/products?limit=101");
  expect(big.status).toBe(400);
  expect((big.body as { field: string }).field).toBe("limit");
  const inverted = await api.call("GET", "/v1/products?minPrice=500&maxPrice=100");
  expect(inverted.status).toBe(400);
  expect((inverted.body as { field: string }).field).toBe("maxPrice");
  const unknown = await api.call("GET", "/v1/products?colour=red");
  expect(unknown.status).toBe(400);
  const control = await api.call("GET", "/v1/products?q=a%00b");
  expect(control.status).toBe(400);
});
