import { defineKind } from "../runtime/index.ts";
import { approvalHandlers, onApprovalEffect, onApprovalTimer } from "./actor.ts";
import { type ApprovalCommand, approvalCommandSchema } from "./commands.ts";
import { type ApprovalEvent, approvalEventSchema } from "./events.ts";
import {
  type ApprovalState,
  applyApprovalEvent,
  approvalStateSchema,
  initialApprovalState,
} from "./state.ts";

/**
 * The approval actor (kind "approval", one per request; decision 0034): the chain copied from the rule
 * that matched, every decision, expiry on a durable timer, and the guarded action sent once as an effect
 * when the last step approves.
 */
export const approvalKind = defineKind<ApprovalState, ApprovalCommand, ApprovalEvent>({
  name: "approval",
  commands: approvalCommandSchema,
  events: approvalEventSchema,
  state: approvalStateSchema,
  initialState: initialApprovalState,
  apply: applyApprovalEvent,
  handlers: approvalHandlers,
  onTimer: onApprovalTimer,
  onEffect: onApprovalEffect,
  readOnly: ["get"],
});

export const APPROVAL_KIND = "approval";
export { approvalView, EXECUTE_EFFECT, EXPIRY_TIMER, mayDecide } from "./actor.ts";
export {
  type ApprovalCommand,
  type ApprovalStep,
  type ApproverIdentity,
  approvalCommandSchema,
  MAX_APPROVERS,
  MAX_STEPS,
  payloadSchema,
  stepSchema,
} from "./commands.ts";
export { type ApprovalEvent, approvalEventSchema } from "./events.ts";
export {
  type AnyGuardedAction,
  APPROVAL_EXEC_KIND,
  type ApprovalPayload,
  type GuardedAction,
  type GuardedMeasure,
  guardedAction,
  guardedActions,
  registerGuardedAction,
} from "./registry.ts";
export { APPROVAL_STATUSES, type ApprovalState, type ApprovalStatus } from "./state.ts";
export { permissionGrant, roleChange } from "./user-roles.ts";
export type {
  ApprovalDelegation,
  ApprovalListQuery,
  ApprovalRule,
  ApprovalSummary,
  AuditEntry,
} from "./views.ts";
