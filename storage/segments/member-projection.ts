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
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "member") continue;
      let level: string | undefined;
      for (const e of batch.ev as MemberEvent[]) {
        if (e.type === "memberJoined") level = e.level;
        else if (e.type === "levelChanged") level = e.to;
      }
      if (level === undefined) continue;
      await tx`INSERT INTO member_profiles (user_id, level, level_version) VALUES (${ref.id}, ${level}, ${seq})
        ON CONFLICT (user_id) DO UPDATE SET level = EXCLUDED.level, level_version = EXCLUDED.level_version
        WHERE member_profiles.level_version <= EXCLUDED.level_version`;
    }
  },
};
