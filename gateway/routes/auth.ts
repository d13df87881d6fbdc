import type { GatewayKit } from "../app.ts";
import type { TokenService } from "../auth.ts";
import type { RateLimiter, UserDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import * as s from "../schemas.ts";
import { parseBody } from "../validate.ts";

export interface AuthRouteDeps {
  users: UserDirectory;
  tokens: TokenService;
  /** Counts login attempts per username across all gateway nodes. */
  limiter: RateLimiter;
}

const LOGIN_ATTEMPTS_PER_MINUTE = 20;

/** Login: username and password for a bearer token, limited per username against guessing. */
export function authRoutes(deps: AuthRouteDeps) {
  return ({ define }: GatewayKit) => {
    define(
      {
        method: "post",
        path: "/v1/auth/token",
        summary: "Exchange username and password for a bearer token",
        tag: "Auth",
        public: true,
        body: s.tokenRequest,
        response: { status: 200, schema: s.tokenResponse, description: "Signed JWT" },
      },
      async (c) => {
        const body = await parseBody(c, s.tokenRequest);
        const attempts = await deps.limiter.hit(`login:${body.username}`, 60);
        if (attempts > LOGIN_ATTEMPTS_PER_MINUTE) {
          throw new ProblemError(429, "rate-limited", "too many login attempts; wait a minute", {}, 60);
        }
        const user = await deps.users.verify(body.username, body.password);
        if (!user) throw new ProblemError(401, "unauthorized", "wrong username or password");
        return c.json(await deps.tokens.issue({ username: user.username, permissions: user.permissions }));
      },
    );
  };
}
