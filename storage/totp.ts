import { matchTotp, newTotpSecret } from "../platform/totp.ts";
import type { Sql } from "./postgres/database.ts";
import type { SecretBox } from "./secrets.ts";
import type { AuditContext } from "./users.ts";

export type TotpCheck = "ok" | "invalid" | "not-enrolled";

/**
 * The optional TOTP second factor (decision 0032). Secrets are sealed with the node's secrets key
 * (storage/secrets.ts) and leave this class only once, at enrolment. A code is accepted once: the step it
 * matched is stored, and a code of that step or an earlier one is refused (compare-and-set, so two
 * nodes cannot both accept one code).
 */
export class PostgresSecondFactor {
  readonly #sql: Sql;
  readonly #box: SecretBox;
  constructor(sql: Sql, box: SecretBox) {
    this.#sql = sql;
    this.#box = box;
  }

  async status(
    username: string,
  ): Promise<{ enrolled: boolean; pending: boolean; confirmedAt: string | null }> {
    const [row] = await this.#sql`SELECT confirmed_at FROM user_totp WHERE username = ${username}`;
    const confirmedAt = (row?.confirmed_at as Date | null | undefined) ?? null;
    return {
      enrolled: confirmedAt !== null,
      pending: row !== undefined && confirmedAt === null,
      confirmedAt: confirmedAt?.toISOString() ?? null,
    };
  }

  /** Starts (or restarts) an enrolment: a new secret, returned this once. Undefined when one is confirmed. */
  async enrol(username: string, audit: AuditContext): Promise<string | undefined> {
    const secret = newTotpSecret();
    return this.#sql.begin(async (tx) => {
      const rows =
        await tx`INSERT INTO user_totp (username, secret) VALUES (${username}, ${this.#box.seal(secret)})
        ON CONFLICT (username) DO UPDATE SET secret = EXCLUDED.secret, last_step = -1, created_at = now()
          WHERE user_totp.confirmed_at IS NULL
        RETURNING username`;
      if (rows.length === 0) return undefined;
      await audited(tx as unknown as Sql, audit, "totp.enrol", username);
      return secret;
    });
  }

  /** Confirms a pending enrolment with a code; from then on login needs a code. */
  async confirm(username: string, code: string, audit: AuditContext): Promise<TotpCheck> {
    const check = await this.#use(username, code, false);
    if (check !== "ok") return check;
    await this.#sql.begin(async (tx) => {
      await tx`UPDATE user_totp SET confirmed_at = now() WHERE username = ${username}`;
      await audited(tx as unknown as Sql, audit, "totp.confirm", username);
    });
    return "ok";
  }

  /** Whether login needs a code. */
  async enrolled(username: string): Promise<boolean> {
    return (await this.status(username)).enrolled;
  }

  /** Checks a login code of a confirmed enrolment (and uses it up). */
  verify(username: string, code: string): Promise<TotpCheck> {
    return this.#use(username, code, true);
  }

  /** Removes the second factor: with a current code (the user), or without (`user:write`, a lost phone). */
  async disable(username: string, code: string | null, audit: AuditContext): Promise<TotpCheck> {
    if (code !== null) {
      const check = await this.#use(username, code, true);
      if (check !== "ok") return check;
    }
    return this.#sql.begin(async (tx) => {
      const rows = await tx`DELETE FROM user_totp WHERE username = ${username} RETURNING username`;
      if (rows.length === 0) return "not-enrolled";
      await audited(tx as unknown as Sql, audit, "totp.disable", username);
      return "ok";
    });
  }

  async #use(username: string, code: string, confirmed: boolean): Promise<TotpCheck> {
    const [row] = await this
      .#sql`SELECT secret, last_step, confirmed_at FROM user_totp WHERE username = ${username}`;
    if (!row || (row.confirmed_at !== null) !== confirmed) return "not-enrolled";
    const lastStep = Number(row.last_step);
    const step = matchTotp(this.#box.open(row.secret as string), code, Date.now(), lastStep);
    if (step === undefined) return "invalid";
    const used = await this.#sql`UPDATE user_totp SET last_step = ${step}
      WHERE username = ${username} AND last_step < ${step} RETURNING username`;
    return used.length === 1 ? "ok" : "invalid";
  }
}

async function audited(sql: Sql, audit: AuditContext, action: string, username: string): Promise<void> {
  // The secret and codes never reach the audit trail.
  await sql`INSERT INTO audit_log (principal, action, target, request_id, detail)
    VALUES (${audit.by}, ${action}, ${`user/${username}`}, ${audit.requestId}, ${sql.json({})})`;
}
