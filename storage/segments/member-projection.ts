import type { MemberEvent } from "../../actors/member/index.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

/**
 * Members' levels → `member_profiles.level` (migration 0020), so segments can filter by level. Guarded by
 * version: the newest level wins; the behaviour figures of the same row belong to the recompute job.
 */
export const memberLevelProjection: ReadModelProjection = {
  name: "member-levels",
  orderSensitive: ["member"],
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    // The newest level per member in this flush (batches come in log order): one upsert of a fixed
    // shape for all of them, and a row is never touched twice by the same statement.
    const newest = new Map<string, { level: string; seq: number }>();
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "member") continue;
      let level: string | undefined;
      for (const e of batch.ev as MemberEvent[]) {
        if (e.type === "memberJoined") level = e.level;
        else if (e.type === "levelChanged") level = e.to;
      }
      if (level !== undefined) newest.set(ref.id, { level, seq });
    }
    if (newest.size === 0) return;
    const rows = [...newest];
    await tx`INSERT INTO member_profiles (user_id, level, level_version)
        SELECT * FROM unnest(${rows.map(([user]) => user)}::text[], ${rows.map(([, n]) => n.level)}::text[],
                             ${rows.map(([, n]) => n.seq)}::bigint[])
        ON CONFLICT (user_id) DO UPDATE SET level = EXCLUDED.level, level_version = EXCLUDED.level_version
        WHERE member_profiles.level_version <= EXCLUDED.level_version`;
  },
};
