/**
 * CSV files the gateway writes (exports): RFC 4180 quoting, and cells that a spreadsheet would read as a
 * formula (`=`, `+`, `-`, `@`, tab, CR) prefixed with `'` so an exported name cannot run in Excel.
 *
 * @example csvFile(["id", "name"], [["O1", "=SUM(A1)"]]) // "id,name\r\nO1,'=SUM(A1)\r\n"
 */
export function csvFile(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  return [header, ...rows].map((row) => `${row.map(csvCell).join(",")}\r\n`).join("");
}

function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
