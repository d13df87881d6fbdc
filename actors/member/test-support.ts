/**
 * Helpers for the member tests: run a decision the way the runtime does, and check on every step the
 * invariants the event log promises. Plain errors (no test framework import) so this stays ordinary code.
 */

import type { Decision } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { type MemberCommand, memberCommandSchema } from "./commands.ts";
import { type MemberEvent, memberEventSchema } from "./events.ts";
import { type createMemberKind, memberKind } from "./index.ts";
import { applyMemberEvent, type MemberState } from "./state.ts";

export const USER = "U-1";
export const NOW = 1_700_000_000_000;

type Kind = ReturnType<typeof createMemberKind>;
type Handler = (s: MemberState, c: MemberCommand, ctx: object) => Decision<MemberEvent>;
export interface Options {
  kind?: Kind;
  now?: number;
  by?: string;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(`invariant broken: ${message}`);
}

/** Validates the command like the runtime, decides, and checks the state was left untouched. */
export function decide(
  state: MemberState,
  command: MemberCommand,
  options: Options = {},
): Decision<MemberEvent> {
  const kind = options.kind ?? memberKind;
  const parsed = memberCommandSchema.parse(command);
  const handler = kind.handlers[parsed.type] as unknown as Handler;
  const before = JSON.stringify(state);
  const ctx = { id: USER, now: options.now ?? NOW, meta: options.by ? { by: options.by } : {} };
  const decision = handler(state, parsed, ctx);
  check(JSON.stringify(state) === before, "a decision changed the state");
  for (const event of decision.events) memberEventSchema.parse(event);
  return decision;
}

/**
 * Decides and applies. After each event, a balance or growth it states must be the state's, and the
 * points summary must add up to the balance: the log explains the balance at every step.
 */
export function run(
  state: MemberState,
  command: MemberCommand,
  options: Options = {},
): Decision<MemberEvent> {
  const decision = decide(state, command, options);
  for (const event of decision.events) {
    applyMemberEvent(state, event);
    if ("balance" in event) check(event.balance === state.points, `${event.type} balance`);
    if (event.type === "growthChanged") check(event.growth === state.growth, "growthChanged total");
    const s = state.pointsSummary;
    check(s.earned - s.spent + s.refunded - s.reversed + s.adjusted === state.points, "points summary");
    check(state.points >= 0 && state.growth >= 0, "never below zero");
  }
  return decision;
}

/** Expects a refusal; returns the error after checking the state was not changed. */
export function refusal(state: MemberState, command: MemberCommand, options: Options = {}): DomainError {
  const before = JSON.stringify(state);
  try {
    decide(state, command, options);
  } catch (error) {
    check(JSON.stringify(state) === before, "a refusal changed the state");
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error(`expected ${command.type} to be refused`);
}

export const types = (d: Decision<MemberEvent>): string[] => d.events.map((e) => e.type);

/** Shorthand for a one-line order. */
export function order(
  orderId: string,
  sku: string,
  qty: number,
  extra: Partial<Extract<MemberCommand, { type: "recordOrder" }>> = {},
): MemberCommand {
  return { type: "recordOrder", orderId, lines: [{ sku, qty }], amount: 10_000 * qty, ...extra };
}
