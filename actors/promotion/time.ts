import type { Schedule } from "./model.ts";

/**
 * Promotion time is Asia/Shanghai wall-clock time: UTC+8 all year (China has kept no daylight saving time
 * since 1991), so the local clock is computed with a fixed offset, with no time-zone database.
 */
export const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** The Asia/Shanghai ISO weekday (1 = Monday … 7 = Sunday) and minute of the day at `now`. */
export function shanghaiClock(now: number): { weekday: number; minute: number } {
  const local = new Date(now + SHANGHAI_OFFSET_MS);
  const day = local.getUTCDay();
  return { weekday: day === 0 ? 7 : day, minute: local.getUTCHours() * 60 + local.getUTCMinutes() };
}

/**
 * Whether a promotion's time holds at `now`: inside `[startsAt, endsAt)` (and before an early end), on one
 * of its weekdays and inside one of its daily slots `[from, to)` (Asia/Shanghai time), when it has them.
 */
export function activeAt(schedule: Schedule, now: number, endedAt?: number): boolean {
  if (now < schedule.startsAt || now >= schedule.endsAt) return false;
  if (endedAt !== undefined && now >= endedAt) return false;
  const clock = shanghaiClock(now);
  if (schedule.weekdays && schedule.weekdays.length > 0 && !schedule.weekdays.includes(clock.weekday))
    return false;
  if (schedule.timeSlots && schedule.timeSlots.length > 0)
    return schedule.timeSlots.some((s) => s.from <= clock.minute && clock.minute < s.to);
  return true;
}

/** `"HH:MM"` (00:00 … 24:00) as minutes after midnight, or undefined. */
export function slotMinute(hhmm: string): number | undefined {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(hhmm);
  if (!m) return undefined;
  const minute = Number(m[1]) * 60 + Number(m[2]);
  return minute <= 24 * 60 ? minute : undefined;
}

export const slotText = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
