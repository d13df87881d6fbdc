/**
 * In-memory fakes of every gateway port, and a gateway built on them: route tests run with
 * `app.request()` in milliseconds, without NATS, Postgres or Redis. End-to-end behaviour over a real
 * node stays covered by `tests/gateway-api.test.ts` and friends.
 */
import type { Hono } from "hono";
import type { ChannelName, SimulatedChannel } from "../actors/payment/channels/index.ts";
import { MetricsRegistry, silentLogger } from "../actors/runtime/index.ts";
import { InvalidCursorError } from "../storage/read-models/cursor.ts";
import { createApp } from "./app.ts";
import { TokenService } from "./auth.ts";
import {
  FixedRisk,
  MemoryAuditLog,
  MemoryLoginThrottle,
  MemoryOrders,
  MemoryPaymentLedger,
  MemoryPriceBook,
  MemoryRateLimiter,
  MemoryUsers,
  MemoryWarehouses,
  missingChannels,
  missingStaff,
  RecordingActors,
} from "./fakes.ts";
import { type GatewayPorts, gatewayRoutes } from "./routes/index.ts";

export * from "./fakes.ts";

export const TEST_TOKEN_SECRET = "gateway-unit-tests-only-gateway-unit-tests-only";

export interface FakeGateway {
  app: Hono;
  actors: RecordingActors;
  limiter: MemoryRateLimiter;
  loginThrottle: MemoryLoginThrottle;
  users: MemoryUsers;
  warehouses: MemoryWarehouses;
  prices: MemoryPriceBook;
  orders: MemoryOrders;
  audit: MemoryAuditLog;
  risk: FixedRisk;
  ledger: MemoryPaymentLedger;
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
  const orders = new MemoryOrders();
  const audit = new MemoryAuditLog();
  const risk = new FixedRisk();
  const ledger = new MemoryPaymentLedger();
  const tokens = new TokenService(TEST_TOKEN_SECRET, 60_000, users, { cacheMs: 0 });
  const metrics = new MetricsRegistry();
  const ports: GatewayPorts = {
    readiness: async () => ({ ready: true, checks: { fake: { ok: true } } }),
    metrics,
    users,
    staff: missingStaff(),
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
    orders,
    payments: {
      channels: options.channels ?? missingChannels(),
      ledger,
      risk,
      publicUrl: "http://gateway.test",
    },
    audit,
    paymentTimeoutMs: 60_000,
    autoCompleteMs: 60_000,
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
    orders,
    audit,
    risk,
    ledger,
    tokens,
    bearer,
  };
}
