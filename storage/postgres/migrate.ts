import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Sql } from "./database.ts";

const MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));

/**
 * Applies `storage/migrations/NNNN_name.sql` in order, each in its own transaction, once. An advisory
 * lock makes concurrent starts of several nodes safe.
 */
export async function migrate(sql: Sql, schema: string): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    // Migrations (and waiting for another node's) may take longer than the pool's statement_timeout.
    await tx`SET LOCAL statement_timeout = 0`;
    await tx`SELECT pg_advisory_xact_lock(hashtext(${`migrate:${schema}`}))`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
    const done = new Set((await tx`SELECT version FROM schema_migrations`).map((r) => r.version as string));
    for (const file of files) {
      if (done.has(file)) continue;
      await tx.unsafe(await readFile(join(MIGRATIONS_DIR, file), "utf8"));
      await tx`INSERT INTO schema_migrations (version) VALUES (${file})`;
      applied.push(file);
    }
  });
  return applied;
}
