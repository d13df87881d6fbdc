import type { Sql } from "../postgres/database.ts";

/** A guarded action's run, claimed once by the approval's effect command id (migration 0029). */
export interface ExecutionClaim {
  commandId: string;
  action: string;
}

/**
 * Claims `claim` inside the caller's transaction: true the first time; false when it has already run
 * (its change committed earlier), so the caller changes nothing. Two concurrent claims of the same id
 * serialise on the primary key: the second waits, then finds the first.
 */
export async function claimExecution(tx: Sql, claim: ExecutionClaim): Promise<boolean> {
  const rows = await tx`INSERT INTO approval_executions (command_id, action, result)
    VALUES (${claim.commandId}, ${claim.action}, 'null'::jsonb)
    ON CONFLICT (command_id) DO NOTHING RETURNING command_id`;
  return rows.length > 0;
}

/** How many times a guarded action ran for `commandId` (0 or 1), for tests and operators. */
export async function executionCount(sql: Sql, commandId: string): Promise<number> {
  const [row] = await sql`SELECT count(*)::int AS n FROM approval_executions WHERE command_id = ${commandId}`;
  return (row?.n as number) ?? 0;
}
