import { z } from "zod";
import { idSchema, text } from "../shared/index.ts";
import { sanitizeHtml } from "./sanitize.ts";

/** The page types of the storefront. */
export const PAGE_TYPES = ["home", "category", "product_detail", "campaign_landing"] as const;
/** Components one page holds at most. */
export const MAX_COMPONENTS = 50;
/** Versions one page keeps (its actor holds them all). */
export const MAX_VERSIONS = 500;
/** Longest rich-text source, in characters. */
export const MAX_HTML = 20_000;

const epoch = z.number().int().min(0).max(253_402_300_799_999);

/** An absolute URL with one of the given schemes (no `javascript:`, `data:`, …). */
const url = (schemes: readonly string[]) =>
  text({ max: 2_000 }).refine(
    (s) => {
      try {
        return schemes.includes(new URL(s).protocol) && !/\s/.test(s);
      } catch {
        return false;
      }
    },
    `must be an absolute ${schemes.map((p) => p.replace(":", "")).join(" or ")} URL`,
  );
const linkUrl = url(["http:", "https:"]);
const imageUrl = url(["https:"]);
const label = text({ max: 200 });

export const bannerSchema = z
  .object({
    type: z.literal("banner"),
    image: imageUrl,
    alt: label,
    title: label.optional(),
    link: linkUrl.optional(),
  })
  .strict();

/** A product grid is fed by a category (its products, up to `limit`) or by an explicit list of SPUs. */
export const productGridSchema = z
  .object({
    type: z.literal("product_grid"),
    title: label.optional(),
    source: z.union([
      z.object({ category: idSchema, limit: z.number().int().min(1).max(100).optional() }).strict(),
      z.object({ products: z.array(idSchema).min(1).max(100) }).strict(),
    ]),
  })
  .strict();

export const couponBlockSchema = z
  .object({
    type: z.literal("coupon_block"),
    title: label.optional(),
    templateIds: z.array(idSchema).min(1).max(20),
  })
  .strict();

export const flashSaleBlockSchema = z
  .object({ type: z.literal("flash_sale_block"), title: label.optional(), flashSaleId: idSchema })
  .strict();

/** Rich text: the HTML is sanitised to the allow list (`sanitize.ts`) as it is accepted. */
export const richTextSchema = z
  .object({
    type: z.literal("rich_text"),
    html: text({ max: MAX_HTML, multiline: true, min: 0 }).transform(sanitizeHtml),
  })
  .strict();

export const imageHotspotsSchema = z
  .object({
    type: z.literal("image_hotspots"),
    image: imageUrl,
    alt: label,
    hotspots: z
      .array(
        z
          .object({
            x: z.number().min(0).max(100),
            y: z.number().min(0).max(100),
            label: label.optional(),
            link: linkUrl.optional(),
            sku: idSchema.optional(),
          })
          .strict(),
      )
      .max(50),
  })
  .strict();

/** The components a slot may hold (every component but the slots themselves: slots do not nest). */
export const plainComponentSchema = z.discriminatedUnion("type", [
  bannerSchema,
  productGridSchema,
  couponBlockSchema,
  flashSaleBlockSchema,
  richTextSchema,
  imageHotspotsSchema,
]);
export type PlainComponent = z.output<typeof plainComponentSchema>;

const slotName = idSchema.describe("The slot's name in the layout (e.g. hero, sidebar)");

/** A content slot: a named place in the layout holding components the editor fills. */
export const contentSlotSchema = z
  .object({
    type: z.literal("content_slot"),
    name: slotName,
    components: z.array(plainComponentSchema).max(20),
  })
  .strict();

const instantText = z.iso.datetime({ offset: true });

/** One ad of an ad slot: its component, shown only from `from` (inclusive) to `to` (exclusive). */
const scheduledAd = z
  .object({ from: instantText.optional(), to: instantText.optional(), component: plainComponentSchema })
  .strict()
  .refine((a) => a.from === undefined || a.to === undefined || Date.parse(a.from) < Date.parse(a.to), {
    message: "from must be before to",
    path: ["to"],
  });

/** An ad slot: ads with schedules; delivery shows only the ads whose window holds the time of the read. */
export const adSlotSchema = z
  .object({ type: z.literal("ad_slot"), name: slotName, ads: z.array(scheduledAd).max(20) })
  .strict();

/** What a recommendation slot recommends: resolved at delivery from a read model (cached briefly). */
export const recommendationRuleSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("top_sellers"),
      category: idSchema,
      limit: z.number().int().min(1).max(20).default(8),
      days: z.number().int().min(1).max(365).default(30),
    })
    .strict(),
]);
export type RecommendationRule = z.output<typeof recommendationRuleSchema>;

export const recommendationSlotSchema = z
  .object({
    type: z.literal("recommendation_slot"),
    name: slotName,
    title: label.optional(),
    rule: recommendationRuleSchema,
  })
  .strict();

/** One component of a page, validated by its own schema (chosen by `type`). */
export const componentSchema = z.discriminatedUnion("type", [
  bannerSchema,
  productGridSchema,
  couponBlockSchema,
  flashSaleBlockSchema,
  richTextSchema,
  imageHotspotsSchema,
  contentSlotSchema,
  adSlotSchema,
  recommendationSlotSchema,
]);
export type Component = z.output<typeof componentSchema>;

export const seoSchema = z
  .object({
    title: text({ max: 200 }).optional(),
    description: text({ max: 500 }).optional(),
    canonical: linkUrl.optional(),
    ogTitle: text({ max: 200 }).optional(),
    ogDescription: text({ max: 500 }).optional(),
    ogImage: imageUrl.optional(),
  })
  .strict();
export type Seo = z.output<typeof seoSchema>;

/** What one save holds: a page's type, title, components and SEO fields. */
export const pageSchema = z
  .object({
    type: z.enum(PAGE_TYPES),
    title: text({ max: 200 }),
    components: z.array(componentSchema).max(MAX_COMPONENTS),
    seo: seoSchema.optional(),
  })
  .strict();
export type Page = z.output<typeof pageSchema>;

/** Everything a page holds, as a rename carries it from the old slug to the new one. */
export const pageSnapshotSchema = z.object({
  versions: z.array(
    z.object({
      version: z.number().int().positive(),
      page: z.object({
        type: z.enum(PAGE_TYPES),
        title: z.string(),
        components: z.array(z.unknown()),
        seo: z.record(z.string(), z.unknown()).optional(),
      }),
      createdAt: z.number(),
      by: z.string(),
      publishedAt: z.number().nullable(),
    }),
  ),
  published: z.number().int().positive().nullable(),
  publishedAt: z.number().nullable(),
  scheduled: z.object({ version: z.number().int().positive(), due: z.number() }).nullable(),
  unpublishAt: z.number().nullable(),
  /** The slugs that redirect to the page (older names), oldest first. */
  aliases: z.array(idSchema),
});
export type PageSnapshot = z.infer<typeof pageSnapshotSchema>;

export const cmsCommandSchema = z.discriminatedUnion("type", [
  /** The page's versions (without their content), what is published and what is scheduled (read-only). */
  z.object({ type: z.literal("get") }),
  /** The published content (read-only); not_found while nothing is published. */
  z.object({ type: z.literal("content") }),
  /** One version with its content (read-only). */
  z.object({ type: z.literal("version"), version: z.number().int().positive() }),
  /** Saves a draft: a new version (the same content as the latest version saves nothing). */
  z.object({
    type: z.literal("save"),
    page: pageSchema,
    /** Refuse (conflict) when the page already has a version (a page started from a template). */
    onlyIfNew: z.boolean().optional(),
  }),
  /** Publishes a version (default: the latest) now, or at `at` on a durable timer. */
  z.object({
    type: z.literal("publish"),
    version: z.number().int().positive().optional(),
    at: epoch.optional(),
  }),
  /** Makes an earlier version the published one, now. */
  z.object({ type: z.literal("rollback"), version: z.number().int().positive() }),
  /** Drops a scheduled publish. */
  z.object({ type: z.literal("cancelScheduled") }),
  /** Takes the page off the public read now, or at `at` on a durable timer (decision 0039). */
  z.object({ type: z.literal("unpublish"), at: epoch.optional() }),
  /** Drops a scheduled unpublish. */
  z.object({ type: z.literal("cancelUnpublish") }),
  /**
   * The first step of a rename: this page becomes a redirect to `to` and replies with everything it
   * holds (for `adopt`). Repeating it with the same `to` replies the same (a retried rename converges).
   */
  z.object({ type: z.literal("moveTo"), to: idSchema }),
  /** The second step: this slug (empty, or itself a redirect) takes over the page moved from `from`. */
  z.object({ type: z.literal("adopt"), from: idSchema, snapshot: z.lazy(() => pageSnapshotSchema) }),
  /** Undoes a `moveTo` whose `adopt` was refused (the target was taken meanwhile). */
  z.object({ type: z.literal("restore"), to: idSchema }),
]);
export type CmsCommand = z.infer<typeof cmsCommandSchema>;
