import type { Context } from "hono";
import { z } from "zod";
import { SELF_ACCESS } from "../../actors/permissions/index.ts";
import { otpauthUri } from "../../platform/totp.ts";
import type { GatewayKit } from "../app.ts";
import { principalOf } from "../auth.ts";
import type { SecondFactor, TotpCheck } from "../identity-ports.ts";
import type { RateLimiter } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { parseBody, parseParam } from "../validate.ts";
import { usernameSchema } from "./user-schemas.ts";

export interface TotpRouteDeps {
  secondFactor: SecondFactor;
  limiter: RateLimiter;
}

const ISSUER = "Business Hub";
/** Confirm/disable attempts per user per window (codes are 6 digits: guessing must stay hopeless). */
const ATTEMPTS = 5;
const WINDOW_SECONDS = 300;
export const totpCodeSchema = z.string().regex(/^\d{6}$/, "6 digits");
const codeBody = z.object({ code: totpCodeSchema }).strict();
const statusSchema = z.object({
  enrolled: z.boolean(),
  pending: z.boolean(),
  confirmedAt: z.string().nullable(),
});
const enrolmentSchema = z.object({ secret: z.string(), uri: z.string() });

/**
 * The optional TOTP second factor (RFC 6238; decision 0032): the caller enrols (the secret is shown this
 * once), confirms with a code, and from then on signs in with a code; disabling needs a code too. An
 * administrator (`user:write`) removes a lost one. Attempts are limited per user.
 */
export function totpRoutes(deps: TotpRouteDeps) {
  return ({ define, meta }: GatewayKit) => {
    const limited = async (username: string) => {
      if ((await deps.limiter.hit(`totp:${username}`, WINDOW_SECONDS)) > ATTEMPTS) {
        throw new ProblemError(
          429,
          "rate-limited",
          "too many TOTP attempts; retry later",
          {},
          WINDOW_SECONDS,
        );
      }
    };
    const refused = (check: TotpCheck, what: string): void => {
      if (check === "not-enrolled") throw new ProblemError(409, "conflict", `no TOTP ${what}`);
      if (check === "invalid") {
        throw new ProblemError(422, "totp-invalid", "wrong, expired or already used code", { field: "code" });
      }
    };
    const self = (c: Context) => principalOf(c).username;

    define(
      {
        method: "get",
        path: "/v1/me/totp",
        summary: "Whether the caller has the TOTP second factor (never the secret)",
        tag: "Users",
        permission: SELF_ACCESS,
        response: { status: 200, schema: statusSchema, description: "Enrolment status" },
      },
      async (c) => c.json(await deps.secondFactor.status(self(c))),
    );
    define(
      {
        method: "post",
        path: "/v1/me/totp",
        summary: "Start TOTP enrolment: a new secret and otpauth:// URI, shown this once",
        tag: "Users",
        permission: SELF_ACCESS,
        response: { status: 201, schema: enrolmentSchema, description: "Scan the URI, then confirm a code" },
      },
      async (c) => {
        const username = self(c);
        const secret = await deps.secondFactor.enrol(username, meta(c));
        if (!secret) throw new ProblemError(409, "conflict", "TOTP is already enabled; disable it first");
        c.header("cache-control", "no-store");
        return c.json({ secret, uri: otpauthUri(ISSUER, username, secret) }, 201);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/me/totp/confirm",
        summary: "Confirm TOTP enrolment with a current code; login then needs a code",
        tag: "Users",
        permission: SELF_ACCESS,
        body: codeBody,
        response: { status: 204, description: "Enabled" },
      },
      async (c) => {
        const body = await parseBody(c, codeBody);
        await limited(self(c));
        refused(await deps.secondFactor.confirm(self(c), body.code, meta(c)), "enrolment pending");
        return c.body(null, 204);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/me/totp/disable",
        summary: "Turn the caller's TOTP off with a current code",
        tag: "Users",
        permission: SELF_ACCESS,
        body: codeBody,
        response: { status: 204, description: "Disabled" },
      },
      async (c) => {
        const body = await parseBody(c, codeBody);
        await limited(self(c));
        refused(await deps.secondFactor.disable(self(c), body.code, meta(c)), "enabled");
        return c.body(null, 204);
      },
    );
    define(
      {
        method: "delete",
        path: "/v1/users/:username/totp",
        summary: "Remove a user's TOTP (a lost phone); they sign in with the password alone again",
        tag: "Users",
        permission: "user:write",
        response: { status: 204, description: "Removed" },
      },
      async (c) => {
        const username = parseParam(c.req.param("username"), usernameSchema, "username");
        const check = await deps.secondFactor.disable(username, null, meta(c));
        if (check !== "ok") throw new ProblemError(404, "not-found", `${username} has no TOTP`);
        return c.body(null, 204);
      },
    );
  };
}
