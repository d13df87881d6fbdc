import type { Context, MiddlewareHandler } from "hono";
import type { Principal, TokenService } from "./auth.ts";
import { ProblemError } from "./problem.ts";

/** Authenticates a request by its bearer token (`TokenService.check`); the principal is kept on the context. */
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
