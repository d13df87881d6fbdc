import { randomBytes } from "node:crypto";
import { type DataScope, type Grant, normalizeScope } from "../actors/permissions/index.ts";
import { createPasswordHasher, type PasswordHasher } from "../platform/password.ts";
import { claimExecution, type ExecutionClaim } from "./approvals/executions.ts";
import type { Sql } from "./postgres/database.ts";
import { BuiltInRoleError, InvalidManagerError, UnknownRoleError } from "./user-errors.ts";

export { BuiltInRoleError, InvalidManagerError, UnknownRoleError };

export interface UserRecord {
  username: string;
  roles: string[];
  /** Effective permissions: the union of the user's roles' permissions, as they are now. */
  permissions: string[];
  disabled: boolean;
  tokenVersion: number;
  /** Each role held, with its permissions and data scope (decision 0033). */
  grants: Grant[];
  /** The user's manager (reviews their grants, decision 0036), or null. */
  manager: string | null;
}

export interface UserSummary {
  username: string;
  roles: string[];
  disabled: boolean;
  manager: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RoleRecord {
  name: string;
  permissions: string[];
  description: string;
  builtIn: boolean;
  /** What the role's grant is limited to (decision 0033); absent: not limited. */
  scope?: DataScope;
}

/** Who made a change, for the audit log. */
export interface AuditContext {
  by: string;
  requestId: string | null;
}

/**
 * Built-in roles, one per area of the back office. Permissions are `area:action`; `*` grants everything
 * and `area:*` a whole area. They are rewritten from this table on every start, so they cannot be edited
 * through the API (define a custom role instead).
 */
export const BUILTIN_ROLES: ReadonlyMap<string, { permissions: readonly string[]; description: string }> =
  new Map([
    ["admin", { permissions: ["*"], description: "Everything" }],
    [
      "inventory_manager",
      {
        permissions: [
          "approval:read",
          "approval:decide",
          "inventory:read",
          "inventory:write",
          "inventory:hold",
          "warehouse:read",
          "warehouse:write",
          "product:read",
          "product:write",
          "audit:read",
          "supplier:read",
          "supplier:review",
          "purchase:read",
          "purchase:approve",
        ],
        description: "Stock, holds, warehouses and prices; supplier reviews and PO approvals",
      },
    ],
    [
      "order_manager",
      {
        permissions: [
          "approval:read",
          "approval:decide",
          "order:read",
          "order:write",
          "order:fulfil",
          "order:approve",
          "customer:pii",
          "pii:phone",
          "pii:address",
          "pii:email",
          "member:read",
          "payment:read",
          "inventory:read",
          "warehouse:read",
          "product:read",
          "review:read",
          "review:write",
          "coupon:read",
          "coupon:claim",
          "promotion:read",
        ],
        description: "Orders, shipping and after-sales, with customer contact data; reviews for buyers",
      },
    ],
    [
      "finance",
      {
        permissions: [
          "approval:read",
          "approval:decide",
          "payment:read",
          "payment:write",
          "payment:reconcile",
          "order:read",
          "audit:read",
          "purchase:read",
          "supplier:read",
          "pii:bank_card",
        ],
        description: "Payments, refunds and reconciliation; suppliers' bank accounts (payables)",
      },
    ],
    [
      "customer_service",
      {
        permissions: [
          "member:read",
          "order:read",
          "customer:pii",
          "pii:phone",
          "pii:address",
          "pii:email",
          "payment:read",
          "review:read",
          "coupon:read",
        ],
        description: "Members and their orders, with contact data",
      },
    ],
    [
      "operator",
      {
        permissions: [
          "ops:read",
          "ops:write",
          "audit:read",
          "inventory:read",
          "order:read",
          "jobs:read",
          "jobs:run",
          "jobs:write",
          "notification:read",
          "notification:ack",
          "webhook:read",
          "webhook:write",
        ],
        description: "Operations: projector dead letters, scheduled jobs, readiness, audit",
      },
    ],
    [
      "user_admin",
      {
        permissions: [
          "approval:read",
          "approval:decide",
          "user:read",
          "user:write",
          "audit:read",
          "session:read",
          "session:revoke",
          "access_review:read",
          "access_review:configure",
        ],
        description: "Staff accounts and roles, sign-in sessions; access review campaigns and their policy",
      },
    ],
    [
      "access_reviewer",
      {
        permissions: ["access_review:read", "access_review:decide"],
        description: "Managers: confirm or revoke their team's role grants in access reviews",
      },
    ],
    [
      "review_moderator",
      {
        permissions: ["review:read", "review:moderate"],
        description: "Review moderation, replies and the blocked-word list",
      },
    ],
    [
      "catalogue_manager",
      {
        permissions: [
          "approval:read",
          "approval:decide",
          "product:read",
          "product:write",
          "inventory:read",
          "warehouse:read",
          "audit:read",
        ],
        description: "Categories, products, SKUs, listing and list prices",
      },
    ],
    [
      "marketing",
      {
        permissions: [
          "promotion:read",
          "promotion:write",
          "product:read",
          "coupon:read",
          "coupon:write",
          "coupon:claim",
          "segment:read",
          "segment:write",
          "segment:push",
          "cms:read",
          "cms:write",
        ],
        description:
          "Promotions: 满减, discounts, gifts, free shipping; coupons; member tags, segments and pushes",
      },
    ],
    [
      "purchaser",
      {
        permissions: [
          "approval:read",
          "approval:decide",
          "supplier:read",
          "supplier:write",
          "supplier:contact",
          "purchase:read",
          "purchase:write",
          "purchase:approve",
          "purchase:receive",
          "inventory:read",
          "warehouse:read",
          "product:read",
        ],
        description: "Suppliers, purchase plans and purchase orders, receiving",
      },
    ],
    [
      "viewer",
      {
        permissions: ["inventory:read", "warehouse:read", "product:read"],
        description: "Read only: stock and prices",
      },
    ],
  ]);

/** Staff accounts and roles in Postgres. Passwords are hashed off the event loop by the given hasher. */
export class UserStore {
  readonly #sql: Sql;
  readonly #hasher: PasswordHasher;
  #dummyHash: Promise<string> | undefined;

  constructor(sql: Sql, hasher: PasswordHasher = createPasswordHasher()) {
    this.#sql = sql;
    this.#hasher = hasher;
  }

  async ensureRoles(): Promise<void> {
    for (const [name, role] of BUILTIN_ROLES) {
      await this.#sql`INSERT INTO roles (name, permissions, description)
        VALUES (${name}, ${[...role.permissions]}, ${role.description})
        ON CONFLICT (name) DO UPDATE SET permissions = EXCLUDED.permissions, description = EXCLUDED.description`;
    }
  }

  /** Creates `admin` on first start; returns true if it was created now. */
  async ensureAdmin(password: string): Promise<boolean> {
    // Every start gets here: hash (tens of ms of CPU) only when admin is actually missing.
    const [existing] = await this.#sql`SELECT 1 FROM users WHERE username = 'admin'`;
    if (existing) return false;
    const hash = await this.#hasher.hash(password);
    const rows = await this.#sql`INSERT INTO users (username, password_hash, roles)
      VALUES ('admin', ${hash}, ${["admin"]}) ON CONFLICT (username) DO NOTHING RETURNING username`;
    return rows.length === 1;
  }

  /** Whether `password` is the user's password, whatever the user's state (start-up checks, scripts). */
  async passwordMatches(username: string, password: string): Promise<boolean> {
    const rows = await this.#sql`SELECT password_hash FROM users WHERE username = ${username}`;
    if (!rows[0]) return false;
    return this.#hasher.verify(password, rows[0].password_hash as string);
  }

  /** Creates or replaces a user (tests, seeding). The API uses `add`, which refuses an existing name. */
  async create(username: string, password: string, roles: string[]): Promise<void> {
    const hash = await this.#hasher.hash(password);
    await this.#sql`INSERT INTO users (username, password_hash, roles) VALUES (${username}, ${hash}, ${roles})
      ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, roles = EXCLUDED.roles,
        token_version = users.token_version + 1, updated_at = now()`;
  }

  /** Adds a user; false if the name is taken. Throws `UnknownRoleError`. */
  async add(
    user: { username: string; password: string; roles: string[]; manager?: string | null },
    audit: AuditContext,
  ): Promise<boolean> {
    const hash = await this.#hasher.hash(user.password);
    return this.#sql.begin(async (tx) => {
      await assertRolesExist(tx as unknown as Sql, user.roles);
      const manager = user.manager ?? null;
      if (manager !== null) await assertManager(tx as unknown as Sql, user.username, manager);
      const rows = await tx`INSERT INTO users (username, password_hash, roles, manager)
        VALUES (${user.username}, ${hash}, ${user.roles}, ${manager})
        ON CONFLICT (username) DO NOTHING RETURNING username`;
      if (rows.length === 0) return false;
      await auditRow(tx as unknown as Sql, audit, "user.create", `user/${user.username}`, {
        roles: user.roles,
        ...(manager !== null ? { manager } : {}),
      });
      return true;
    });
  }

  /**
   * Changes roles and/or the disabled flag. Disabling bumps the token version, so re-enabling later does
   * not bring old tokens back. Returns undefined for an unknown user; throws `UnknownRoleError`.
   */
  async update(
    username: string,
    change: { roles?: string[]; disabled?: boolean; manager?: string | null },
    audit: AuditContext,
    once?: ExecutionClaim,
  ): Promise<UserRecord | undefined> {
    const found = await this.#sql.begin(async (tx) => {
      // An approved change re-sent after a crash finds its claim: it ran already, nothing changes twice.
      if (once && !(await claimExecution(tx as unknown as Sql, once))) return true;
      if (change.roles) await assertRolesExist(tx as unknown as Sql, change.roles);
      if (typeof change.manager === "string")
        await assertManager(tx as unknown as Sql, username, change.manager);
      const rows = await tx`UPDATE users SET
          roles = COALESCE(${change.roles ?? null}::text[], roles),
          disabled = COALESCE(${change.disabled ?? null}::boolean, disabled),
          manager = CASE WHEN ${change.manager !== undefined} THEN ${change.manager ?? null}::text ELSE manager END,
          token_version = token_version + CASE WHEN ${change.disabled === true} AND NOT disabled THEN 1 ELSE 0 END,
          updated_at = now()
        WHERE username = ${username} RETURNING username`;
      if (rows.length === 0) return false;
      await auditRow(tx as unknown as Sql, audit, "user.update", `user/${username}`, change);
      return true;
    });
    return found ? this.find(username) : undefined;
  }

  /** Sets a new password and revokes every token issued before. False for an unknown user. */
  async setPassword(username: string, password: string, audit: AuditContext): Promise<boolean> {
    const hash = await this.#hasher.hash(password);
    return this.#sql.begin(async (tx) => {
      const rows = await tx`UPDATE users SET password_hash = ${hash}, token_version = token_version + 1,
        updated_at = now() WHERE username = ${username} RETURNING username`;
      if (rows.length === 0) return false;
      // The password itself never reaches the log or the audit trail.
      await auditRow(tx as unknown as Sql, audit, "user.password", `user/${username}`, {});
      return true;
    });
  }

  /** Revokes every token of a user issued so far. False for an unknown user. */
  async revokeTokens(username: string, audit: AuditContext): Promise<boolean> {
    return this.#sql.begin(async (tx) => {
      const rows = await tx`UPDATE users SET token_version = token_version + 1, updated_at = now()
        WHERE username = ${username} RETURNING username`;
      if (rows.length === 0) return false;
      await auditRow(tx as unknown as Sql, audit, "user.revoke-tokens", `user/${username}`, {});
      return true;
    });
  }

  /** Checks a password off the event loop; unknown users cost the same hash, so timing does not reveal them. */
  async verify(username: string, password: string): Promise<UserRecord | undefined> {
    const rows = await this.#sql`SELECT password_hash, disabled FROM users WHERE username = ${username}`;
    const row = rows[0];
    const hash = (row?.password_hash as string | undefined) ?? (await this.#dummy());
    const ok = await this.#hasher.verify(password, hash);
    if (!row || !ok || row.disabled) return undefined;
    return this.find(username);
  }

  /**
   * The account's current state, as the token check reads it (see `TokenService`), with the ids of its
   * revoked sessions that have not expired yet (their tokens are refused; decision 0032).
   */
  async account(username: string): Promise<(UserRecord & { revokedSessions: string[] }) | undefined> {
    const [user, revoked] = await Promise.all([
      this.find(username),
      this.#sql`SELECT id FROM user_sessions
        WHERE username = ${username} AND revoked_at IS NOT NULL AND expires_at > now()`,
    ]);
    return user && { ...user, revokedSessions: revoked.map((row) => row.id as string) };
  }

  async find(username: string): Promise<UserRecord | undefined> {
    const rows = await this.#sql`
      SELECT u.username, u.roles, u.disabled, u.token_version, u.manager,
        COALESCE(array_agg(DISTINCT p) FILTER (WHERE p IS NOT NULL), '{}') AS permissions,
        (SELECT COALESCE(json_agg(json_build_object('role', g.name, 'permissions', g.permissions, 'scope', g.scope)
           ORDER BY g.name), '[]') FROM roles g WHERE g.name = ANY(u.roles)) AS grants
      FROM users u LEFT JOIN roles r ON r.name = ANY(u.roles) LEFT JOIN LATERAL unnest(r.permissions) p ON true
      WHERE u.username = ${username} GROUP BY u.username`;
    const row = rows[0];
    if (!row) return undefined;
    const grants = (
      row.grants as Array<{ role: string; permissions: string[]; scope: DataScope | null }>
    ).map((g) => {
      const scope = normalizeScope(g.scope);
      return { role: g.role, permissions: g.permissions, ...(scope ? { scope } : {}) };
    });
    return {
      username: row.username as string,
      roles: row.roles as string[],
      permissions: row.permissions as string[],
      disabled: row.disabled as boolean,
      tokenVersion: row.token_version as number,
      grants,
      manager: (row.manager as string | null) ?? null,
    };
  }

  /** Users ordered by name; `after` is the last name of the previous page. */
  async list(opts: { limit: number; after?: string }): Promise<UserSummary[]> {
    const rows = await this.#sql`
      SELECT username, roles, disabled, manager, created_at, updated_at FROM users
      WHERE ${opts.after !== undefined ? this.#sql`username > ${opts.after}` : this.#sql`true`}
      ORDER BY username LIMIT ${opts.limit}`;
    return rows.map((row) => ({
      username: row.username as string,
      roles: row.roles as string[],
      disabled: row.disabled as boolean,
      manager: (row.manager as string | null) ?? null,
      createdAt: (row.created_at as Date).toISOString(),
      updatedAt: (row.updated_at as Date).toISOString(),
    }));
  }

  async roles(): Promise<RoleRecord[]> {
    const rows = await this.#sql`SELECT name, permissions, description, scope FROM roles ORDER BY name`;
    return rows.map((row) => {
      const scope = normalizeScope(row.scope as DataScope | null);
      return {
        name: row.name as string,
        permissions: row.permissions as string[],
        description: row.description as string,
        builtIn: BUILTIN_ROLES.has(row.name as string),
        ...(scope ? { scope } : {}),
      };
    });
  }

  /**
   * Creates or replaces a custom role, its data scope included (none sent: not limited); throws
   * `BuiltInRoleError` for a built-in name. Holders' tokens pick the change up within the account cache time.
   */
  async putRole(
    role: { name: string; permissions: string[]; description?: string; scope?: DataScope },
    audit: AuditContext,
    once?: ExecutionClaim,
  ): Promise<{ created: boolean; role: RoleRecord }> {
    if (BUILTIN_ROLES.has(role.name)) throw new BuiltInRoleError(role.name);
    const description = role.description ?? "";
    const scope = normalizeScope(role.scope);
    const rows = await this.#sql.begin(async (tx) => {
      if (once && !(await claimExecution(tx as unknown as Sql, once))) return [{ created: false }];
      const result = await tx`INSERT INTO roles (name, permissions, description, scope)
        VALUES (${role.name}, ${role.permissions}, ${description}, ${scope ? tx.json(scope as never) : null})
        ON CONFLICT (name) DO UPDATE SET permissions = EXCLUDED.permissions, description = EXCLUDED.description,
          scope = EXCLUDED.scope
        RETURNING (xmax = 0) AS created`;
      await auditRow(tx as unknown as Sql, audit, "role.put", `role/${role.name}`, {
        permissions: role.permissions,
        scope: scope ?? null,
      });
      return result;
    });
    return {
      created: Boolean(rows[0]!.created),
      role: {
        name: role.name,
        permissions: role.permissions,
        description,
        builtIn: false,
        ...(scope ? { scope } : {}),
      },
    };
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= this.#hasher.hash(randomBytes(16).toString("hex"));
    return this.#dummyHash;
  }
}

async function assertRolesExist(sql: Sql, roles: string[]): Promise<void> {
  const rows = await sql`SELECT name FROM roles WHERE name = ANY(${roles})`;
  const known = new Set(rows.map((r) => r.name as string));
  const unknown = roles.filter((r) => !known.has(r));
  if (unknown.length > 0) throw new UnknownRoleError(unknown);
}

/** A manager is an existing user other than the user themself. */
async function assertManager(sql: Sql, username: string, manager: string): Promise<void> {
  if (manager === username) throw new InvalidManagerError(`${username} cannot be their own manager`);
  const [row] = await sql`SELECT 1 FROM users WHERE username = ${manager}`;
  if (!row) throw new InvalidManagerError(`no user ${manager} to be the manager`);
}

async function auditRow(
  sql: Sql,
  audit: AuditContext,
  action: string,
  target: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await sql`INSERT INTO audit_log (principal, action, target, request_id, detail)
    VALUES (${audit.by}, ${action}, ${target}, ${audit.requestId}, ${sql.json(detail as never)})`;
}
