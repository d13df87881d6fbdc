import { describe, expect, test } from "bun:test";
import { CronError, isTimeZone, nextFireOf, parseCron, wallToInstant } from "./cron.ts";

const SH = "Asia/Shanghai";
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const at = (s: string) => Date.parse(s);

describe("cron - parsing", () => {
  test.each([
    ["*/15 * * * *", "minutes", [0, 15, 30, 45]],
    ["0-10/5 * * * *", "minutes", [0, 5, 10]],
    ["50/4 * * * *", "minutes", [50, 54, 58]],
    ["1,5-7,30 * * * *", "minutes", [1, 5, 6, 7, 30]],
    ["0 9-17/4 * * *", "hours", [9, 13, 17]],
    ["0 0 * JAN-MAR,dec *", "months", [1, 2, 3, 12]],
    ["0 0 * * MON-FRI", "weekdays", [1, 2, 3, 4, 5]],
    ["0 0 * * 5-7", "weekdays", [0, 5, 6]],
    ["0 0 * * */2", "weekdays", [0, 2, 4, 6]],
  ] as const)("%s → %s %j", (expr, key, values) => {
    expect([...parseCron(expr)[key]].sort((a, b) => a - b)).toEqual([...values]);
  });

  test.each([
    ["", "expected 5 fields"],
    ["* * * *", "expected 5 fields"],
    ["* * * * * *", "expected 5 fields"],
    ["60 * * * *", "minute: 60 is outside 0-59"],
    ["* 24 * * *", "hour: 24"],
    ["* * 0 * *", "day of month: 0"],
    ["* * 32 * *", "day of month: 32"],
    ["* * * 13 *", "month: 13"],
    ["* * * * 8", "day of week: 8"],
    ["*/0 * * * *", "step"],
    ["5-1 * * * *", "runs backwards"],
    ["a * * * *", "not a number"],
    ["1,,2 * * * *", "malformed"],
    ["1/2/3 * * * *", "malformed"],
    ["constructor * * * *", "not a number"],
    ["__proto__ * * * *", "not a number"],
  ])("%j is refused (%s)", (expr, message) => {
    expect(() => parseCron(expr)).toThrow(CronError);
    expect(() => parseCron(expr)).toThrow(message);
  });

  test("macros and day-of-month/day-of-week combination rule", () => {
    expect(parseCron("@daily")).toMatchObject({ dayOr: false });
    expect([...parseCron("@weekly").weekdays]).toEqual([0]);
    expect(parseCron("0 0 1 * MON").dayOr).toBe(true);
    expect(parseCron("0 0 */2 * MON").dayOr).toBe(false);
    expect(parseCron("0 0 1 * *").dayOr).toBe(false);
  });

  test("time zones", () => {
    expect(isTimeZone("Asia/Shanghai")).toBe(true);
    expect(isTimeZone("America/New_York")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
    expect(isTimeZone("constructor")).toBe(false);
  });
});

describe("cron - next fire", () => {
  test.each([
    // Asia/Shanghai is UTC+8 all year: 02:00 local = 18:00Z the day before.
    ["0 2 * * *", SH, "2026-11-30T01:00:00Z", "2026-11-30T18:00:00.000Z"],
    ["0 2 * * *", SH, "2026-11-29T17:59:59Z", "2026-11-29T18:00:00.000Z"],
    // Strictly after: the fire at `after` itself is not the next one.
    ["0 2 * * *", SH, "2026-11-29T18:00:00Z", "2026-11-30T18:00:00.000Z"],
    ["*/15 * * * *", SH, "2026-11-30T01:07:30Z", "2026-11-30T01:15:00.000Z"],
    ["* * * * *", SH, "2026-11-30T01:07:30Z", "2026-11-30T01:08:00.000Z"],
    // Month ends: the 31st skips months without one; the 30th never fires in February.
    ["0 0 31 * *", SH, "2026-04-01T00:00:00Z", "2026-05-30T16:00:00.000Z"],
    ["0 0 29 2 *", SH, "2026-03-01T00:00:00Z", "2028-02-28T16:00:00.000Z"],
    ["0 12 28-31 * *", SH, "2027-02-27T05:00:00Z", "2027-02-28T04:00:00.000Z"],
    // Year end and the new year.
    ["59 23 31 12 *", SH, "2026-12-31T15:58:00Z", "2026-12-31T15:59:00.000Z"],
    ["0 0 1 1 *", SH, "2026-12-31T15:59:00Z", "2026-12-31T16:00:00.000Z"],
    // Both day fields restricted: the 1st OR a Monday (2026-12-07 is a Monday, 2027-01-01 a Friday).
    ["0 9 1 * MON", SH, "2026-12-02T00:00:00Z", "2026-12-07T01:00:00.000Z"],
    // Day-of-week restricted only: weekdays, Friday 23:00 → Monday.
    ["0 9 * * MON-FRI", SH, "2026-12-04T02:00:00Z", "2026-12-07T01:00:00.000Z"],
    // A starred day field keeps AND: every other day that is also a Sunday.
    ["0 0 */2 * SUN", SH, "2026-11-30T00:00:00Z", "2026-12-12T16:00:00.000Z"],
    ["0 0 * * 7", SH, "2026-11-30T00:00:00Z", "2026-12-05T16:00:00.000Z"],
    // UTC and a zone west of it.
    ["30 6 * * *", "UTC", "2026-11-30T06:30:00Z", "2026-12-01T06:30:00.000Z"],
    ["0 0 * * *", "America/Los_Angeles", "2026-11-30T00:00:00Z", "2026-11-30T08:00:00.000Z"],
    // Half-hour offset (India, UTC+5:30).
    ["0 9 * * *", "Asia/Kolkata", "2026-11-30T00:00:00Z", "2026-11-30T03:30:00.000Z"],
  ])("%s in %s after %s → %s", (expr, zone, after, expected) => {
    expect(iso(nextFireOf(expr, zone, at(after)))).toBe(expected);
  });

  test("an expression that never fires gives null", () => {
    expect(nextFireOf("0 0 30 2 *", SH, at("2026-01-01T00:00:00Z"))).toBeNull();
    expect(nextFireOf("0 0 31 4,6,9,11 *", SH, at("2026-01-01T00:00:00Z"))).toBeNull();
  });

  test("DST gap (New York, 2026-03-08 02:00 → 03:00): 02:30 fires at 03:30 EDT, once", () => {
    const ny = "America/New_York";
    const first = nextFireOf("30 2 * * *", ny, at("2026-03-07T12:00:00Z"));
    expect(iso(first)).toBe("2026-03-08T07:30:00.000Z"); // 03:30 EDT = 07:30Z
    expect(iso(nextFireOf("30 2 * * *", ny, first!))).toBe("2026-03-09T06:30:00.000Z"); // 02:30 EDT
    // Every 30 minutes across the gap: 01:30 EST, then 03:00 EDT (02:00 and 02:30 shift onto 03:xx).
    const a = nextFireOf("*/30 * * * *", ny, at("2026-03-08T06:15:00Z"));
    expect(iso(a)).toBe("2026-03-08T06:30:00.000Z");
    expect(iso(nextFireOf("*/30 * * * *", ny, a!))).toBe("2026-03-08T07:00:00.000Z");
  });

  test("DST fall-back (New York, 2026-11-01 01:00-02:00 twice): 01:30 fires once, at the first", () => {
    const ny = "America/New_York";
    const first = nextFireOf("30 1 * * *", ny, at("2026-10-31T12:00:00Z"));
    expect(iso(first)).toBe("2026-11-01T05:30:00.000Z"); // 01:30 EDT
    expect(iso(nextFireOf("30 1 * * *", ny, first!))).toBe("2026-11-02T06:30:00.000Z"); // next day, EST
    expect(iso(wallToInstant(Date.UTC(2026, 10, 1, 1, 30), ny))).toBe("2026-11-01T05:30:00.000Z");
  });

  test("successive fires are strictly increasing and each is a match (hourly, a year in Shanghai)", () => {
    let t = at("2026-01-01T00:00:00Z");
    for (let i = 0; i < 500; i++) {
      const next = nextFireOf("7 */5 * * *", SH, t)!;
      expect(next).toBeGreaterThan(t);
      const local = new Date(next + 8 * 3_600_000);
      expect(local.getUTCMinutes()).toBe(7);
      expect(local.getUTCHours() % 5).toBe(0);
      t = next;
    }
  });
});
