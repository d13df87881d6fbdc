/** What the approval routes and guards ask of storage (Postgres in production; decision 0034). */
import type {
  ApprovalDelegation,
  ApprovalListQuery,
  ApprovalRule,
  ApprovalSummary,
  ApproverIdentity,
  AuditEntry,
} from "../actors/approval/index.ts";

/** Approval rules, delegations and the requests list; a gateway without one guards nothing. */
export interface ApprovalStore {
  rules(): Promise<ApprovalRule[]>;
  rule(id: string): Promise<ApprovalRule | null>;
  putRule(
    rule: Omit<ApprovalRule, "updatedAt" | "updatedBy">,
    audit: AuditEntry,
  ): Promise<{ created: boolean; rule: ApprovalRule }>;
  deleteRule(id: string, audit: AuditEntry): Promise<boolean>;
  /** The enabled rule for `action` with the highest threshold that `measure` reaches; null: not guarded. */
  matchRule(action: string, measure: number | null): Promise<ApprovalRule | null>;
  /** Active delegations to `delegate` now, with each delegator's current roles (disabled users left out). */
  delegatorsOf(delegate: string): Promise<ApproverIdentity[]>;
  delegations(username: string): Promise<ApprovalDelegation[]>;
  addDelegation(
    d: { delegator: string; delegate: string; startsAt: Date; endsAt: Date },
    audit: AuditEntry,
  ): Promise<ApprovalDelegation>;
  /** Revokes one of `delegator`'s delegations; false when there is none by that id. */
  revokeDelegation(id: string, delegator: string, audit: AuditEntry): Promise<boolean>;
  list(q: ApprovalListQuery): Promise<{ items: ApprovalSummary[]; nextCursor: string | null }>;
}
