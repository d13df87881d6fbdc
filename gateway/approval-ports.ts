/** What the approval routes and guards ask of storage (Postgres in production; decision 0034). */
import type { ApprovalStatus, ApprovalStep, ApproverIdentity } from "../actors/approval/index.ts";

/** An operator's rule: requests of `action` at or above `threshold` go through `steps`. */
export interface ApprovalRule {
  id: string;
  action: string;
  enabled: boolean;
  /** Null: every request of the action matches (actions without a size always have null). */
  threshold: number | null;
  steps: ApprovalStep[];
  expiresInSeconds: number;
  description: string;
  updatedAt: string;
  updatedBy: string;
}

export interface ApprovalDelegation {
  id: string;
  delegator: string;
  delegate: string;
  startsAt: string;
  endsAt: string;
  revoked: boolean;
}

/** One row of the approvals list (the read model; `GET /v1/approvals/{id}` reads the actor). */
export interface ApprovalSummary {
  id: string;
  action: string;
  subject: string;
  summary: string;
  requester: string;
  status: ApprovalStatus;
  currentStep: number | null;
  createdAt: string;
  expiresAt: string;
  updatedAt: string;
}

export interface ApprovalListQuery {
  status?: ApprovalStatus;
  /** Only what these identities may decide now (the caller and the users who delegated to them). */
  decidableBy?: { self: ApproverIdentity; delegators: ApproverIdentity[] };
  limit: number;
  cursor?: string;
}

export interface AuditEntry {
  by: string;
  requestId: string;
}

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
