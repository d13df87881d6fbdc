import { z } from "zod";
import { MAX_FLASH_PER_USER, MAX_FLASH_STOCK } from "../../actors/flash-sale/index.ts";
import { MAX_AMOUNT, text } from "../../actors/shared/index.ts";
import { codeSchema, filterText, instantSchema, reasonText } from "../schemas.ts";

/** Request and response shapes of the flash-sale routes (the OpenAPI document is generated from these). */
export const flashSaleBody = z
  .object({
    name: text({ max: 100 }),
    sku: codeSchema.describe("The SKU sold; it needs no product and no list price"),
    price: z.number().int().positive().max(MAX_AMOUNT).describe("The campaign price per unit, fen"),
    stock: z
      .number()
      .int()
      .positive()
      .max(MAX_FLASH_STOCK)
      .describe("Units allocated from the SKU's sellable stock before the campaign opens"),
    perUserLimit: z.number().int().positive().max(MAX_FLASH_PER_USER).describe("Units one buyer may buy"),
    startsAt: instantSchema,
    endsAt: instantSchema,
  })
  .strict();

export const createdFlashSale = z.object({ campaignId: z.string() });

const status = z.enum(["allocating", "failed", "scheduled", "active", "ended"]);

export const flashSaleView = z.object({
  campaignId: z.string(),
  name: z.string(),
  sku: z.string(),
  price: z.number().int(),
  stock: z.number().int(),
  perUserLimit: z.number().int(),
  startsAt: z.string(),
  endsAt: z.string(),
  status,
  allocated: z.number().int().describe("Units the SKU set aside for the campaign"),
  sold: z.number().int().describe("Units held by orders (unpaid or paid), not given back"),
  remaining: z.number().int(),
  returned: z.number().int().nullable().describe("Units given back to sellable stock when it ended"),
  refused: z.number().int().describe("Purchases refused, by the campaign and by admission control"),
  refusals: z.object({
    notActive: z.number().int(),
    purchaseLimit: z.number().int(),
    soldOut: z.number().int(),
    rateLimited: z.number().int(),
    queueFull: z.number().int(),
    duplicate: z.number().int(),
  }),
  pending: z.number().int().describe("Orders whose units the SKU is reserving now"),
  queue: z.number().int().describe("Orders of the campaign in flight on the answering gateway node"),
  createdAt: z.string(),
  endedAt: z.string().nullable(),
  endReason: z.string().nullable(),
  failure: z.string().nullable(),
});

export const endBody = z.object({ reason: reasonText.optional() }).strict();

export const listQuery = z
  .object({
    status: status.optional(),
    sku: codeSchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: filterText(200).optional(),
  })
  .strict();

export const flashSaleItem = z.object({
  campaignId: z.string(),
  name: z.string(),
  sku: z.string(),
  price: z.number().int(),
  stock: z.number().int(),
  perUserLimit: z.number().int(),
  startsAt: z.string(),
  endsAt: z.string(),
  status,
  allocated: z.number().int(),
  sold: z.number().int(),
  remaining: z.number().int(),
  refused: z.number().int(),
  refusals: z.object({
    soldOut: z.number().int(),
    purchaseLimit: z.number().int(),
    notActive: z.number().int(),
    admission: z.number().int(),
  }),
  returned: z.number().int().nullable(),
  createdAt: z.string(),
  endedAt: z.string().nullable(),
  updatedAt: z.string(),
});
export const flashSalePage = z.object({ items: z.array(flashSaleItem), nextCursor: z.string().nullable() });

export const purchasesView = z.object({
  campaignId: z.string(),
  userId: z.string(),
  units: z.number().int(),
  left: z.number().int(),
});
