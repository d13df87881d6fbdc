import { z } from "zod";

/**
 * Response shapes of the stock ledger and of operator holds, as the inventory read model and the SKU
 * actor send them (the OpenAPI document is generated from these).
 */
const nullableText = z.string().nullable();

export const ledgerPage = z.strictObject({
  items: z.array(
    z.strictObject({
      sku: z.string(),
      warehouse: z.string(),
      movement: z.string().describe("What moved the stock: received, reserved, committed, adjusted, …"),
      physicalDelta: z.number().int(),
      reservedDelta: z.number().int(),
      inTransitDelta: z.number().int(),
      orderId: nullableText,
      reference: nullableText,
      reason: nullableText,
      by: nullableText.describe("Who caused the movement"),
      requestId: nullableText,
      at: z.string().describe("ISO 8601 time"),
      sequence: z.string().describe("Position in the event log (`<stream seq>.<index>`)"),
    }),
  ),
  nextCursor: z.string().nullable(),
});

/** Where a hold's units are, per warehouse. */
const holdLines = z.array(z.strictObject({ warehouse: z.string(), qty: z.number().int().positive() }));
const sellable = z.number().int().describe("Sellable units of the SKU over every warehouse, afterwards");

export const holdReply = {
  held: z.strictObject({ orderId: z.string(), lines: holdLines, sellable }),
  released: z.strictObject({ orderId: z.string(), released: holdLines, sellable }),
  committed: z.strictObject({ orderId: z.string(), committed: holdLines, sellable }),
};
