import { z } from "zod";
import { type ApprovalStep, guardedEffectSchema, payloadSchema, stepSchema } from "./commands.ts";
import type { ApprovalEvent } from "./events.ts";

export const APPROVAL_STATUSES = [
  "pending",
  "approved",
  "executed",
  "failed",
  "rejected",
  "expired",
] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export interface ApprovalDecision {
  step: number;
  decision: "approve" | "reject";
  by: string;
  onBehalfOf?: string;
  comment?: string;
  at: number;
}

/** The approval actor's state; `request` is null until it is opened. */
export interface ApprovalState {
  request: {
    action: string;
    subject: string;
    summary: string;
    payload: z.infer<typeof payloadSchema>;
    effect: z.infer<typeof guardedEffectSchema>;
    requester: string;
    ruleId: string;
    steps: ApprovalStep[];
    expiresAt: number;
    createdAt: number;
  } | null;
  status: ApprovalStatus;
  /** The step waiting for decisions (0-based); equals `steps.length` once every step is done. */
  step: number;
  decisions: ApprovalDecision[];
  updatedAt: number;
  execution: { ok: boolean; result?: unknown; error?: { kind: string; message: string }; at: number } | null;
}

export const approvalStateSchema: z.ZodType<ApprovalState> = z.object({
  request: z
    .object({
      action: z.string(),
      subject: z.string(),
      summary: z.string(),
      payload: payloadSchema,
      effect: guardedEffectSchema,
      requester: z.string(),
      ruleId: z.string(),
      steps: z.array(stepSchema),
      expiresAt: z.number(),
      createdAt: z.number(),
    })
    .nullable(),
  status: z.enum(APPROVAL_STATUSES),
  step: z.number(),
  decisions: z.array(
    z.object({
      step: z.number(),
      decision: z.enum(["approve", "reject"]),
      by: z.string(),
      onBehalfOf: z.string().optional(),
      comment: z.string().optional(),
      at: z.number(),
    }),
  ),
  updatedAt: z.number(),
  execution: z
    .object({
      ok: z.boolean(),
      result: z.unknown().optional(),
      error: z.object({ kind: z.string(), message: z.string() }).optional(),
      at: z.number(),
    })
    .nullable(),
}) as z.ZodType<ApprovalState>;

export function initialApprovalState(): ApprovalState {
  return { request: null, status: "pending", step: 0, decisions: [], updatedAt: 0, execution: null };
}

/** Approvals step `step` has so far. */
export function approvalsOn(state: ApprovalState, step: number): number {
  return state.decisions.filter((d) => d.step === step && d.decision === "approve").length;
}

export function applyApprovalEvent(state: ApprovalState, event: ApprovalEvent): ApprovalState {
  switch (event.type) {
    case "opened":
      return {
        ...state,
        request: {
          action: event.action,
          subject: event.subject,
          summary: event.summary,
          payload: event.payload,
          effect: event.effect,
          requester: event.requester,
          ruleId: event.ruleId,
          steps: event.steps,
          expiresAt: event.expiresAt,
          createdAt: event.at,
        },
        status: "pending",
        step: 0,
        updatedAt: event.at,
      };
    case "decided": {
      const decision: ApprovalDecision = {
        step: event.step,
        decision: event.decision,
        by: event.by,
        at: event.at,
        ...(event.onBehalfOf !== undefined ? { onBehalfOf: event.onBehalfOf } : {}),
        ...(event.comment !== undefined ? { comment: event.comment } : {}),
      };
      const next = { ...state, decisions: [...state.decisions, decision], updatedAt: event.at };
      const step = state.request?.steps[event.step];
      if (event.decision === "approve" && step && approvalsOn(next, event.step) >= step.required)
        next.step = event.step + 1;
      return next;
    }
    case "approved":
      return { ...state, status: "approved", updatedAt: event.at };
    case "rejected":
      return { ...state, status: "rejected", updatedAt: event.at };
    case "expired":
      return { ...state, status: "expired", updatedAt: event.at };
    case "executed":
      return {
        ...state,
        status: event.ok ? "executed" : "failed",
        updatedAt: event.at,
        execution: {
          ok: event.ok,
          at: event.at,
          ...(event.result !== undefined ? { result: event.result } : {}),
          ...(event.error !== undefined ? { error: event.error } : {}),
        },
      };
  }
}
