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
}
