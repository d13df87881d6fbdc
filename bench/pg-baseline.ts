import type postgres from "postgres";
import type { Outcome } from "./load.ts";

/** Tables for one run of the Postgres baseline (a fresh pair per run, so runs never share state). */
export async function setupPg(sql: postgres.Sql, table: string, sku: string, stock: number): Promise<void> {
  await sql.unsafe(`DROP TABLE IF EXISTS ${table}_stock, ${table}_claims`);
  await sql.unsafe(`CREATE TABLE ${table}_stock (id text PRIMARY KEY, qty int NOT NULL)`);
  await sql.unsafe(
    `CREATE TABLE ${table}_claims (sku text, user_id text, order_id text, PRIMARY KEY (sku, user_id))`,
  );
  await sql.unsafe(`INSERT INTO ${table}_stock VALUES ($1, $2)`, [sku, stock]);
}

/**
 * One autocommit statement (synchronous_commit on): claim the user's slot, then the guarded decrement.
 * The unique claim makes a second concurrent attempt of the same user wait and do nothing.
 */
export async function reserveSql(
  sql: postgres.Sql,
  table: string,
  sku: string,
  userId: string,
  orderId: string,
): Promise<Outcome> {
  if (!/^[a-z0-9_]+$/.test(table)) return "error";
  const rows = await sql.unsafe(
    `WITH claim AS (
       INSERT INTO ${table}_claims (sku, user_id, order_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1),
     sold AS (
       UPDATE ${table}_stock SET qty = qty - 1 WHERE id = $1 AND qty >= 1 AND EXISTS (SELECT 1 FROM claim) RETURNING qty)
     SELECT (SELECT count(*) FROM claim)::int AS claimed, (SELECT count(*) FROM sold)::int AS sold`,
    [sku, userId, orderId],
  );
  const row = rows[0] as unknown as { claimed: number; sold: number };
  if (row.sold === 1) return "ok";
  return row.claimed === 0 ? "limited" : "refused";
}

export async function pgFinal(
  sql: postgres.Sql,
  table: string,
  sku: string,
): Promise<{ stock: number; perUserMax: number }> {
  const [stock] = await sql.unsafe(`SELECT qty FROM ${table}_stock WHERE id = $1`, [sku]);
  await sql.unsafe(`DROP TABLE IF EXISTS ${table}_stock, ${table}_claims`);
  return { stock: Number(stock?.qty), perUserMax: 1 };
}
