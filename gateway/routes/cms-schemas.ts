import { z } from "zod";
import {
  bannerSchema,
  contentSlotSchema,
  couponBlockSchema,
  flashSaleBlockSchema,
  imageHotspotsSchema,
  PAGE_TYPES,
  pageSchema,
  productGridSchema,
  recommendationSlotSchema,
  seoSchema,
} from "../../actors/cms/index.ts";
import { idSchema, text } from "../../actors/shared/index.ts";

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
  unpublishAt: z.string().nullable().describe("A scheduled unpublish, if any"),
});

export const versionList = publishState.extend({
  movedTo: z.string().nullable().describe("Renamed: the slug this one redirects to"),
  redirectsFrom: z.array(z.string()).describe("Older slugs of this page that redirect to it"),
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

const richTextOut = z.object({
  type: z.literal("rich_text"),
  html: z.string().describe("Sanitised to the allow list"),
});
const plainView = z.discriminatedUnion("type", [
  bannerSchema,
  productGridSchema,
  couponBlockSchema,
  flashSaleBlockSchema,
  richTextOut,
  imageHotspotsSchema,
]);
/** A component as an editor reads it back: rich text is the sanitised HTML; slots as saved. */
const componentView = z.discriminatedUnion("type", [
  bannerSchema,
  productGridSchema,
  couponBlockSchema,
  flashSaleBlockSchema,
  richTextOut,
  imageHotspotsSchema,
  contentSlotSchema.extend({ components: z.array(plainView) }),
  z.object({
    type: z.literal("ad_slot"),
    name: z.string(),
    ads: z.array(z.object({ from: z.string().optional(), to: z.string().optional(), component: plainView })),
  }),
  recommendationSlotSchema,
]);
const componentOut = z.array(componentView);

/** A component as the public read sends it: ad slots hold the ads showing now, recommendations resolved. */
const deliveredView = z.discriminatedUnion("type", [
  bannerSchema,
  productGridSchema,
  couponBlockSchema,
  flashSaleBlockSchema,
  richTextOut,
  imageHotspotsSchema,
  contentSlotSchema.extend({ components: z.array(plainView) }),
  z.object({
    type: z.literal("ad_slot"),
    name: z.string(),
    components: z.array(plainView).describe("The ads whose from/to window holds the time of the read"),
  }),
  z.object({
    type: z.literal("recommendation_slot"),
    name: z.string(),
    title: z.string().optional(),
    products: z
      .array(z.object({ spuCode: z.string(), name: z.string(), slug: z.string().nullable() }))
      .describe("Resolved at delivery from the sales read model (cached briefly)"),
  }),
]);

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
  components: z.array(deliveredView),
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

export const unpublishBody = z
  .object({
    at: z.iso.datetime({ offset: true }).optional().describe("In the future: a scheduled unpublish"),
  })
  .strict();

export const renameBody = z.object({ to: idSchema.describe("The page's new slug") }).strict();

export const renamed = z.object({
  slug: z.string().describe("The new slug"),
  from: z.string(),
  redirectsFrom: z.array(z.string()).describe("Every older slug that now redirects (301) to the new one"),
});

export const fromTemplateBody = z
  .object({ type: z.enum(PAGE_TYPES), title: text({ max: 200 }), seo: seoSchema.optional() })
  .strict();

export const templateList = z.object({
  items: z.array(
    z.object({
      type: z.enum(PAGE_TYPES),
      components: z.array(componentView).describe("The default layout a new page of this type starts from"),
    }),
  ),
});

export const redirectBody = z.object({
  redirect: z.string().describe("The current slug"),
  location: z.string().describe("The current URL (also in the Location header)"),
});

export const publicProduct = z.object({
  spuCode: z.string(),
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  seo: z.object({
    slug: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    canonical: z.string().optional(),
    ogTitle: z.string().optional(),
    ogDescription: z.string().optional(),
    ogImage: z.string().optional(),
  }),
});

export const sitemapXml = z.string().describe("A sitemaps.org <urlset>");
