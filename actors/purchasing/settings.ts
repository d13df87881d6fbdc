import { z } from "zod";
import { type DecideContext, type Decision, defineKind } from "../runtime/index.ts";
import { MAX_AMOUNT } from "../shared/index.ts";

/** The one settings actor's id. */
export const PURCHASING_SETTINGS_ID = "default";
/** The most a receipt may exceed the ordered quantity, in percent. */
export const MAX_TOLERANCE_PERCENT = 50;

export const purchasingSettingsSchema = z
  .object({
    /**
     * POs whose total (fen) is above this need a second operator's approval; null: none (a fresh install).
     */
    approvalThreshold: z.number().int().min(0).max(MAX_AMOUNT).nullable(),
    /** Receipts may exceed each line's ordered quantity by this percent (rounded down to whole units). */
    receiptTolerancePercent: z.number().int().min(0).max(MAX_TOLERANCE_PERCENT),
  })
  .strict();
export type PurchasingSettings = z.infer<typeof purchasingSettingsSchema>;

export const DEFAULT_PURCHASING_SETTINGS: PurchasingSettings = {
  approvalThreshold: null,
  receiptTolerancePercent: 0,
};

const commands = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  z.object({ type: z.literal("set"), settings: purchasingSettingsSchema }),
]);
type SettingsCommand = z.infer<typeof commands>;
const events = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("settingsSet"),
    settings: purchasingSettingsSchema,
    at: z.number(),
    by: z.string(),
  }),
]);
type SettingsEvent = z.infer<typeof events>;

/**
 * Purchasing's operator settings (kind "purchasing-settings", id "default"): the second-approval threshold
 * and the receipt tolerance. A PO takes them when it is submitted, so a later change never moves an
 * order already in approval.
 */
export const purchasingSettingsKind = defineKind<PurchasingSettings, SettingsCommand, SettingsEvent>({
  name: "purchasing-settings",
  commands,
  events,
  state: purchasingSettingsSchema,
  initialState: () => ({ ...DEFAULT_PURCHASING_SETTINGS }),
  apply: (_s, e) => ({ ...e.settings }),
  handlers: {
    get: (s: PurchasingSettings): Decision<SettingsEvent> => ({ events: [], reply: s }),
    set: (s: PurchasingSettings, c, ctx: DecideContext): Decision<SettingsEvent> =>
      JSON.stringify(s) === JSON.stringify(c.settings)
        ? { events: [], reply: s }
        : {
            events: [{ type: "settingsSet", settings: c.settings, at: ctx.now, by: ctx.meta.by ?? "system" }],
            reply: c.settings,
          },
  },
  readOnly: ["get"],
});
