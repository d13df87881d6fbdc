import { randomBytes } from "node:crypto";
import type Redis from "ioredis";
import type { CarrierCatalogue } from "../actors/carrier/index.ts";
import { createChannels } from "../actors/payment/channels/index.ts";
import type { ActorClient, Logger, MetricsRegistry } from "../actors/runtime/index.ts";
import type { Config } from "../config.ts";
import { createApp } from "../gateway/app.ts";
import type { TokenService } from "../gateway/auth.ts";
import type { ReadinessReport } from "../gateway/ports.ts";
import { benchCeilingRoutes } from "../gateway/routes/bench-ceiling.ts";
import { gatewayRoutes } from "../gateway/routes/index.ts";
import type { ParkedEventList } from "../gateway/routes/projector.ts";
import { PostgresAccessReviews } from "../storage/access-reviews/index.ts";
import { PostgresApprovals } from "../storage/approvals/index.ts";
import { PostgresAuditTrail } from "../storage/audit/index.ts";
import { PostgresAuditLog } from "../storage/audit-log.ts";
import { CatalogueReads, PostgresCatalogue } from "../storage/catalogue/index.ts";
import { PostgresProductSearch } from "../storage/catalogue-search/search.ts";
import { PostgresSiteReads } from "../storage/cms/index.ts";
import { PostgresExperiments } from "../storage/cms-experiments/index.ts";
import { CouponQueries } from "../storage/coupons/index.ts";
import { FlashSaleQueries } from "../storage/flash-sales/index.ts";
import { PostgresFreightTemplates, warehouseRegions } from "../storage/freight/index.ts";
import { JobRunQueries } from "../storage/jobs/index.ts";
import { PostgresPaymentLedger } from "../storage/ledger/payment-ledger.ts";
import { PostgresNotifications } from "../storage/notifications/index.ts";
import type { Sql } from "../storage/postgres/database.ts";
import { PostgresPriceBook } from "../storage/prices.ts";
import { PostgresPriceRules } from "../storage/pricing/index.ts";
import { PostgresPromotionStore } from "../storage/promotions/index.ts";
import { PostgresPurchasing } from "../storage/purchasing/index.ts";
import { InventoryQueries } from "../storage/read-models/inventory-queries.ts";
import { OrderQueries } from "../storage/read-models/order-queries.ts";
import { PostgresReviewStore } from "../storage/reviews/index.ts";
import { type SecretBox, sharedSecret } from "../storage/secrets.ts";
import { PostgresSegmentStore } from "../storage/segments/index.ts";
import { PostgresSessions } from "../storage/sessions.ts";
import { ShipmentQueries } from "../storage/shipments/index.ts";
import { PostgresSecondFactor } from "../storage/totp.ts";
import type { UserStore } from "../storage/users.ts";
import { PostgresWarehouseDirectory } from "../storage/warehouses.ts";
import { PostgresWebhookSubscriptions, WebhookDeliveryQueries } from "../storage/webhooks/index.ts";
import { type CarrierNetwork, carrierDesk } from "./carriers.ts";
import { channelKeys } from "./channel-keys.ts";
import { RedisContentCache, RedisSitemapCache } from "./content-cache.ts";
import { JOB_DEFINITIONS } from "./jobs.ts";
import { RedisLoginThrottle } from "./login-limiter.ts";
import { PaymentRiskRulesCheck } from "./payment-risk.ts";
import { RedisRateLimiter } from "./rate-limiter.ts";

export interface GatewayInfrastructure {
  config: Config;
  sql: Sql;
  /** The plain pool (no per-request deadline): audit chain verification reads the whole chain. */
  workSql: Sql;
  redis: Redis;
  actors: ActorClient;
  users: UserStore;
  tokens: TokenService;
  secrets: SecretBox;
  metrics: MetricsRegistry;
  log: Logger;
  readiness(): Promise<ReadinessReport>;
  /** The projector's dead-letter list (`ParkedEvents` over the event log and Postgres). */
  parked: ParkedEventList;
  /** The carrier catalogue routing reads (default: `actors/carrier`, every carrier up; shipments passes its breakers). */
  carriers?: CarrierCatalogue;
  /** The carriers (simulators and adapters) of this node. */
  carrierNetwork: CarrierNetwork;
}

/** The HTTP gateway with every port bound to its Postgres, Redis or NATS implementation. */
export async function composeGateway(infra: GatewayInfrastructure) {
  const { config, sql, redis } = infra;
  const ns = config.HUB_NAMESPACE;
  const limiter = new RedisRateLimiter(redis, ns);
  const catalogueReads = new CatalogueReads(sql);
  const routeModules = gatewayRoutes({
    readiness: infra.readiness,
    metrics: infra.metrics,
    users: infra.users,
    staff: infra.users,
    sessions: new PostgresSessions(sql),
    secondFactor: new PostgresSecondFactor(sql, infra.secrets),
    tokens: infra.tokens,
    limiter,
    loginThrottle: new RedisLoginThrottle(redis, ns, {
      maxFailuresPerAddress: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
      maxFailuresPerUser: config.LOGIN_MAX_FAILURES_PER_USER,
      windowMs: config.LOGIN_FAILURE_WINDOW,
    }),
    warehouses: new PostgresWarehouseDirectory(sql, redis, ns),
    inventory: new InventoryQueries(sql),
    prices: new PostgresPriceBook(sql),
    productSearch: new PostgresProductSearch(sql),
    priceRules: new PostgresPriceRules(sql),
    catalogue: new PostgresCatalogue(sql),
    coupons: new CouponQueries(sql),
    flashSales: new FlashSaleQueries(sql),
    flashSaleLimits: {
      queueMax: config.FLASH_SALE_QUEUE_MAX,
      queuePerUnit: config.FLASH_SALE_QUEUE_PER_UNIT,
      userRatePerSecond: config.FLASH_SALE_USER_RATE,
    },
    orders: new OrderQueries(sql),
    payments: {
      channels: createChannels(await channelKeys(sql, infra.secrets)),
      ledger: new PostgresPaymentLedger(sql),
      risk: new PaymentRiskRulesCheck(
        {
          maxAmount: config.PAYMENT_MAX_AMOUNT,
          maxPerUserPerHour: config.PAYMENT_MAX_PER_USER_PER_HOUR,
          blacklist: new Set(config.PAYMENT_BLACKLIST),
        },
        limiter,
      ),
      publicUrl: config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`,
    },
    audit: new PostgresAuditLog(sql),
    auditTrail: new PostgresAuditTrail(sql, infra.workSql),
    approvals: new PostgresApprovals(sql),
    reviews: new PostgresReviewStore(sql),
    promotions: new PostgresPromotionStore(sql),
    segments: new PostgresSegmentStore(sql),
    purchasing: new PostgresPurchasing(sql),
    parked: infra.parked,
    jobs: {
      definitions: JOB_DEFINITIONS,
      runs: (job, limit, cursor) => new JobRunQueries(sql).runs(job, limit, cursor),
    },
    notifications: new PostgresNotifications(sql),
    accessReviews: new PostgresAccessReviews(sql),
    webhooks: webhookDirectory(sql, infra.secrets),
    contentCache: new RedisContentCache(redis, ns),
    experiments: new PostgresExperiments(sql, redis, ns),
    previewKey: Buffer.from(
      await sharedSecret(sql, infra.secrets, "cms_preview_key", () => randomBytes(32).toString("base64")),
      "base64",
    ),
    site: new PostgresSiteReads(sql),
    sitemapCache: new RedisSitemapCache(redis, ns),
    siteUrl: (config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/+$/, ""),
    paymentTimeoutMs: config.ORDER_PAYMENT_TIMEOUT,
    autoCompleteMs: config.ORDER_AUTO_COMPLETE,
    freightTemplates: new PostgresFreightTemplates(sql),
    skuDimensions: (skus) => catalogueReads.dimensionsOf(skus),
    warehouseRegions: (codes) => warehouseRegions(sql, codes),
    carriers: infra.carriers ?? infra.carrierNetwork.catalogue,
    carrierDesk: carrierDesk(infra.carrierNetwork),
    shipments: new ShipmentQueries(sql),
  });
  if (config.BENCH_HTTP_CEILING) {
    // The bench's HTTP ceiling (`bench/flash-sale.ts`): never in a namespace a bench did not create.
    if (!ns.startsWith("bench_"))
      throw new Error(
        `BENCH_HTTP_CEILING=1 is for the bench only and needs a bench_ namespace (this one is ${ns})`,
      );
    routeModules.push(benchCeilingRoutes());
  }
  return createApp({
    routeModules,
    actors: infra.actors,
    tokens: infra.tokens,
    metrics: infra.metrics,
    log: infra.log,
  });
}

/** Subscriptions (secrets sealed with the node's secret box) and the deliveries read model. */
function webhookDirectory(sql: Sql, secrets: SecretBox) {
  const subscriptions = new PostgresWebhookSubscriptions(sql, secrets);
  const deliveries = new WebhookDeliveryQueries(sql);
  return {
    put: subscriptions.put.bind(subscriptions),
    get: subscriptions.get.bind(subscriptions),
    list: subscriptions.list.bind(subscriptions),
    deliveries: deliveries.list.bind(deliveries),
  };
}
