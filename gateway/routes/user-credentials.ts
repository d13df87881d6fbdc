import type { Context } from "hono";
import type { GatewayKit } from "../app.ts";
import { ProblemError } from "../problem.ts";
import { parseBody, parseParam } from "../validate.ts";
import { passwordBody, usernameSchema } from "./user-schemas.ts";
import type { UserRouteDeps } from "./users.ts";

/**
 * A staff user's credentials (`user:write`): a new password, or every token revoked. Passwords are hashed
 * off the event loop and never logged, echoed or audited; both take effect within seconds on every node.
 */
export function userCredentialRoutes(deps: UserRouteDeps) {
  return ({ define, meta }: GatewayKit) => {
    const audit = (c: Context) => meta(c);
    const usernameParam = (c: Context) => parseParam(c.req.param("username"), usernameSchema, "username");

    define(
      {
        method: "post",
        path: "/v1/users/:username/password",
        summary: "Set a user's password (revokes the user's tokens)",
        tag: "Users",
        permission: "user:write",
        body: passwordBody,
        response: { status: 204, description: "Changed" },
      },
      async (c) => {
        const username = usernameParam(c);
        const body = await parseBody(c, passwordBody);
        if (!(await deps.users.setPassword(username, body.password, audit(c)))) {
          throw new ProblemError(404, "not-found", `no user ${username}`);
        }
        deps.tokens.forget(username);
        return c.body(null, 204);
      },
    );

    define(
      {
        method: "delete",
        path: "/v1/users/:username/tokens",
        summary: "Revoke every token of a user (refused within seconds on every node)",
        tag: "Users",
        permission: "user:write",
        response: { status: 204, description: "Revoked" },
      },
      async (c) => {
        const username = usernameParam(c);
        if (!(await deps.users.revokeTokens(username, audit(c)))) {
          throw new ProblemError(404, "not-found", `no user ${username}`);
        }
        deps.tokens.forget(username);
        return c.body(null, 204);
      },
    );
  };
}
