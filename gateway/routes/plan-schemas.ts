import { z } from "zod";
import { quantitySchema } from "../../actors/inventory/index.ts";
import { codeSchema } from "../schemas.ts";

/** Request and response shapes of the purchase-plan routes (the OpenAPI document is generated from these). */
export const planBody = z
  .object({ warehouse: codeSchema, skus: z.array(codeSchema).min(1).max(500).optional() })
  .strict();
export const planLineBody = z.discriminatedUnion("action", [
  z.object({ action: z.literal("confirm") }).strict(),
  z.object({ action: z.literal("drop") }).strict(),
  z
    .object({
      action: z.literal("edit"),
      qty: quantitySchema,
      supplier: codeSchema
        .optional()
        .describe("Another approved supplier listing the SKU (its cost applies)"),
    })
    .strict(),
]);
export const planQuery = z
  .object({
    warehouse: codeSchema.optional(),
    status: z.enum(["open", "ordered"]).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

const int = z.number().int();
const time = z.string().describe("ISO 8601");

const reasoning = z.object({
  soldUnits: int,
  windowDays: int,
  dailyVelocity: z.number(),
  leadTimeDays: int.nullable(),
  coverDays: int,
  demand: int,
  safetyStock: int,
  sellable: int,
  inTransit: int,
  position: int.describe("sellable + in transit"),
  target: int.describe("demand over lead time + cover, plus safety stock"),
  text: z.string(),
});
const suggestion = z.object({
  sku: z.string(),
  warehouse: z.string(),
  supplier: z.string().nullable(),
  unitCost: int.nullable(),
  suggestedQty: int,
  reasoning,
});
export const planView = z.object({
  planId: z.string(),
  warehouse: z.string(),
  trigger: z.enum(["operator", "low_stock"]),
  status: z.enum(["open", "ordered"]),
  createdAt: time,
  createdBy: z.string(),
  updatedAt: time,
  lines: z.array(
    z.object({
      sku: z.string(),
      supplier: z.string().nullable(),
      unitCost: int.nullable(),
      suggestedQty: int,
      qty: int,
      status: z.enum(["suggested", "confirmed", "dropped"]),
      reasoning,
      poId: z.string().nullable(),
    }),
  ),
});
export const planList = z.object({
  suggestions: z
    .array(suggestion)
    .describe("What to buy now for `warehouse` (only when a warehouse is named; computed on request)"),
  items: z.array(planView),
});
export const plannedOrders = z.object({
  planId: z.string(),
  purchaseOrders: z.array(
    z.object({
      poId: z.string(),
      supplier: z.string(),
      lines: z.array(z.object({ sku: z.string(), qty: int })),
    }),
  ),
  plan: planView,
});
