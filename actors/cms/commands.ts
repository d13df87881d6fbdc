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

/** One component of a page, validated by its own schema (chosen by `type`). */
export const componentSchema = z.discriminatedUnion("type", [
  bannerSchema,
  productGridSchema,
  couponBlockSchema,
  flashSaleBlockSchema,
  richTextSchema,
  imageHotspotsSchema,
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

export const cmsCommandSchema = z.discriminatedUnion("type", [
  /** The page's versions (without their content), what is published and what is scheduled (read-only). */
  z.object({ type: z.literal("get") }),
  /** The published content (read-only); not_found while nothing is published. */
  z.object({ type: z.literal("content") }),
  /** One version with its content (read-only). */
  z.object({ type: z.literal("version"), version: z.number().int().positive() }),
  /** Saves a draft: a new version (the same content as the latest version saves nothing). */
  z.object({ type: z.literal("save"), page: pageSchema }),
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
]);
export type CmsCommand = z.infer<typeof cmsCommandSchema>;
