import { randomBytes } from "node:crypto";
import type { Config } from "../config.ts";
import type { Sql } from "../storage/postgres/database.ts";
import { sharedSetting, UserStore } from "../storage/users.ts";

/**
 * The user store with the built-in roles and an `admin` user, and the cluster's JWT secret (from the
 * config, or created once and shared through Postgres so every node verifies the same tokens).
 */
export async function bootstrapIdentity(
  config: Config,
  sql: Sql,
): Promise<{ users: UserStore; jwtSecret: string }> {
  const users = new UserStore(sql);
  await users.ensureRoles();
  const adminPassword = config.ADMIN_PASSWORD ?? randomBytes(12).toString("base64url");
  if ((await users.ensureAdmin(adminPassword)) && !config.ADMIN_PASSWORD) {
    // Printed once, on the start that created the user; never logged again.
    process.stdout.write(
      `\n  Created user "admin" with password: ${adminPassword}\n  (set ADMIN_PASSWORD to choose it)\n\n`,
    );
  }
  const jwtSecret =
    config.JWT_SECRET ??
    (await sharedSetting(sql, "jwt_secret", () => randomBytes(48).toString("base64url")));
  return { users, jwtSecret };
}
