import { z } from "zod";
import { moneySchema } from "../../actors/order/index.ts";
import { MAX_SCHEDULES, type PriceRules, type WindowedPrice } from "../../actors/pricing/index.ts";
import { safeRecordSchema, text } from "../../actors/shared/index.ts";
import { codeSchema, instantSchema } from "../schemas.ts";
import { placeBody } from "./order-schemas.ts";

/** A sales channel's name: the order body's rule (`web`, `app`, `mini-program`, …). */
export const channelName = placeBody.shape.channel.unwrap();
/** A member level's name as the member module's ladder spells it (checked against the ladder: 422). */
const levelName = text({ max: 32, trim: false });
const MAX_CHANNELS = 20;
/** Most lines one quote may price (the order body's own limit). */
export const MAX_QUOTE_LINES = 100;

const windowed = z.union([
  moneySchema,
  z.object({ price: moneySchema, from: instantSchema.optional(), to: instantSchema.optional() }).strict(),
]);
type WindowedInput = z.infer<typeof windowed>;

/** `PUT /v1/skus/{sku}/prices`: the SKU's whole rule set (replace semantics: what is absent is removed). */
export const priceRulesBody = z
  .object({
    memberLevels: safeRecordSchema(windowed, levelName)
      .optional()
      .describe(
        "Explicit price per member level, fen or { price, from?, to? }; overrides the level's discount",
      ),
    channels: safeRecordSchema(windowed, channelName)
      .refine((r) => Object.keys(r).length <= MAX_CHANNELS, `at most ${MAX_CHANNELS} channel prices`)
      .optional()
      .describe("Price per sales channel, fen or { price, from?, to? }"),
    schedules: z
      .array(z.object({ from: instantSchema, to: instantSchema, price: moneySchema }).strict())
      .max(MAX_SCHEDULES)
      .optional()
      .describe("Time-bounded prices for everyone; [from, to), no two may overlap"),
  })
  .strict();

const toRule = (v: WindowedInput): WindowedPrice =>
  typeof v === "number"
    ? { price: v }
    : {
        price: v.price,
        ...(v.from ? { from: v.from.getTime() } : {}),
        ...(v.to ? { to: v.to.getTime() } : {}),
      };

/** The body as the resolver's rule set (Maps keyed by name). */
export function rulesFromBody(body: z.infer<typeof priceRulesBody>): PriceRules {
  const map = (r: Record<string, WindowedInput> | undefined) =>
    new Map(Object.entries(r ?? {}).map(([name, v]) => [name, toRule(v)] as const));
  return {
    memberLevels: map(body.memberLevels),
    channels: map(body.channels),
    schedules: (body.schedules ?? []).map((s) => ({
      from: s.from.getTime(),
      to: s.to.getTime(),
      price: s.price,
    })),
  };
}

const fen = z.number().int().describe("Integer fen (CNY)");
const windowedView = z.union([
  fen,
  z.object({ price: fen, from: z.string().nullable(), to: z.string().nullable() }),
]);
/** The rules now stored (same shapes as the body; instants in ISO-8601 UTC). */
export const priceRulesSchema = z.object({
  sku: z.string(),
  listPrice: fen.nullable().describe("The list price (PUT /v1/skus/{sku}/price); null when none is set"),
  memberLevels: z.record(z.string(), windowedView),
  channels: z.record(z.string(), windowedView),
  schedules: z.array(z.object({ from: z.string(), to: z.string(), price: fen })),
});

export const quoteBody = z
  .object({
    userId: codeSchema.optional().describe("The buyer; absent, or without a member record: the lowest level"),
    channel: placeBody.shape.channel.describe("The sales channel (as on the order; default web)"),
    lines: z
      .array(z.object({ sku: codeSchema, qty: z.number().int().positive().max(10_000) }).strict())
      .min(1)
      .max(MAX_QUOTE_LINES),
  })
  .strict();

const source = z
  .string()
  .regex(/^(list|schedule|member:.+|channel:.+)$/)
  .describe("The rule that won: list, member:<level>, channel:<name> or schedule");
export const quoteSchema = z.object({
  lines: z.array(
    z.object({
      sku: z.string(),
      qty: z.number().int(),
      listPrice: fen,
      unitPrice: fen,
      source,
      candidates: z
        .array(z.object({ source, price: fen, basis: z.enum(["level-price", "level-discount"]).optional() }))
        .describe("Every price that applied, in tie-break order (list, member, channel, schedule)"),
    }),
  ),
  items: fen.describe("Σ unitPrice × qty: what POST /v1/orders charges as amounts.items"),
  benefits: z
    .object({ level: z.string(), discountPercent: z.number().int(), freeShipping: z.boolean() })
    .describe("The buyer's level; free shipping is informational (logistics applies it, not the resolver)"),
});
