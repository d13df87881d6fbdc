import { afterAll, beforeAll, expect, test } from "bun:test";
import { CatalogueReads } from "../storage/catalogue/index.ts";
import { openDatabase, type Sql } from "../storage/postgres/database.ts";
import { migrate } from "../storage/postgres/migrate.ts";
import { PostgresPriceBook } from "../storage/prices.ts";
import { cleanupNamespace, DATABASE_URL, requireServices, testNamespace } from "./support/harness.ts";

const namespaces = [testNamespace("cat_store_a"), testNamespace("cat_store_b")];
const pools: Sql[] = [];

beforeAll(async () => {
  await requireServices();
  for (const ns of namespaces) pools.push(await openDatabase(DATABASE_URL, ns));
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  for (const ns of namespaces) await cleanupNamespace(ns);
});

test("catalogue storage - two namespaces migrate 0008 at once; pg_trgm is reachable from both", async () => {
  const applied = await Promise.all(pools.map((sql, i) => migrate(sql, namespaces[i] as string)));
  for (const files of applied) expect(files).toContain("0008_catalogue.sql");
  for (const sql of pools) {
    const [row] = await sql`SELECT public.similarity('连衣裙', '碎花连衣裙') > 0 AS ok`;
    expect(row?.ok).toBe(true);
  }
});

test("catalogue storage - spuOfSkus maps SKUs of products and leaves product-less SKUs out", async () => {
  const sql = pools[0] as Sql;
  await sql`INSERT INTO categories (code, kind, name) VALUES ('toString', 'back', 'T')`;
  await sql`INSERT INTO products (spu_code, name, category) VALUES ('__proto__', 'P', 'toString')`;
  await sql`INSERT INTO product_skus (sku, spu_code) VALUES ('constructor', '__proto__'), ('s-2', '__proto__')`;
  const reads = new CatalogueReads(sql);
  const map = await reads.spuOfSkus(["constructor", "s-2", "loose", "constructor"]);
  expect([...map]).toEqual(
    expect.arrayContaining([
      ["constructor", "__proto__"],
      ["s-2", "__proto__"],
    ]),
  );
  expect(map.has("loose")).toBe(false);
  expect(await reads.skusOf("__proto__")).toEqual(["constructor", "s-2"]);
  expect(await reads.spuOfSkus([])).toEqual(new Map());
});

test("catalogue storage - a list price change writes one 'price' history row keyed by sku (none when unchanged)", async () => {
  const sql = pools[0] as Sql;
  const book = new PostgresPriceBook(sql);
  await book.set("toString", 1_000, "alice", "r-1");
  await book.set("toString", 1_000, "alice", "r-2");
  await book.set("toString", 1_200, "bob", "r-3");
  const rows =
    await sql`SELECT by, before, after FROM catalogue_history WHERE sku = 'toString' AND kind = 'price' ORDER BY id`;
  expect(rows.map((r) => [r.by, r.before, r.after])).toEqual([
    ["alice", null, { listPrice: 1_000 }],
    ["bob", { listPrice: 1_000 }, { listPrice: 1_200 }],
  ]);
  expect((await book.get(["toString"])).get("toString")).toBe(1_200);
});
