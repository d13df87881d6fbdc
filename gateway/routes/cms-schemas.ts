import { z } from "zod";
import {
  bannerSchema,
  couponBlockSchema,
  flashSaleBlockSchema,
  imageHotspotsSchema,
  PAGE_TYPES,
  pageSchema,
  productGridSchema,
  seoSchema,
} from "../../actors/cms/index.ts";

/** `PUT /v1/cms/pages/{slug}`: the page (components validated one by one, rich text sanitised). */
export const savePageBody = pageSchema;

export const savedPage = z.object({
  slug: z.string(),
  version: z.number().int(),
  created: z.boolean().describe("false when the content equals the latest version (no new version)"),
});

export const publishBody = z
  .object({
    version: z.number().int().positive().optional().describe("Default: the latest version"),
    at: z.iso.datetime({ offset: true }).optional().describe("In the future: a scheduled publish"),
  })
  .strict();

export const rollbackBody = z.object({ version: z.number().int().positive() }).strict();

export const publishState = z.object({
  slug: z.string(),
  published: z.number().int().nullable(),
  publishedAt: z.string().nullable(),
  scheduled: z.object({ version: z.number().int(), at: z.string() }).nullable(),
});

export const versionList = publishState.extend({
  items: z.array(
    z.object({
      version: z.number().int(),
      type: z.enum(PAGE_TYPES),
      title: z.string(),
      createdAt: z.string(),
      createdBy: z.string(),
      publishedAt: z.string().optional().describe("When this version last became the published one"),
    }),
  ),
});

/** A component as sent back: rich text is the sanitised HTML. */
const componentView = z.discriminatedUnion("type", [
  bannerSchema,
  productGridSchema,
  couponBlockSchema,
  flashSaleBlockSchema,
  z.object({ type: z.literal("rich_text"), html: z.string().describe("Sanitised to the allow list") }),
  imageHotspotsSchema,
]);
const componentOut = z.array(componentView);

export const versionView = z.object({
  slug: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
  type: z.enum(PAGE_TYPES),
  title: z.string(),
  components: componentOut,
  seo: seoSchema.optional(),
});

export const publicPage = z.object({
  slug: z.string(),
  type: z.enum(PAGE_TYPES),
  title: z.string(),
  components: componentOut,
  version: z.number().int(),
  seo: seoSchema,
  experiment: z
    .object({ id: z.string(), variant: z.string() })
    .optional()
    .describe("With a visitor id while an A/B experiment runs on the page: the visitor's variant"),
});

const change = z.object({
  op: z.enum(["added", "removed", "changed"]),
  path: z.string().describe("Dotted path: title, type, seo.description, components.2, …"),
  before: z.string().optional().describe("The old value, JSON-encoded"),
  after: z.string().optional().describe("The new value, JSON-encoded"),
});
export const versionDiff = z.object({
  slug: z.string(),
  from: z.number().int(),
  to: z.number().int(),
  changes: z.array(change),
});
