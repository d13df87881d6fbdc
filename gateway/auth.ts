import type { Context, MiddlewareHandler } from "hono";
import { sign, verify } from "hono/jwt";
import { ProblemError } from "./problem.ts";

const VERIFIED_CACHE_MAX = 10_000;

export interface Principal {
  username: string;
  permissions: string[];
}

/** Signs and checks bearer tokens (HS256 JWT carrying the user's permissions). */
export class TokenService {
  readonly #secret: string;
  readonly #ttlMs: number;
  readonly #verified = new Map<string, { principal: Principal; exp: number }>();
  constructor(secret: string, ttlMs: number) {
    this.#secret = secret;
    this.#ttlMs = ttlMs;
  }

  async issue(principal: Principal): Promise<{ token: string; expiresAt: string }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + Math.floor(this.#ttlMs / 1000);
    const token = await sign(
      { sub: principal.username, perms: principal.permissions, iat: now, exp },
      this.#secret,
      "HS256",
    );
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  async check(token: string): Promise<Principal> {
    // Verified tokens are cached until they expire: an HMAC check per request is a measurable share of a
    // hot route's CPU, and a token's claims never change.
    const cached = this.#verified.get(token);
    if (cached && cached.exp * 1000 > Date.now()) return cached.principal;
    if (cached) this.#verified.delete(token);
    const principal = await this.#verify(token);
    if (this.#verified.size >= VERIFIED_CACHE_MAX) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(token, principal);
    return principal.principal;
  }

  async #verify(token: string): Promise<{ principal: Principal; exp: number }> {
    try {
      const payload = await verify(token, this.#secret, "HS256");
      // Tokens without an expiry are refused: every token we issue has one.
      if (
        typeof payload.sub !== "string" ||
        !Array.isArray(payload.perms) ||
        typeof payload.exp !== "number"
      ) {
        throw new Error("claims");
      }
      return {
        principal: { username: payload.sub, permissions: payload.perms as string[] },
        exp: payload.exp,
      };
    } catch (error) {
      const expired = String((error as Error)?.name).includes("Expired");
      throw new ProblemError(401, "unauthorized", expired ? "token expired" : "invalid token");
    }
  }
}

export function requireAuth(tokens: TokenService): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ProblemError(401, "unauthorized", "send Authorization: Bearer <token>");
    c.set("principal" as never, (await tokens.check(match[1]!)) as never);
    await next();
  };
}

export function principalOf(c: Context): Principal {
  return c.get("principal" as never) as Principal;
}

/** RBAC at the button level: `area:action`, with `*` and `area:*` wildcards. */
export function can(principal: Principal, permission: string): boolean {
  const [area] = permission.split(":");
  return principal.permissions.some((p) => p === "*" || p === permission || p === `${area}:*`);
}

export function requirePermission(permission: string): MiddlewareHandler {
  return async (c, next) => {
    if (!can(principalOf(c), permission)) {
      throw new ProblemError(403, "forbidden", `requires permission ${permission}`, { permission });
    }
    await next();
  };
}
