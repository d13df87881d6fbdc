import type { Context } from "hono";
import { z } from "zod";
import type { GatewayKit } from "../app.ts";
import type { Catalogue, ProductInput } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { parseQuery } from "../validate.ts";
import { runItem } from "./batch-items.ts";
import { productBody } from "./catalogue-schemas.ts";
import { CSV_COLUMNS, CsvFileError, type CsvProduct, csvRows, productsFromRows } from "./product-csv.ts";

export interface ProductImportDeps {
  catalogue: Catalogue;
}

/** Rows (CSV) or products (JSON) per import; the request body limit applies as well. */
export const IMPORT_MAX_ROWS = 1_000;

const importQuery = z
  .object({
    dryRun: z.enum(["true", "false"]).optional().describe("true: check every row and report, write nothing"),
  })
  .strict();
const importJson = z
  .array(z.unknown())
  .min(1)
  .max(IMPORT_MAX_ROWS)
  .describe("Products, each the body of PUT /v1/products/{spuCode} plus its `spuCode`");
const rowError = z.object({ field: z.string(), message: z.string() });
export const importResult = z.object({
  dryRun: z.boolean(),
  format: z.enum(["json", "csv"]),
  summary: z.object({
    rows: z.number().int(),
    products: z.number().int(),
    valid: z.number().int().describe("Products without an error (dry run: would be applied)"),
    applied: z.number().int(),
  }),
  results: z.array(
    z.object({
      row: z.number().int().describe("CSV: line number (header is 1); JSON: index in the array"),
      spuCode: z.string().nullable(),
      sku: z.string().nullable(),
      ok: z.boolean(),
      status: z.number().int().describe("201 created / 200 updated (or valid, in a dry run); 4xx refused"),
      errors: z.array(rowError),
    }),
  ),
});

type Row = z.infer<typeof importResult>["results"][number];
interface Unit {
  spuCode: string | null;
  /** null: rows that name no product (nothing to check beyond their own faults). */
  raw: Record<string, unknown> | null;
  /** Where each result goes: one per CSV row of the product, or the JSON item. */
  rows: Array<{ row: number; sku: string | null; errors: Array<{ field: string; message: string }> }>;
  skuRow: (index: number) => number | undefined;
}

/** The product checked by the schema of PUT /v1/products/{spuCode}, plus its code. */
function checkProduct(raw: Record<string, unknown>) {
  const { spuCode, ...body } = raw;
  const code = codeSchema.safeParse(spuCode);
  const parsed = productBody.safeParse(body);
  const issues = [
    ...(code.success ? [] : code.error.issues.map((i) => ({ path: ["spuCode"], message: i.message }))),
    ...(parsed.success
      ? []
      : parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }))),
  ];
  if (!code.success || !parsed.success) return { issues };
  const input: ProductInput = { spuCode: code.data, ...parsed.data };
  return { input, issues };
}

/**
 * `POST /v1/products/import`: products in a JSON array or in CSV (one row per SKU, see
 * `product-csv.ts`). Every row's faults are reported; a product applies (through the catalogue store's
 * product write, one transaction each) only when none of its rows has one; `dryRun=true` writes nothing.
 */
export function productImportRoutes(deps: ProductImportDeps) {
  return (kit: GatewayKit) => {
    const { define, meta } = kit;

    define(
      {
        method: "post",
        path: "/v1/products/import",
        summary: `Import up to ${IMPORT_MAX_ROWS} products (JSON) or SKU rows (CSV: ${CSV_COLUMNS.join(", ")}); dryRun reports only`,
        tag: "Catalogue",
        permission: "product:write",
        query: importQuery,
        body: importJson,
        bodyTypes: {
          "text/csv": z
            .string()
            .describe("Header row, then one row per SKU; specs as name=value;name=value; prices in fen"),
        },
        response: { status: 200, schema: importResult, description: "Every row's outcome" },
      },
      async (c) => {
        const dryRun = parseQuery(c, importQuery).dryRun === "true";
        const { format, units } = await readUnits(c);
        const { by, requestId } = meta(c);
        let applied = 0;
        let valid = 0;
        const results: Row[] = [];
        for (const unit of units) {
          const { input, issues } = unit.raw ? checkProduct(unit.raw) : { input: undefined, issues: [] };
          for (const issue of issues) place(unit, issue.path, issue.message);
          const faulty = !input || unit.rows.some((r) => r.errors.length > 0);
          let status = 400;
          if (input) {
            // A product with faulty rows is still judged by the store (rolled back), so every fault shows.
            const write = faulty || dryRun ? deps.catalogue.checkProduct : deps.catalogue.putProduct;
            const outcome = await runItem(async () => {
              const { created } = await write.call(deps.catalogue, input, by, requestId);
              return { status: created ? 201 : 200 };
            }, requestId);
            const { problem } = outcome;
            if (problem)
              place(
                unit,
                String(problem.field ?? "")
                  .split(".")
                  .filter(Boolean),
                problem.detail ?? "",
              );
            status = faulty && outcome.ok ? 400 : outcome.status;
          }
          const ok = status < 400;
          if (ok) valid++;
          if (ok && !dryRun) applied++;
          for (const r of unit.rows) results.push({ ...r, spuCode: unit.spuCode, ok, status });
        }
        results.sort((a, b) => a.row - b.row);
        return c.json({
          dryRun,
          format,
          summary: { rows: results.length, products: units.length, valid, applied },
          results,
        });
      },
    );
  };
}

/** An error at `path` of a product goes to the row of the SKU it names, else to every row. */
function place(unit: Unit, path: string[], message: string) {
  const skuRow = path[0] === "skus" && path[1] !== undefined ? unit.skuRow(Number(path[1])) : undefined;
  const targets = skuRow !== undefined ? unit.rows.filter((r) => r.row === skuRow) : unit.rows;
  // A CSV row's fault is named by its column (`specs`), the rest of the path goes into the message.
  const [column = "sku", ...rest] = skuRow !== undefined ? path.slice(2) : [];
  const field = skuRow !== undefined ? column : path.join(".") || "(product)";
  const text = skuRow !== undefined && rest.length ? `${rest.join(".")}: ${message}` : message;
  for (const r of targets) r.errors.push({ field, message: text });
}

async function readUnits(c: Context): Promise<{ format: "json" | "csv"; units: Unit[] }> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const text = await c.req.text();
  if (type === "text/csv") {
    let grouped: ReturnType<typeof productsFromRows>;
    try {
      const rows = csvRows(text);
      if (rows.length === 0) throw new CsvFileError("no rows after the header");
      if (rows.length > IMPORT_MAX_ROWS) throw new CsvFileError(`at most ${IMPORT_MAX_ROWS} rows per import`);
      grouped = productsFromRows(rows);
      const units = [...grouped.groups].map(([spuCode, g]) => csvUnit(spuCode, g, grouped.errors));
      // Rows that name no product still get their line in the answer.
      const named = new Set(units.flatMap((u) => u.rows.map((r) => r.row)));
      for (const [line, errors] of grouped.errors) {
        if (!named.has(line))
          units.push({
            spuCode: null,
            raw: null,
            rows: [{ row: line, sku: null, errors }],
            skuRow: () => undefined,
          });
      }
      return { format: "csv", units };
    } catch (error) {
      if (error instanceof CsvFileError)
        throw new ProblemError(400, "validation", error.message, { field: "body" });
      throw error;
    }
  }
  if (type !== "application/json")
    throw new ProblemError(
      415,
      "unsupported-media-type",
      "send application/json (an array of products) or text/csv",
    );
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProblemError(400, "malformed-json", "the request body is not valid JSON");
  }
  const items = importJson.safeParse(raw);
  if (!items.success)
    throw new ProblemError(400, "validation", `send 1–${IMPORT_MAX_ROWS} products as a JSON array`, {
      field: "body",
    });
  const units = items.data.map((item, row): Unit => {
    const record = typeof item === "object" && item !== null && !Array.isArray(item) ? item : {};
    const spu = codeSchema.safeParse(
      Object.hasOwn(record, "spuCode") ? Reflect.get(record, "spuCode") : undefined,
    );
    return {
      spuCode: spu.success ? spu.data : null,
      raw: { ...record },
      rows: [{ row, sku: null, errors: [] }],
      skuRow: () => undefined,
    };
  });
  return { format: "json", units };
}

function csvUnit(
  spuCode: string,
  g: CsvProduct,
  errors: Map<number, Array<{ field: string; message: string }>>,
): Unit {
  const skuOf = new Map<number, string>();
  g.skuCodes.forEach((sku, i) => {
    const line = g.skuLines[i];
    if (line !== undefined) skuOf.set(line, sku);
  });
  return {
    spuCode,
    raw: { ...g.product, spuCode, skus: g.skus },
    rows: g.lines.map((line) => ({
      row: line,
      sku: skuOf.get(line) ?? null,
      errors: [...(errors.get(line) ?? [])],
    })),
    skuRow: (i) => g.skuLines[i],
  };
}
