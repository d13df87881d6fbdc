import type { z } from "zod";
import type { payloadSchema } from "./commands.ts";

/** A guarded request's fields as approvers see them (flat: scalars and lists of scalars). */
export type ApprovalPayload = z.infer<typeof payloadSchema>;

/** The node-local effect service that runs guarded actions which are no actor command (e.g. role changes). */
export const APPROVAL_EXEC_KIND = "approval-exec";

/** What a rule's threshold is compared with, for an action that has a size. */
export type GuardedMeasure = "none" | "amount" | "quantity" | "percent";

/**
 * An approval-guarded action, registered by the module that owns it. When an enabled rule matches a
 * request, the module answers 202 with the approval's id instead of applying; once every step approves,
 * the approval actor sends `effect(payload)` exactly once (command id `approval:<id>:execute`, so the
 * target's idempotency absorbs every re-send after a crash).
 */
export interface GuardedAction<P extends ApprovalPayload = ApprovalPayload> {
  /** `area.action`, the name rules refer to (e.g. `user.roles`). */
  name: string;
  label: { en: string; "zh-CN": string };
  /** What a rule's `threshold` is compared with (`none`: every request of this action matches). */
  measure: GuardedMeasure;
  payload: z.ZodType<P>;
  /** The request's size against the rule's threshold (null when the action has none). */
  measureOf(payload: P): number | null;
  /** The entity the action changes, e.g. `user/bob`. */
  subject(payload: P): string;
  /** One line for approvers. */
  describe(payload: P): string;
  /** The command that applies the action: to an actor, or to the `approval-exec` service. */
  effect(payload: P): { to: { kind: string; id: string }; cmd: { type: string; [field: string]: unknown } };
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds actions of every payload shape
export type AnyGuardedAction = GuardedAction<any>;

const registry = new Map<string, AnyGuardedAction>();

/** Registers a guarded action (once per name) and returns it, typed, for the module's routes. */
export function registerGuardedAction<P extends ApprovalPayload>(action: GuardedAction<P>): GuardedAction<P> {
  const existing = registry.get(action.name);
  if (existing && existing !== action) throw new Error(`guarded action ${action.name} is registered twice`);
  registry.set(action.name, action);
  return action;
}

/** Every registered guarded action, in registration order. */
export function guardedActions(): AnyGuardedAction[] {
  return [...registry.values()];
}

export function guardedAction(name: string): AnyGuardedAction | undefined {
  return registry.get(name);
}
