/**
 * What the gateway needs from the rest of the system, as small interfaces. Routes depend on these
 * ports, never on a store or a driver: `node/` plugs in the Postgres/Redis/NATS implementations, and
 * gateway unit tests plug in fakes (see `gateway/testing.ts`).
 */
import type { ChannelName, StatementEntry } from "../actors/payment/channels/index.ts";
import type { DataScope, ScopeFilter } from "../actors/permissions/index.ts";
import type { PriceRules } from "../actors/pricing/index.ts";
import type { Reply } from "../actors/runtime/index.ts";

export type {
  CartFacts,
  NewPromotion,
  PromotionCreation,
  PromotionRecord,
  PromotionStore,
} from "./promotion-ports.ts";
export type {
  BlockedWordList,
  ChangeAudit,
  NewReview,
  ReviewChange,
  ReviewCreation,
  ReviewFilter,
  ReviewStore,
} from "./review-ports.ts";

/** Who asked, carried with every command into the actor's events (the audit trail of mutations). */
export interface CommandMeta {
  by: string;
  requestId: string;
}

export type ActorCommand = { type: string; [field: string]: unknown };

/** Commands and reads to actors (the `ActorClient` over NATS in production). */
export interface ActorGateway {
  request(
    kind: string,
    id: string,
    cmd: ActorCommand,
    options: { meta?: CommandMeta; id?: string; fingerprint?: string; readOnly?: boolean },
  ): Promise<Reply>;
}

/** Security-relevant facts that do not come from an actor (e.g. rejected channel callbacks). */
export interface AuditLog {
  record(entry: {
    principal: string;
    action: string;
    target: string;
    requestId: string;
    detail: Record<string, unknown>;
  }): Promise<void>;
}

/** Fixed-window counting shared by every gateway node (Redis in production). */
export interface RateLimiter {
  /** Counts one more hit on `key` in a window of `windowSeconds`; returns the hits so far, this one included. */
  hit(key: string, windowSeconds: number): Promise<number>;
}

export interface UserDirectory {
  /** The user when the password matches and the user is enabled, otherwise undefined. */
  verify(username: string, password: string): Promise<{ username: string; tokenVersion: number } | undefined>;
}

export type LoginVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Login throttling per client address and per username, shared by every gateway node (Redis). */
export interface LoginThrottle {
  /** Counts the attempt as a failure in advance, or refuses it while the address or username is blocked. */
  begin(address: string, username: string): Promise<LoginVerdict>;
  /** Takes a successful attempt's count back: only failures count. */
  succeeded(address: string, username: string): Promise<void>;
}

export interface Warehouse {
  code: string;
  name: string;
  region: string;
  createdAt: string;
  updatedAt: string;
}

/** Reference data: warehouses, with a fast existence check for every stock command. */
export interface WarehouseDirectory {
  upsert(
    w: { code: string; name: string; region: string },
    by: string,
    requestId: string,
  ): Promise<{ created: boolean; warehouse: Warehouse }>;
  list(opts: { limit: number; after?: string; scope?: ScopeFilter }): Promise<Warehouse[]>;
  exists(code: string): Promise<boolean>;
}

/** List prices per SKU in minor units. */
export interface PriceBook {
  set(
    sku: string,
    listPrice: number,
    by: string,
    requestId: string,
  ): Promise<{ sku: string; listPrice: number; currency: string }>;
  get(skus: string[]): Promise<Map<string, number>>;
}

/** An SKU's list price (null when it has none) and its price rules: what the resolver prices from. */
export interface SkuPricing {
  listPrice: number | null;
  rules: PriceRules;
}

/** Price rules per SKU beside the list prices (Postgres in production; `storage/pricing/`). */
export interface PriceRuleStore {
  /** Replaces the SKU's whole rule set (already checked), with its history and audit rows; the rules now stored. */
  replace(sku: string, rules: PriceRules, by: string, requestId: string): Promise<PriceRules>;
  read(sku: string): Promise<SkuPricing>;
  /** Every asked SKU's list price and rules, in one consistent read. */
  pricing(skus: readonly string[]): Promise<Map<string, SkuPricing>>;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Inventory read model. Throws `InvalidCursorError` (storage) for a cursor it did not issue. */
export interface InventoryReadModel {
  ledger(sku: string, limit: number, cursor?: string, scope?: ScopeFilter): Promise<Page<object>>;
}

export interface OrderFilter {
  status?: string;
  userId?: string;
  sku?: string;
  channel?: string;
  from?: Date;
  to?: Date;
  minTotal?: number;
  maxTotal?: number;
  limit: number;
  cursor?: string;
}

/** Orders read model (eventually consistent). Throws `InvalidCursorError` for a foreign cursor. */
export interface OrderReadModel {
  list(filter: OrderFilter, scope?: ScopeFilter): Promise<Page<{ orderId: string }>>;
  stats(from: Date, to: Date, interval: "hour" | "day", scope?: ScopeFilter): Promise<object[]>;
}

/** The money that moved on a channel, from our ledger; and reconciliation against a channel's statement. */
export interface PaymentLedger {
  channelMovements(channel: ChannelName, date: string): Promise<StatementEntry[]>;
  /**
   * `run` (a scheduled run): the report is keyed by the run id and channel, so a retry of that run
   * replaces its own report and no other; it is written only while `attempt` is the run's current one.
   */
  reconcile(options: {
    channel: ChannelName;
    date: string;
    statement: StatementEntry[];
    run?: { runId: string; attempt: number };
  }): Promise<object>;
}

export type RiskVerdict =
  | { allowed: true }
  | { allowed: false; reason: "blacklist" }
  | { allowed: false; reason: "amount"; limit: number }
  | { allowed: false; reason: "velocity"; retryAfterSeconds: number };

/** Payment risk rules (blacklist, single-payment limit, per-user velocity), decided outside the edge. */
export interface PaymentRisk {
  assess(payment: { userId: string; amount: number }): Promise<RiskVerdict>;
}

export interface ReadinessReport {
  /** False only when this node cannot serve what it claims (answered 503). */
  ready: boolean;
  /** `degraded`: serving, but something an operator should look at (listed in `reasons`). */
  status?: "ready" | "degraded" | "unavailable";
  reasons?: string[];
  /** What works: `writes`, `read models`, `login`, `realtime` (those this node's roles provide). */
  capabilities?: Record<string, { ok: boolean; detail?: string }>;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export type StaffRole = { name: string; permissions: string[]; description?: string; scope?: DataScope };

/**
 * What the staff and roles routes need from the user store (Postgres in production). Throws
 * `UnknownRoleError` for a role that does not exist and `BuiltInRoleError` for editing a built-in role.
 */
export interface StaffDirectory {
  add(user: NewStaffUser, audit: StaffAudit): Promise<boolean>;
  update(
    username: string,
    change: { roles?: string[]; disabled?: boolean; manager?: string | null },
    audit: StaffAudit,
  ): Promise<StaffUser | undefined>;
  setPassword(username: string, password: string, audit: StaffAudit): Promise<boolean>;
  revokeTokens(username: string, audit: StaffAudit): Promise<boolean>;
  find(username: string): Promise<StaffUser | undefined>;
  list(opts: { limit: number; after?: string }): Promise<Array<{ username: string }>>;
  roles(): Promise<Array<{ name: string; permissions: string[]; description: string; builtIn: boolean }>>;
  putRole(role: StaffRole, audit: StaffAudit): Promise<{ created: boolean; role: object }>;
}

type StaffAudit = { by: string; requestId: string | null };
type NewStaffUser = { username: string; password: string; roles: string[]; manager?: string | null };

export interface StaffUser {
  username: string;
  roles: string[];
  permissions: string[];
  disabled: boolean;
  manager?: string | null;
}

/** Operator product search (issue 10 item 5). Throws `InvalidCursorError` for a cursor it did not issue. */
export interface ProductSearchFilter {
  q?: string;
  category?: string;
  brand?: string;
  status?: string;
  minPrice?: number;
  maxPrice?: number;
  stock?: "in_stock" | "low" | "out";
  limit: number;
  cursor?: string;
}

export interface ProductSearch {
  search(filter: ProductSearchFilter): Promise<Page<object>>;
}
export type {
  Catalogue,
  CatalogueHistoryItem,
  Category,
  CategoryInput,
  ProductInput,
  ProductRecord,
  ProductSkuInput,
} from "./catalogue-ports.ts";
export type { CouponReadModel, MemberCouponItem, MemberCouponStatus } from "./coupon-ports.ts";
export type { FlashSaleAdmissionLimits, FlashSaleReadModel } from "./flash-sale-ports.ts";
export type { MemberFiguresItem, MemberTagItem, SegmentItem, SegmentStore } from "./segment-ports.ts";
