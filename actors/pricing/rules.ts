/**
 * Price rules of one SKU, beside its list price: member-level prices, channel prices and time-bounded
 * schedules. Every rule may carry a validity window `[from, to)` in epoch milliseconds: `from` inclusive,
 * `to` exclusive; a missing bound is open. Keyed by outside names (levels, channels), so `Map`s.
 */
export interface PriceWindow {
  /** First instant the rule applies (inclusive), epoch ms; absent: since ever. */
  from?: number;
  /** First instant the rule no longer applies (exclusive), epoch ms; absent: for ever. */
  to?: number;
}

export interface WindowedPrice extends PriceWindow {
  /** Integer fen. */
  price: number;
}

export interface PriceSchedule {
  from: number;
  to: number;
  price: number;
}

export interface PriceRules {
  /** An explicit price per member level name (overrides that level's percent discount on this SKU). */
  memberLevels: ReadonlyMap<string, WindowedPrice>;
  /** A price per sales channel name. */
  channels: ReadonlyMap<string, WindowedPrice>;
  /** Time-bounded prices for everyone; validated not to overlap one another. */
  schedules: readonly PriceSchedule[];
}

export const noRules = (): PriceRules => ({ memberLevels: new Map(), channels: new Map(), schedules: [] });

/** Whether `now` lies in the window: `from <= now < to`. */
export function inWindow(window: PriceWindow, now: number): boolean {
  return (window.from === undefined || window.from <= now) && (window.to === undefined || now < window.to);
}

export interface RuleProblem {
  /** The field at fault, as the request spells it (`schedules.1.from`, `memberLevels.gold.to`). */
  field: string;
  message: string;
}

/** Most schedules one SKU may hold (a server-side limit). */
export const MAX_SCHEDULES = 50;

/**
 * The first thing wrong with a rule set, or undefined: a window whose `from` is not before its `to`, a
 * member price for a level the ladder does not have, or two schedules whose windows overlap (two
 * half-open windows overlap when each starts before the other ends, so one ending at 10:00 and the next
 * starting at 10:00 do not).
 */
export function checkRules(rules: PriceRules, levelNames: ReadonlySet<string>): RuleProblem | undefined {
  const window = (w: PriceWindow, at: string): RuleProblem | undefined =>
    w.from !== undefined && w.to !== undefined && w.from >= w.to
      ? { field: `${at}.to`, message: "a window's to must be after its from (from inclusive, to exclusive)" }
      : undefined;
  for (const [level, rule] of rules.memberLevels) {
    if (!levelNames.has(level)) {
      return {
        field: `memberLevels.${level}`,
        message: `no member level ${level}; the levels are ${[...levelNames].join(", ")}`,
      };
    }
    const bad = window(rule, `memberLevels.${level}`);
    if (bad) return bad;
  }
  for (const [channel, rule] of rules.channels) {
    const bad = window(rule, `channels.${channel}`);
    if (bad) return bad;
  }
  if (rules.schedules.length > MAX_SCHEDULES) {
    return { field: "schedules", message: `at most ${MAX_SCHEDULES} schedules per SKU` };
  }
  for (const [i, s] of rules.schedules.entries()) {
    const bad = window(s, `schedules.${i}`);
    if (bad) return bad;
    const clash = rules.schedules.findIndex((o, j) => j < i && s.from < o.to && o.from < s.to);
    if (clash >= 0) {
      return {
        field: `schedules.${i}.from`,
        message: `schedule ${i} overlaps schedule ${clash}; windows are [from, to) and may touch, not overlap`,
      };
    }
  }
  return undefined;
}

/** A member-level or channel rule as JSON: a plain fen when it has no window, else `{ price, from, to }`. */
export type WindowedPriceView = number | { price: number; from: string | null; to: string | null };

/** The rules as JSON (API answers and history rows): objects keyed by name have no prototype. */
export type PriceRulesView = {
  memberLevels: Record<string, WindowedPriceView>;
  channels: Record<string, WindowedPriceView>;
  schedules: Array<{ from: string; to: string; price: number }>;
};

const iso = (ms: number) => new Date(ms).toISOString();

function keyed(map: ReadonlyMap<string, WindowedPrice>): Record<string, WindowedPriceView> {
  const out: Record<string, WindowedPriceView> = Object.create(null);
  for (const [name, rule] of [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const value =
      rule.from === undefined && rule.to === undefined
        ? rule.price
        : {
            price: rule.price,
            from: rule.from === undefined ? null : iso(rule.from),
            to: rule.to === undefined ? null : iso(rule.to),
          };
    Object.defineProperty(out, name, { value, enumerable: true, writable: true });
  }
  return out;
}

/** The one JSON form of a rule set: names sorted, schedules by `from`, instants as ISO-8601 (UTC). */
export function rulesView(rules: PriceRules): PriceRulesView {
  return {
    memberLevels: keyed(rules.memberLevels),
    channels: keyed(rules.channels),
    schedules: [...rules.schedules]
      .sort((a, b) => a.from - b.from)
      .map((s) => ({ from: iso(s.from), to: iso(s.to), price: s.price })),
  };
}
