import { createHash } from "node:crypto";

/**
 * The audit log you can read (decision 0035): what a row looks like through the API, how rows are
 * chained (tamper evidence), what verification answers, the retention policy, and how sensitive values
 * in a row are masked for a reader without the permission to see them.
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

/** The permission that shows customers' personal data unmasked (the orders' and members' meaning). */
export const PERSONAL_DATA_PERMISSION = "customer:pii";

/** Field types whose values are personal data, by how fields are named. */
const SENSITIVE_FIELDS: ReadonlyArray<{ type: string; pattern: RegExp }> = [
  { type: "phone", pattern: /phone|mobile|^tel$|telephone/i },
  { type: "address", pattern: /address|^addr$|street/i },
  { type: "id_card", pattern: /id_?card|idnumber|id_?no$|identity|passport/i },
  { type: "bank_card", pattern: /bank_?card|card_?no|card_?number|iban|account_?number/i },
  { type: "email", pattern: /e_?mail/i },
];

/** The field type a key names, if it is personal data. */
export function sensitiveFieldType(key: string): string | null {
  for (const { type, pattern } of SENSITIVE_FIELDS) if (pattern.test(key)) return type;
  return null;
}

/**
 * Masks personal data in an audit value for a reader: a field named like a phone, address, ID card, bank
 * card or email (at any depth) is masked unless `sees(type)`. Phones, ID and bank cards keep their last 4
 * characters (`*******1234`), an email its first letter and domain (`a***@example.com`), an address
 * nothing (`***` for every part). Reports whether anything sensitive was shown unmasked (that read is
 * itself audited).
 */
export function maskAuditValue(
  value: unknown,
  sees: (fieldType: string) => boolean,
): { value: unknown; revealed: boolean } {
  let revealed = false;
  const walk = (v: unknown, masking: string | null): unknown => {
    if (v === null || v === undefined) return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, masking));
    if (typeof v === "object") {
      const out: Record<string, unknown> = Object.create(null);
      for (const [key, inner] of Object.entries(v as Record<string, unknown>)) {
        const type = masking ? null : sensitiveFieldType(key);
        if (type && inner !== null && inner !== undefined) {
          if (sees(type)) {
            revealed = true;
            out[key] = inner;
          } else out[key] = walk(inner, type);
        } else out[key] = walk(inner, masking);
      }
      return out;
    }
    return masking ? maskScalar(String(v), masking) : v;
  };
  return { value: walk(value, null), revealed };
}

function maskScalar(s: string, type: string): string {
  if (type === "email") {
    const at = s.lastIndexOf("@");
    return at > 0 ? `${s[0]}***${s.slice(at)}` : "***";
  }
  if (type === "address") return "***";
  const keep = type === "phone" ? 7 : 8;
  return s.length >= keep ? `${"*".repeat(s.length - 4)}${s.slice(-4)}` : "***";
}
