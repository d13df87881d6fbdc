import { z } from "zod";
import { APPROVAL_STATUSES, MAX_STEPS, payloadSchema, stepSchema } from "../../actors/approval/index.ts";
import { text } from "../../actors/shared/index.ts";
import { usernameSchema } from "./user-schemas.ts";

export const approvalIdSchema = z.string().regex(/^apr_[a-z0-9]{24}$/, "an approval id (apr_…)");
export const ruleIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, "1–64 lowercase letters, digits, '_' or '-'");
export const delegationIdSchema = z.string().regex(/^dlg_[a-z0-9]{24}$/, "a delegation id (dlg_…)");

/** A rule, as an operator writes it: `PUT /v1/approval-rules/{id}`. */
export const ruleBody = z
  .object({
    action: text({ max: 64 }),
    enabled: z.boolean(),
    /** Requests whose size reaches it match (actions with a size); absent: every request of the action. */
    threshold: z.number().min(0).max(1e12).nullable().optional(),
    steps: z.array(stepSchema).min(1).max(MAX_STEPS),
    /** Unanswered requests expire after this long; the action then never runs. */
    expiresInSeconds: z
      .number()
      .int()
      .min(1)
      .max(90 * 24 * 3600)
      .default(3 * 24 * 3600),
    description: text({ max: 500, min: 0 }).default(""),
  })
  .strict();

const stepView = z.object({
  roles: z.array(z.string()),
  users: z.array(z.string()),
  required: z.number().int(),
});
export const ruleSchema = z.object({
  id: z.string(),
  action: z.string(),
  enabled: z.boolean(),
  threshold: z.number().nullable(),
  steps: z.array(stepView),
  expiresInSeconds: z.number().int(),
  description: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export const ruleListSchema = z.object({ items: z.array(ruleSchema) });

export const guardedActionListSchema = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      label: z.object({ en: z.string(), "zh-CN": z.string() }),
      measure: z.enum(["none", "amount", "quantity", "percent"]),
    }),
  ),
});

export const decisionBody = z
  .object({
    decision: z.enum(["approve", "reject"]),
    comment: text({ max: 500, multiline: true }).optional(),
  })
  .strict();

export const approvalListQuery = z
  .object({
    /** `pending`: what the caller can decide now (as themselves or for whoever delegated to them). */
    status: z.enum(APPROVAL_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: text({ max: 200 }).optional(),
  })
  .strict();

const status = z.enum(APPROVAL_STATUSES);
export const approvalSummarySchema = z.object({
  id: z.string(),
  action: z.string(),
  subject: z.string(),
  summary: z.string(),
  requester: z.string(),
  status,
  currentStep: z.number().int().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  updatedAt: z.string(),
});
export const approvalListSchema = z.object({
  items: z.array(approvalSummarySchema),
  nextCursor: z.string().nullable(),
});

export const approvalSchema = z.object({
  id: z.string(),
  action: z.string(),
  subject: z.string(),
  summary: z.string(),
  payload: payloadSchema,
  requester: z.string(),
  ruleId: z.string(),
  status,
  currentStep: z.number().int().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string(),
  steps: z.array(
    stepView.extend({
      index: z.number().int(),
      approvals: z.number().int(),
      state: z.enum(["approved", "waiting", "open"]),
    }),
  ),
  history: z.array(
    z.object({
      at: z.string(),
      step: z.number().int(),
      decision: z.enum(["approve", "reject"]),
      by: z.string(),
      onBehalfOf: z.string().optional(),
      comment: z.string().optional(),
    }),
  ),
  execution: z
    .object({
      ok: z.boolean(),
      at: z.string(),
      error: z.object({ kind: z.string(), message: z.string() }).optional(),
    })
    .nullable(),
});

/** What a guarded write answers (202) when a rule holds it for approval instead of applying it. */
export const approvalPendingSchema = z.object({
  approvalId: z.string(),
  status: z.literal("pending"),
  action: z.string(),
  ruleId: z.string(),
  expiresAt: z.string(),
});

export const delegationBody = z
  .object({
    to: usernameSchema,
    startsAt: z.iso.datetime({ offset: true }).optional(),
    endsAt: z.iso.datetime({ offset: true }),
  })
  .strict();
export const delegationSchema = z.object({
  id: z.string(),
  delegator: z.string(),
  delegate: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  revoked: z.boolean(),
});
export const delegationListSchema = z.object({ items: z.array(delegationSchema) });
