import { z } from "zod";
import { poLineSchema, receiptLineSchema } from "./po-commands.ts";
import { purchasingSettingsSchema } from "./settings.ts";

const who = { at: z.number(), by: z.string() };

/** Every event the purchase-order actor persists; checked by the runtime before each append. */
export const purchaseOrderEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("created"),
    supplier: z.string(),
    warehouse: z.string(),
    lines: z.array(poLineSchema),
    expectedAt: z.number().nullable(),
    planId: z.string().nullable(),
    ...who,
  }),
  z.object({ type: z.literal("submitted"), settings: purchasingSettingsSchema, ...who }),
  /** A first approval of a PO above the threshold: it waits for a second operator. */
  z.object({ type: z.literal("approvalRecorded"), ...who }),
  z.object({ type: z.literal("approved"), ...who }),
  z.object({ type: z.literal("sent"), ...who }),
  z.object({
    type: z.literal("receiptRecorded"),
    receiptId: z.string(),
    lines: z.array(receiptLineSchema.extend({ unitCost: z.number().int() })),
    /** Accepted × unit cost, fen: the payable this receipt creates. */
    amount: z.number().int(),
    onTime: z.boolean(),
    /** The PO's status after this receipt (for read models; the actor derives it from its lines). */
    status: z.enum(["partially_received", "received"]),
    ...who,
  }),
  z.object({ type: z.literal("closed"), reason: z.string(), ...who }),
  /** A caller waits until these effects are answered (so its next read sees their outcome). */
  z.object({
    type: z.literal("awaiting"),
    commandId: z.string(),
    keys: z.array(z.string()),
    reply: z.unknown(),
  }),
  /** One effect was answered. */
  z.object({ type: z.literal("effectDone"), key: z.string(), ok: z.boolean() }),
  z.object({ type: z.literal("cancelled"), reason: z.string(), ...who }),
]);
export type PurchaseOrderEvent = z.infer<typeof purchaseOrderEventSchema>;
