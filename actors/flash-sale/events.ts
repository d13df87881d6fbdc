import { z } from "zod";
import { admissionTallySchema, campaignSchema } from "./commands.ts";

const line = z.object({ warehouse: z.string(), qty: z.number().int().positive() });
const who = { at: z.number(), by: z.string() };

/** Why a campaign refused a purchase (the gateway's problem types). */
export const refusalSchema = z.enum(["campaign-not-active", "purchase-limit-reached", "sold-out"]);
export type FlashSaleRefusal = z.infer<typeof refusalSchema>;

/**
 * Every event the flash-sale actor persists (checked before each append). A live panel follows `held` /
 * `holdFailed` / `released` (sold), `refused` and `admissionTallied` (refusals), `allocated` / `returned`
 * (the SKU's units) and `started` / `ended` (status).
 */
export const flashSaleEventSchema = z.discriminatedUnion("type", [
  /** `command`: the create command, answered once the allocation is settled. */
  z.object({ type: z.literal("created"), campaign: campaignSchema, command: z.string(), ...who }),
  z.object({ type: z.literal("allocated"), lines: z.array(line).min(1), at: z.number() }),
  z.object({ type: z.literal("allocationFailed"), reason: z.string(), at: z.number() }),
  z.object({ type: z.literal("started"), at: z.number() }),
  /** An order took units; the SKU is asked to reserve them from the allocation. */
  z.object({
    type: z.literal("held"),
    orderId: z.string(),
    userId: z.string(),
    qty: z.number().int().positive(),
    command: z.string(),
    at: z.number(),
  }),
  z.object({ type: z.literal("confirmed"), orderId: z.string(), lines: z.array(line) }),
  /** The SKU refused (the allocation closed meanwhile): the units count back. */
  z.object({
    type: z.literal("holdFailed"),
    orderId: z.string(),
    qty: z.number().int().positive(),
    reason: z.string(),
    at: z.number(),
  }),
  z.object({
    type: z.literal("refused"),
    userId: z.string(),
    qty: z.number().int().positive(),
    reason: refusalSchema,
    at: z.number(),
  }),
  z.object({ type: z.literal("admissionTallied"), counts: admissionTallySchema, at: z.number() }),
  /** An order gave its units back (cancel, timeout, failed placement, refund before shipment). */
  z.object({
    type: z.literal("released"),
    orderId: z.string(),
    qty: z.number().int().positive(),
    reason: z.string(),
    command: z.string(),
    at: z.number(),
  }),
  z.object({ type: z.literal("releaseSettled"), orderId: z.string() }),
  /** `command`: an operator's end command, answered once the SKU took the units back. */
  z.object({ type: z.literal("ended"), reason: z.string(), command: z.string().optional(), ...who }),
  /** The SKU took back what was left of the allocation. */
  z.object({
    type: z.literal("returned"),
    lines: z.array(line),
    qty: z.number().int().min(0),
    at: z.number(),
  }),
]);
export type FlashSaleEvent = z.infer<typeof flashSaleEventSchema>;
