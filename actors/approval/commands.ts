import { z } from "zod";
import { idSchema, text } from "../shared/index.ts";

/** Steps one approval chain holds at most. */
export const MAX_STEPS = 5;
/** Roles or named users one step names at most. */
export const MAX_APPROVERS = 20;
/** Decisions one request keeps at most (every approver of every step, once each, plus rejections). */
export const MAX_DECISIONS = MAX_STEPS * MAX_APPROVERS * 2;

const epoch = z.number().int().min(0).max(253_402_300_799_999);
const name = text({ max: 64 });

/** One step of a chain: who may decide (a role or named users), and how many approvals it needs. */
export const stepSchema = z
  .object({
    roles: z.array(name).max(MAX_APPROVERS).default([]),
    users: z.array(name).max(MAX_APPROVERS).default([]),
    required: z.number().int().min(1).max(MAX_APPROVERS).default(1),
  })
  .strict()
  .refine((s) => s.roles.length + s.users.length > 0, {
    message: "a step names at least one role or user",
    path: ["roles"],
  })
  .refine((s) => s.roles.length > 0 || s.required <= s.users.length, {
    message: "a step of named users cannot need more approvals than it names users",
    path: ["required"],
  });
export type ApprovalStep = z.output<typeof stepSchema>;

/** Who decides: the caller, with the roles they hold now (the gateway vouches for them). */
export const identitySchema = z.object({ username: name, roles: z.array(name).max(100) }).strict();
export type ApproverIdentity = z.output<typeof identitySchema>;

/** One field of a request as approvers see it: a scalar or a list of scalars (flat, so it is easy to show). */
export const payloadValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.union([z.string(), z.number()])),
]);
export const payloadSchema = z.record(z.string(), payloadValueSchema);

/** The guarded action, as the approval actor sends it once approved (an effect with a stable id). */
export const guardedEffectSchema = z
  .object({
    to: z.object({ kind: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/), id: idSchema }).strict(),
    cmd: z.object({ type: z.string().min(1).max(64) }).catchall(z.unknown()),
  })
  .strict();

export const approvalCommandSchema = z.discriminatedUnion("type", [
  /** The request, its steps and history (read-only). */
  z.object({ type: z.literal("get") }),
  /** Opens the request: the rule's chain is copied in, so later rule edits never change it. */
  z.object({
    type: z.literal("open"),
    action: name,
    subject: text({ max: 200 }),
    summary: text({ max: 500 }),
    payload: payloadSchema,
    effect: guardedEffectSchema,
    requester: name,
    ruleId: idSchema,
    steps: z.array(stepSchema).min(1).max(MAX_STEPS),
    expiresAt: epoch,
  }),
  /**
   * A decision by `as`, or by one of the users in `onBehalfOf` who delegated to them (active delegations,
   * resolved by the gateway). The requester never decides their own request.
   */
  z.object({
    type: z.literal("decide"),
    decision: z.enum(["approve", "reject"]),
    comment: text({ max: 500, multiline: true }).optional(),
    as: identitySchema,
    onBehalfOf: z.array(identitySchema).max(50).default([]),
  }),
]);
export type ApprovalCommand = z.infer<typeof approvalCommandSchema>;
