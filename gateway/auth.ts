import type { Context, MiddlewareHandler } from "hono";
import { sign, verify } from "hono/jwt";
import { type Grant, SELF_ACCESS } from "../actors/permissions/index.ts";
import { ACCOUNT_CACHE_MS, AccountCache } from "./account-cache.ts";
import { principalOf } from "./principal.ts";
import { ProblemError } from "./problem.ts";

export { principalOf, requireAuth } from "./principal.ts";

const VERIFIED_CACHE_MAX = 10_000;

/** What a request or socket acts as: the user, their CURRENT permissions, and the token's identity. */
export interface Principal {
  username: string;
  permissions: string[];
  roles: string[];
  /** Each role with its permissions and data scope (decision 0033); `permissions` is their flat union. */
  grants: readonly Grant[];
  /** The user's token version the token was issued under; bumping it revokes every older token. */
  tokenVersion: number;
  /** When the token expires (ms since the epoch). */
  expiresAt: number;
  /** The sign-in session the token belongs to (`sid`); absent in tokens issued before sessions existed. */
  sessionId?: string;
  /** Whether the login that issued the token passed the TOTP second factor. */
  secondFactor?: boolean;
  /**
   * The second-factor policy holds for one of the user's roles and this token's login did not pass it:
   * the principal holds no permission but `self:access` (enough to enrol TOTP) until it signs in again.
   */
  secondFactorRequired?: boolean;
}

/** The current state of an account, as the token check needs it. */
export interface AccountState {
  roles: string[];
  permissions: string[];
  /** Each role held with its data scope (decision 0033); absent (test doubles): nothing is limited. */
  grants?: readonly Grant[];
  disabled: boolean;
  tokenVersion: number;
  /** Ids of the user's revoked sessions that have not expired: their tokens are refused. */
  revokedSessions?: readonly string[];
}

export interface AccountSource {
  account(username: string): Promise<AccountState | undefined>;
}

interface VerifiedToken {
  username: string;
  tokenVersion: number;
  exp: number;
  sid: string | undefined;
  mfa: boolean;
}

export interface TokenOptions {
  cacheMs?: number;
  /** Roles whose holders must pass the TOTP second factor at login (decision 0032); none by default. */
  secondFactorRoles?: readonly string[];
  /** Called when a session's token is used, at most once a minute per session on this node. */
  sessionSeen?: (sessionId: string) => Promise<void>;
}

/** How often a session's "last seen" is written, at most, per node. */
const SESSION_SEEN_EVERY_MS = 60_000;
const SESSION_SEEN_MAX = 10_000;

/**
 * Signs and checks bearer tokens. A token (HS256 JWT) names the user and the user's token version only;
 * permissions are NOT baked in. Every check reads the account's current roles, `disabled` flag and
 * token version through a short cache (`ACCOUNT_CACHE_MS`), so a role change, a disabled user or a
 * revocation (token version bumped) takes effect on every node within that time, without a shared
 * blacklist.
 */
export class TokenService {
  readonly #secret: string;
  readonly #ttlMs: number;
  readonly #accounts: AccountCache;
  readonly #verified = new Map<string, VerifiedToken>();
  readonly #secondFactorRoles: ReadonlySet<string>;
  readonly #sessionSeen: TokenOptions["sessionSeen"];
  readonly #seenAt = new Map<string, number>();

  constructor(secret: string, ttlMs: number, accounts: AccountSource, options: TokenOptions = {}) {
    this.#secret = secret;
    this.#ttlMs = ttlMs;
    this.#accounts = new AccountCache(accounts, options.cacheMs ?? ACCOUNT_CACHE_MS);
    this.#secondFactorRoles = new Set(options.secondFactorRoles ?? []);
    this.#sessionSeen = options.sessionSeen;
  }

  /** When a token issued now expires. */
  expiryFromNow(): Date {
    return new Date((Math.floor(Date.now() / 1000) + Math.floor(this.#ttlMs / 1000)) * 1000);
  }

  /** Whether the second-factor policy covers one of these roles. */
  requiresSecondFactor(roles: readonly string[]): boolean {
    return roles.some((role) => this.#secondFactorRoles.has(role));
  }

  async issue(user: {
    username: string;
    tokenVersion: number;
    sessionId?: string;
    secondFactor?: boolean;
    expiresAt?: Date;
  }): Promise<{ token: string; expiresAt: string }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = user.expiresAt
      ? Math.floor(user.expiresAt.getTime() / 1000)
      : now + Math.floor(this.#ttlMs / 1000);
    const token = await sign(
      {
        sub: user.username,
        ver: user.tokenVersion,
        ...(user.sessionId ? { sid: user.sessionId } : {}),
        ...(user.secondFactor ? { mfa: true } : {}),
        iat: now,
        exp,
      },
      this.#secret,
      "HS256",
    );
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** The principal of a bearer token with the user's current permissions; 401 `unauthorized` if not valid. */
  async check(token: string): Promise<Principal> {
    const verified = await this.#verifySignature(token);
    if (verified.exp * 1000 <= Date.now()) throw new ProblemError(401, "unauthorized", "token expired");
    const state = await this.#accounts.get(verified.username);
    const refusal = refusalOf(state, verified);
    if (refusal || !state) throw new ProblemError(401, "unauthorized", refusal ?? "token revoked");
    if (verified.sid) this.#seen(verified.sid);
    const secondFactorRequired = !verified.mfa && this.requiresSecondFactor(state.roles);
    return {
      username: verified.username,
      permissions: secondFactorRequired ? [] : state.permissions,
      roles: state.roles,
      grants: state.grants ?? [],
      tokenVersion: verified.tokenVersion,
      expiresAt: verified.exp * 1000,
      ...(verified.sid ? { sessionId: verified.sid } : {}),
      secondFactor: verified.mfa,
      ...(secondFactorRequired ? { secondFactorRequired } : {}),
    };
  }

  #seen(sessionId: string): void {
    if (!this.#sessionSeen) return;
    const now = Date.now();
    const last = this.#seenAt.get(sessionId);
    if (last !== undefined && now - last < SESSION_SEEN_EVERY_MS) return;
    if (this.#seenAt.size >= SESSION_SEEN_MAX) this.#seenAt.clear();
    this.#seenAt.set(sessionId, now);
    // "Last seen" is a hint: a failed write is not worth a request's failure.
    this.#sessionSeen(sessionId).catch(() => undefined);
  }

  /** Forgets what this node knows about a user (after a change made here); other nodes follow within the cache time. */
  forget(username: string): void {
    this.#accounts.forget(username);
  }

  async #verifySignature(token: string): Promise<VerifiedToken> {
    // Verified signatures are cached until the token expires: an HMAC check per request is a measurable
    // share of a hot route's CPU, and a token's claims never change (the account's state is read apart).
    const cached = this.#verified.get(token);
    if (cached) return cached;
    let verified: VerifiedToken;
    try {
      const payload = await verify(token, this.#secret, "HS256");
      // Tokens without an expiry or a token version are refused: every token we issue has both.
      if (
        typeof payload.sub !== "string" ||
        typeof payload.ver !== "number" ||
        typeof payload.exp !== "number"
      ) {
        throw new Error("claims");
      }
      verified = {
        username: payload.sub,
        tokenVersion: payload.ver,
        exp: payload.exp,
        sid: typeof payload.sid === "string" ? payload.sid : undefined,
        mfa: payload.mfa === true,
      };
    } catch (error) {
      const expired = String((error as Error)?.name).includes("Expired");
      throw new ProblemError(401, "unauthorized", expired ? "token expired" : "invalid token");
    }
    if (this.#verified.size >= VERIFIED_CACHE_MAX) {
      const now = Date.now();
      for (const [key, entry] of this.#verified) if (entry.exp * 1000 <= now) this.#verified.delete(key);
      if (this.#verified.size >= VERIFIED_CACHE_MAX)
        this.#verified.delete(this.#verified.keys().next().value!);
    }
    this.#verified.set(token, verified);
    return verified;
  }
}

function refusalOf(state: AccountState | undefined, token: VerifiedToken): string | undefined {
  if (!state) return "user no longer exists";
  if (state.disabled) return "user is disabled";
  if (state.tokenVersion !== token.tokenVersion) return "token revoked";
  if (token.sid && state.revokedSessions?.includes(token.sid)) return "session revoked";
  return undefined;
}

/**
 * RBAC at the button level: `area:action`, with `*` and `area:*` wildcards. `self:access` (own account,
 * sessions, second factor, the catalogue) is held by every signed-in user (actors/permissions).
 */
export function can(principal: Pick<Principal, "permissions">, permission: string): boolean {
  if (permission === SELF_ACCESS) return true;
  const [area] = permission.split(":");
  return principal.permissions.some((p) => p === "*" || p === permission || p === `${area}:*`);
}

export function requirePermission(permission: string): MiddlewareHandler {
  return async (c, next) => {
    const principal = principalOf(c);
    if (!can(principal, permission)) {
      if (principal.secondFactorRequired) {
        throw new ProblemError(
          403,
          "second-factor-required",
          "your role requires the TOTP second factor: enrol it (POST /v1/me/totp) and sign in with a code",
          { permission },
        );
      }
      throw new ProblemError(403, "forbidden", `requires permission ${permission}`, { permission });
    }
    // The permission that let the request in: its data scope is the one the route honours (decision 0033).
    c.set("routePermission" as never, permission as never);
    await next();
  };
}

/** The permission the route was authorized by (`RouteDoc.permission`); undefined on unprotected routes. */
export function routePermissionOf(c: Context): string | undefined {
  return c.get("routePermission" as never) as string | undefined;
}
