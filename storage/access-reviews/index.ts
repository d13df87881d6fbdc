import type postgres from "postgres";
import type {
  AccessReviewSettings,
  CampaignRecord,
  ItemStatus,
  OnExpiry,
  OutcomeCounts,
  ReviewDecision,
  ReviewItemRecord,
} from "../../actors/access-review/index.ts";
import { DomainError } from "../../actors/runtime/index.ts";
import type { Sql } from "../postgres/database.ts";
import { decodeCursor, encodeCursor, InvalidCursorError } from "../read-models/cursor.ts";

/**
 * Access review campaigns and items in Postgres (migration 0031, decision 0036). Starting is fenced by
 * the job run's attempt; a decision and its revocation (role removed, token version bumped) and the
 * audit row are one transaction; closing expires every unanswered item per the campaign's policy, once.
 */
export interface ReviewAudit {
  by: string;
  requestId: string | null;
}

const SYSTEM = "system:access-review";
const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);
type Row = postgres.Row;

function itemOf(r: Row): ReviewItemRecord {
  return {
    id: r.id as string,
    campaign: r.campaign as string,
    user: r.username as string,
    role: r.role as string,
    manager: r.manager as string,
    status: r.status as ItemStatus,
    decision: (r.decision as ReviewDecision | null) ?? null,
    expiry: (r.expiry as "revoked" | "kept" | null) ?? null,
    flagged: r.expiry === "kept",
    decidedBy: (r.decided_by as string | null) ?? null,
    decidedAt: iso(r.decided_at),
    comment: (r.comment as string | null) ?? null,
  };
}

const emptyCounts = (): OutcomeCounts => ({
  items: 0,
  confirmed: 0,
  revoked: 0,
  expiredRevoked: 0,
  expiredKept: 0,
  pending: 0,
});

async function countsOf(sql: Sql, campaigns: string[]): Promise<Map<string, OutcomeCounts>> {
  const out = new Map<string, OutcomeCounts>(campaigns.map((c) => [c, emptyCounts()]));
  if (campaigns.length === 0) return out;
  const rows = await sql`SELECT campaign, status, expiry, count(*)::int AS n FROM access_review_items
    WHERE campaign = ANY(${campaigns}) GROUP BY campaign, status, expiry`;
  for (const r of rows) {
    const c = out.get(r.campaign as string);
    if (!c) continue;
    const n = Number(r.n);
    c.items += n;
    if (r.status === "pending") c.pending += n;
    else if (r.status === "confirmed") c.confirmed += n;
    else if (r.status === "revoked") c.revoked += n;
    else if (r.expiry === "revoked") c.expiredRevoked += n;
    else c.expiredKept += n;
  }
  return out;
}

async function audit(
  sql: Sql,
  who: ReviewAudit,
  action: string,
  target: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await sql`INSERT INTO audit_log (principal, action, target, request_id, detail)
    VALUES (${who.by}, ${action}, ${target}, ${who.requestId}, ${sql.json(detail as never)})`;
}

/** Takes `role` away from `username` and revokes every token they hold (the token-version path). */
async function revokeGrant(sql: Sql, username: string, role: string, who: ReviewAudit, why: string) {
  const rows = await sql`UPDATE users SET roles = array_remove(roles, ${role}),
      token_version = token_version + 1, updated_at = now()
    WHERE username = ${username} RETURNING roles`;
  if (rows.length === 0) return;
  await audit(sql, who, "user.update", `user/${username}`, {
    roles: rows[0]!.roles as string[],
    removedRole: role,
    reason: why,
  });
}

export class PostgresAccessReviews {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async settings(): Promise<AccessReviewSettings> {
    const [r] = await this.#sql`SELECT * FROM access_review_settings WHERE id = 1`;
    if (!r) return { onExpiry: "revoke", durationSeconds: 1_209_600, updatedAt: "", updatedBy: "system" };
    return {
      onExpiry: r.on_expiry as OnExpiry,
      durationSeconds: Number(r.duration_seconds),
      updatedAt: iso(r.updated_at) ?? "",
      updatedBy: r.updated_by as string,
    };
  }

  async putSettings(
    change: { onExpiry?: OnExpiry; durationSeconds?: number },
    who: ReviewAudit,
  ): Promise<AccessReviewSettings> {
    await this.#sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      await sql`INSERT INTO access_review_settings (id, on_expiry, duration_seconds, updated_at, updated_by)
        VALUES (1, ${change.onExpiry ?? "revoke"}, ${change.durationSeconds ?? 1_209_600}, now(), ${who.by})
        ON CONFLICT (id) DO UPDATE SET
          on_expiry = COALESCE(${change.onExpiry ?? null}::text, access_review_settings.on_expiry),
          duration_seconds = COALESCE(${change.durationSeconds ?? null}::int, access_review_settings.duration_seconds),
          updated_at = now(), updated_by = EXCLUDED.updated_by`;
      await audit(sql, who, "access_review.configure", "access-review/settings", change);
    });
    return this.settings();
  }

  /**
   * Starts the campaign of a job run: snapshots every (user, role) grant of users with a manager, with
   * the policy as it is now. Fenced by the run's attempt (a superseded attempt writes nothing, answers
   * null); a retry of the same run finds its campaign and returns it unchanged.
   */
  async start(
    campaign: string,
    run: { runId: string; attempt: number },
    now: number,
  ): Promise<{ campaign: CampaignRecord; created: boolean } | null> {
    const created = await this.#sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      const [current] = await sql`SELECT 1 FROM job_run_attempts
        WHERE run_id = ${run.runId} AND attempt = ${run.attempt} FOR SHARE`;
      if (!current) return null;
      const [policy] = await sql`SELECT on_expiry, duration_seconds FROM access_review_settings WHERE id = 1`;
      const onExpiry = (policy?.on_expiry as string | undefined) ?? "revoke";
      const deadline = new Date(now + Number(policy?.duration_seconds ?? 1_209_600) * 1000);
      const inserted = await sql`INSERT INTO access_review_campaigns
          (id, run_id, started_at, deadline, on_expiry, started_by)
        VALUES (${campaign}, ${run.runId}, ${new Date(now)}, ${deadline}, ${onExpiry}, 'system:job')
        ON CONFLICT (id) DO NOTHING RETURNING id`;
      if (inserted.length === 0) return false;
      const items = await sql`INSERT INTO access_review_items (campaign, id, username, role, manager)
        SELECT ${campaign}, (row_number() OVER (ORDER BY u.username, g.role))::text, u.username, g.role, u.manager
        FROM users u CROSS JOIN LATERAL unnest(u.roles) AS g(role)
        WHERE u.manager IS NOT NULL
        RETURNING id`;
      await audit(
        sql,
        { by: "system:job", requestId: null },
        "access_review.start",
        `access-review/${campaign}`,
        {
          runId: run.runId,
          items: items.length,
          deadline: deadline.toISOString(),
          onExpiry,
        },
      );
      return true;
    });
    if (created === null) return null;
    const record = await this.campaign(campaign);
    return record ? { campaign: record, created } : null;
  }

  /**
   * The deadline: every unanswered item expires per the campaign's policy (revoke: the role is removed and
   * the user's tokens revoked; keep: kept and flagged), the campaign closes, all in one transaction.
   * Closing a closed campaign answers its counts again (the closer runs at least once).
   */
  async close(campaign: string): Promise<OutcomeCounts> {
    await this.#sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      const [c] =
        await sql`SELECT status, on_expiry FROM access_review_campaigns WHERE id = ${campaign} FOR UPDATE`;
      if (!c) throw new DomainError("not_found", `no access review campaign ${campaign}`);
      if (c.status === "closed") return;
      const onExpiry = c.on_expiry as OnExpiry;
      const who = { by: SYSTEM, requestId: null };
      const expired = await sql`UPDATE access_review_items SET status = 'expired',
          expiry = ${onExpiry === "revoke" ? "revoked" : "kept"}, decided_by = ${SYSTEM}, decided_at = now()
        WHERE campaign = ${campaign} AND status = 'pending' RETURNING id, username, role`;
      for (const item of expired) {
        if (onExpiry === "revoke")
          await revokeGrant(
            sql,
            item.username as string,
            item.role as string,
            who,
            `access review ${campaign} expired`,
          );
        await audit(sql, who, "access_review.expire", `access-review/${campaign}/${item.id}`, {
          user: item.username,
          role: item.role,
          expiry: onExpiry === "revoke" ? "revoked" : "kept",
        });
      }
      await sql`UPDATE access_review_campaigns SET status = 'closed', closed_at = now() WHERE id = ${campaign}`;
      const counts = (await countsOf(sql, [campaign])).get(campaign) ?? emptyCounts();
      await audit(sql, who, "access_review.close", `access-review/${campaign}`, { counts });
    });
    return (await countsOf(this.#sql, [campaign])).get(campaign) ?? emptyCounts();
  }

  /**
   * A manager's decisions on items of one campaign, all or nothing. Unknown item: not_found; another
   * manager's item: forbidden; a closed campaign or a different decision than the one recorded: conflict;
   * the same decision again changes nothing. A revoke removes the role and revokes the user's tokens.
   */
  async decide(
    campaign: string,
    decisions: ReadonlyArray<{ item: string; decision: ReviewDecision; comment?: string }>,
    who: ReviewAudit,
  ): Promise<{ items: ReviewItemRecord[]; revokedUsers: string[] }> {
    const seen = new Set<string>();
    for (const [i, d] of decisions.entries()) {
      if (seen.has(d.item))
        throw new DomainError("invalid", `item ${d.item} appears twice`, { field: `items.${i}.item` });
      seen.add(d.item);
    }
    return this.#sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      const [c] = await sql`SELECT status, deadline <= now() AS past FROM access_review_campaigns
        WHERE id = ${campaign} FOR SHARE`;
      if (!c) throw new DomainError("not_found", `no access review campaign ${campaign}`);
      const ids = decisions.map((d) => d.item);
      const rows =
        await sql`SELECT * FROM access_review_items WHERE campaign = ${campaign} AND id = ANY(${ids})
        ORDER BY seq FOR UPDATE`;
      const byId = new Map(rows.map((r) => [r.id as string, r]));
      const items: ReviewItemRecord[] = [];
      const revokedUsers: string[] = [];
      for (const [i, d] of decisions.entries()) {
        const field = decisions.length === 1 ? "item" : `items.${i}.item`;
        const row = byId.get(d.item);
        if (!row) throw new DomainError("not_found", `no item ${d.item} in campaign ${campaign}`, { field });
        if (row.manager !== who.by)
          throw new DomainError("forbidden", `item ${d.item} is not on your team (manager ${row.manager})`, {
            field,
          });
        if (row.decision === d.decision) {
          items.push(itemOf(row));
          continue;
        }
        if (row.status !== "pending")
          throw new DomainError(
            "conflict",
            row.status === "expired"
              ? `item ${d.item} expired at the deadline`
              : `item ${d.item} was already decided: ${row.decision}`,
            { field, status: row.status },
          );
        // Past the deadline the campaign's timer decides, even if it has not fired yet.
        if (c.status !== "open" || c.past)
          throw new DomainError("conflict", `campaign ${campaign} is past its deadline`, { field });
        const status = d.decision === "confirm" ? "confirmed" : "revoked";
        const [updated] =
          await sql`UPDATE access_review_items SET status = ${status}, decision = ${d.decision},
            decided_by = ${who.by}, decided_at = now(), comment = ${d.comment ?? null}
          WHERE seq = ${row.seq as number} RETURNING *`;
        if (d.decision === "revoke") {
          await revokeGrant(
            sql,
            row.username as string,
            row.role as string,
            who,
            `access review ${campaign}`,
          );
          revokedUsers.push(row.username as string);
        }
        await audit(sql, who, "access_review.decide", `access-review/${campaign}/${d.item}`, {
          user: row.username,
          role: row.role,
          decision: d.decision,
          ...(d.comment !== undefined ? { comment: d.comment } : {}),
        });
        items.push(itemOf(updated!));
      }
      return { items, revokedUsers };
    });
  }

  async campaign(id: string): Promise<CampaignRecord | undefined> {
    const rows = await this.#sql`SELECT * FROM access_review_campaigns WHERE id = ${id}`;
    return (await this.#campaigns(rows))[0];
  }

  /** Campaigns, newest first, cursor-paged. */
  async campaigns(limit: number, cursor?: string) {
    const after = cursor ? decodeCursor(cursor) : undefined;
    if (cursor && !after) throw new InvalidCursorError(cursor);
    const below = after ? after.seq : Number.MAX_SAFE_INTEGER;
    const rows = await this.#sql`SELECT * FROM access_review_campaigns WHERE seq < ${below}
      ORDER BY seq DESC LIMIT ${limit}`;
    const last = rows.at(-1);
    return {
      items: await this.#campaigns(rows),
      nextCursor: rows.length === limit && last ? encodeCursor(Number(last.seq), 0) : null,
    };
  }

  /** A campaign's items in order, optionally only one manager's or one status; undefined: no campaign. */
  async items(
    campaign: string,
    filter: { manager?: string; status?: ItemStatus },
    limit: number,
    cursor?: string,
  ): Promise<{ items: ReviewItemRecord[]; nextCursor: string | null } | undefined> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    if (cursor && !after) throw new InvalidCursorError(cursor);
    const sql = this.#sql;
    const [c] = await sql`SELECT 1 FROM access_review_campaigns WHERE id = ${campaign}`;
    if (!c) return undefined;
    const rows = await sql`SELECT * FROM access_review_items WHERE campaign = ${campaign}
        AND seq > ${after ? after.seq : 0}
        ${filter.manager !== undefined ? sql`AND manager = ${filter.manager}` : sql``}
        ${filter.status !== undefined ? sql`AND status = ${filter.status}` : sql``}
      ORDER BY seq LIMIT ${limit}`;
    const last = rows.at(-1);
    return {
      items: rows.map(itemOf),
      nextCursor: rows.length === limit && last ? encodeCursor(Number(last.seq), 0) : null,
    };
  }

  async #campaigns(rows: readonly Row[]): Promise<CampaignRecord[]> {
    const counts = await countsOf(
      this.#sql,
      rows.map((r) => r.id as string),
    );
    return rows.map((r) => ({
      id: r.id as string,
      runId: r.run_id as string,
      status: r.status as "open" | "closed",
      startedAt: iso(r.started_at) ?? "",
      startedBy: r.started_by as string,
      deadline: iso(r.deadline) ?? "",
      closedAt: iso(r.closed_at),
      onExpiry: r.on_expiry as OnExpiry,
      counts: counts.get(r.id as string) ?? emptyCounts(),
    }));
  }
}
