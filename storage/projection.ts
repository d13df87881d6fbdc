import type postgres from "postgres";
import type { ActorRef, LogBatch } from "../actors/runtime/index.ts";

/** One event-log message as a projection sees it. */
export interface ProjectedBatch {
  seq: number;
  time: Date;
  ref: ActorRef;
  batch: LogBatch;
}

/** Transaction handle passed to projections (postgres.js `TransactionSql`). */
export type ProjectionTx = postgres.TransactionSql;

/**
 * A read model fed from the event log. `apply` runs inside the projector's transaction, which also
 * stores the offset: a batch's rows and its offset commit together or not at all.
 */
export interface ReadModelProjection {
  name: string;
  apply(tx: ProjectionTx, batches: ProjectedBatch[]): Promise<void>;
  /**
   * Actor kinds whose events this projection applies as state guarded by version (the newest event
   * wins), not as deltas: an older event of such an actor applied after a newer one would be dropped or
   * would overwrite newer state. A parked event of these kinds whose actor has later events in the log
   * is not applied to this projection on retry, and the retry says so (`superseded`).
   */
  orderSensitive?: readonly string[];
}
