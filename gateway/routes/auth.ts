import type { Context } from "hono";
import type { GatewayKit } from "../app.ts";
import type { TokenService } from "../auth.ts";
import type { SecondFactor, SessionDirectory } from "../identity-ports.ts";
import type { LoginThrottle, UserDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import * as s from "../schemas.ts";
import { parseBody } from "../validate.ts";

export interface AuthRouteDeps {
  users: UserDirectory;
  tokens: TokenService;
  /** Failed logins per client address and per username, across all gateway nodes. */
  loginThrottle: LoginThrottle;
  /** Every login is a session (decision 0032): its id goes into the token as `sid`. */
  sessions: SessionDirectory;
  /** The optional TOTP second factor: an enrolled user's login needs a code (decision 0032). */
  secondFactor: Pick<SecondFactor, "enrolled" | "verify">;
}

/**
 * The peer address of the request, as the platform adapter hands it over (`env.clientAddress`); behind a
 * reverse proxy that is the proxy. `app.request` callers (tests) may pass it as the env argument.
 */
export function clientAddress(c: Context): string {
  const env = c.env as { clientAddress?: unknown } | undefined;
  return typeof env?.clientAddress === "string" && env.clientAddress ? env.clientAddress : "unknown";
}

/**
 * Login: username and password for a bearer token. Throttled per client address and per username,
 * counting failures only; the password check itself runs off the event loop (platform/password.ts).
 */
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
        response: {
          status: 200,
          schema: s.tokenResponse,
          description: "Signed JWT; 429 after repeated failures",
        },
      },
      async (c) => {
        const body = await parseBody(c, s.tokenRequest);
        const address = clientAddress(c);
        const verdict = await deps.loginThrottle.begin(address, body.username).catch(() => {
          // Without the counters there is no guessing protection: refuse logins rather than allow
          // unlimited guesses. Existing tokens keep working.
          throw new ProblemError(
            503,
            "unavailable",
            "login is unavailable: the rate-limit store is unreachable",
            {},
            5,
          );
        });
        if (!verdict.allowed) {
          throw new ProblemError(
            429,
            "rate-limited",
            `too many failed logins; retry in ${verdict.retryAfterSeconds} s`,
            {},
            verdict.retryAfterSeconds,
          );
        }
        const user = await deps.users.verify(body.username, body.password);
        if (!user) throw new ProblemError(401, "unauthorized", "wrong username or password");
        // A missing or wrong code leaves the attempt counted as a failure: the login throttle limits
        // guessing codes as it limits guessing passwords.
        const secondFactor = await deps.secondFactor.enrolled(user.username);
        if (secondFactor) {
          if (body.totp === undefined) {
            throw new ProblemError(401, "totp-required", "this account needs a TOTP code", { field: "totp" });
          }
          if ((await deps.secondFactor.verify(user.username, body.totp)) !== "ok") {
            throw new ProblemError(401, "totp-invalid", "wrong, expired or already used code", {
              field: "totp",
            });
          }
        }
        await deps.loginThrottle.succeeded(address, body.username).catch(() => undefined);
        const expiresAt = deps.tokens.expiryFromNow();
        const sessionId = await deps.sessions.create({
          username: user.username,
          userAgent: c.req.header("user-agent")?.slice(0, 300) ?? null,
          ip: address === "unknown" ? null : address,
          secondFactor,
          expiresAt,
        });
        return c.json(await deps.tokens.issue({ ...user, sessionId, secondFactor, expiresAt }));
      },
    );
  };
}
