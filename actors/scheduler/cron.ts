/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week) and their next fire time in
 * an IANA time zone, through `Intl` only (no dependency).
 *
 * - Fields: `*`, `n`, `a-b`, `*\/s`, `a-b/s`, `a/s` (a to the field's end), lists `a,b-c`; months
 *   `JAN`–`DEC`, days `SUN`–`SAT` (0 and 7 are Sunday); macros `@hourly @daily @midnight @weekly
 *   @monthly @yearly @annually`.
 * - Day-of-month and day-of-week: when both are restricted (neither starts with `*`), a day matches
 *   either (Vixie cron); otherwise both must match.
 * - Wall times that do not exist (a DST gap) fire at the same wall time shifted by the gap (02:30 →
 *   03:30); wall times that happen twice (DST fall-back) fire once, at the first. Asia/Shanghai has no DST.
 */

export interface Cron {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  weekdays: ReadonlySet<number>;
  /** Both day fields restricted: a day matches either of them. */
  dayOr: boolean;
}

export class CronError extends Error {}

const MACROS = new Map<string, string>([
  ["@hourly", "0 * * * *"],
  ["@daily", "0 0 * * *"],
  ["@midnight", "0 0 * * *"],
  ["@weekly", "0 0 * * 0"],
  ["@monthly", "0 0 1 * *"],
  ["@yearly", "0 0 1 1 *"],
  ["@annually", "0 0 1 1 *"],
]);
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Value of the first name (months start at 1). */
  nameBase?: number;
}
const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: "day of week", min: 0, max: 7, names: DAYS, nameBase: 0 },
];

function value(token: string, spec: FieldSpec): number {
  const upper = token.toUpperCase();
  const named = spec.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (spec.nameBase ?? 0);
  if (!/^\d{1,2}$/.test(token)) throw new CronError(`${spec.name}: "${token}" is not a number`);
  const n = Number(token);
  if (n < spec.min || n > spec.max)
    throw new CronError(`${spec.name}: ${n} is outside ${spec.min}-${spec.max}`);
  return n;
}

function field(text: string, spec: FieldSpec): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [range = "", stepText, extra] = part.split("/");
    if (extra !== undefined || range === "") throw new CronError(`${spec.name}: malformed "${part}"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0)
        throw new CronError(`${spec.name}: step "${stepText}" must be 1-99`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === "*") {
      lo = spec.min;
      hi = spec.name === "day of week" ? 6 : spec.max;
    } else if (range.includes("-")) {
      const [a = "", b = "", more] = range.split("-");
      if (more !== undefined) throw new CronError(`${spec.name}: malformed range "${range}"`);
      lo = value(a, spec);
      hi = value(b, spec);
      if (lo > hi) throw new CronError(`${spec.name}: range "${range}" runs backwards`);
    } else {
      lo = value(range, spec);
      hi = stepText !== undefined ? spec.max : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(spec.name === "day of week" && v === 7 ? 0 : v);
  }
  return out;
}

/** Parses an expression; throws `CronError` saying which field is wrong. */
export function parseCron(expression: string): Cron {
  const trimmed = expression.trim();
  const text = MACROS.get(trimmed.toLowerCase()) ?? trimmed;
  const parts = text.split(/\s+/);
  if (parts.length !== 5)
    throw new CronError(
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`,
    );
  const [m, h, dom, mon, dow] = parts.map((p, i) => field(p, FIELDS[i]!));
  const domStar = parts[2]!.startsWith("*");
  const dowStar = parts[4]!.startsWith("*");
  return { minutes: m!, hours: h!, days: dom!, months: mon!, weekdays: dow!, dayOr: !domStar && !dowStar };
}

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's wall clock at `instant`, as if it were UTC (epoch ms). */
function wallAt(instant: number, zone: string): number {
  const parts = formatter(zone).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const year = get("year");
  const wall = Date.UTC(year, get("month") - 1, get("day"), get("hour") % 24, get("minute"), get("second"));
  // Date.UTC maps years 0-99 to 1900-1999; cron years are never there, but stay exact.
  return wall + (instant % 1000 < 0 ? 1000 + (instant % 1000) : instant % 1000);
}

const offsetAt = (instant: number, zone: string) => wallAt(instant, zone) - instant;

const DAY = 86_400_000;

/**
 * The instant a wall time (as-if-UTC ms) happens in `zone`: the earlier one when it happens twice, the
 * gap-shifted one when it does not happen at all.
 */
export function wallToInstant(wall: number, zone: string): number {
  const before = wall - offsetAt(wall - DAY, zone);
  const after = wall - offsetAt(wall + DAY, zone);
  const valid = [before, after].filter((t) => wallAt(t, zone) === wall);
  if (valid.length > 0) return Math.min(...valid);
  return before; // in a gap: the pre-transition offset lands past the gap by its length
}

/** Sorted values of a set. */
const sorted = (s: ReadonlySet<number>) => [...s].sort((a, b) => a - b);

function dayMatches(cron: Cron, date: Date): boolean {
  if (!cron.months.has(date.getUTCMonth() + 1)) return false;
  const dom = cron.days.has(date.getUTCDate());
  const dow = cron.weekdays.has(date.getUTCDay());
  return cron.dayOr ? dom || dow : dom && dow;
}

/** Days searched ahead before giving up (covers `0 0 29 2 *` across a non-leap century year). */
const HORIZON_DAYS = 366 * 9;

/**
 * The first fire strictly after `after` (epoch ms), or null when the expression never fires within nine
 * years (e.g. `0 0 30 2 *`).
 */
export function nextFire(cron: Cron, zone: string, after: number): number | null {
  const startWall = wallAt(after, zone);
  const firstDay = Math.floor(startWall / DAY) * DAY;
  const hours = sorted(cron.hours);
  const minutes = sorted(cron.minutes);
  let best: number | null = null;
  for (let i = 0; i < HORIZON_DAYS; i++) {
    const day = firstDay + i * DAY;
    // Gap shifts only move a time later: a day past the best candidate's own day cannot beat it.
    if (best !== null && day > best + offsetAt(best, zone)) break;
    if (!dayMatches(cron, new Date(day))) continue;
    const offset = offsetAt(day - offsetAt(day, zone), zone);
    const steady = offsetAt(day + DAY - offset, zone) === offset;
    for (const h of hours) {
      for (const m of minutes) {
        const wall = day + h * 3_600_000 + m * 60_000;
        if (wall + 3 * 3_600_000 < startWall) continue; // far before `after`, even with a DST shift
        // No transition that day: instants follow wall times, so the first one after `after` is it.
        const t = steady ? wall - offset : wallToInstant(wall, zone);
        if (t > after && (best === null || t < best)) {
          best = t;
          if (steady) break;
        }
      }
      if (steady && best !== null && best >= day - offset) break;
    }
  }
  return best;
}

/** Next fire of an expression's text; throws `CronError` when it does not parse. */
export function nextFireOf(expression: string, zone: string, after: number): number | null {
  return nextFire(parseCron(expression), zone, after);
}
