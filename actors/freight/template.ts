import { z } from "zod";
import { idSchema, moneySchema } from "../shared/index.ts";
import { covers, isRegionCode, specificity } from "./regions.ts";

const regionCode = z.string().refine(isRegionCode, "a GB/T 2260 region code (six digits, e.g. 310000)");
/** Units are grams (weight), cm³ (volume) or pieces; at most 1,000 tonnes / 1,000 m³ / a million pieces. */
const units = z.number().int().positive().max(1_000_000_000);

export const freightRuleSchema = z
  .object({
    /** Province, city or county codes; `"*"` is every region no other rule of the template names. */
    regions: z
      .array(z.union([regionCode, z.literal("*")]))
      .min(1)
      .max(500),
    first: units.describe("The first unit: grams, cm³ or pieces"),
    firstFee: moneySchema.describe("Fen for the first unit (or anything less)"),
    additional: units.describe("Each additional unit; a started one is charged in full"),
    additionalFee: moneySchema.describe("Fen per additional unit"),
  })
  .strict();

export const freightTemplateBody = z
  .object({
    warehouse: idSchema,
    basis: z.enum(["weight", "volume", "piece"]),
    rules: z.array(freightRuleSchema).min(1).max(100),
    /** Goods (what the parcel's lines pay after discounts) at or above this ship free. */
    freeOver: moneySchema.optional(),
    /** Remote regions this warehouse does not ship to under the template (e.g. 540000 Tibet). */
    excluded: z.array(regionCode).max(500).optional(),
    /**
     * Weight basis only: volumetric weight = ⌈volume cm³ × 1000 / divisor⌉ g (6000 for express, 8000 for
     * mail); the heavier of actual and volumetric weight is charged.
     */
    volumetricDivisor: z.number().int().min(1_000).max(20_000).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.volumetricDivisor !== undefined && t.basis !== "weight")
      ctx.addIssue({ code: "custom", path: ["volumetricDivisor"], message: "only a weight basis has one" });
    const seen = new Set<string>();
    t.rules.forEach((r, i) => {
      for (const code of r.regions) {
        if (seen.has(code))
          ctx.addIssue({ code: "custom", path: ["rules", i, "regions"], message: `${code} is in two rules` });
        seen.add(code);
      }
    });
  });

export type FreightTemplateInput = z.infer<typeof freightTemplateBody>;
export type FreightTemplate = FreightTemplateInput & { code: string };

/** What a parcel weighs, measures and holds, and what its goods pay. */
export interface ParcelMeasure {
  weightGrams: number;
  volumeCm3: number;
  pieces: number;
  goods: number;
}

export type FreightQuote =
  | { kind: "charged"; fee: number; chargeable: number; reason: string }
  | { kind: "free"; chargeable: number; reason: string }
  | { kind: "excluded"; reason: string }
  | { kind: "no_rule"; reason: string };

const UNIT = { weight: "g", volume: "cm³", piece: "pcs" } as const;

/** The rule for a destination: the most specific code covering it, else the template's `"*"` rule. */
export function ruleFor(t: FreightTemplateInput, dest: string) {
  let best: { rule: (typeof t.rules)[number]; score: number } | undefined;
  for (const rule of t.rules)
    for (const code of rule.regions) {
      const score = code === "*" ? 0 : covers(code, dest) ? specificity(code) : -1;
      if (score >= 0 && (best === undefined || score > best.score)) best = { rule, score };
    }
  return best?.rule;
}

/** Chargeable units of a parcel under a template: grams (the heavier of actual and volumetric), cm³ or pieces. */
export function chargeableUnits(t: FreightTemplateInput, p: ParcelMeasure): number {
  if (t.basis === "piece") return p.pieces;
  if (t.basis === "volume") return p.volumeCm3;
  const volumetric = t.volumetricDivisor ? Math.ceil((p.volumeCm3 * 1000) / t.volumetricDivisor) : 0;
  return Math.max(p.weightGrams, volumetric);
}

/** First unit, then each additional unit started: `firstFee + ⌈(units − first) / additional⌉ × additionalFee`. */
export function stepFee(rule: z.infer<typeof freightRuleSchema>, units: number): number {
  if (units <= rule.first) return rule.firstFee;
  return rule.firstFee + Math.ceil((units - rule.first) / rule.additional) * rule.additionalFee;
}

/**
 * Freight of one parcel to `dest` under a template (fen). Exclusions first (not served), then the rule
 * (none: the template does not price this region), then the free-shipping threshold on the parcel's goods.
 *
 * @example
 * freightOf(t, "310104", { weightGrams: 1200, volumeCm3: 0, pieces: 1, goods: 5000 }) // first 1000 g + 1 × 500 g
 */
export function freightOf(t: FreightTemplate, dest: string, p: ParcelMeasure): FreightQuote {
  const excluded = (t.excluded ?? []).find((code) => covers(code, dest));
  if (excluded !== undefined)
    return { kind: "excluded", reason: `template ${t.code} does not ship to ${dest} (excluded ${excluded})` };
  const rule = ruleFor(t, dest);
  if (rule === undefined) return { kind: "no_rule", reason: `template ${t.code} has no rule for ${dest}` };
  const units = chargeableUnits(t, p);
  const unit = UNIT[t.basis];
  if (t.freeOver !== undefined && p.goods >= t.freeOver)
    return {
      kind: "free",
      chargeable: units,
      reason: `free shipping: goods ${p.goods} ≥ ${t.freeOver} (template ${t.code})`,
    };
  const fee = stepFee(rule, units);
  const extra = units <= rule.first ? 0 : Math.ceil((units - rule.first) / rule.additional);
  return {
    kind: "charged",
    fee,
    chargeable: units,
    reason: `${units} ${unit}: first ${rule.first} ${unit} ${rule.firstFee} + ${extra} × ${rule.additional} ${unit} × ${rule.additionalFee} = ${fee} fen (template ${t.code})`,
  };
}
