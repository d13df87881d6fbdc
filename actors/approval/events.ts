import { z } from "zod";
import { guardedEffectSchema, payloadSchema, stepSchema } from "./commands.ts";

const at = { at: z.number() };

/** Every event the approval actor persists. */
export const approvalEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("opened"),
    action: z.string(),
    subject: z.string(),
    summary: z.string(),
    payload: payloadSchema,
    effect: guardedEffectSchema,
    requester: z.string(),
    ruleId: z.string(),
    steps: z.array(stepSchema),
    expiresAt: z.number(),
    ...at,
  }),
  /** One decision on step `step` (0-based); `onBehalfOf` names the delegator whose right was used. */
  z.object({
    type: z.literal("decided"),
    step: z.number().int().min(0),
    decision: z.enum(["approve", "reject"]),
    by: z.string(),
    onBehalfOf: z.string().optional(),
    comment: z.string().optional(),
    ...at,
  }),
  /** Every step has its approvals: the guarded action is sent (effect key `execute`). */
  z.object({ type: z.literal("approved"), ...at }),
  z.object({ type: z.literal("rejected"), by: z.string(), ...at }),
  z.object({ type: z.literal("expired"), ...at }),
  /** The guarded action ran (`ok`), or its target refused it (`error`): it ran at most once either way. */
  z.object({
    type: z.literal("executed"),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: z.object({ kind: z.string(), message: z.string() }).optional(),
    ...at,
  }),
]);
export type ApprovalEvent = z.infer<typeof approvalEventSchema>;
