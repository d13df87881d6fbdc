/**
 * The product import's CSV: RFC 4180 (quoted fields, `""` inside quotes, CRLF or LF), UTF-8 with or
 * without a BOM, a header row naming the columns in any order. One row per SKU; rows with the same
 * `spuCode` form one product, whose own columns (name, category, brand, description) come from its
 * first row (later rows leave them empty or repeat them exactly).
 */

export const CSV_COLUMNS = [
  "spuCode",
  "name",
  "category",
  "brand",
  "description",
  "sku",
  "specs",
  "listPrice",
  "barcode",
  "weightGrams",
  "volumeCm3",
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];
const REQUIRED: readonly CsvColumn[] = ["spuCode", "sku", "listPrice"];
const PRODUCT_COLUMNS = ["name", "category", "brand", "description"] as const;

/** One fault of one row, in the column at fault. */
export class CsvRowError {
  readonly field: string;
  readonly message: string;
  constructor(field: string, message: string) {
    this.field = field;
    this.message = message;
  }
}

/** One SKU row: its line number (the header is line 1) and its cells by column. */
export interface CsvRow {
  line: number;
  cells: Map<CsvColumn, string>;
  /** More fields than the header has columns. */
  overflow: boolean;
}

/** A file-level fault (no header, an unknown column, an unclosed quote): nothing in it is imported. */
export class CsvFileError extends Error {}

/** Splits CSV text into records of fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (quoted) throw new CsvFileError("a quoted field is not closed");
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records.filter((r) => !(r.length === 1 && r[0] === ""));
}

const isColumn = (name: string): name is CsvColumn => (CSV_COLUMNS as readonly string[]).includes(name);

/** The header checked and every data row as cells by column name. */
export function csvRows(text: string): CsvRow[] {
  const [header, ...body] = parseCsv(text);
  if (!header) throw new CsvFileError("the file is empty; the first row names the columns");
  const columns = header.map((name) => name.trim());
  const known = new Set<string>(CSV_COLUMNS);
  const unknown = columns.filter((c) => !known.has(c));
  if (unknown.length)
    throw new CsvFileError(`unknown column(s) ${unknown.join(", ")}; use ${CSV_COLUMNS.join(", ")}`);
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length) throw new CsvFileError(`missing column(s) ${missing.join(", ")}`);
  if (new Set(columns).size !== columns.length) throw new CsvFileError("a column is named twice");
  return body.map((record, i) => {
    const cells = new Map<CsvColumn, string>();
    columns.forEach((column, k) => {
      const value = record[k] ?? "";
      if (value !== "" && isColumn(column)) cells.set(column, value);
    });
    return { line: i + 2, cells, overflow: record.length > columns.length };
  });
}

/** `颜色=红;尺码=M` → a null-prototype record (names come from outside). */
export function parseSpecs(cell: string | undefined): Record<string, string> | CsvRowError {
  const specs: Record<string, string> = Object.create(null);
  if (cell === undefined) return specs;
  for (const pair of cell.split(";")) {
    if (pair.trim() === "") continue;
    const at = pair.indexOf("=");
    if (at <= 0) return new CsvRowError("specs", `"${pair}" is not name=value (pairs separated by ';')`);
    const name = pair.slice(0, at).trim();
    if (Object.hasOwn(specs, name)) return new CsvRowError("specs", `spec ${name} is given twice`);
    specs[name] = pair.slice(at + 1).trim();
  }
  return specs;
}

/** A whole number cell (fen, grams, cm³), or an error naming the column. */
export function intCell(row: CsvRow, column: CsvColumn): number | undefined | CsvRowError {
  const cell = row.cells.get(column);
  if (cell === undefined) return undefined;
  if (!/^\d{1,15}$/.test(cell.trim())) return new CsvRowError(column, "a whole number");
  return Number(cell.trim());
}

/**
 * Rows grouped into products (in the order their first row appears) as the JSON import shape, with the
 * faults of each row. A row whose own cells are malformed contributes its errors and no SKU.
 */
export interface CsvProduct {
  /** Lines of the product's rows; `skuLines[i]` is the line of `skus[i]`. */
  lines: number[];
  skuLines: number[];
  product: Record<string, unknown>;
  skus: unknown[];
  /** `skus[i]`'s code. */
  skuCodes: string[];
}

export function productsFromRows(rows: CsvRow[]) {
  const groups = new Map<string, CsvProduct>();
  const errors = new Map<number, CsvRowError[]>();
  const fail = (row: CsvRow, e: CsvRowError) => errors.set(row.line, [...(errors.get(row.line) ?? []), e]);
  for (const row of rows) {
    const spuCode = row.cells.get("spuCode") ?? "";
    if (spuCode === "") {
      fail(row, new CsvRowError("spuCode", "every row names its product"));
      continue;
    }
    if (row.overflow) fail(row, new CsvRowError("(row)", "more fields than the header has columns"));
    let group = groups.get(spuCode);
    if (!group) {
      const product: Record<string, unknown> = Object.create(null);
      group = { lines: [], skuLines: [], product, skus: [], skuCodes: [] };
      groups.set(spuCode, group);
    }
    group.lines.push(row.line);
    for (const column of PRODUCT_COLUMNS) {
      const value = row.cells.get(column);
      if (value === undefined) continue;
      const first = group.product[column];
      if (first === undefined) group.product[column] = value;
      else if (first !== value)
        fail(row, new CsvRowError(column, `differs from this product's first row (${String(first)})`));
    }
    const specs = parseSpecs(row.cells.get("specs"));
    const numbers = (["listPrice", "weightGrams", "volumeCm3"] as const).map(
      (c) => [c, intCell(row, c)] as const,
    );
    const bad = [specs, ...numbers.map(([, v]) => v)].filter(
      (v): v is CsvRowError => v instanceof CsvRowError,
    );
    if (bad.length) {
      for (const e of bad) fail(row, e);
      continue;
    }
    const sku: Record<string, unknown> = {
      sku: row.cells.get("sku") ?? "",
      specs,
    };
    for (const [column, value] of numbers) if (typeof value === "number") sku[column] = value;
    const barcode = row.cells.get("barcode");
    if (barcode !== undefined) sku.barcode = barcode;
    group.skus.push(sku);
    group.skuCodes.push(row.cells.get("sku") ?? "");
    group.skuLines.push(row.line);
  }
  return { groups, errors };
}
