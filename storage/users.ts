import bcrypt from "bcryptjs";
import type { Sql } from "./postgres/database.ts";

export interface UserRecord {
  username: string;
  roles: string[];
  permissions: string[];
  disabled: boolean;
}

/** Built-in roles. Permissions are `area:action`; `*` grants everything. */
export const BUILTIN_ROLES: Record<string, { permissions: string[]; description: string }> = {
  admin: { permissions: ["*"], description: "Everything" },
  inventory_manager: {
    permissions: ["inventory:read", "inventory:write", "warehouse:read", "warehouse:write", "audit:read"],
    description: "Stock and warehouses",
  },
  viewer: { permissions: ["inventory:read", "warehouse:read"], description: "Read only" },
};

const BCRYPT_ROUNDS = 10;

export class UserStore {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async ensureRoles(): Promise<void> {
    for (const [name, role] of Object.entries(BUILTIN_ROLES)) {
      await this.#sql`INSERT INTO roles (name, permissions, description)
        VALUES (${name}, ${role.permissions}, ${role.description})
        ON CONFLICT (name) DO UPDATE SET permissions = EXCLUDED.permissions`;
    }
  }

  /** Creates `admin` on first start; returns true if it was created now. */
  async ensureAdmin(password: string): Promise<boolean> {
    const hash = await bcrypt.hash(password, BCRYPT_ROUNDS);
    const rows = await this.#sql`INSERT INTO users (username, password_hash, roles)
      VALUES ('admin', ${hash}, ${["admin"]}) ON CONFLICT (username) DO NOTHING RETURNING username`;
    return rows.length === 1;
  }

  async create(username: string, password: string, roles: string[]): Promise<void> {
    const hash = await bcrypt.hash(password, BCRYPT_ROUNDS);
    await this.#sql`INSERT INTO users (username, password_hash, roles) VALUES (${username}, ${hash}, ${roles})
      ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, roles = EXCLUDED.roles`;
  }

  /** Checks a password; compares against a dummy hash for unknown users so timing does not reveal them. */
  async verify(username: string, password: string): Promise<UserRecord | undefined> {
    const rows = await this
      .#sql`SELECT username, password_hash, roles, disabled FROM users WHERE username = ${username}`;
    const row = rows[0];
    const ok = await bcrypt.compare(password, (row?.password_hash as string) ?? DUMMY_HASH);
    if (!row || !ok || row.disabled) return undefined;
    return this.find(username);
  }

  async find(username: string): Promise<UserRecord | undefined> {
    const rows = await this.#sql`
      SELECT u.username, u.roles, u.disabled,
        COALESCE(array_agg(DISTINCT p) FILTER (WHERE p IS NOT NULL), '{}') AS permissions
      FROM users u LEFT JOIN roles r ON r.name = ANY(u.roles) LEFT JOIN LATERAL unnest(r.permissions) p ON true
      WHERE u.username = ${username} GROUP BY u.username`;
    const row = rows[0];
    if (!row) return undefined;
    return {
      username: row.username as string,
      roles: row.roles as string[],
      permissions: row.permissions as string[],
      disabled: row.disabled as boolean,
    };
  }
}

const DUMMY_HASH = "$2b$10$CwTycUXWue0Thq9StjUM0uJ8.6Rz6Q2Wq1Lr0Zb1n8nq0Yx7Yx7Ya";

/** A setting created once and shared by every node (e.g. the JWT secret when none is configured). */
export async function sharedSetting(sql: Sql, key: string, create: () => string): Promise<string> {
  await sql`INSERT INTO settings (key, value) VALUES (${key}, ${create()}) ON CONFLICT (key) DO NOTHING`;
  const rows = await sql`SELECT value FROM settings WHERE key = ${key}`;
  return rows[0]!.value as string;
}
