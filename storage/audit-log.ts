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
              ${sql.json(entry.detail as postgres.JSONValue)})`;
  }
}
