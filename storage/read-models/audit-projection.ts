import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

/** Every command persisted by an actor becomes an audit row, straight from the durable log. */
export const auditProjection: ReadModelProjection = {
  name: "audit",
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    const rows = batches.flatMap(({ seq, ref, batch }) =>
      batch.cmds.map((cmd, idx) => ({
        at: new Date(batch.at),
        principal: cmd.by ?? "system",
        action: `${ref.kind}.${cmd.type}`,
        target: `${ref.kind}/${ref.id}`,
        request_id: cmd.rid ?? null,
        detail: { commandId: cmd.id ?? null, ok: cmd.r.ok, events: cmd.n },
        source_seq: seq,
        source_idx: idx,
      })),
    );
    for (let i = 0; i < rows.length; i += 1_000) {
      await tx`INSERT INTO audit_log ${tx(rows.slice(i, i + 1_000))} ON CONFLICT DO NOTHING`;
    }
  },
};
