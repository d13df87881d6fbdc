import { z } from "zod";
import { countSchema, quantitySchema } from "../actors/inventory/index.ts";
import { idSchema as codeSchema, text } from "../actors/shared/index.ts";

/** Free-text fields of the API: the project's one text schema (no control characters, NFC, bounded). */
export const reasonText = text({ max: 200 });
/** Query filters and opaque cursors: bounded, no control characters (they reach SQL and logs). */
export const filterText = (max: number) => text({ max, min: 0, trim: false });

/** Request and response shapes of the public API; the OpenAPI document is generated from these. */
export const tokenRequest = z
  .object({
    username: text({ max: 100, trim: false }),
    password: z.string().min(1).max(200),
    /** The current TOTP code, for a user who enrolled the second factor. */
    totp: z
      .string()
      .regex(/^\d{6}$/, "6 digits")
      .optional(),
  })
  .strict();
export const tokenResponse = z.object({ token: z.string(), expiresAt: z.string() });

export const warehouseBody = z.object({ name: text({ max: 200 }), region: text({ max: 100 }) }).strict();
export const warehouseSchema = z.object({
  code: z.string(),
  name: z.string(),
  region: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const pageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: filterText(200).optional(),
  })
  .strict();

export const receiptBody = z
  .object({
    warehouse: codeSchema,
    qty: quantitySchema,
    reason: reasonText.optional(),
    reference: codeSchema.optional(),
  })
  .strict();
export const inboundBody = z
  .object({ warehouse: codeSchema, qty: quantitySchema, reference: codeSchema })
  .strict();
/**
 * Limits are server-side configuration: a request that tries to set one is refused with this message
 * rather than silently obeyed (or silently ignored).
 */
export const operatorSetLimit = (name: string, where: string) =>
  z.never({ error: `${name} is not accepted from requests: it is set by an operator (${where})` }).optional();

/** An operator's hold: `orderId` only names it (it need not be an order); `userId` counts against the SKU's limit. */
export const reservationBody = z
  .object({
    orderId: codeSchema,
    qty: quantitySchema,
    warehouse: codeSchema.optional(),
    userId: codeSchema.optional(),
    reason: reasonText.optional(),
    maxPerUser: operatorSetLimit("maxPerUser", "PUT /v1/inventory/{sku}/purchase-limit"),
  })
  .strict();
/** The SKU's purchase limit per buyer; `null` lifts it. */
export const purchaseLimitBody = z.object({ maxPerUser: quantitySchema.nullable() }).strict();
export const purchaseLimitSchema = z.object({ sku: z.string(), maxPerUser: z.number().nullable() });
export const adjustmentBody = z
  .object({ warehouse: codeSchema, countedQty: countSchema, reason: reasonText })
  .strict();
export const safetyStockBody = z.object({ warehouse: codeSchema, qty: countSchema }).strict();

const warehouseStock = z.object({
  warehouse: z.string(),
  physical: z.number(),
  reserved: z.number(),
  sellable: z.number(),
  inTransit: z.number(),
  allocated: z.number().describe("Set aside for flash-sale campaigns: on hand, not sellable"),
  safetyStock: z.number(),
});
export const stockSchema = z.object({
  sku: z.string(),
  physical: z.number(),
  reserved: z.number(),
  sellable: z.number(),
  inTransit: z.number(),
  allocated: z.number().describe("Units allocated to flash-sale campaigns (decision 0023): not sellable"),
  safetyStock: z.number(),
  warehouses: z.array(warehouseStock),
  /** Units one buyer may hold or have bought (`PUT …/purchase-limit`); null when unlimited. Reads only. */
  maxPerUser: z.number().nullable().optional(),
});
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  detail: z.string().optional(),
  field: z.string().optional(),
  requestId: z.string().optional(),
});
export { codeSchema };

/**
 * Times a client may send in queries and bodies: JavaScript dates reach ±275,760 years and Postgres
 * refuses much of that range (and year 0), which used to surface as 500s. Bounded to what a back office
 * means by a date.
 */
const EARLIEST = new Date(Date.UTC(1970, 0, 1));
const LATEST = new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
export const instantSchema = z.coerce
  .date({ error: "a date (YYYY-MM-DD) or an ISO 8601 time" })
  .min(EARLIEST, "not before 1970-01-01")
  .max(LATEST, "not after 9999-12-31");

/** A calendar day as `YYYY-MM-DD` that exists (no `2026-02-30`), within the same bounds. */
export const calendarDaySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a day as YYYY-MM-DD")
  .refine((day) => {
    const parsed = new Date(`${day}T00:00:00Z`);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(day) && parsed >= EARLIEST;
  }, "not a calendar day between 1970-01-01 and 9999-12-31");
