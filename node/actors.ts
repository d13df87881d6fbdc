import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { accessReviewKind } from "../actors/access-review/index.ts";
import { APPROVAL_EXEC_KIND, approvalKind } from "../actors/approval/index.ts";
import { cmsPageKind } from "../actors/cms/index.ts";
import { couponTemplateKind } from "../actors/coupon/index.ts";
import { flashSaleKind } from "../actors/flash-sale/index.ts";
import { groupBuyKind } from "../actors/groupbuy/index.ts";
import { skuKind } from "../actors/inventory/index.ts";
import { memberKind } from "../actors/member/index.ts";
import { orderKind } from "../actors/order/index.ts";
import { createChannels } from "../actors/payment/channels/index.ts";
import { paymentKind } from "../actors/payment/index.ts";
import { presaleKind } from "../actors/presale/index.ts";
import { productKind } from "../actors/product/index.ts";
import { purchaseOrderKind, purchasingSettingsKind, supplierKind } from "../actors/purchasing/index.ts";
import {
  type ActorClient,
  ActorNode,
  type ConnectionWatch,
  defaultInstanceOptions,
  type Logger,
  type MetricsRegistry,
  type Subjects,
} from "../actors/runtime/index.ts";
import { jobKind } from "../actors/scheduler/index.ts";
import { segmentPushKind } from "../actors/segment/index.ts";
import { shipmentKind } from "../actors/shipment/index.ts";
import { warehouseKind } from "../actors/warehouse/index.ts";
import { webhookDeliveryKind } from "../actors/webhook/index.ts";
import type { Config } from "../config.ts";
import { PostgresAccessReviews } from "../storage/access-reviews/index.ts";
import { PostgresAuditTrail } from "../storage/audit/index.ts";
import { JetStreamEventStore, JetStreamTimerIndex } from "../storage/jetstream/jetstream-event-store.ts";
import type { StreamNames } from "../storage/jetstream/streams.ts";
import {
  channelStockDiff,
  parkedEventSummary,
  RunAttempts,
  recordChannelStock,
} from "../storage/jobs/index.ts";
import { PostgresPaymentLedger } from "../storage/ledger/payment-ledger.ts";
import { PostgresNotifications } from "../storage/notifications/index.ts";
import type { Sql } from "../storage/postgres/database.ts";
import { PostgresPriceBook } from "../storage/prices.ts";
import type { SecretBox } from "../storage/secrets.ts";
import { FirstOrderQueries, PostgresSegmentStore, recomputeMemberTags } from "../storage/segments/index.ts";
import type { UserStore } from "../storage/users.ts";
import { PostgresWebhookSubscriptions } from "../storage/webhooks/index.ts";
import { ACCESS_REVIEW_CLOSER_KIND, accessReviewCloserService, startAccessReview } from "./access-reviews.ts";
import { publishAlerts } from "./alerts.ts";
import { approvalExecService } from "./approvals.ts";
import { type CarrierNetwork, logisticsServices } from "./carriers.ts";
import { channelKeys } from "./channel-keys.ts";
import { issueOnEvents } from "./coupon-events.ts";
import { jobRunnerService, jobRunners, jobServices, seedJobs } from "./jobs.ts";
import { notificationServices, notifier, startWebhookRelay, webhookSenderService } from "./notifications.ts";
import { type SalesChannelAdapter, simulatedSalesChannels } from "./sales-channels.ts";
import { segmentPushService } from "./segment-push.ts";

/** Every domain actor kind this build hosts. The runtime only ever sees this list. */
export const ACTOR_KINDS = [
  skuKind,
  orderKind,
  paymentKind,
  memberKind,
  productKind,
  couponTemplateKind,
  jobKind,
  warehouseKind,
  segmentPushKind,
  groupBuyKind,
  webhookDeliveryKind,
  supplierKind,
  purchaseOrderKind,
  purchasingSettingsKind,
  shipmentKind,
  presaleKind,
  cmsPageKind,
  flashSaleKind,
  accessReviewKind,
  approvalKind,
];

export interface ActorHostInfrastructure {
  config: Config;
  nodeId: string;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: Subjects;
  streams: StreamNames;
  log: Logger;
  metrics: MetricsRegistry;
  /** The NATS connection's health, shared with the client and readiness. */
  connection: ConnectionWatch;
  /** For the scheduled jobs' runners (reconciliation reads the ledger; channel keys are sealed). */
  sql: Sql;
  secrets: SecretBox;
  /** Seeds the scheduled jobs' definitions through the job actors. */
  client: ActorClient;
  /** The sales channels the stock-sync job pushes to (simulated ones by default). */
  salesChannels?: readonly SalesChannelAdapter[];
  /** The carriers the shipment actors call (the `carrier-gateway` service). */
  carriers: CarrierNetwork;
  /** Staff accounts, for approved role changes and permission grants (the `approval-exec` service). */
  users: UserStore;
}

/** The `actors` role: hosts the actor kinds on the shards this node leases, events in JetStream. */
export async function startActorHost(
  infra: ActorHostInfrastructure,
): Promise<{ actorNode: ActorNode; stopSeeding: () => void }> {
  const { config, js, jsm, subjects, streams, sql } = infra;
  // Scheduled jobs run on the node that owns their job actor, as a node-local effect service (0022).
  const alert = publishAlerts(infra.nc, config.HUB_NAMESPACE);
  const notify = notifier(new PostgresNotifications(sql), infra.log);
  const reviews = new PostgresAccessReviews(sql);
  const runners = jobRunners({
    notify,
    startAccessReview: (run, signal) =>
      startAccessReview({ reviews, client: infra.client, notify }, run, signal),
    stockSync: {
      channels: infra.salesChannels ?? simulatedSalesChannels(),
      diff: (channel) => channelStockDiff(sql, channel),
      record: (channel, lines, run) => recordChannelStock(sql, channel, lines, run),
    },
    payments: {
      channels: createChannels(await channelKeys(sql, infra.secrets)),
      ledger: new PostgresPaymentLedger(sql),
    },
    parkedSummary: () => parkedEventSummary(sql),
    recomputeMemberTags: (now, signal) => recomputeMemberTags(sql, now, signal),
    issueOnEvents: (run, signal) =>
      issueOnEvents({ client: infra.client, source: new FirstOrderQueries(sql) }, run, signal),
    pruneAudit: (run) => new PostgresAuditTrail(sql).prune({ by: `job:audit-retention:${run.runId}` }),
    alert,
  });
  const services = jobServices(
    jobRunnerService(runners, {
      metrics: infra.metrics,
      alert,
      log: infra.log,
      notify,
      attempts: new RunAttempts(sql),
      nodeId: infra.nodeId,
    }),
    segmentPushService({ client: infra.client, audience: new PostgresSegmentStore(sql), log: infra.log }),
  );
  // Notifications raised by actors, and outbound webhook attempts, run on the owning node (0030).
  const webhookOptions = {
    maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    backoffBaseMs: config.WEBHOOK_RETRY_BASE,
    timeoutMs: config.WEBHOOK_TIMEOUT,
  };
  const subscriptions = new PostgresWebhookSubscriptions(sql, infra.secrets);
  const sender = webhookSenderService(subscriptions, webhookOptions, infra.metrics);
  for (const [kind, service] of notificationServices(notify, sender)) services.set(kind, service);
  for (const [kind, service] of logisticsServices(infra.carriers, alert, notify)) services.set(kind, service);
  services.set(ACCESS_REVIEW_CLOSER_KIND, accessReviewCloserService(reviews, infra.log, notify));
  // Approved guarded actions that are no actor command run here, claimed once per approval (0034).
  services.set(APPROVAL_EXEC_KIND, approvalExecService(infra.users, new PostgresPriceBook(sql)));
  const actorNode = new ActorNode(
    infra.nc,
    ACTOR_KINDS,
    {
      store: new JetStreamEventStore(js, jsm, subjects, streams, { timeoutMs: config.NATS_TIMEOUT }),
      timerIndex: new JetStreamTimerIndex(js, subjects, streams),
    },
    {
      namespace: config.HUB_NAMESPACE,
      nodeId: infra.nodeId,
      shardCount: config.SHARD_COUNT,
      leaseTtlMs: config.LEASE_TTL,
      heartbeatTtlMs: config.NODE_HEARTBEAT_TTL,
      natsTimeoutMs: config.NATS_TIMEOUT,
      idleMs: config.ACTOR_IDLE,
      maxActive: config.ACTOR_MAX_ACTIVE,
      maxPending: config.NODE_MAX_PENDING,
      instance: {
        ...defaultInstanceOptions,
        mailboxMax: config.MAILBOX_MAX,
        snapshotEvery: config.SNAPSHOT_EVERY,
        idempotencyRetentionMs: config.IDEMPOTENCY_RETENTION,
      },
    },
    { log: infra.log, metrics: infra.metrics, connection: infra.connection, services },
  );
  await actorNode.start();
  const stopSeeding = seedJobs(infra.client, infra.log);
  const stopRelay = startWebhookRelay({
    sql,
    subscriptions,
    client: infra.client,
    options: webhookOptions,
    log: infra.log,
  });
  return {
    actorNode,
    stopSeeding: () => {
      stopSeeding();
      stopRelay();
    },
  };
}
