/**
 * Operator commands that must work when nobody can log in.
 *
 *   npm run admin -- reset-password <username>                 # generates a password and prints it once
 *   printf '%s' "$NEW" | npm run admin -- reset-password admin # takes it from stdin (never from argv,
 *                                                              # which other users see in `ps`)
 *
 * Resetting also enables the user, revokes their tokens and clears their failed-login counter. It uses
 * the same environment as `npm start` (DATABASE_URL, REDIS_URL, HUB_NAMESPACE).
 */
import { randomBytes } from "node:crypto";
import Redis from "ioredis";
import { loadConfig } from "../config.ts";
import { createPasswordHasher, MAX_PASSWORD_BYTES } from "../platform/password.ts";
import { openDatabase } from "../storage/postgres/database.ts";
import { migrate } from "../storage/postgres/migrate.ts";
import { UserStore } from "../storage/users.ts";

const USAGE = "usage: npm run admin -- reset-password <username>   (new password on stdin, or generated)";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

async function resetPassword(username: string): Promise<void> {
  const config = loadConfig(process.env);
  const supplied = process.stdin.isTTY ? "" : await readStdin();
  if (supplied && (supplied.length < 8 || Buffer.byteLength(supplied) > MAX_PASSWORD_BYTES)) {
    throw new Error(`a password needs 8 characters to ${MAX_PASSWORD_BYTES} bytes`);
  }
  const password = supplied || randomBytes(12).toString("base64url");
  const sql = await openDatabase(config.DATABASE_URL, config.HUB_NAMESPACE, { max: 2 });
  try {
    await migrate(sql, config.HUB_NAMESPACE);
    const users = new UserStore(sql, createPasswordHasher());
    const audit = { by: "cli:admin-script", requestId: null };
    if (!(await users.setPassword(username, password, audit))) {
      throw new Error(`no user ${username} in namespace ${config.HUB_NAMESPACE}`);
    }
    await users.update(username, { disabled: false }, audit);
  } finally {
    await sql.end({ timeout: 2 });
  }
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis
    .connect()
    .then(() => redis.del(`${config.HUB_NAMESPACE}:login:user:${username}`))
    .catch((error) => console.error(`(could not clear the failed-login counter: ${error.message})`))
    .finally(() => redis.disconnect());
  process.stdout.write(
    supplied
      ? `Password of "${username}" reset; the user is enabled and older tokens are revoked.\n`
      : `Password of "${username}" reset to: ${password}\n(the user is enabled and older tokens are revoked)\n`,
  );
}

const [command, username, ...rest] = process.argv.slice(2);
try {
  if (command === "reset-password" && username && rest.length === 0) await resetPassword(username);
  else {
    console.error(USAGE);
    process.exit(2);
  }
} catch (error) {
  console.error(`admin: ${(error as Error).message}`);
  process.exit(1);
}
