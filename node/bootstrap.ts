import { randomBytes } from "node:crypto";
import type { ActorNode, Logger } from "../actors/runtime/index.ts";
import type { Config } from "../config.ts";
import { createPasswordHasher } from "../platform/password.ts";
import type { Sql } from "../storage/postgres/database.ts";
import { defaultSecretsKeyFile, SecretBox, sharedSecret } from "../storage/secrets.ts";
import { UserStore } from "../storage/users.ts";

export interface Identity {
  users: UserStore;
  jwtSecret: string;
  /** Seals secrets kept in Postgres (see storage/secrets.ts). */
  secrets: SecretBox;
  /** Lines an operator must see, printed in a box once start-up logs have settled (see `printNotice`). */
  notice: string[] | undefined;
}

/**
 * The user store with the built-in roles and an `admin` user, the secrets key, and the cluster's JWT
 * secret (from the config, or created once and shared, sealed, through Postgres so every node verifies
 * the same tokens).
 */
export async function bootstrapIdentity(config: Config, sql: Sql, log: Logger): Promise<Identity> {
  const { box: secrets, source } = SecretBox.load({
    secret: config.HUB_SECRETS_KEY,
    keyFile: config.HUB_SECRETS_KEY_FILE ?? defaultSecretsKeyFile(config.HUB_NAMESPACE),
  });
  log.info("secrets key", { source });
  const users = new UserStore(sql, createPasswordHasher());
  await users.ensureRoles();
  const adminPassword = config.ADMIN_PASSWORD ?? randomBytes(12).toString("base64url");
  let notice: string[] | undefined;
  if (await users.ensureAdmin(adminPassword)) {
    // Shown once, on the start that created the user; never logged.
    if (!config.ADMIN_PASSWORD) {
      notice = [
        `Created user "admin" with password: ${adminPassword}`,
        "It is shown only this once. Set ADMIN_PASSWORD before the first start to choose it;",
        "to change it later: npm run admin -- reset-password admin",
      ];
    }
  } else if (config.ADMIN_PASSWORD && !(await users.passwordMatches("admin", config.ADMIN_PASSWORD))) {
    // A configured password that is silently ignored locks operators out: say so, and how to fix it.
    const lines = [
      "ADMIN_PASSWORD is set but is NOT the password of the existing user admin:",
      "it only applies on the first start, when admin is created. To make it the password now:",
      "  printf '%s' \"$ADMIN_PASSWORD\" | npm run admin -- reset-password admin",
    ];
    log.warn("ADMIN_PASSWORD ignored: user admin exists with another password", {
      fix: "printf '%s' \"$ADMIN_PASSWORD\" | npm run admin -- reset-password admin",
    });
    notice = lines;
  }
  const jwtSecret =
    config.JWT_SECRET ??
    (await sharedSecret(sql, secrets, "jwt_secret", () => randomBytes(48).toString("base64url")));
  return { users, jwtSecret, secrets, notice };
}

/** Prints lines in a box on stdout, so they stand out from the JSON log lines on stderr. */
export function printNotice(lines: string[]): void {
  const width = Math.max(...lines.map((l) => l.length));
  const bar = "─".repeat(width + 2);
  const body = lines.map((l) => `  │ ${l.padEnd(width)} │`).join("\n");
  process.stdout.write(`\n  ┌${bar}┐\n${body}\n  └${bar}┘\n\n`);
}

/**
 * The first-start password (or the ADMIN_PASSWORD warning) would scroll away under the "shard acquired"
 * lines that follow start-up; it is printed once those have settled (every shard owned, or after 20 s).
 */
export function printNoticeWhenSettled(
  lines: string[],
  actorNode: ActorNode | undefined,
  shardCount: number,
): void {
  const deadline = Date.now() + 20_000;
  const poll = () => {
    if (!actorNode || actorNode.coveredShards >= shardCount || Date.now() > deadline) printNotice(lines);
    else setTimeout(poll, 250).unref();
  };
  poll();
}
