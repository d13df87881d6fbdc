import type {
  AuditEntry,
  AuditFilter,
  ChainVerification,
  RetentionPolicy,
  RetentionState,
} from "../actors/audit/index.ts";

/**
 * The audit log you can read (decision 0035; Postgres in production): the list (may lag nothing: rows
 * are listed as soon as their writer commits), the chain verification, and the retention policy.
 * `list` throws `InvalidCursorError` for a cursor it did not issue.
 */
export interface AuditTrail {
  list(filter: AuditFilter): Promise<{ items: AuditEntry[]; nextCursor: string | null }>;
  verify(): Promise<ChainVerification>;
  retention(): Promise<RetentionState>;
  /** Changes the policy, audited in the same transaction. */
  setRetention(policy: RetentionPolicy, audit: { by: string; requestId: string }): Promise<RetentionState>;
}
