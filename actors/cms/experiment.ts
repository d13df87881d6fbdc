import { createHash } from "node:crypto";
import { z } from "zod";
import { idSchema, text } from "../shared/index.ts";

/**
 * A/B experiments on CMS pages (decision 0038): the definition's schema, the stable assignment of a
 * visitor to a variant, and the two-proportion z-test of the readout. Pure functions: every node computes
 * the same assignment from the same (experiment, visitor), across restarts, with nothing stored.
 */

/** Variants one experiment holds at most (the first is the control). */
export const MAX_VARIANTS = 5;
/** The largest weight of one variant (weights are relative: 50/50, 1/3, 90/10, …). */
export const MAX_WEIGHT = 10_000;
/** A visitor id: what the storefront sends (a cookie id, a member id). */
export const VISITOR_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;

export const visitorIdSchema = z
  .string()
  .regex(VISITOR_PATTERN, "a visitor id is 1–100 of A–Z a–z 0–9 _ . : -")
  .describe("The storefront's visitor id (a cookie id or member id)");

const epoch = z.number().int().min(0).max(253_402_300_799_999);

export const variantSchema = z
  .object({
    key: idSchema.describe("The variant's name in readouts and events (e.g. control, b)"),
    weight: z.number().int().min(0).max(MAX_WEIGHT).describe("Relative share of traffic"),
    version: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("A saved version of the page; absent: whatever version is published"),
  })
  .strict();
export type Variant = z.infer<typeof variantSchema>;

/** What an experiment is: a page, its variants (the first the control), and an optional time window. */
export const experimentDefinitionSchema = z
  .object({
    id: idSchema,
    slug: idSchema.describe("The page under test"),
    name: text({ max: 200 }).optional(),
    variants: z
      .array(variantSchema)
      .min(2)
      .max(MAX_VARIANTS)
      .superRefine((variants, ctx) => {
        const seen = new Set<string>();
        variants.forEach((v, i) => {
          if (seen.has(v.key))
            ctx.addIssue({ code: "custom", path: [i, "key"], message: `variant key ${v.key} is repeated` });
          seen.add(v.key);
        });
        if (variants.every((v) => v.weight === 0))
          ctx.addIssue({
            code: "custom",
            path: [0, "weight"],
            message: "some variant needs a weight above 0",
          });
      }),
    startAt: epoch.optional(),
    stopAt: epoch.optional(),
  })
  .strict()
  .refine((e) => e.startAt === undefined || e.stopAt === undefined || e.startAt < e.stopAt, {
    path: ["stopAt"],
    message: "stopAt must come after startAt",
  });
export type ExperimentDefinition = z.infer<typeof experimentDefinitionSchema>;

export type ExperimentStatus = "draft" | "running" | "stopped";

/** An experiment as stored and read back. */
export interface ExperimentRecord {
  id: string;
  slug: string;
  name: string | null;
  variants: Variant[];
  status: ExperimentStatus;
  /** ms since epoch, or null. */
  startAt: number | null;
  stopAt: number | null;
  createdAt: string;
  createdBy: string;
  startedAt: string | null;
  stoppedAt: string | null;
}

/** Where a visitor falls in [0, 1): the first 48 bits of sha256(experiment id, visitor id). */
export function bucketOf(experimentId: string, visitorId: string): number {
  const digest = createHash("sha256").update(`${experimentId}\u0000${visitorId}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * The variant a visitor sees: the bucket falls in one variant's share of the summed weights. Stable: the
 * same (experiment, visitor) gives the same variant on every node, for as long as the weights are those.
 */
export function assignVariant<V extends { key: string; weight: number }>(
  experimentId: string,
  variants: readonly V[],
  visitorId: string,
): V {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  const point = bucketOf(experimentId, visitorId) * total;
  let upTo = 0;
  for (const v of variants) {
    upTo += v.weight;
    if (v.weight > 0 && point < upTo) return v;
  }
  // Rounding at the very top: the last variant with a weight.
  return [...variants].reverse().find((v) => v.weight > 0) ?? variants[0]!;
}

/** Whether an experiment assigns visitors now: started, not stopped, inside its window. */
export function isLive(
  e: { status: ExperimentStatus; startAt: number | null; stopAt: number | null },
  now: number,
): boolean {
  return (
    e.status === "running" &&
    (e.startAt === null || e.startAt <= now) &&
    (e.stopAt === null || now < e.stopAt)
  );
}

/** erfc(x) for x ≥ 0 (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const y =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return y;
}

/** Two-sided p-value of a standard normal statistic. */
export function twoSidedP(z: number): number {
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

export interface ProportionTest {
  z: number;
  pValue: number;
  /** p < 0.05 (two-sided). */
  significant: boolean;
}

/**
 * The pooled two-proportion z-test of a variant (x clicks of n exposures) against the control: z > 0
 * when the variant's rate is higher. Null when either side has no exposures or the pooled rate is 0 or 1
 * (no variance: nothing to test).
 */
export function twoProportionTest(
  control: { clicks: number; exposures: number },
  variant: { clicks: number; exposures: number },
): ProportionTest | null {
  const { clicks: x0, exposures: n0 } = control;
  const { clicks: x1, exposures: n1 } = variant;
  if (n0 <= 0 || n1 <= 0) return null;
  const pooled = (x0 + x1) / (n0 + n1);
  if (pooled <= 0 || pooled >= 1) return null;
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1));
  const z = (x1 / n1 - x0 / n0) / se;
  const pValue = twoSidedP(z);
  return { z, pValue, significant: pValue < 0.05 };
}

export interface VariantCounts {
  key: string;
  exposures: number;
  clicks: number;
}

/** Per-variant rate and the test against the control (the first variant). */
export function readout(
  variants: readonly { key: string; weight: number; version?: number }[],
  counts: readonly VariantCounts[],
) {
  const byKey = new Map(counts.map((c) => [c.key, c]));
  const rows = variants.map((v) => {
    const c = byKey.get(v.key);
    const exposures = c?.exposures ?? 0;
    const clicks = c?.clicks ?? 0;
    return { ...v, exposures, clicks, rate: exposures === 0 ? null : clicks / exposures };
  });
  const control = rows[0]!;
  return rows.map((r, i) => ({
    ...r,
    control: i === 0,
    test: i === 0 ? null : twoProportionTest(control, r),
  }));
}
