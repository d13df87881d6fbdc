import type { Logger, MetricsRegistry } from "../actors/runtime/index.ts";
import type { PostgresAuditTrail } from "../storage/audit/index.ts";

export interface AuditSealer {
  stop(): Promise<void>;
}

const BATCH = 1_000;

/**
 * The audit sealer (decision 0035), on every projector-role node: chains new audit rows shortly after
 * they commit. Any number may run; the sealing transaction's advisory lock lets one at a time work, and
 * no writer ever waits on it. A failed round (Postgres away) is logged and retried on the next tick.
 */
export function startAuditSealer(deps: {
  trail: Pick<PostgresAuditTrail, "seal">;
  intervalMs: number;
  log: Logger;
  metrics?: MetricsRegistry;
}): AuditSealer {
  const sealed = deps.metrics?.counter(
    "hub_audit_rows_sealed_total",
    "Audit rows chained by this node's sealer",
  );
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  let failing = false;
  const tick = async () => {
    try {
      for (;;) {
        const n = await deps.trail.seal(BATCH);
        if (n > 0) sealed?.inc({}, n);
        if (n < BATCH || stopped) break;
      }
      if (failing) deps.log.info("audit sealer recovered");
      failing = false;
    } catch (error) {
      if (!failing) deps.log.warn("audit sealer round failed; retrying", { error: String(error) });
      failing = true;
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, deps.intervalMs);
  };
  running = tick().finally(schedule);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
