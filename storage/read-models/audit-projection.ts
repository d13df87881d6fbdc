import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

/** Every command persisted by an actor becomes an audit row, straight from the durable log. */
export const auditProjection: ReadModelProjection = {
  name: "audit",
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    const at: string[] = [];
    const principal: string[] = [];
    const action: string[] = [];
    const target: string[] = [];
    const requestId: (string | null)[] = [];
    const detail: string[] = [];
    const sourceSeq: number[] = [];
    const sourceIdx: number[] = [];
    for (const { seq, ref, batch } of batches) {
      const when = new Date(batch.at).toISOString();
      batch.cmds.forEach((cmd, idx) => {
        at.push(when);
        principal.push(cmd.by ?? "system");
        action.push(`${ref.kind}.${cmd.type}`);
        target.push(`${ref.kind}/${ref.id}`);
        requestId.push(cmd.rid ?? null);
        detail.push(JSON.stringify({ commandId: cmd.id ?? null, ok: cmd.r.ok, events: cmd.n }));
        sourceSeq.push(seq);
        sourceIdx.push(idx);
      });
    }
    if (at.length === 0) return;
    // `detail` goes as JSON text (postgres.js would encode a jsonb[] element a second time).
    // One statement of a fixed shape (an array per column) whatever the row count: prepared once, one
    // round trip. Rows go in log order, so ids (and the audit chain the sealer builds on them) follow it;
    // (source_seq, source_idx) makes a replay insert nothing.
    await tx`
      INSERT INTO audit_log (at, principal, action, target, request_id, detail, source_seq, source_idx)
      SELECT at, principal, action, target, request_id, detail::jsonb, source_seq, source_idx
      FROM unnest(${at}::timestamptz[], ${principal}::text[], ${action}::text[], ${target}::text[],
                  ${requestId}::text[], ${detail}::text[], ${sourceSeq}::bigint[], ${sourceIdx}::int[])
        WITH ORDINALITY AS t(at, principal, action, target, request_id, detail, source_seq, source_idx, ord)
      ORDER BY ord
      ON CONFLICT DO NOTHING`;
  },
};
