import { z } from "zod";
import { APPROVAL_EXEC_KIND, registerGuardedAction } from "../approval/index.ts";
import { text } from "../shared/index.ts";

/**
 * A list price change of at least a rule's `threshold` percent (decision 0034): held for approval; the
 * price book lives in Postgres, so the `approval-exec` service writes it, once per approval (its command
 * id is claimed in the same transaction). A first price (none before) is no change and is never held.
 */
export const priceChange = registerGuardedAction({
  name: "price.change",
  label: { en: "Price change beyond a percentage", "zh-CN": "超过百分比的调价" },
  measure: "percent",
  payload: z
    .object({
      sku: text({ max: 64 }),
      from: z.number().int().min(0).nullable(),
      listPrice: z.number().int().min(0),
    })
    .strict(),
  measureOf: (p) =>
    p.from === null || p.from === 0 ? null : (Math.abs(p.listPrice - p.from) * 100) / p.from,
  subject: (p) => `sku/${p.sku}`,
  describe: (p) => `list price of ${p.sku}: ${p.from ?? "none"} → ${p.listPrice} fen`,
  effect: (p) => ({
    to: { kind: APPROVAL_EXEC_KIND, id: "prices" },
    cmd: { type: "price.change", sku: p.sku, listPrice: p.listPrice },
  }),
});
