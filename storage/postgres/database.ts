import postgres from "postgres";

export type Sql = postgres.Sql;

/**
 * Opens a pool whose tables live in `schema` (one per namespace, so isolated test runs and several
 * clusters can share one server). The schema is created on first use.
 */
export async function openDatabase(
  url: string,
  schema: string,
  options: { max?: number } = {},
): Promise<Sql> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const admin = postgres(url, { max: 1, onnotice: () => undefined, connect_timeout: 5 });
  try {
    await admin.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await admin.end();
  }
  return postgres(url, {
    max: options.max ?? 10,
    onnotice: () => undefined,
    connect_timeout: 5,
    connection: { search_path: schema },
  });
}
