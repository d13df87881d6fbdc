import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import type {
  ApprovalDelegation,
  ApprovalEvent,
  ApprovalListQuery,
  ApprovalRule,
  ApprovalStatus,
  ApprovalStep,
  ApprovalSummary,
  ApproverIdentity,
  AuditEntry,
} from "../../actors/approval/index.ts";
import type { Sql } from "../postgres/database.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";
import { InvalidCursorError } from "../read-models/cursor.ts";

export { claimExecution, type ExecutionClaim, executionCount } from "./executions.ts";

type Row = Record<string, unknown>;
const iso = (v: unknown) => new Date(v as string | Date).toISOString();

function ruleOf(r: Row): ApprovalRule {
  return {
    id: r.id as string,
    action: r.action as string,
    enabled: r.enabled as boolean,
    threshold: r.threshold === null ? null : Number(r.threshold),
    steps: r.steps as ApprovalStep[],
    expiresInSeconds: r.expires_in_seconds as number,
    description: r.description as string,
    updatedAt: iso(r.updated_at),
    updatedBy: r.updated_by as string,
  };
}

function delegationOf(r: Row): ApprovalDelegation {
  return {
    id: r.id as string,
    delegator: r.delegator as string,
    delegate: r.delegate as string,
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    revoked: r.revoked_at !== null,
  };
}

function summaryOf(r: Row): ApprovalSummary {
  const status = r.status as ApprovalStatus;
  return {
    id: r.id as string,
    action: r.action as string,
    subject: r.subject as string,
    summary: r.summary as string,
    requester: r.requester as string,
    status,
    currentStep: status === "pending" ? (r.step as number) : null,
    createdAt: iso(r.created_at),
    expiresAt: iso(r.expires_at),
    updatedAt: iso(r.updated_at),
  };
}

const encode = (at: Date, id: string) => Buffer.from(`${at.getTime()}|${id}`).toString("base64url");
function decode(cursor: string): { at: Date; id: string } {
  const m = /^(\d{1,15})\|(.{1,64})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!m) throw new InvalidCursorError(cursor);
  return { at: new Date(Number(m[1])), id: m[2]! };
}

async function audit(
  tx: Sql,
  a: AuditEntry,
  action: string,
  target: string,
  detail: Record<string, unknown>,
) {
  await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
    VALUES (${a.by}, ${action}, ${target}, ${a.requestId}, ${tx.json(detail as postgres.JSONValue)})`;
}

/** Rules, delegations and the approvals list in Postgres (migration 0029). */
export class PostgresApprovals {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async rules(): Promise<ApprovalRule[]> {
    return (await this.#sql`SELECT * FROM approval_rules ORDER BY action, id`).map(ruleOf);
  }

  async rule(id: string): Promise<ApprovalRule | null> {
    const [row] = await this.#sql`SELECT * FROM approval_rules WHERE id = ${id}`;
    return row ? ruleOf(row) : null;
  }

  async putRule(rule: Omit<ApprovalRule, "updatedAt" | "updatedBy">, a: AuditEntry) {
    return this.#sql.begin(async (tx) => {
      const [row] = await tx`INSERT INTO approval_rules
          (id, action, enabled, threshold, steps, expires_in_seconds, description, updated_at, updated_by)
        VALUES (${rule.id}, ${rule.action}, ${rule.enabled}, ${rule.threshold},
          ${tx.json(rule.steps as unknown as postgres.JSONValue)}, ${rule.expiresInSeconds}, ${rule.description},
          now(), ${a.by})
        ON CONFLICT (id) DO UPDATE SET action = EXCLUDED.action, enabled = EXCLUDED.enabled,
          threshold = EXCLUDED.threshold, steps = EXCLUDED.steps,
          expires_in_seconds = EXCLUDED.expires_in_seconds, description = EXCLUDED.description,
          updated_at = now(), updated_by = EXCLUDED.updated_by
        RETURNING *, (xmax = 0) AS created`;
      await audit(tx as unknown as Sql, a, "approval.rule.put", `approval-rule/${rule.id}`, {
        action: rule.action,
        enabled: rule.enabled,
        threshold: rule.threshold,
        steps: rule.steps,
        expiresInSeconds: rule.expiresInSeconds,
      });
      return { created: Boolean(row!.created), rule: ruleOf(row!) };
    });
  }

  async deleteRule(id: string, a: AuditEntry): Promise<boolean> {
    return this.#sql.begin(async (tx) => {
      const rows = await tx`DELETE FROM approval_rules WHERE id = ${id} RETURNING id`;
      if (rows.length === 0) return false;
      await audit(tx as unknown as Sql, a, "approval.rule.delete", `approval-rule/${id}`, {});
      return true;
    });
  }

  async matchRule(action: string, measure: number | null): Promise<ApprovalRule | null> {
    const [row] = await this.#sql`SELECT * FROM approval_rules
      WHERE enabled AND action = ${action}
        AND (threshold IS NULL OR (${measure}::numeric IS NOT NULL AND ${measure}::numeric >= threshold))
      ORDER BY threshold DESC NULLS LAST, id LIMIT 1`;
    return row ? ruleOf(row) : null;
  }

  async delegatorsOf(delegate: string): Promise<ApproverIdentity[]> {
    const rows = await this.#sql`SELECT DISTINCT d.delegator, u.roles FROM approval_delegations d
      JOIN users u ON u.username = d.delegator
      WHERE d.delegate = ${delegate} AND d.revoked_at IS NULL AND NOT u.disabled
        AND d.starts_at <= now() AND d.ends_at > now()
      ORDER BY d.delegator LIMIT 50`;
    return rows.map((r) => ({ username: r.delegator as string, roles: r.roles as string[] }));
  }

  async delegations(username: string): Promise<ApprovalDelegation[]> {
    const rows = await this.#sql`SELECT * FROM approval_delegations
      WHERE (delegator = ${username} OR delegate = ${username}) AND revoked_at IS NULL AND ends_at > now()
      ORDER BY starts_at, id LIMIT 200`;
    return rows.map(delegationOf);
  }

  async addDelegation(
    d: { delegator: string; delegate: string; startsAt: Date; endsAt: Date },
    a: AuditEntry,
  ) {
    const id = `dlg_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
    return this.#sql.begin(async (tx) => {
      const [row] = await tx`INSERT INTO approval_delegations (id, delegator, delegate, starts_at, ends_at)
        VALUES (${id}, ${d.delegator}, ${d.delegate}, ${d.startsAt}, ${d.endsAt}) RETURNING *`;
      await audit(tx as unknown as Sql, a, "approval.delegation.add", `approval-delegation/${id}`, {
        delegator: d.delegator,
        delegate: d.delegate,
        startsAt: d.startsAt.toISOString(),
        endsAt: d.endsAt.toISOString(),
      });
      return delegationOf(row!);
    });
  }

  async revokeDelegation(id: string, delegator: string, a: AuditEntry): Promise<boolean> {
    return this.#sql.begin(async (tx) => {
      const rows = await tx`UPDATE approval_delegations SET revoked_at = now()
        WHERE id = ${id} AND delegator = ${delegator} AND revoked_at IS NULL RETURNING id`;
      if (rows.length === 0) return false;
      await audit(tx as unknown as Sql, a, "approval.delegation.revoke", `approval-delegation/${id}`, {});
      return true;
    });
  }

  async list(q: ApprovalListQuery): Promise<{ items: ApprovalSummary[]; nextCursor: string | null }> {
    const sql = this.#sql;
    const after = q.cursor === undefined ? null : decode(q.cursor);
    const d = q.decidableBy;
    const names = d ? [d.self.username, ...d.delegators.map((x) => x.username)] : [];
    const roles = d ? [...new Set([...d.self.roles, ...d.delegators.flatMap((x) => x.roles)])] : [];
    const rows = await sql`SELECT * FROM approvals WHERE true
      ${q.status ? sql`AND status = ${q.status}` : sql``}
      ${
        d
          ? sql`AND status = 'pending' AND requester <> ${d.self.username}
              AND NOT (${d.self.username} = ANY(step_deciders))
              AND (step_users && ${names}::text[] OR step_roles && ${roles}::text[])`
          : sql``
      }
      ${after ? sql`AND (created_at, id) < (${after.at}, ${after.id})` : sql``}
      ORDER BY created_at DESC, id DESC LIMIT ${q.limit + 1}`;
    const items = rows.slice(0, q.limit).map(summaryOf);
    const last = rows.length > q.limit ? rows[q.limit - 1] : undefined;
    return {
      items,
      nextCursor: last ? encode(new Date(last.created_at as string), last.id as string) : null,
    };
  }
}

const TERMINAL: Partial<Record<ApprovalEvent["type"], ApprovalStatus>> = {
  approved: "approved",
  rejected: "rejected",
  expired: "expired",
};

/**
 * The approvals list, projected from the approval actors' events (rows guarded by version = log
 * sequence): status, and the current step's roles, users and who decided it already, so an approver's
 * list shows what they can decide. Decisions reach the audit log through the audit projection (every
 * actor command is a row there, by its principal).
 */
export const approvalProjection: ReadModelProjection = {
  name: "approvals",
  orderSensitive: ["approval"],
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "approval") continue;
      for (const e of batch.ev as ApprovalEvent[]) await applyApproval(tx, ref.id, seq, e);
    }
  },
};

async function applyApproval(tx: ProjectionTx, id: string, seq: number, e: ApprovalEvent) {
  const at = new Date(e.at);
  if (e.type === "opened") {
    const first = e.steps[0]!;
    await tx`INSERT INTO approvals (id, action, subject, summary, requester, rule_id, status, step, steps,
        step_roles, step_users, created_at, expires_at, updated_at, version)
      VALUES (${id}, ${e.action}, ${e.subject}, ${e.summary}, ${e.requester}, ${e.ruleId}, 'pending', 0,
        ${tx.json(e.steps as unknown as postgres.JSONValue)}, ${first.roles}, ${first.users}, ${at},
        ${new Date(e.expiresAt)}, ${at}, ${seq})
      ON CONFLICT (id) DO NOTHING`;
    return;
  }
  const [row] = await tx`SELECT step, steps, step_approvals, step_deciders, version FROM approvals
    WHERE id = ${id} FOR UPDATE`;
  if (!row || Number(row.version) > seq) return;
  if (e.type === "decided") {
    if (e.decision !== "approve" || e.step !== row.step) {
      await tx`UPDATE approvals SET updated_at = ${at}, version = ${seq} WHERE id = ${id}`;
      return;
    }
    const steps = row.steps as ApprovalStep[];
    const approvals = (row.step_approvals as number) + 1;
    if (approvals >= steps[e.step]!.required) {
      const next = steps[e.step + 1];
      await tx`UPDATE approvals SET step = ${e.step + 1}, step_approvals = 0, step_deciders = '{}',
          step_roles = ${next?.roles ?? []}, step_users = ${next?.users ?? []}, updated_at = ${at}, version = ${seq}
        WHERE id = ${id}`;
      return;
    }
    const deciders = [...(row.step_deciders as string[]), e.by, ...(e.onBehalfOf ? [e.onBehalfOf] : [])];
    await tx`UPDATE approvals SET step_approvals = ${approvals}, step_deciders = ${deciders},
        updated_at = ${at}, version = ${seq} WHERE id = ${id}`;
    return;
  }
  const status: ApprovalStatus | undefined =
    e.type === "executed" ? (e.ok ? "executed" : "failed") : TERMINAL[e.type];
  if (status)
    await tx`UPDATE approvals SET status = ${status}, updated_at = ${at}, version = ${seq} WHERE id = ${id}`;
}
