import type { Benefit, Conditions, Promotion, Scope } from "./model.ts";
import { PROMOTION_TYPES, type PromotionType } from "./model.ts";
import { slotMinute } from "./time.ts";

/**
 * A promotion as the API takes it and the store keeps it: `type` + `rules` (the benefit's numbers),
 * scope, conditions and time, with instants in epoch ms and daily slots as `"HH:MM"` (Asia/Shanghai).
 */
export interface PromotionDefinition {
  id: string;
  name: string;
  type: PromotionType;
  rules: Readonly<Record<string, unknown>>;
  scope: Scope;
  conditions: Conditions;
  timeSlots: ReadonlyArray<{ from: string; to: string }>;
  weekdays: readonly number[];
  startsAt: number;
  endsAt: number;
  endedAt?: number;
  exclusive: boolean;
  stackGroup?: string;
  priority: number;
}

export type PromotionStatus = "scheduled" | "active" | "ended";

/** `scheduled` before `startsAt`, `ended` once ended early or at `endsAt`, else `active`. */
export function statusAt(
  def: Pick<PromotionDefinition, "startsAt" | "endsAt" | "endedAt">,
  now: number,
): PromotionStatus {
  if ((def.endedAt !== undefined && def.endedAt <= now) || now >= def.endsAt) return "ended";
  return now < def.startsAt ? "scheduled" : "active";
}

const num = (rules: Readonly<Record<string, unknown>>, key: string): number | undefined => {
  const v = Object.hasOwn(rules, key) ? rules[key] : undefined;
  return typeof v === "number" ? v : undefined;
};

/** The benefit a type and its rules stand for (rules validated at the edge; absent thresholds are 0). */
export function benefitOf(type: PromotionType, rules: Readonly<Record<string, unknown>>): Benefit {
  const n = (key: string) => num(rules, key) ?? 0;
  const opt = (key: string) => num(rules, key);
  switch (type) {
    case "threshold_reduction":
      return { type, threshold: n("threshold"), reduction: n("reduction") };
    case "percent_off": {
      const cap = opt("maxDiscount");
      return {
        type,
        percent: n("percent"),
        threshold: n("threshold"),
        ...(cap === undefined ? {} : { maxDiscount: cap }),
      };
    }
    case "every_n_off": {
      const cap = opt("maxDiscount");
      return {
        type,
        every: n("every"),
        reduction: n("reduction"),
        ...(cap === undefined ? {} : { maxDiscount: cap }),
      };
    }
    case "nth_item_price": {
      const price = opt("price");
      return { type, n: n("n"), ...(price === undefined ? { percent: n("percent") } : { price }) };
    }
    case "fixed_price":
      return { type, price: n("price") };
    case "gift":
      return { type, sku: String(rules.sku ?? ""), qty: n("qty"), threshold: n("threshold") };
    case "free_shipping":
      return { type, threshold: n("threshold") };
  }
}

export const isPromotionType = (t: string): t is PromotionType =>
  (PROMOTION_TYPES as readonly string[]).includes(t);

/** The engine's form of a stored definition. */
export function toPromotion(def: PromotionDefinition): Promotion {
  return {
    id: def.id,
    name: def.name,
    benefit: benefitOf(def.type, def.rules),
    scope: def.scope,
    conditions: def.conditions,
    schedule: {
      startsAt: def.startsAt,
      endsAt: def.endsAt,
      timeSlots: def.timeSlots.map((s) => ({ from: slotMinute(s.from) ?? 0, to: slotMinute(s.to) ?? 0 })),
      weekdays: def.weekdays,
    },
    stacking: {
      exclusive: def.exclusive,
      priority: def.priority,
      ...(def.stackGroup === undefined ? {} : { stackGroup: def.stackGroup }),
    },
    ...(def.endedAt === undefined ? {} : { endedAt: def.endedAt }),
  };
}
