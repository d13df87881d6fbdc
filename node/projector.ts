import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger, MetricsRegistry, Subjects } from "../actors/runtime/index.ts";
import type { Config } from "../config.ts";
import { approvalProjection } from "../storage/approvals/index.ts";
import { PostgresAuditTrail } from "../storage/audit/index.ts";
import { listingProjection } from "../storage/catalogue/listing-projection.ts";
import { cmsPageProjection } from "../storage/cms/index.ts";
import { couponProjection } from "../storage/coupons/index.ts";
import { flashSaleProjection } from "../storage/flash-sales/index.ts";
import { jobRunProjection } from "../storage/jobs/index.ts";
import { lowStockNotificationProjection, PostgresNotifications } from "../storage/notifications/index.ts";
import type { Sql } from "../storage/postgres/database.ts";
import { Projector, type ProjectorAlert } from "../storage/projector.ts";
import { purchasingProjection } from "../storage/purchasing/index.ts";
import { auditProjection } from "../storage/read-models/audit-projection.ts";
import { inventoryProjection } from "../storage/read-models/inventory-projection.ts";
import { ledgerProjection } from "../storage/read-models/ledger-projection.ts";
import { orderProjection } from "../storage/read-models/order-projection.ts";
import { memberLevelProjection } from "../storage/segments/index.ts";
import { shipmentProjection } from "../storage/shipments/index.ts";
import { webhookDeliveryProjection } from "../storage/webhooks/index.ts";
import { publishAlerts } from "./alerts.ts";
import { type AuditSealer, startAuditSealer } from "./audit-sealer.ts";
import { notifier, notifyInBackground, projectorAlertNotification } from "./notifications.ts";

/** Every read model this build maintains from the event log. */
export const PROJECTIONS = [
  inventoryProjection,
  orderProjection,
  ledgerProjection,
  auditProjection,
  listingProjection,
  couponProjection,
  jobRunProjection,
  memberLevelProjection,
  lowStockNotificationProjection,
  webhookDeliveryProjection,
  purchasingProjection,
  shipmentProjection,
  flashSaleProjection,
  cmsPageProjection,
  approvalProjection,
];

export interface ProjectorInfrastructure {
  config: Config;
  nodeId: string;
  sql: Sql;
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: Subjects;
  stream: string;
  /** The singleton lease: one projector in the cluster runs, the others stand by. */
  lease: KV;
  log: Logger;
  metrics: MetricsRegistry;
  /** Where stall and dead-letter alerts go (the dashboards, through `node/alerts.ts`). */
  onAlert?: (alert: ProjectorAlert) => void;
}

/** The `projector` role: keeps the Postgres read models up to date from the event log. */
export async function startProjector(infra: ProjectorInfrastructure): Promise<Projector> {
  const { config, ...deps } = infra;
  const projector = new Projector({ ...deps, projections: PROJECTIONS });
  await projector.start(config.LEASE_TTL);
  return projector;
}

/**
 * The projector role as a node runs it: the projector (alerts shown live and kept as notifications,
 * decision 0030) and the audit sealer that chains the rows every writer commits (decision 0035).
 */
export async function startProjectionRole(
  infra: Omit<ProjectorInfrastructure, "onAlert"> & { nc: NatsConnection },
): Promise<{ projector: Projector; auditSealer: AuditSealer }> {
  const { nc, ...deps } = infra;
  const publishAlert = publishAlerts(nc, deps.config.HUB_NAMESPACE);
  const raiseInBackground = notifyInBackground(
    notifier(new PostgresNotifications(deps.sql), deps.log),
    deps.log,
  );
  const projector = await startProjector({
    ...deps,
    onAlert: (alert) => {
      publishAlert(alert);
      raiseInBackground(projectorAlertNotification(alert));
    },
  });
  // One seals at a time across the cluster.
  const auditSealer = startAuditSealer({
    trail: new PostgresAuditTrail(deps.sql),
    intervalMs: deps.config.AUDIT_SEAL_INTERVAL,
    log: deps.log,
    metrics: deps.metrics,
  });
  return { projector, auditSealer };
}
