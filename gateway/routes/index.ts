import type { ChannelName, SimulatedChannel } from "../../actors/payment/channels/index.ts";
import type { MetricsRegistry } from "../../actors/runtime/index.ts";
import { type AccessReviewStore, NO_ACCESS_REVIEWS } from "../access-review-ports.ts";
import type { RouteModule } from "../app.ts";
import type { AuditTrail } from "../audit-ports.ts";
import type { TokenService } from "../auth.ts";
import type { ExperimentStore } from "../cms-experiment-ports.ts";
import type { ContentCache, SitemapCache, SiteReads } from "../cms-ports.ts";
import type { FreightPorts, FreightTemplateStore } from "../freight-ports.ts";
import type { SecondFactor, SessionDirectory } from "../identity-ports.ts";
import type { NotificationCenter, WebhookDirectory } from "../notification-ports.ts";
import type {
  AuditLog,
  Catalogue,
  CouponReadModel,
  FlashSaleAdmissionLimits,
  FlashSaleReadModel,
  InventoryReadModel,
  LoginThrottle,
  OrderReadModel,
  PaymentLedger,
  PaymentRisk,
  PriceBook,
  PriceRuleStore,
  ProductSearch,
  PromotionStore,
  RateLimiter,
  ReadinessReport,
  ReviewStore,
  SegmentStore,
  UserDirectory,
  WarehouseDirectory,
} from "../ports.ts";
import type { PurchasingStore } from "../purchasing-ports.ts";
import type { CarrierDesk, ShipmentReadModel } from "../shipment-ports.ts";
import { accessReviewRoutes } from "./access-reviews.ts";
import { auditRoutes } from "./audit.ts";
import { authRoutes } from "./auth.ts";
import { carrierRoutes } from "./carriers.ts";
import { categoryRoutes } from "./categories.ts";
import { checkoutRoutes } from "./checkout.ts";
import { cmsRoutes } from "./cms.ts";
import { contentRoutes } from "./cms-content.ts";
import type { ExperimentEventLimits } from "./cms-experiment-events.ts";
import { experimentAndPreviewRoutes } from "./cms-experiments.ts";
import { siteRoutes } from "./cms-public.ts";
import { cmsSiteRoutes } from "./cms-site.ts";
import { couponRoutes } from "./coupons.ts";
import { FLASH_SALE_DEFAULTS, FlashSaleAdmission } from "./flash-sale-admission.ts";
import { flashSaleRoutes, NO_FLASH_SALES } from "./flash-sales.ts";
import { freightTemplateRoutes } from "./freight-templates.ts";
import { groupBuyRoutes } from "./group-buys.ts";
import { holdRoutes } from "./holds.ts";
import { inventoryRoutes } from "./inventory.ts";
import { type JobDirectory, jobRoutes } from "./jobs.ts";
import { memberRoutes } from "./members.ts";
import { notificationRoutes } from "./notifications.ts";
import { opsRoutes } from "./ops.ts";
import { orderExportRoutes } from "./order-export.ts";
import { orderLifecycleRoutes } from "./order-lifecycle.ts";
import { orderRoutingRoutes } from "./order-routing.ts";
import { orderRoutes } from "./orders.ts";
import { paymentStatementRoutes } from "./payment-statements.ts";
import { paymentRoutes } from "./payments.ts";
import { permissionRoutes } from "./permissions.ts";
import { presaleRoutes } from "./presales.ts";
import { priceRoutes } from "./prices.ts";
import { pricingRoutes } from "./pricing.ts";
import { productBatchRoutes } from "./product-batch.ts";
import { productImportRoutes } from "./product-import.ts";
import { productSearchRoutes } from "./product-search.ts";
import { productRoutes } from "./products.ts";
import { type ParkedEventList, projectorRoutes } from "./projector.ts";
import { promotionRoutes } from "./promotions.ts";
import { purchaseOrderRoutes } from "./purchase-orders.ts";
import { purchasePlanRoutes } from "./purchase-plans.ts";
import { purchaseReceiptRoutes } from "./purchase-receipts.ts";
import { purchasingSettingsRoutes } from "./purchasing-settings.ts";
import { reviewAdminRoutes } from "./review-admin.ts";
import { reviewRoutes } from "./reviews.ts";
import { segmentRoutes } from "./segments.ts";
import { sessionRoutes } from "./sessions.ts";
import { shipmentRoutes } from "./shipments.ts";
import { supplierRoutes } from "./suppliers.ts";
import { totpRoutes } from "./totp.ts";
import { type StaffDirectory, type UserRoutePorts, userRoutes } from "./users.ts";
import { warehouseCheckRoutes } from "./warehouse-checks.ts";
import { warehouseFloorRoutes } from "./warehouse-floor.ts";
import { warehousePutawayRoutes } from "./warehouse-putaway.ts";
import { warehouseWaveRoutes } from "./warehouse-waves.ts";
import { warehouseRoutes } from "./warehouses.ts";
import { webhookRoutes } from "./webhooks.ts";

/** Everything the routes of this gateway need, as ports (see `gateway/ports.ts`). */
export interface GatewayPorts extends UserRoutePorts {
  readiness(): Promise<ReadinessReport>;
  metrics: MetricsRegistry;
  users: UserDirectory;
  /** Staff accounts and roles (the same store as `users` in production). */
  staff: StaffDirectory;
  /** Sign-in sessions and the optional TOTP second factor (decision 0032). */
  sessions: SessionDirectory;
  secondFactor: SecondFactor;
  tokens: TokenService;
  loginThrottle: LoginThrottle;
  limiter: RateLimiter;
  warehouses: WarehouseDirectory;
  inventory: InventoryReadModel;
  prices: PriceBook;
  /** Operator product search (catalogue-ops). */
  productSearch: ProductSearch;
  /** Member-level, channel and scheduled prices beside the list prices (the resolver's inputs). */
  priceRules: PriceRuleStore;
  /** Categories, products and SKUs (reference data) and their history. */
  catalogue: Catalogue;
  /** A member's coupons (read model of the coupon-template actors). */
  coupons: CouponReadModel;
  orders: OrderReadModel;
  payments: {
    channels: Record<ChannelName, SimulatedChannel>;
    ledger: PaymentLedger;
    risk: PaymentRisk;
    /** Where channels post callbacks (this gateway's public URL). */
    publicUrl: string;
  };
  audit: AuditLog;
  /** The audit log you can read: list, hash-chain verification, retention (decision 0035). */
  auditTrail: AuditTrail;
  /** Reviews, moderation, blocked words and rating statistics (Postgres). */
  reviews: ReviewStore;
  /** Promotions (decision 0021): definitions, and what checkout evaluates. */
  promotions: PromotionStore;
  /** Member tags, segments and what segment pushes delivered (decision 0025). */
  segments: SegmentStore;
  /** Scheduled jobs of this build and their run history. */
  jobs: JobDirectory;
  /** The projector's dead letters (any gateway node can list and retry them). */
  parked: ParkedEventList;
  /** Purchasing (issue 12): plans, and lists of suppliers, purchase orders and payables (Postgres). */
  purchasing: PurchasingStore;
  paymentTimeoutMs: number;
  autoCompleteMs: number;
  /** Freight templates (decision 0028). */
  freightTemplates: FreightTemplateStore;
  /** Per-unit weight and volume of SKUs (the product center), for freight. */
  skuDimensions: FreightPorts["skuDimensions"];
  /** Warehouse regions, for routing distances. */
  warehouseRegions: FreightPorts["warehouseRegions"];
  /** The carrier catalogue routing reads (`actors/carrier`; the seam in SEAMS.md). */
  carriers: FreightPorts["carriers"];
  /** Operator notifications (decision 0030). */
  notifications: NotificationCenter;
  /** Access review campaigns and items (decision 0036); none when absent. */
  accessReviews?: AccessReviewStore;
  /** Outbound webhook subscriptions and deliveries (decision 0030). */
  webhooks: WebhookDirectory;
  /** Carriers: catalogue, webhook signatures, simulators (logistics, decision 0029). */
  carrierDesk: CarrierDesk;
  /** Shipments' read model (compensation records). */
  shipments: ShipmentReadModel;
  /** The public content cache of published CMS pages (decision 0031). */
  contentCache: ContentCache;
  /** CMS A/B experiments (decision 0038); none when absent. */
  experiments?: ExperimentStore;
  /** Rate limits of the public experiment event endpoint (defaults when absent). */
  experimentLimits?: ExperimentEventLimits;
  /** The HMAC key of CMS preview links, shared by every node (decision 0038); absent: one per process. */
  previewKey?: Uint8Array;
  /** Sitemap sources, top sellers and products by SEO slug (decision 0039). */
  site: SiteReads;
  /** The cached sitemap (decision 0039). */
  sitemapCache: SitemapCache;
  /** The storefront's base URL (sitemap locations). */
  siteUrl: string;
  /** Flash-sale campaigns (read model of the flash-sale actors, decision 0023); none when absent. */
  flashSales?: FlashSaleReadModel;
  /** Server-side admission limits of flash-sale orders (defaults when absent). */
  flashSaleLimits?: FlashSaleAdmissionLimits;
}

/** Every area's routes, in registration order (a static path must come before a `:param` sibling). */
export function gatewayRoutes(ports: GatewayPorts): RouteModule[] {
  // One admission controller per gateway: orders and the campaign view share its queue figures.
  const flashAdmission = new FlashSaleAdmission(ports.flashSaleLimits ?? FLASH_SALE_DEFAULTS, ports.limiter);
  return [
    priceRoutes(ports),
    pricingRoutes(ports),
    categoryRoutes(ports),
    // Static /v1/products/batch and /import before the catalogue's /v1/products/:spuCode.
    productBatchRoutes(ports),
    productImportRoutes(ports),
    productRoutes(ports),
    // Static /v1/orders/export before /v1/orders/:orderId.
    orderExportRoutes(ports),
    orderRoutes({ ...ports, flashAdmission }),
    orderLifecycleRoutes(ports),
    // Before memberRoutes: /v1/members/:userId/coupons is a static tail, harmless either way.
    couponRoutes(ports),
    // Before memberRoutes too: /v1/members/:userId/tags and /messages.
    segmentRoutes(ports),
    memberRoutes(),
    paymentRoutes({ ...ports.payments, audit: ports.audit }),
    paymentStatementRoutes(ports.payments),
    opsRoutes(ports),
    projectorRoutes(ports),
    jobRoutes(ports),
    // Static /v1/audit/verify and /retention; no :param sibling.
    auditRoutes(ports),
    authRoutes(ports),
    userRoutes({ users: ports.staff, tokens: ports.tokens, approvals: ports.approvals }),
    permissionRoutes(),
    accessReviewRoutes({ reviews: ports.accessReviews ?? NO_ACCESS_REVIEWS, tokens: ports.tokens }),
    sessionRoutes(ports),
    totpRoutes(ports),
    warehouseRoutes(ports),
    inventoryRoutes(ports),
    holdRoutes(ports),
    productSearchRoutes(ports),
    // Static /v1/reviews/blocked-words before /v1/reviews/:reviewId.
    reviewAdminRoutes(ports),
    reviewRoutes(ports),
    promotionRoutes(ports),
    checkoutRoutes(ports),
    groupBuyRoutes(),
    warehouseFloorRoutes(ports),
    warehousePutawayRoutes(ports),
    warehouseWaveRoutes(ports),
    warehouseCheckRoutes(ports),
    freightTemplateRoutes(ports),
    orderRoutingRoutes(ports),
    notificationRoutes(ports),
    // Static /v1/webhooks/dead-letters before /v1/webhooks/:id.
    webhookRoutes(ports),
    supplierRoutes(ports),
    purchaseOrderRoutes(ports),
    purchasePlanRoutes(ports),
    purchasingSettingsRoutes(ports),
    purchaseReceiptRoutes(),
    shipmentRoutes(ports),
    carrierRoutes({ carriers: ports.carrierDesk, metrics: ports.metrics }),
    presaleRoutes(),
    cmsRoutes(ports),
    cmsSiteRoutes(ports),
    contentRoutes(ports),
    siteRoutes(ports),
    ...experimentAndPreviewRoutes(ports),
    flashSaleRoutes({ flashSales: ports.flashSales ?? NO_FLASH_SALES, flashAdmission }),
  ];
}
