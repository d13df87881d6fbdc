import type { DecideContext, Decision, Reply } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { isoTime } from "../shared/index.ts";
import type { ApprovalCommand, ApprovalStep, ApproverIdentity } from "./commands.ts";
import type { ApprovalEvent } from "./events.ts";
import { type ApprovalState, applyApprovalEvent, approvalsOn } from "./state.ts";

type Cmd<T extends ApprovalCommand["type"]> = Extract<ApprovalCommand, { type: T }>;
type Result = Decision<ApprovalEvent>;

/** The durable timer that expires an unanswered request. */
export const EXPIRY_TIMER = "expire";
/**
 * Set when the last step approves and re-armed until the action's answer is recorded: a timer fires on
 * whichever node owns the actor after a crash, and activating the actor re-sends its pending effect, so
 * an approved action runs even when no one reads the request again.
 */
export const RESUME_TIMER = "resume";
const RESUME_AFTER_MS = 10_000;
/** The key of the guarded action's effect: its command id is `approval:<id>:execute` (stable). */
export const EXECUTE_EFFECT = "execute";

function requireRequest(state: ApprovalState, id: string): NonNullable<ApprovalState["request"]> {
  if (!state.request) throw new DomainError("not_found", `no approval ${id}`, { approvalId: id });
  return state.request;
}

/** Whether `who` may decide on `step` (named there, or holding one of its roles). */
export function mayDecide(step: ApprovalStep, who: ApproverIdentity): boolean {
  return step.users.includes(who.username) || who.roles.some((r) => step.roles.includes(r));
}

/** The request as the API shows it: its chain with each step's progress, and its history. */
export function approvalView(id: string, state: ApprovalState) {
  const r = requireRequest(state, id);
  return {
    id,
    action: r.action,
    subject: r.subject,
    summary: r.summary,
    payload: r.payload,
    requester: r.requester,
    ruleId: r.ruleId,
    status: state.status,
    currentStep: state.status === "pending" ? state.step : null,
    createdAt: isoTime(r.createdAt),
    updatedAt: isoTime(state.updatedAt),
    expiresAt: isoTime(r.expiresAt),
    steps: r.steps.map((s, index) => ({
      index,
      roles: s.roles,
      users: s.users,
      required: s.required,
      approvals: approvalsOn(state, index),
      state:
        index < state.step
          ? "approved"
          : index === state.step && state.status === "pending"
            ? "waiting"
            : "open",
    })),
    history: state.decisions.map((d) => ({
      at: isoTime(d.at),
      step: d.step,
      decision: d.decision,
      by: d.by,
      ...(d.onBehalfOf !== undefined ? { onBehalfOf: d.onBehalfOf } : {}),
      ...(d.comment !== undefined ? { comment: d.comment } : {}),
    })),
    execution:
      state.execution === null
        ? null
        : {
            ok: state.execution.ok,
            at: isoTime(state.execution.at),
            ...(state.execution.error !== undefined ? { error: state.execution.error } : {}),
          },
  };
}

function viewAfter(id: string, state: ApprovalState, events: ApprovalEvent[]) {
  return approvalView(id, events.reduce(applyApprovalEvent, state));
}

export const approvalHandlers = {
  get: (state: ApprovalState, _c: Cmd<"get">, ctx: DecideContext): Result => ({
    events: [],
    reply: approvalView(ctx.id, state),
  }),
  open: (state: ApprovalState, c: Cmd<"open">, ctx: DecideContext): Result => {
    if (state.request) throw new DomainError("conflict", `approval ${ctx.id} exists`, { reason: "exists" });
    if (c.expiresAt <= ctx.now)
      throw new DomainError("invalid", "an approval must expire in the future", { field: "expiresAt" });
    const { type: _type, ...fields } = c;
    const events: ApprovalEvent[] = [{ type: "opened", ...fields, at: ctx.now }];
    return {
      events,
      reply: viewAfter(ctx.id, state, events),
      timers: { set: [{ name: EXPIRY_TIMER, at: c.expiresAt }] },
    };
  },
  decide: (state: ApprovalState, c: Cmd<"decide">, ctx: DecideContext): Result => {
    const r = requireRequest(state, ctx.id);
    if (c.as.username === r.requester)
      throw new DomainError("forbidden", "the requester cannot decide their own request", {
        reason: "self-approval",
      });
    if (state.status !== "pending")
      throw new DomainError("conflict", `approval ${ctx.id} is ${state.status}`, {
        reason: "not-pending",
        status: state.status,
      });
    const step = r.steps[state.step]!;
    const here = state.decisions.filter((d) => d.step === state.step);
    if (here.some((d) => d.by === c.as.username || d.onBehalfOf === c.as.username))
      throw new DomainError("conflict", "you have already decided this step", { reason: "already-decided" });
    // The caller's own right first, then a delegator's (never the requester's, never one used already).
    const used = new Set(here.flatMap((d) => [d.by, d.onBehalfOf ?? d.by]));
    const candidates = [
      c.as,
      ...c.onBehalfOf.filter((d) => d.username !== r.requester && !used.has(d.username)),
    ];
    const right = candidates.find((who) => mayDecide(step, who));
    if (!right)
      throw new DomainError("forbidden", `you may not decide step ${state.step + 1} of approval ${ctx.id}`, {
        reason: "not-an-approver",
        step: state.step,
      });
    const decided: ApprovalEvent = {
      type: "decided",
      step: state.step,
      decision: c.decision,
      by: c.as.username,
      at: ctx.now,
      ...(right !== c.as ? { onBehalfOf: right.username } : {}),
      ...(c.comment !== undefined ? { comment: c.comment } : {}),
    };
    const events: ApprovalEvent[] = [decided];
    if (c.decision === "reject") {
      events.push({ type: "rejected", by: c.as.username, at: ctx.now });
      return { events, reply: viewAfter(ctx.id, state, events), timers: { cancel: [EXPIRY_TIMER] } };
    }
    const after = applyApprovalEvent(state, decided);
    if (after.step < r.steps.length) return { events, reply: viewAfter(ctx.id, state, events) };
    // The last step is complete: the guarded action goes out once this decision is durable.
    events.push({ type: "approved", at: ctx.now });
    return {
      events,
      reply: viewAfter(ctx.id, state, events),
      timers: { cancel: [EXPIRY_TIMER], set: [{ name: RESUME_TIMER, at: ctx.now + RESUME_AFTER_MS }] },
      effects: [{ key: EXECUTE_EFFECT, to: r.effect.to, cmd: r.effect.cmd }],
    };
  },
};

/** An unanswered request expired (a durable timer: once, across restarts); its action never runs. */
export function onApprovalTimer(state: ApprovalState, timer: { name: string }, ctx: DecideContext): Result {
  // Activation has re-sent the pending effect already; keep a timer until its answer is recorded.
  if (timer.name === RESUME_TIMER && state.status === "approved")
    return {
      events: [],
      reply: null,
      timers: { set: [{ name: RESUME_TIMER, at: ctx.now + RESUME_AFTER_MS }] },
    };
  if (timer.name !== EXPIRY_TIMER || !state.request || state.status !== "pending")
    return { events: [], reply: null };
  return { events: [{ type: "expired", at: ctx.now }], reply: null };
}

/** The guarded action's target answered: recorded once (the effect's id made the action itself run once). */
export function onApprovalEffect(
  state: ApprovalState,
  result: { key: string; reply: Reply },
  ctx: DecideContext,
): Result {
  if (result.key !== EXECUTE_EFFECT || state.status !== "approved") return { events: [], reply: null };
  const reply = result.reply;
  const event: ApprovalEvent = reply.ok
    ? { type: "executed", ok: true, result: reply.value, at: ctx.now }
    : {
        type: "executed",
        ok: false,
        error: { kind: reply.error.kind, message: reply.error.message.slice(0, 500) },
        at: ctx.now,
      };
  return { events: [event], reply: null, timers: { cancel: [RESUME_TIMER] } };
}
