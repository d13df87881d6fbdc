import type postgres from "postgres";
import type { Sql } from "./postgres/database.ts";

export interface AuditRecord {
  principal: string;
  action: string;
  target: string;
  requestId: string;
  detail: Record<string, unknown>;
}

/** Audit entries written directly (facts that no actor records, e.g. rejected channel callbacks). */
export class PostgresAuditLog {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async record(entry: AuditRecord): Promise<void> {
    const sql = this.#sql;
    await sql`INSERT INTO audit_log (principal, action, target, request_id, detail)
      VALUES (${entry.principal}, ${entry.action}, ${entry.target}, ${entry.requestId},
              ${sql.json(withoutControlCharacters(entry.detail) as postgres.JSONValue)})`;
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: replacing exactly those characters
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/**
 * These entries quote what outsiders sent (a refused callback's fields, unvalidated by definition), and
 * Postgres refuses `\u0000` in jsonb: one NUL in a forged callback turned its refusal into a 500. Control
 * characters in every string are shown as `?`; the entry still says what was refused and why.
 */
export function withoutControlCharacters(value: unknown): unknown {
  if (typeof value === "string") return value.replace(CONTROL_CHARACTERS, "?");
  if (Array.isArray(value)) return value.map(withoutControlCharacters);
  const proto = value !== null && typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, inner] of Object.entries(value as object))
      out[withoutControlCharacters(key) as string] = withoutControlCharacters(inner);
    return out;
  }
  return value;
}
