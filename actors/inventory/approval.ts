import { z } from "zod";
import { registerGuardedAction } from "../approval/index.ts";
import { text } from "../shared/index.ts";

const code = text({ max: 64 });

/**
 * A cycle count that moves a warehouse's physical stock by at least a rule's `threshold` units (decision
 * 0034): held for approval; once approved the SKU actor applies the counted quantity, once (the effect's
 * command id is the approval's).
 */
export const stockAdjustment = registerGuardedAction({
  name: "inventory.adjust",
  label: { en: "Stock adjustment above a quantity", "zh-CN": "超过数量阈值的库存调整" },
  measure: "quantity",
  payload: z
    .object({
      sku: code,
      warehouse: code,
      countedQty: z.number().int().min(0),
      /** Counted minus physical when requested: the size the rule's threshold is compared with. */
      delta: z.number().int(),
      reason: text({ max: 200 }),
    })
    .strict(),
  measureOf: (p) => Math.abs(p.delta),
  subject: (p) => `sku/${p.sku}`,
  describe: (p) =>
    `${p.sku} in ${p.warehouse}: physical ${p.countedQty - p.delta} → ${p.countedQty} (${p.delta >= 0 ? "+" : ""}${p.delta}); ${p.reason}`,
  effect: (p) => ({
    to: { kind: "sku", id: p.sku },
    cmd: { type: "adjust", warehouse: p.warehouse, countedQty: p.countedQty, reason: p.reason },
  }),
});
