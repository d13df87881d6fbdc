import { z } from "zod";

const levelSchema = z.object({
  name: z.string().trim().min(1).max(32),
  /** Growth points needed to hold the level. */
  minGrowth: z.number().int().min(0),
  /** Member price discount, in whole percent. */
  discountPercent: z.number().int().min(0).max(100),
  freeShipping: z.boolean(),
  prioritySupport: z.boolean().optional(),
});

export type MemberLevel = z.infer<typeof levelSchema>;

/**
 * Level thresholds, lowest first. Validated once when a kind is created, so a bad configuration fails
 * at startup rather than on some member's order.
 */
export const memberLevelsSchema = z
  .array(levelSchema)
  .min(1)
  .superRefine((levels, ctx) => {
    if (levels[0] && levels[0].minGrowth !== 0) {
      ctx.addIssue({ code: "custom", message: "the first level starts at 0 growth", path: [0, "minGrowth"] });
    }
    levels.forEach((level, i) => {
      const previous = levels[i - 1];
      if (previous && level.minGrowth <= previous.minGrowth) {
        ctx.addIssue({ code: "custom", message: "minGrowth must increase", path: [i, "minGrowth"] });
      }
      if (levels.findIndex((l) => l.name === level.name) !== i) {
        ctx.addIssue({ code: "custom", message: `level ${level.name} is listed twice`, path: [i, "name"] });
      }
    });
  });

/** The default ladder: 1 growth per yuan paid, so gold is about 5,000 yuan of kept orders. */
export const DEFAULT_LEVELS: readonly MemberLevel[] = [
  { name: "regular", minGrowth: 0, discountPercent: 0, freeShipping: false, prioritySupport: false },
  { name: "silver", minGrowth: 1_000, discountPercent: 2, freeShipping: false, prioritySupport: false },
  { name: "gold", minGrowth: 5_000, discountPercent: 5, freeShipping: true, prioritySupport: false },
  { name: "platinum", minGrowth: 20_000, discountPercent: 8, freeShipping: true, prioritySupport: true },
];

/** The highest level whose threshold the growth reaches. */
export function levelFor(levels: readonly MemberLevel[], growth: number): MemberLevel {
  let found = levels[0]!;
  for (const level of levels) if (growth >= level.minGrowth) found = level;
  return found;
}

export function nextLevel(levels: readonly MemberLevel[], growth: number): MemberLevel | undefined {
  return levels.find((level) => level.minGrowth > growth);
}

export interface LevelBenefits {
  name: string;
  discountPercent: number;
  freeShipping: boolean;
  prioritySupport: boolean;
}

export function benefitsOf(level: MemberLevel): LevelBenefits {
  return {
    name: level.name,
    discountPercent: level.discountPercent,
    freeShipping: level.freeShipping,
    prioritySupport: level.prioritySupport ?? false,
  };
}
