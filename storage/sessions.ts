import { randomUUID } from "node:crypto";
import type { Sql } from "./postgres/database.ts";
import type { AuditContext } from "./users.ts";

export interface SessionRecord {
  id: string;
  username: string;
  userAgent: string | null;
  ip: string | null;
  secondFactor: boolean;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/** Expired sessions are kept this long (for the audit's sake in the list), then removed at the next login. */
const EXPIRED_KEPT_MS = 24 * 3_600_000;

/**
 * Sign-in sessions (decision 0032): one row per login, its id in the token (`sid`). Revoking marks the
 * row; the token check reads a user's revoked, unexpired sessions with the account (see `UserStore.account`),
 * so every node refuses the session's token within the account cache time.
 */
export class PostgresSessions {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async create(session: {
    username: string;
    userAgent: string | null;
    ip: string | null;
    secondFactor: boolean;
    expiresAt: Date;
  }): Promise<string> {
    const id = randomUUID();
    await this.#sql.begin(async (tx) => {
      await tx`DELETE FROM user_sessions WHERE username = ${session.username}
        AND expires_at < ${new Date(Date.now() - EXPIRED_KEPT_MS)}`;
      await tx`INSERT INTO user_sessions (id, username, user_agent, ip, second_factor, expires_at)
        VALUES (${id}, ${session.username}, ${session.userAgent}, ${session.ip}, ${session.secondFactor},
          ${session.expiresAt})`;
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${session.username}, 'session.create', ${`session/${id}`}, null,
          ${tx.json({ ip: session.ip, secondFactor: session.secondFactor })})`;
    });
    return id;
  }

  /** Records that the session was used (the token check calls this at most once a minute per node). */
  async touch(id: string): Promise<void> {
    await this.#sql`UPDATE user_sessions SET last_seen_at = now() WHERE id = ${id} AND revoked_at IS NULL`;
  }

  /** A user's active sessions, newest first; `after` is the id of the last one of the previous page. */
  async active(username: string, opts: { limit: number; after?: string }): Promise<SessionRecord[]> {
    const after = opts.after
      ? this.#sql`AND (created_at, id) < (SELECT created_at, id FROM user_sessions WHERE id = ${opts.after})`
      : this.#sql``;
    const rows = await this.#sql`SELECT id, username, user_agent, ip, second_factor, created_at, last_seen_at,
        expires_at FROM user_sessions
      WHERE username = ${username} AND revoked_at IS NULL AND expires_at > now() ${after}
      ORDER BY created_at DESC, id DESC LIMIT ${opts.limit}`;
    return rows.map((row) => ({
      id: row.id as string,
      username: row.username as string,
      userAgent: row.user_agent as string | null,
      ip: row.ip as string | null,
      secondFactor: row.second_factor as boolean,
      createdAt: (row.created_at as Date).toISOString(),
      lastSeenAt: (row.last_seen_at as Date).toISOString(),
      expiresAt: (row.expires_at as Date).toISOString(),
    }));
  }

  /** Revokes one of `username`'s active sessions; false when there is none with that id. Audited. */
  async revoke(username: string, id: string, audit: AuditContext): Promise<boolean> {
    return this.#sql.begin(async (tx) => {
      const rows = await tx`UPDATE user_sessions SET revoked_at = now(), revoked_by = ${audit.by}
        WHERE id = ${id} AND username = ${username} AND revoked_at IS NULL AND expires_at > now()
        RETURNING id`;
      if (rows.length === 0) return false;
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${audit.by}, 'session.revoke', ${`session/${id}`}, ${audit.requestId},
          ${tx.json({ username })})`;
      return true;
    });
  }
}
