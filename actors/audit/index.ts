import { createHash } from "node:crypto";

/**
 * The audit log you can read (decision 0035): what a row looks like through the API, how rows are
 * chained (tamper evidence), what verification answers, and the retention policy. Personal data in a
 * row is masked by the one masking policy (`actors/permissions`, decision 0037) at the API.
 *
 * This file is the audit domain's whole public seam. Writers do not use it: they keep inserting into
 * `audit_log` in their own transactions (or through `PostgresAuditLog.record`); the sealer chains them.
 */

/** The hash before the first row ever sealed (64 zeros). */
export const GENESIS_HASH = "0".repeat(64);

/**
 * One link of the chain: `sha256(previous hash + "\n" + sequence + "\n" + canonical row)`, hex. The
 * canonical row is Postgres' `jsonb` text of the row's fields (see `storage/audit`), which is
 * deterministic (keys sorted, one spacing); verification computes the same in SQL.
 */
export function chainLink(previousHash: string, seq: number, canonicalRow: string): string {
  return createHash("sha256").update(`${previousHash}\n${seq}\n${canonicalRow}`, "utf8").digest("hex");
}

/** One audit row as the API shows it. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  entity: string;
  requestId: string | null;
  before?: unknown;
  after?: unknown;
  /** The rest of what the writer recorded (without `before`/`after`). */
  detail: Record<string, unknown>;
  /** The row's chain sequence, or null while it is not sealed yet (within a second or so of its commit). */
  seq: number | null;
}

export interface AuditFilter {
  actor?: string;
  /** An action, or a prefix ending in `*` (`sku.*`). */
  action?: string;
  /** An entity (`sku/A1`), or a prefix ending in `*` (`sku/*`). */
  entity?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

/** Where a chain link did not hold. */
export interface ChainBreak {
  /** The sequence of the first row that does not verify (or that is missing). */
  seq: number;
  /** The row's id; null when the row is missing (deleted). */
  id: string | null;
  reason: "hash-mismatch" | "missing";
}

export type ChainVerification =
  | {
      ok: true;
      /** Sealed rows verified. */
      rows: number;
      /** Rows written but not sealed yet (not covered by this answer). */
      unsealed: number;
      /** Where the kept chain starts (after the last pruning checkpoint; seq 0 = the genesis). */
      start: { seq: number; hash: string };
      head: { seq: number; hash: string };
    }
  | {
      ok: false;
      /** Rows verified intact before the break. */
      rows: number;
      unsealed: number;
      start: { seq: number; hash: string };
      broken: ChainBreak;
    };

/** Rows older than `days` are pruned, whole segments of `segmentRows` chain rows at a time. */
export interface RetentionPolicy {
  days: number;
  segmentRows: number;
}

export interface RetentionState extends RetentionPolicy {
  updatedAt: string;
  updatedBy: string;
  /** The newest pruning checkpoint: the kept chain starts after `throughSeq`, from `hash`. */
  checkpoint: { throughSeq: number; hash: string; prunedRows: number; cutoff: string; at: string } | null;
}
