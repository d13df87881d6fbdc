import { GENESIS_HASH } from "../actors/audit/index.ts";
import { InvalidCursorError } from "../storage/read-models/cursor.ts";
import type { AuditTrail } from "./audit-ports.ts";
import type { AuditLog } from "./ports.ts";

/** What the fake gateway's routes recorded with `AuditLog.record`. */
export class MemoryAuditLog implements AuditLog {
  readonly entries: Array<Parameters<AuditLog["record"]>[0]> = [];
  async record(entry: Parameters<AuditLog["record"]>[0]) {
    this.entries.push(entry);
  }
}

/** An empty audit trail (the fake gateway's port; the real one is `PostgresAuditTrail`). */
export function emptyAuditTrail(): AuditTrail {
  const state = {
    days: 365,
    segmentRows: 1_000,
    updatedAt: new Date(0).toISOString(),
    updatedBy: "system",
    checkpoint: null,
  };
  return {
    list: async (f) => {
      if (f.cursor) throw new InvalidCursorError(f.cursor);
      return { items: [], nextCursor: null };
    },
    verify: async () => ({
      ok: true,
      rows: 0,
      unsealed: 0,
      start: { seq: 0, hash: GENESIS_HASH },
      head: { seq: 0, hash: GENESIS_HASH },
    }),
    retention: async () => state,
    setRetention: async (policy, audit) => Object.assign(state, policy, { updatedBy: audit.by }),
  };
}
