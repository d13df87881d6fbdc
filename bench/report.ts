/** Prints tables, writes `bench/results/<scenario>-<timestamp>.json` and an HTML report with SVG charts. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Earlier } from "./earlier.ts";
import { RESULTS } from "./servers.ts";
import { fmt } from "./stats.ts";

export interface Target {
  name: string;
  /** The measured value (a ratio or a figure). */
  value: number;
  goal: string;
  met: boolean;
  /** The issue-15 row this verdict belongs to: its earlier (quiet-run) figure and its aim. */
  earlier?: Earlier;
  /** How `value` reads in the side-by-side table (e.g. "0.42×", "18.3 ms"); default: the number. */
  shown?: string;
}

export interface Column {
  key: string;
  label: string;
  digits?: number;
}

export function table(rows: Array<Record<string, unknown>>, columns: Column[]): string {
  const cells = rows.map((row) =>
    columns.map((c) => {
      const v = row[c.key];
      return typeof v === "number" ? fmt(v, c.digits ?? 0) : String(v ?? "");
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.label.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  ");
  return [
    line(columns.map((c) => c.label)),
    widths.map((w) => "─".repeat(w)).join("  "),
    ...cells.map(line),
  ].join("\n");
}

export function targetLines(targets: Target[]): string {
  return targets
    .map(
      (t) =>
        `${t.met ? "✓ met   " : "✗ MISSED"}  ${t.name}: ${Number.isFinite(t.value) ? fmt(t.value, 2) : "no figure"} (goal ${t.goal})`,
    )
    .join("\n");
}

/**
 * The issue-15 targets table with the earlier figures (last quiet runs) and this run's side by side.
 * Only targets that belong to a row of that table appear; `workload` says what this run measured.
 */
export function comparisonTable(targets: Target[], workload: string): string {
  const rows = targets
    .filter((t) => t.earlier)
    .map((t) => ({
      measure: t.earlier!.measure,
      earlier: t.earlier!.today,
      now: Number.isFinite(t.value) ? (t.shown ?? fmt(t.value, 2)) : "no figure",
      must: t.earlier!.mustReach,
      aim: t.earlier!.aim,
      verdict: t.met ? "met" : "MISSED",
    }));
  if (rows.length === 0) return "";
  return `targets, earlier (last quiet runs, issue 15) and now (${workload}):\n${table(rows, [
    { key: "measure", label: "measure" },
    { key: "earlier", label: "earlier" },
    { key: "now", label: "now" },
    { key: "must", label: "must reach" },
    { key: "aim", label: "aim" },
    { key: "verdict", label: "verdict" },
  ])}`;
}

export function htmlComparison(targets: Target[], workload: string): string {
  const rows = targets.filter((t) => t.earlier);
  if (rows.length === 0) return "";
  return `<h3>Targets: earlier (last quiet runs, issue 15) and now</h3><p>${escapeHtml(workload)}</p><table><tr><th>measure</th><th>earlier</th><th>now</th><th>must reach</th><th>aim</th><th>verdict</th></tr>${rows
    .map(
      (t) =>
        `<tr><td>${escapeHtml(t.earlier!.measure)}</td><td>${escapeHtml(t.earlier!.today)}</td><td>${escapeHtml(Number.isFinite(t.value) ? (t.shown ?? fmt(t.value, 2)) : "no figure")}</td><td>${escapeHtml(t.earlier!.mustReach)}</td><td>${escapeHtml(t.earlier!.aim)}</td><td class="${t.met ? "met" : "missed"}">${t.met ? "met" : "MISSED"}</td></tr>`,
    )
    .join("")}</table>`;
}

export function writeResults(
  scenario: string,
  data: Record<string, unknown>,
  html: { title: string; sections: string[] },
): { json: string; html: string } {
  mkdirSync(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const json = join(RESULTS, `${scenario}-${stamp}.json`);
  writeFileSync(json, `${JSON.stringify(data, null, 2)}\n`);
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(html.title)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#1d2330}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #dde1e7;padding:4px 10px;text-align:right}
td:first-child,th:first-child{text-align:left}.met{color:#0a7}.missed{color:#c33;font-weight:700}
pre{background:#f4f5f7;padding:12px;overflow:auto}</style></head><body>
<h1>${escapeHtml(html.title)}</h1><p>${escapeHtml(new Date().toString())}</p>${html.sections.join("\n")}</body></html>`;
  const file = join(RESULTS, `${scenario}-${stamp}.html`);
  writeFileSync(file, page);
  writeFileSync(join(RESULTS, `${scenario}-latest.html`), page);
  writeFileSync(join(RESULTS, `${scenario}-latest.json`), `${JSON.stringify(data, null, 2)}\n`);
  return { json, html: file };
}

/** A horizontal bar chart as inline SVG (no scripts, no CDN). */
export function barChart(
  title: string,
  bars: Array<{ label: string; value: number; note?: string }>,
  unit: string,
): string {
  const max = Math.max(1, ...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)));
  const rowH = 28;
  const labelW = 260;
  const chartW = 560;
  const height = bars.length * rowH + 30;
  const rows = bars
    .map((b, i) => {
      const y = 24 + i * rowH;
      const w = Number.isFinite(b.value) ? Math.max(1, (b.value / max) * chartW) : 0;
      const text = Number.isFinite(b.value)
        ? `${fmt(b.value, b.value < 10 ? 1 : 0)} ${unit}`
        : (b.note ?? "no figure");
      return `<text x="0" y="${y + 17}" font-size="13">${escapeHtml(b.label)}</text>
<rect x="${labelW}" y="${y + 4}" width="${w}" height="18" fill="#3b82f6"/>
<text x="${labelW + w + 6}" y="${y + 17}" font-size="12">${escapeHtml(text)}</text>`;
    })
    .join("\n");
  return `<h3>${escapeHtml(title)}</h3><svg xmlns="http://www.w3.org/2000/svg" width="${labelW + chartW + 160}" height="${height}">${rows}</svg>`;
}

export function htmlTable(rows: Array<Record<string, unknown>>, columns: Column[]): string {
  const head = columns.map((c) => `<th>${escapeHtml(c.label)}</th>`).join("");
  const body = rows
    .map(
      (r) =>
        `<tr>${columns.map((c) => `<td>${escapeHtml(typeof r[c.key] === "number" ? fmt(r[c.key] as number, c.digits ?? 0) : String(r[c.key] ?? ""))}</td>`).join("")}</tr>`,
    )
    .join("");
  return `<table><tr>${head}</tr>${body}</table>`;
}

export function htmlTargets(targets: Target[]): string {
  return `<ul>${targets
    .map(
      (t) =>
        `<li class="${t.met ? "met" : "missed"}">${t.met ? "met" : "MISSED"}: ${escapeHtml(t.name)} = ${Number.isFinite(t.value) ? fmt(t.value, 2) : "no figure"} (goal ${escapeHtml(t.goal)})</li>`,
    )
    .join("")}</ul>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}
