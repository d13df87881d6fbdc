/**
 * In-memory fakes of every gateway port, and a gateway built on them: route tests run with
 * `app.request()` in milliseconds, without NATS, Postgres or Redis. End-to-end behaviour over a real
 * node stays covered by `tests/gateway-api.test.ts` and friends.
 */

import type { Hono } from "hono";
import type { ChannelName, SimulatedChannel } from "../actors/payment/channels/index.ts";
import type { Reply } from "../actors/runtime/index.ts";
import { MetricsRegistry, silentLogger } from "../actors/runtime/index.ts";
import { InvalidCursorError } from "../storage/read-models/cursor.ts";
import { createApp } from "./app.ts";
import { TokenService } from "./auth.ts";
import type {
  ActorCommand,
  ActorGateway,
  CommandMeta,
  OrderFilter,
  OrderReadModel,
  PriceBook,
  RateLimiter,
  Warehouse,
  WarehouseDirectory,
} from "./ports.ts";
import { type GatewayPorts, gatewayRoutes } from "./routes/index.ts";
import { emptyAuditTrail, MemoryAuditLog } from "./testing-audit.ts";
import { MemoryCatalogue } from "./testing-catalogue.ts";
import { memoryContentCache, siteTestingPorts } from "./testing-cms.ts";
import { emptyCoupons } from "./testing-coupons.ts";
import { memoryFreight } from "./testing-freight.ts";
import { MemoryLoginThrottle, MemoryUsers, missingChannels, missingStaff } from "./testing-identity.ts";
import { emptyNotifications, emptyWebhooks } from "./testing-notifications.ts";
import { FixedRisk, MemoryPaymentLedger } from "./testing-payments.ts";
import { MemoryPriceRules } from "./testing-pricing.ts";
import { MemoryPromotions } from "./testing-promotions.ts";
import { emptyPurchasing } from "./testing-purchasing.ts";
import { MemoryReviews } from "./testing-reviews.ts";
import { emptySegments } from "./testing-segments.ts";
import { emptyShipments, fakeCarrierDesk } from "./testing-shipments.ts";

export {
  MemoryCatalogue,
  MemoryLoginThrottle,
  MemoryPriceRules,
  MemoryPromotions,
  MemoryReviews,
  MemoryUsers,
};

export interface SentCommand {
  kind: string;
  id: string;
  cmd: ActorCommand;
  options: { meta?: CommandMeta; id?: string; fingerprint?: string; readOnly?: boolean };
}

/** Records every command and answers with `respond` (default: the actor does not know the command). */
export class RecordingActors implements ActorGateway {
  readonly sent: SentCommand[] = [];
  respond: (sent: SentCommand) => Reply | Promise<Reply> = (sent) => ({
    ok: false,
    error: { kind: "not_found", message: `no fake answer for ${sent.kind}/${sent.id} ${sent.cmd.type}` },
  });
  async request(kind: string, id: string, cmd: ActorCommand, options: SentCommand["options"]) {
    const sent = { kind, id, cmd, options };
    this.sent.push(sent);
    return this.respond(sent);
  }
}

export class MemoryRateLimiter implements RateLimiter {
  readonly hits = new Map<string, number>();
  async hit(key: string): Promise<number> {
    const count = (this.hits.get(key) ?? 0) + 1;
    this.hits.set(key, count);
    return count;
  }
}

export class MemoryWarehouses implements WarehouseDirectory {
  readonly #byCode = new Map<string, Warehouse>();
  async upsert(w: { code: string; name: string; region: string }) {
    const now = new Date(0).toISOString();
    const created = !this.#byCode.has(w.code);
    const warehouse = { ...w, createdAt: this.#byCode.get(w.code)?.createdAt ?? now, updatedAt: now };
    this.#byCode.set(w.code, warehouse);
    return { created, warehouse };
  }
  async list({ limit, after }: { limit: number; after?: string }) {
    const codes = [...this.#byCode.keys()].sort().filter((code) => !after || code > after);
    return codes.slice(0, limit).flatMap((code) => this.#byCode.get(code) ?? []);
  }
  async exists(code: string) {
    return this.#byCode.has(code);
  }
}

export class MemoryPriceBook implements PriceBook {
  readonly prices = new Map<string, number>();
  async set(sku: string, listPrice: number) {
    this.prices.set(sku, listPrice);
    return { sku, listPrice, currency: "CNY" };
  }
  async get(skus: string[]) {
    return new Map(skus.flatMap((sku) => (this.prices.has(sku) ? [[sku, this.prices.get(sku) ?? 0]] : [])));
  }
}

/** The orders read model as a list of rows; filters on user and status, like the real one. */
export class MemoryOrders implements OrderReadModel {
  readonly rows: Array<{ orderId: string; userId: string; status: string }> = [];
  async list(filter: OrderFilter) {
    if (filter.cursor) throw new InvalidCursorError(filter.cursor);
    const items = this.rows.filter(
      (row) =>
        (!filter.userId || row.userId === filter.userId) && (!filter.status || row.status === filter.status),
    );
    return { items: items.slice(0, filter.limit), nextCursor: null };
  }
  async stats() {
    return [];
  }
}

export const TEST_TOKEN_SECRET = "gateway-unit-tests-only-gateway-unit-tests-only";

export interface FakeGateway {
  app: Hono;
  actors: RecordingActors;
  limiter: MemoryRateLimiter;
  loginThrottle: MemoryLoginThrottle;
  users: MemoryUsers;
  warehouses: MemoryWarehouses;
  prices: MemoryPriceBook;
  priceRules: MemoryPriceRules;
  catalogue: MemoryCatalogue;
  orders: MemoryOrders;
  audit: MemoryAuditLog;
  risk: FixedRisk;
  ledger: MemoryPaymentLedger;
  reviews: MemoryReviews;
  promotions: MemoryPromotions;
  tokens: TokenService;
  /** An `Authorization` header for a user holding `permissions`. */
  bearer(permissions: string[], username?: string): Promise<{ authorization: string }>;
}

/**
 * Every route of the real gateway over in-memory ports. Channels are only needed by payment routes
 * that reach a channel; pass real ones (`createChannels`) for those.
 */
export function fakeGateway(options: { channels?: Record<ChannelName, SimulatedChannel> } = {}): FakeGateway {
  const actors = new RecordingActors();
  const limiter = new MemoryRateLimiter();
  const loginThrottle = new MemoryLoginThrottle();
  const users = new MemoryUsers();
  const warehouses = new MemoryWarehouses();
  const prices = new MemoryPriceBook();
  const priceRules = new MemoryPriceRules(prices.prices);
  const catalogue = new MemoryCatalogue();
  const orders = new MemoryOrders();
  const audit = new MemoryAuditLog();
  const risk = new FixedRisk();
  const ledger = new MemoryPaymentLedger();
  const reviews = new MemoryReviews();
  const promotions = new MemoryPromotions();
  const tokens = new TokenService(TEST_TOKEN_SECRET, 60_000, users, { cacheMs: 0 });
  const metrics = new MetricsRegistry();
  const ports: GatewayPorts = {
    readiness: async () => ({ ready: true, checks: { fake: { ok: true } } }),
    metrics,
    users,
    staff: missingStaff(),
    sessions: users.sessions,
    secondFactor: users.secondFactor,
    tokens,
    loginThrottle,
    limiter,
    warehouses,
    inventory: {
      ledger: async (_sku, _limit, cursor) => {
        if (cursor) throw new InvalidCursorError(cursor);
        return { items: [], nextCursor: null };
      },
    },
    prices,
    productSearch: {
      search: async (filter) => {
        if (filter.cursor) throw new InvalidCursorError(filter.cursor);
        return { items: [], nextCursor: null };
      },
    },
    priceRules,
    catalogue,
    coupons: emptyCoupons(),
    purchasing: emptyPurchasing(),
    orders,
    payments: {
      channels: options.channels ?? missingChannels(),
      ledger,
      risk,
      publicUrl: "http://gateway.test",
    },
    audit,
    auditTrail: emptyAuditTrail(),
    reviews,
    promotions,
    segments: emptySegments(),
    parked: { list: async () => [], retry: async () => ({ outcome: "not-parked" }) },
    jobs: { definitions: [], runs: async () => ({ items: [], nextCursor: null }) },
    notifications: emptyNotifications(),
    webhooks: emptyWebhooks(),
    contentCache: memoryContentCache(),
    ...siteTestingPorts(),
    paymentTimeoutMs: 60_000,
    autoCompleteMs: 60_000,
    ...memoryFreight(),
    carrierDesk: fakeCarrierDesk(),
    shipments: emptyShipments(),
  };
  const app = createApp({ routeModules: gatewayRoutes(ports), actors, tokens, metrics, log: silentLogger });
  // The token names the user; the permissions are the account's (set here, read on every check).
  const bearer = async (permissions: string[], username = "tester") => {
    users.add(username, `${username}-password`, permissions);
    return { authorization: `Bearer ${(await tokens.issue({ username, tokenVersion: 0 })).token}` };
  };
  return {
    app,
    actors,
    limiter,
    loginThrottle,
    users,
    warehouses,
    prices,
    priceRules,
    catalogue,
    orders,
    audit,
    risk,
    ledger,
    reviews,
    promotions,
    tokens,
    bearer,
  };
}
