import { z } from "zod";
import type { Effect } from "../runtime/index.ts";
import { idSchema, text } from "../shared/index.ts";

/**
 * Operator notifications (decision 0030): alerts from every module — low stock, late shipments,
 * reconciliation differences, parked projector events, failed jobs — with a severity, kept until an
 * operator acknowledges them, shown live and sent to integrators' webhooks.
 *
 * This file is the module's whole public seam. Raise a notification
 * - from an actor's decision: put `raiseNotification({...})` in the decision's `effects` (the node that
 *   owns the actor stores it through the node-local `notifier` service, at least once; the `key` makes
 *   a repeat a no-op), and ignore replies to effect keys starting with `notify:` in `onEffect`;
 * - from node code (job runners, the projector's alerts): call the `Notify` function the composition
 *   root hands you (`node/notifications.ts`), with the same input.
 */
export const NOTIFIER_KIND = "notifier";

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Notification kinds are camelCase words (`lowStock`, `lateShipment`, `jobFailed`). */
const kindSchema = z.string().regex(/^[a-z][A-Za-z0-9]{0,39}$/, "a camelCase word of at most 40 characters");

export const notificationInputSchema = z
  .object({
    /** What happened, e.g. `lateShipment`. Webhook subscribers filter on `notification.<kind>`. */
    kind: kindSchema,
    severity: z.enum(SEVERITIES),
    /** The module raising it, e.g. `shipments`, `inventory`, `jobs`, `payments`, `projector`. */
    source: kindSchema,
    /** The entity it is about (shown as a link), if any. */
    subject: z.object({ kind: kindSchema, id: idSchema }).optional(),
    /** One line for an operator. */
    message: text({ max: 500 }),
    /**
     * Deduplication: one notification per key (a repeat with the same key changes nothing). Make it say
     * what the notification is about, e.g. `late:<shipmentId>` or `reconciliation:<runId>:<channel>`.
     */
    key: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9_:.-]+$/, "letters, digits, '_', ':', '.', '-'"),
  })
  .strict();
export type NotificationInput = z.input<typeof notificationInputSchema>;

/** Raises a notification from node code; resolves once it is stored (duplicates by key are no-ops). */
export type Notify = (input: NotificationInput) => Promise<{ id: string; created: boolean }>;

/**
 * The effect that raises a notification from an actor's decision.
 * @example
 * effects: [raiseNotification({ kind: "lateShipment", severity: "warning", source: "shipments",
 *   subject: { kind: "shipment", id }, message: `shipment ${id} is past its 48 h promise`,
 *   key: `late:${id}` })]
 */
export function raiseNotification(input: NotificationInput): Effect {
  const parsed = notificationInputSchema.parse(input);
  return {
    key: `notify:${parsed.key}`,
    to: { kind: NOTIFIER_KIND, id: "raise" },
    cmd: { type: "raise", ...parsed },
  };
}

/** True for the `onEffect` replies of `raiseNotification` effects (nothing to do with them). */
export function isNotificationEffect(key: string): boolean {
  return key.startsWith("notify:");
}
