import { z } from "zod";
import { registerGuardedAction } from "../approval/index.ts";
import { text } from "../shared/index.ts";

/**
 * Approving a refund or return whose amount (fen) reaches a rule's `threshold` (decision 0034): while such
 * a rule is enabled, the approving after-sales decision opens a generic approval instead; once approved the
 * order actor records the approval (and refunds) once, by the approval's command id.
 */
export const refundApproval = registerGuardedAction({
  name: "order.refund",
  label: { en: "Refund above an amount", "zh-CN": "超过金额阈值的退款" },
  measure: "amount",
  payload: z
    .object({
      orderId: text({ max: 64 }),
      amount: z.number().int().min(0),
      note: text({ max: 500, min: 0, trim: false, multiline: true }).optional(),
    })
    .strict(),
  measureOf: (p) => p.amount,
  subject: (p) => `order/${p.orderId}`,
  describe: (p) => `refund of ${(p.amount / 100).toFixed(2)} yuan on order ${p.orderId}`,
  effect: (p) => ({
    to: { kind: "order", id: p.orderId },
    cmd: { type: "decideAfterSales", approve: true, ...(p.note ? { note: p.note } : {}) },
  }),
});
