/**
 * Issue 8, defect 1 (text half): a `\u0000` in any free-text field was accepted, appended to the log,
 * and then stopped every Postgres read model. Every schema with free text now uses the one text schema
 * (`actors/shared/text.ts`). Each row below is a valid value of a schema with one free-text field
 * swapped for a string carrying a control character; all must be refused, and the clean value accepted.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { z } from "zod";
import { inventoryCommandSchema } from "../actors/inventory/index.ts";
import { memberCommandSchema } from "../actors/member/index.ts";
import { orderCommandSchema } from "../actors/order/index.ts";
import { paymentCommandSchema } from "../actors/payment/index.ts";
import * as orders from "../gateway/routes/order-schemas.ts";
import * as reviews from "../gateway/routes/review-schemas.ts";
import * as gateway from "../gateway/schemas.ts";

const ADDRESS = {
  region: "Shanghai",
  detail: "1 Century Avenue",
  phone: "+86 138 0000 0000",
  name: "Li Lei",
};

type Row = [name: string, schema: z.ZodType, valid: Record<string, unknown>, field: string[]];

const set = (value: Record<string, unknown>, path: string[], text: string): Record<string, unknown> => {
  const copy = structuredClone(value);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path.at(-1)!] = text;
  return copy;
};

const ROWS: Row[] = [
  [
    "sku receive reason",
    inventoryCommandSchema,
    { type: "receive", warehouse: "WH", qty: 1, reason: "x" },
    ["reason"],
  ],
  [
    "sku release reason",
    inventoryCommandSchema,
    { type: "release", orderId: "O-1", reason: "x" },
    ["reason"],
  ],
  [
    "sku adjust reason",
    inventoryCommandSchema,
    { type: "adjust", warehouse: "WH", countedQty: 1, reason: "x" },
    ["reason"],
  ],
  ...(["region", "detail", "name"] as const).map(
    (f): Row => [
      `order address ${f}`,
      orderCommandSchema,
      { type: "changeAddress", address: ADDRESS },
      ["address", f],
    ],
  ),
  ["order cancel reason", orderCommandSchema, { type: "cancel", reason: "x" }, ["reason"]],
  [
    "order ship carrier",
    orderCommandSchema,
    { type: "ship", carrier: "SF", trackingNo: "1", autoCompleteMs: 1 },
    ["carrier"],
  ],
  [
    "order ship tracking",
    orderCommandSchema,
    { type: "ship", carrier: "SF", trackingNo: "1", autoCompleteMs: 1 },
    ["trackingNo"],
  ],
  [
    "order after-sales reason",
    orderCommandSchema,
    { type: "requestAfterSales", kind: "refund_only", reason: "x" },
    ["reason"],
  ],
  [
    "order decision note",
    orderCommandSchema,
    { type: "decideAfterSales", approve: false, note: "x" },
    ["note"],
  ],
  [
    "order paid channel",
    orderCommandSchema,
    { type: "markPaid", paymentId: "P", channel: "x", amount: 1 },
    ["channel"],
  ],
  ["member points reason", memberCommandSchema, { type: "adjustPoints", delta: 1, reason: "x" }, ["reason"]],
  [
    "member cancel reason",
    memberCommandSchema,
    { type: "cancelOrder", orderId: "O-1", reason: "x" },
    ["reason"],
  ],
  ...(["channelTxnId", "paidAt"] as const).map(
    (f): Row => [
      `payment callback ${f}`,
      paymentCommandSchema,
      { type: "confirm", channelTxnId: "T", amount: 1, status: "paid", paidAt: "2026-01-01T00:00:00Z" },
      [f],
    ],
  ),
  ["gateway login username", gateway.tokenRequest, { username: "admin", password: "p" }, ["username"]],
  ["gateway warehouse name", gateway.warehouseBody, { name: "Main", region: "east" }, ["name"]],
  ["gateway warehouse region", gateway.warehouseBody, { name: "Main", region: "east" }, ["region"]],
  ["gateway page cursor", gateway.pageQuery, { cursor: "abc" }, ["cursor"]],
  ["gateway receipt reason", gateway.receiptBody, { warehouse: "WH", qty: 1, reason: "x" }, ["reason"]],
  [
    "gateway adjustment reason",
    gateway.adjustmentBody,
    { warehouse: "WH", countedQty: 1, reason: "x" },
    ["reason"],
  ],
  ...(["status", "channel", "cursor"] as const).map(
    (f): Row => [`gateway order filter ${f}`, orders.listQuery, { [f]: "x" }, [f]],
  ),
  ["gateway order cancel reason", orders.cancelBody, { reason: "x" }, ["reason"]],
  ["gateway ship carrier", orders.shipBody, { carrier: "SF", trackingNo: "1" }, ["carrier"]],
  ["gateway ship tracking", orders.shipBody, { carrier: "SF", trackingNo: "1" }, ["trackingNo"]],
  ["gateway after-sales reason", orders.afterSalesBody, { kind: "refund_only", reason: "x" }, ["reason"]],
  ["gateway decision note", orders.decisionBody, { approve: true, note: "x" }, ["note"]],
  ["review text", reviews.reviewBody, { orderId: "O-1", sku: "SKU-1", rating: 5, text: "x" }, ["text"]],
  ["review rejection reason", reviews.moderationBody, { decision: "reject", reason: "x" }, ["reason"]],
  ["review reply", reviews.replyBody, { text: "x" }, ["text"]],
  ["blocked word", reviews.blockedWordsBody, { words: ["x"] }, ["words", "0"]],
  ["review list cursor", reviews.reviewListQuery, { cursor: "x" }, ["cursor"]],
];

const FORBIDDEN = fc.constantFrom("\u0000", "\u0007", "\u001b", "\u007f", "\u0085", "\u009f", "\ud800");

describe("one text schema for every free-text field", () => {
  test.each(ROWS)(
    "text fields - %s refuses control characters and lone surrogates",
    (_name, schema, valid, field) => {
      expect(schema.safeParse(valid).success).toBe(true);
      fc.assert(
        fc.property(fc.string({ maxLength: 10 }), FORBIDDEN, (prefix, bad) => {
          const value = set(valid, field, `a${prefix}${bad}b`);
          const parsed = schema.safeParse(value);
          expect({ field: field.join("."), value: JSON.stringify(value), accepted: parsed.success }).toEqual({
            field: field.join("."),
            value: JSON.stringify(value),
            accepted: false,
          });
        }),
        { numRuns: 30 },
      );
    },
  );

  test.each(ROWS)("text fields - %s stores the NFC form", (_name, schema, valid, field) => {
    const parsed = schema.parse(set(valid, field, "Cafe\u0301")) as Record<string, unknown>;
    let at: unknown = parsed;
    for (const key of field) at = (at as Record<string, unknown>)[key];
    expect(at).toBe("Caf\u00e9");
  });
});
