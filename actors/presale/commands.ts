import { z } from "zod";
import { idSchema as codeSchema, moneySchema, text } from "../shared/index.ts";

/** Units of the campaign's SKU one presale order may take. */
export const MAX_PRESALE_QTY = 100;

const epoch = z.number().int().min(0).max(253_402_300_799_999);

/**
 * A presale campaign (预售): one SKU at `price`; a deposit order (`deposit` per unit) in
 * `[startsAt, endsAt)`, the balance payable in `[balanceFrom, balanceTo)`. Deposit expansion (定金膨胀):
 * the deposit counts as `depositValue` (≥ deposit) off the price, so the balance is `price − depositValue`
 * and the buyer pays `price − (depositValue − deposit)` in all. The deposit is not refundable: unpaid by
 * `balanceTo`, the order is cancelled and the deposit forfeited (the campaign's terms).
 */
export const presaleCampaignSchema = z
  .object({
    name: text({ max: 100 }),
    sku: codeSchema,
    price: moneySchema.refine((n) => n > 0, "a price of at least 1 fen"),
    deposit: moneySchema.refine((n) => n > 0, "a deposit of at least 1 fen"),
    depositValue: moneySchema,
    maxQtyPerOrder: z.number().int().positive().max(MAX_PRESALE_QTY).default(1),
    startsAt: epoch,
    endsAt: epoch,
    balanceFrom: epoch,
    balanceTo: epoch,
  })
  .strict()
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (c.endsAt <= c.startsAt) issue("endsAt", "endsAt must be after startsAt");
    if (c.balanceFrom < c.startsAt)
      issue("balanceFrom", "the balance window cannot open before the deposits");
    if (c.balanceTo <= c.balanceFrom) issue("balanceTo", "balanceTo must be after balanceFrom");
    if (c.depositValue < c.deposit) issue("depositValue", "a deposit counts as at least itself");
    if (c.depositValue >= c.price) issue("depositValue", "the deposit must count for less than the price");
  });
export type PresaleCampaign = z.infer<typeof presaleCampaignSchema>;

export const presaleCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  z.object({ type: z.literal("create"), campaign: presaleCampaignSchema }),
]);
export type PresaleCommand = z.infer<typeof presaleCommandSchema>;
