/**
 * Catalogue search at scale (issue 10 item 5): a hub in a private namespace, N products (default
 * 100,000) bulk-inserted by SQL with their SKUs, list prices and stock rows, then `GET /v1/products`
 * timed over HTTP for several query shapes. The namespace's schema is dropped afterwards.
 *
 * The seed goes straight into the tables with triggers off (`session_replication_role = replica`) and
 * then `product_facts_rebuild()` computes every product's facts in one statement, as the triggers would
 * have one by one. Correctness is checked before speed counts: each shape's first page must equal what a
 * plain SQL query over the same tables answers, and paging a keyword through must visit each match once.
 */
import postgres from "postgres";
import { startBenchHub } from "./servers.ts";
import { percentile } from "./stats.ts";

export interface CatalogueOptions {
  products: number;
  samples: number;
  quick: boolean;
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
}

export interface ShapeResult {
  shape: string;
  example: string;
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  /** Matches of the example query (a count over the tables). */
  matches: number;
}

const NOUNS = [
  "连衣裙",
  "半身裙",
  "T恤",
  "衬衫",
  "卫衣",
  "毛衣",
  "牛仔裤",
  "休闲裤",
  "运动鞋",
  "帆布鞋",
  "双肩包",
  "手提包",
  "保温杯",
  "马克杯",
  "蓝牙耳机",
  "充电宝",
  "数据线",
  "台灯",
  "抱枕",
  "床单",
  "羽绒服",
  "风衣",
  "西装",
  "夹克",
  "短裤",
  "睡衣",
  "袜子",
  "围巾",
  "帽子",
  "手套",
  "Running Shoes",
  "Wool Coat",
  "Silk Scarf",
  "Denim Jacket",
  "Linen Shirt",
  "Yoga Pants",
  "Sun Hat",
  "Tote Bag",
];
const KEYWORDS = ["连衣裙", "牛仔裤", "运动鞋", "保温杯", "蓝牙耳机", "羽绒服", "双肩包", "碎花连衣"];
const SHORT_KEYWORDS = ["裙", "T恤", "衬衫", "卫衣", "围巾"];
/** One or two characters that few or no names hold (a typo, a brand not stocked): no early stop. */
const RARE_SHORT_KEYWORDS = ["鑫", "龘", "Zq", "亖", "x9"];

function sqlArray(values: string[]): string {
  return `(ARRAY[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(",")}])`;
}

export async function seed(sql: postgres.Sql, n: number, progress: (line: string) => void) {
  const started = performance.now();
  await sql.begin(async (tx) => {
    await tx`SET LOCAL statement_timeout = 0`;
    await tx`SET LOCAL session_replication_role = replica`;
    // Three levels of back categories (10 roots, 100 middles, 1,000 leaves) and 10 front categories
    // mapped onto three middles each.
    await tx.unsafe(`
      INSERT INTO categories (code, kind, name, parent)
      SELECT 'R' || i, 'back', '一级类目' || i, NULL FROM generate_series(0, 9) i
      UNION ALL SELECT 'M' || i, 'back', '二级类目' || i, 'R' || (i / 10) FROM generate_series(0, 99) i
      UNION ALL SELECT 'L' || i, 'back', '三级类目' || i, 'M' || (i / 10) FROM generate_series(0, 999) i
      UNION ALL SELECT 'F' || i, 'front', '前台类目' || i, NULL FROM generate_series(0, 9) i`);
    await tx.unsafe(`
      INSERT INTO front_category_links (front, back)
      SELECT 'F' || f, 'M' || ((f * 7 + k * 31) % 100) FROM generate_series(0, 9) f, generate_series(0, 2) k
      ON CONFLICT DO NOTHING`);
    await tx.unsafe(`
      INSERT INTO products (spu_code, name, category, brand, status, created_at, updated_at)
      SELECT 'B' || lpad(i::text, 7, '0'),
        (ARRAY['2024','2025','2026'])[1 + i % 3]
          || (ARRAY['春季','夏季','秋季','冬季'])[1 + (i / 3) % 4]
          || (ARRAY['新款','爆款','经典','限定','加厚','轻薄'])[1 + (i / 12) % 6]
          || (ARRAY['碎花','纯棉','修身','宽松','复古','简约','印花','条纹'])[1 + (i / 7) % 8]
          || ${sqlArray(NOUNS)}[1 + (i * 7919) % ${NOUNS.length}],
        'L' || ((i * 31) % 1000),
        'BR' || (i % 500),
        CASE WHEN i % 10 < 6 THEN 'on_sale' WHEN i % 10 < 7 THEN 'off_sale' ELSE 'draft' END,
        now() - (i || ' seconds')::interval, now()
      FROM generate_series(1, ${n}) i`);
    // One to three SKUs per product; list prices ¥10–¥1,010; stock rows for nine in ten products.
    await tx.unsafe(`
      INSERT INTO product_skus (sku, spu_code, specs)
      SELECT 'B' || lpad(i::text, 7, '0') || '-' || k, 'B' || lpad(i::text, 7, '0'), jsonb_build_object('size', k)
      FROM generate_series(1, ${n}) i, generate_series(1, 1 + i % 3) k`);
    await tx.unsafe(`
      INSERT INTO sku_prices (sku, list_price)
      SELECT s.sku, 1000 + (hashtext(s.sku) & 65535) % 100000 FROM product_skus s`);
    await tx.unsafe(`
      INSERT INTO inventory_stock (sku, warehouse, physical, reserved, safety_stock, version, updated_at)
      SELECT s.sku, 'BENCH', (hashtext(s.sku || 'p') & 255), (hashtext(s.sku || 'r') & 15),
        CASE WHEN hashtext(s.sku) % 5 = 0 THEN 20 ELSE 0 END, 1, now()
      FROM product_skus s WHERE right(s.spu_code, 1) <> '0'`);
  });
  progress(`  inserted in ${((performance.now() - started) / 1000).toFixed(1)} s; computing facts…`);
  await sql.unsafe("SET statement_timeout = 0");
  const [facts] = await sql`SELECT product_facts_rebuild() AS n`;
  await sql.unsafe("ANALYZE");
  const counts = await sql`SELECT stock, count(*)::int AS n FROM product_facts GROUP BY stock ORDER BY stock`;
  progress(
    `  ${facts?.n} products ready in ${((performance.now() - started) / 1000).toFixed(1)} s (stock: ${counts.map((r) => `${r.stock} ${r.n}`).join(", ")})`,
  );
}

interface Shape {
  name: string;
  /** The i-th query of this shape (varied, so no single cached answer is measured). */
  query(i: number): Record<string, string | number>;
  /** A cursor to start from (page 2 shapes): fetched untimed. */
  pageTwo?: boolean;
}

const SHAPES: Shape[] = [
  {
    name: "Chinese keyword (≥ 3 chars, trigram index)",
    query: (i) => ({ q: KEYWORDS[i % KEYWORDS.length]! }),
  },
  {
    name: "short keyword, common (1–2 chars)",
    query: (i) => ({ q: SHORT_KEYWORDS[i % SHORT_KEYWORDS.length]! }),
  },
  {
    name: "short keyword, rare or absent (1–2 chars)",
    query: (i) => ({ q: RARE_SHORT_KEYWORDS[i % RARE_SHORT_KEYWORDS.length]! }),
  },
  { name: "category with descendants (root, ~10%)", query: (i) => ({ category: `R${i % 10}` }) },
  { name: "front category (3 mapped subtrees)", query: (i) => ({ category: `F${i % 10}` }) },
  {
    name: "price range + stock state",
    query: (i) => ({
      minPrice: 1000 + ((i * 3701) % 80_000),
      maxPrice: 1000 + ((i * 3701) % 80_000) + 5_000,
      stock: (["in_stock", "low", "out"] as const)[i % 3]!,
    }),
  },
  {
    name: "keyword + category + status + price",
    query: (i) => ({ q: KEYWORDS[i % 7]!, category: `R${i % 10}`, status: "on_sale", maxPrice: 60_000 }),
  },
  { name: "cursor page 2 (keyword)", query: (i) => ({ q: KEYWORDS[i % KEYWORDS.length]! }), pageTwo: true },
];

export async function runCatalogue(o: CatalogueOptions, progress: (line: string) => void) {
  const { ns, hub, headers } = await startBenchHub("catalogue", o);
  const sql = postgres(o.databaseUrl, {
    max: 2,
    onnotice: () => undefined,
    connection: { search_path: `${ns}, public` },
  });
  const problems: string[] = [];
  try {
    progress(`catalogue: seeding ${o.products.toLocaleString("en-US")} products by SQL into ${ns}…`);
    await seed(sql, o.products, progress);
    const get = async (query: Record<string, string | number>) => {
      const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
      const res = await fetch(`${hub.url}/v1/products?${qs}`, { headers });
      const body = (await res.json()) as { items: Array<{ spuCode: string }>; nextCursor: string | null };
      if (res.status !== 200)
        throw new Error(`GET /v1/products?${qs} → ${res.status} ${JSON.stringify(body)}`);
      return body;
    };

    // Correctness first: the API's first pages against plain SQL, and a keyword paged through.
    const [expected] =
      await sql`SELECT array_agg(spu_code ORDER BY created_at DESC, spu_code DESC) AS codes FROM (
      SELECT spu_code, created_at FROM products WHERE name LIKE '%连衣裙%' ORDER BY created_at DESC, spu_code DESC LIMIT 20) x`;
    const got = (await get({ q: "连衣裙" })).items.map((i) => i.spuCode);
    if (JSON.stringify(got) !== JSON.stringify(expected?.codes ?? []))
      problems.push("keyword 连衣裙: first page differs from SQL");
    const [rootCount] = await sql`SELECT count(*)::int AS n FROM products WHERE category LIKE 'L%'
      AND substr(category, 2)::int / 100 = 3`;
    let seen = 0;
    const codes = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await get({ category: "R3", limit: 100, ...(cursor ? { cursor } : {}) });
      for (const item of page.items) codes.add(item.spuCode);
      seen += page.items.length;
      cursor = page.nextCursor;
    } while (cursor && seen < 50_000);
    if (seen !== codes.size) problems.push(`category R3 paging: ${seen - codes.size} duplicates`);
    if (codes.size !== rootCount?.n)
      problems.push(`category R3 paging: ${codes.size} products, SQL counts ${rootCount?.n}`);
    progress(
      `  correctness: keyword page equals SQL; category R3 paged through ${codes.size} products once each${problems.length ? ` — PROBLEMS: ${problems.join("; ")}` : ""}`,
    );

    const results: ShapeResult[] = [];
    for (const shape of SHAPES) {
      const samples: number[] = [];
      for (let i = 0; i < o.samples + 10; i++) {
        const query = shape.query(i);
        let timed = query;
        if (shape.pageTwo) {
          const first = await get(query);
          if (!first.nextCursor) continue;
          timed = { ...query, cursor: first.nextCursor };
        }
        const t0 = performance.now();
        await get(timed);
        if (i >= 10) samples.push(performance.now() - t0); // the first ten warm caches and plans
      }
      samples.sort((a, b) => a - b);
      const example = shape.query(0);
      const result: ShapeResult = {
        shape: shape.name,
        example: new URLSearchParams(Object.entries(example).map(([k, v]) => [k, String(v)])).toString(),
        samples: samples.length,
        p50: percentile(samples, 50),
        p95: percentile(samples, 95),
        p99: percentile(samples, 99),
        matches: await countMatches(sql, example),
      };
      results.push(result);
      progress(
        `  ${shape.name}: p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms (${result.samples} samples)`,
      );
    }
    return { namespace: ns, options: o, results, problems, correct: problems.length === 0 };
  } finally {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${ns}" CASCADE`).catch(() => undefined);
    await sql.end({ timeout: 2 });
    await hub.stop();
  }
}

/** How many products the example query matches (for the report; any page size). */
async function countMatches(sql: postgres.Sql, q: Record<string, string | number>): Promise<number> {
  if (typeof q.q === "string" && Object.keys(q).length === 1) {
    const [row] = await sql`SELECT count(*)::int AS n FROM products WHERE name ILIKE ${`%${q.q}%`}`;
    return row?.n ?? 0;
  }
  if (typeof q.category === "string" && Object.keys(q).length === 1 && q.category.startsWith("R")) {
    const [row] = await sql`SELECT count(*)::int AS n FROM products p JOIN categories l ON l.code = p.category
      JOIN categories m ON m.code = l.parent WHERE m.parent = ${q.category}`;
    return row?.n ?? 0;
  }
  return Number.NaN;
}
