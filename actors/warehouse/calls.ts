import { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { warehouseCommandSchema } from "./commands.ts";

/** A command to a warehouse actor as a caller writes it. */
export type WarehouseCommandInput = z.input<typeof warehouseCommandSchema>;

const build = commandBuilder<WarehouseCommandInput>("warehouse");

const putawayReplySchema = z.object({
  receiptId: z.string(),
  status: z.enum(["pending", "put_away"]),
  reference: z.string().nullable(),
  putaway: z.array(
    z.object({
      sku: z.string(),
      qty: z.number().int().positive(),
      bin: z.string(),
      lot: z.string().nullable(),
      expiresAt: z.string().nullable(),
    }),
  ),
});

/** A receipt's putaway: one line per suggested (or chosen) bin. */
export type PutawayReply = z.infer<typeof putawayReplySchema>;

/**
 * The warehouse actor's public calls (the warehouse code is the actor id).
 *
 * The receiving seam (purchasing → WMS): a purchase order's receipt hands its accepted lines over with
 * `registerReceipt`; the reply suggests a bin per line; the goods become physical stock on the SKU actors
 * only when `confirmPutaway` (`POST /v1/warehouses/{code}/putaways/{receiptId}/confirm`) puts them away.
 *
 * @example
 * const call = warehouses.registerReceipt("WH-1", { receiptId: "R-1", reference: "PO-1",
 *   lines: [{ sku: "SKU-1", qty: 10, lot: "L1", expiresAt: "2027-01-31" }] });
 * const { putaway } = warehouses.putawayReply(await kit.command(c, call.to.kind, call.to.id, call.cmd, { id }));
 */
export const warehouses = {
  kind: "warehouse" as const,
  registerReceipt: build("registerReceipt"),
  confirmPutaway: build("confirmPutaway"),
  receiveUnplaced: build("receiveUnplaced"),
  shipFromBins: build("shipFromBins"),
  binCount: (warehouse: string) => ({
    to: { kind: "warehouse", id: warehouse },
    cmd: { type: "binCount" as const },
  }),
  putawayReply: (value: unknown): PutawayReply => putawayReplySchema.parse(value),
};
