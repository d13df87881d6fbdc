/** What approval storage and the API exchange: rules, delegations, list rows (decision 0034). */
import type { ApprovalStep, ApproverIdentity } from "./commands.ts";
import type { ApprovalStatus } from "./state.ts";

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
