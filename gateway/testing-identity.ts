/**
 * In-memory fakes of the identity ports (login, token check, staff), and the fakes that fail loudly when
 * a test reaches a port it did not fake (staff, channels), for `fakeGateway` in testing.ts.
 */
import type { ChannelName, SimulatedChannel } from "../actors/payment/channels/index.ts";
import type { AccountSource, AccountState } from "./auth.ts";
import type { SecondFactor, SessionDirectory, SessionView } from "./identity-ports.ts";
import type { LoginThrottle, LoginVerdict, UserDirectory } from "./ports.ts";
import type { StaffDirectory } from "./routes/users.ts";

/** Users for login and for the token check (permissions come from the account, not the token). */
export class MemoryUsers implements UserDirectory, AccountSource {
  readonly #users = new Map<string, { password: string } & AccountState>();
  /** Their sign-in sessions (login creates one). */
  readonly sessions = new MemorySessions();
  /** Nobody has a second factor here (tests/totp.test.ts covers it over a real node). */
  readonly secondFactor = noSecondFactor();
  add(username: string, password: string, permissions: string[]): this {
    this.#users.set(username, { password, permissions, roles: [], disabled: false, tokenVersion: 0 });
    return this;
  }
  async verify(username: string, password: string) {
    const user = this.#users.get(username);
    return user && user.password === password && !user.disabled
      ? { username, tokenVersion: user.tokenVersion }
      : undefined;
  }
  async account(username: string): Promise<AccountState | undefined> {
    const user = this.#users.get(username);
    return (
      user && {
        roles: user.roles,
        permissions: user.permissions,
        disabled: user.disabled,
        tokenVersion: user.tokenVersion,
      }
    );
  }
}

function noSecondFactor(): SecondFactor {
  const none = async () => "not-enrolled" as const;
  return {
    status: async () => ({ enrolled: false, pending: false, confirmedAt: null }),
    enrol: async () => undefined,
    confirm: none,
    enrolled: async () => false,
    verify: none,
    disable: none,
  };
}

/** Sessions in memory (login creates one); revoking marks it, as the Postgres store does. */
export class MemorySessions implements SessionDirectory {
  readonly sessions = new Map<string, SessionView & { revoked: boolean }>();
  async create(s: Parameters<SessionDirectory["create"]>[0]): Promise<string> {
    const id = crypto.randomUUID();
    const now = new Date().toISOString();
    this.sessions.set(id, {
      id,
      username: s.username,
      userAgent: s.userAgent,
      ip: s.ip,
      secondFactor: s.secondFactor,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: s.expiresAt.toISOString(),
      revoked: false,
    });
    return id;
  }
  async active(username: string): Promise<SessionView[]> {
    return [...this.sessions.values()].filter((s) => s.username === username && !s.revoked).reverse();
  }
  async revoke(username: string, id: string): Promise<boolean> {
    const s = this.sessions.get(id);
    if (!s || s.username !== username || s.revoked) return false;
    s.revoked = true;
    return true;
  }
}

/** Answers `verdict` to every login attempt; records attempts and the successes taken back. */
export class MemoryLoginThrottle implements LoginThrottle {
  verdict: LoginVerdict = { allowed: true };
  readonly attempts: Array<{ address: string; username: string }> = [];
  readonly succeededFor: string[] = [];
  async begin(address: string, username: string): Promise<LoginVerdict> {
    this.attempts.push({ address, username });
    return this.verdict;
  }
  async succeeded(_address: string, username: string): Promise<void> {
    this.succeededFor.push(username);
  }
}

/** The staff routes are covered over a real node (tests/users-api.test.ts); here they fail loudly. */
export function missingStaff(): StaffDirectory {
  const fail = (): never => {
    throw new Error("fakeGateway: the staff directory is not faked");
  };
  return {
    add: fail,
    update: fail,
    setPassword: fail,
    revokeTokens: fail,
    find: fail,
    list: fail,
    roles: fail,
    putRole: fail,
  };
}

/** Channels that fail loudly if a test reaches them without passing real ones. */
export function missingChannels(): Record<ChannelName, SimulatedChannel> {
  const missing = (name: ChannelName): SimulatedChannel => {
    const fail = (): never => {
      throw new Error(`fakeGateway: pass channels to reach the ${name} channel`);
    };
    return {
      name,
      createPayment: fail,
      createPaymentAsync: fail,
      verifyCallback: fail,
      refund: fail,
      parseStatement: fail,
      callbackReply: fail,
      simulateCallback: fail,
      simulateCallbackAsync: fail,
      statement: fail,
      acceptPayment: fail,
    };
  };
  return { wechat: missing("wechat"), alipay: missing("alipay"), unionpay: missing("unionpay") };
}
