import { z } from "zod";
import { MAX_VARIANTS, variantSchema, visitorIdSchema } from "../../actors/cms/index.ts";
import { text } from "../../actors/shared/index.ts";
import { codeSchema, pageQuery } from "../schemas.ts";

/** `POST /v1/cms/experiments`: a draft experiment on a page; the first variant is the control. */
export const createExperimentBody = z
  .object({
    id: codeSchema,
    slug: codeSchema.describe("The page under test"),
    name: text({ max: 200 }).optional(),
    variants: z
      .array(variantSchema)
      .min(2)
      .max(MAX_VARIANTS)
      .describe("The first is the control; each shows a saved version of the page (or the published one)"),
    startAt: z.iso.datetime({ offset: true }).optional().describe("Assign no visitor before this time"),
    stopAt: z.iso.datetime({ offset: true }).optional().describe("Assign no visitor from this time on"),
  })
  .strict();

const variantView = z.object({
  key: z.string(),
  weight: z.number().int(),
  version: z.number().int().optional().describe("Absent: the published version"),
});

export const experimentView = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string().nullable(),
  variants: z.array(variantView),
  status: z.enum(["draft", "running", "stopped"]),
  live: z.boolean().describe("Running and inside its start/stop window: visitors are assigned now"),
  startAt: z.string().nullable(),
  stopAt: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string(),
  startedAt: z.string().nullable(),
  stoppedAt: z.string().nullable(),
});

export const experimentList = z.object({ items: z.array(experimentView), nextCursor: z.string().nullable() });

export const experimentListQuery = pageQuery.extend({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  slug: codeSchema.optional(),
});

const testView = z
  .object({
    z: z.number(),
    pValue: z.number(),
    significant: z.boolean().describe("p < 0.05, two-sided"),
  })
  .nullable()
  .describe("Pooled two-proportion z-test against the control; null for the control or without variance");

export const experimentReadout = experimentView.extend({
  results: z.array(
    variantView.extend({
      control: z.boolean(),
      exposures: z.number().int().describe("Visitors who saw this variant (each counted once)"),
      clicks: z.number().int().describe("Of them, visitors who clicked (each counted once)"),
      rate: z.number().nullable().describe("clicks / exposures"),
      test: testView,
    }),
  ),
});

export const experimentEventBody = z
  .object({ visitorId: visitorIdSchema, type: z.enum(["exposure", "click"]) })
  .strict();

export const experimentEventReply = z.object({
  experiment: z.string(),
  variant: z.string().describe("The visitor's variant (computed by the server from the visitor id)"),
  type: z.enum(["exposure", "click"]),
  counted: z.boolean().describe("false for a repeat: exposures and clicks count once per visitor"),
});

/** `POST /v1/cms/pages/{slug}/preview`. */
export const previewBody = z
  .object({
    version: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Default: the latest version (a draft included)"),
    ttlSeconds: z.number().int().positive().optional().describe("Default 3600; capped at 604800 (7 days)"),
  })
  .strict();

export const previewLink = z.object({
  slug: z.string(),
  version: z.number().int(),
  token: z.string(),
  expiresAt: z.string(),
  url: z.string().describe("The preview page at PUBLIC_URL"),
  path: z.string().describe("The same page, relative to this server"),
  contentPath: z.string().describe("The public JSON read of the previewed version"),
});

export const previewQuery = z.object({ token: z.string().min(1).max(600) });
