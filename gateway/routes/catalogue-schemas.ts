import { z } from "zod";
import { seoSchema } from "../../actors/cms/index.ts";
import { LISTING_STATUSES, specTemplateSchema } from "../../actors/product/index.ts";
import { moneySchema, safeRecordSchema, text } from "../../actors/shared/index.ts";
import { codeSchema, pageQuery } from "../schemas.ts";

/** Request and response shapes of the catalogue routes (categories, products, listing, history). */

export const categoryBody = z
  .object({
    name: text({ max: 100 }),
    kind: z.enum(["back", "front"]),
    parent: codeSchema.nullable().optional(),
    backCategories: z.array(codeSchema).max(200).optional(),
    specs: specTemplateSchema.optional(),
  })
  .strict();

const specs = z.array(z.object({ name: z.string(), values: z.array(z.string()) }));
export const categorySchema = z.strictObject({
  code: z.string(),
  name: z.string(),
  kind: z.enum(["back", "front"]),
  parent: z.string().nullable(),
  backCategories: z.array(z.string()).describe("Front categories: the back categories they show"),
  specs: specs.describe("Back categories: the spec template of their products' SKUs"),
  depth: z.number().int().describe("0 for a root"),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const categoryList = z.strictObject({
  items: z
    .array(categorySchema)
    .describe("Flat, in tree order: depth first from the roots, siblings by code; `parent` links them"),
});
export const categoryQuery = z.object({ kind: z.enum(["back", "front"]).optional() }).strict();

const specValue = text({ max: 60 });
const skuBody = z
  .object({
    sku: codeSchema,
    specs: safeRecordSchema(specValue, text({ max: 40 })),
    listPrice: moneySchema,
    barcode: z
      .string()
      .regex(/^[0-9A-Za-z-]{1,64}$/, "1–64 letters, digits or '-'")
      .optional(),
    weightGrams: z.number().int().min(0).max(10_000_000).optional(),
    volumeCm3: z.number().int().min(0).max(100_000_000).optional(),
  })
  .strict();

export const productBody = z
  .object({
    name: text({ max: 200 }),
    category: codeSchema,
    brand: text({ max: 100 }).optional(),
    description: text({ max: 5_000, multiline: true }).optional(),
    attributes: safeRecordSchema(text({ max: 500 }), text({ max: 60 }))
      .refine((a) => Object.keys(a).length <= 50, "at most 50 attributes")
      .optional(),
    media: z
      .array(text({ max: 500 }))
      .max(50)
      .optional()
      .describe("References (URLs or media ids)"),
    seo: seoSchema
      .extend({
        slug: z
          .string()
          .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "lower-case words joined by '-'")
          .max(120)
          .describe("Unique; changing it leaves a 301 from the old slug (GET /v1/content/products/{slug})"),
      })
      .strict()
      .optional(),
    skus: z.array(skuBody).min(1).max(200),
  })
  .strict()
  .superRefine((body, ctx) => {
    const seen = new Map<string, number>();
    body.skus.forEach((s, i) => {
      if (seen.has(s.sku))
        ctx.addIssue({ code: "custom", path: ["skus", i, "sku"], message: `SKU ${s.sku} is listed twice` });
      seen.set(s.sku, i);
    });
  });

const scheduled = z
  .strictObject({ action: z.enum(["publish", "unpublish"]), at: z.string() })
  .nullable()
  .describe("The one scheduled listing change, if any");
const status = z.enum(LISTING_STATUSES);
const productSku = z.strictObject({
  sku: z.string(),
  specs: z.record(z.string(), z.string()),
  listPrice: z.number().int().nullable(),
  barcode: z.string().nullable(),
  weightGrams: z.number().int().nullable(),
  volumeCm3: z.number().int().nullable(),
});
export const productSchema = z.strictObject({
  spuCode: z.string(),
  status,
  scheduled,
  name: z.string(),
  category: z.string(),
  brand: z.string().nullable(),
  description: z.string().nullable(),
  attributes: z.record(z.string(), z.string()),
  media: z.array(z.string()),
  seo: z
    .strictObject({
      slug: z.string(),
      title: z.string().optional(),
      description: z.string().optional(),
      canonical: z.string().optional(),
      ogTitle: z.string().optional(),
      ogDescription: z.string().optional(),
      ogImage: z.string().optional(),
    })
    .nullable(),
  skus: z.array(productSku),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const listingBody = z
  .object({
    at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("ISO 8601; omitted, or not in the future, means now"),
  })
  .strict();
export const listingSchema = z.strictObject({ spuCode: z.string(), status, scheduled });

export const historyQuery = pageQuery;
export const historySchema = z.strictObject({
  items: z.array(
    z.strictObject({
      at: z.string(),
      by: z.string().describe("The principal, or system:timer for a scheduled listing change"),
      kind: z.string().describe("product | sku | price | listing | category"),
      spuCode: z.string().nullable(),
      sku: z.string().nullable(),
      before: z.unknown().describe("The entity before (null when created)"),
      after: z.unknown().describe("The entity after (null when removed or detached)"),
    }),
  ),
  nextCursor: z.string().nullable(),
});
