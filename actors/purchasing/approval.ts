import { z } from "zod";
import { registerGuardedAction } from "../approval/index.ts";
import { text } from "../shared/index.ts";

const code = text({ max: 64 });

/**
 * The approval of a submitted PO whose total (fen) reaches a rule's `threshold` (decision 0034): while
 * such a rule is enabled, `POST /v1/purchase-orders/{id}/approve` opens a generic approval instead, and
 * its chain replaces the PO's own two-operator rule; with no rule the PO's own approval works as before.
 */
export const purchaseApproval = registerGuardedAction({
  name: "purchase.approve",
  label: { en: "Purchase order above an amount", "zh-CN": "超过金额阈值的采购单" },
  measure: "amount",
  payload: z.object({ poId: code, supplier: code, warehouse: code, total: z.number().int().min(0) }).strict(),
  measureOf: (p) => p.total,
  subject: (p) => `purchase-order/${p.poId}`,
  describe: (p) => `PO ${p.poId} from ${p.supplier} to ${p.warehouse}: ${(p.total / 100).toFixed(2)} yuan`,
  effect: (p) => ({
    to: { kind: "purchase-order", id: p.poId },
    cmd: { type: "approve", viaApproval: true },
  }),
});
