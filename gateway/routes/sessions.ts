import type { Context } from "hono";
import { z } from "zod";
import { SELF_ACCESS } from "../../actors/permissions/index.ts";
import type { GatewayKit } from "../app.ts";
import { principalOf, type TokenService } from "../auth.ts";
import type { SessionDirectory, SessionView } from "../identity-ports.ts";
import { ProblemError } from "../problem.ts";
import { parseParam, parseQuery } from "../validate.ts";
import { usernameSchema } from "./user-schemas.ts";

export interface SessionRouteDeps {
  sessions: SessionDirectory;
  tokens: Pick<TokenService, "forget">;
}

const sessionIdSchema = z.uuid();
const sessionPageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: sessionIdSchema.optional(),
  })
  .strict();
const sessionSchema = z.object({
  id: z.string(),
  userAgent: z.string().nullable(),
  ip: z.string().nullable(),
  secondFactor: z.boolean(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string(),
  current: z.boolean(),
});
const sessionListSchema = z.object({ items: z.array(sessionSchema), nextCursor: z.string().nullable() });

/**
 * Sign-in sessions (decision 0032): every login is a session; the caller lists and revokes their own
 * (`self:access`), an administrator anyone's (`session:read`, `session:revoke`). A revoked session's
 * token is refused on every node within the account cache time, sockets included.
 */
export function sessionRoutes(deps: SessionRouteDeps) {
  return ({ define, meta }: GatewayKit) => {
    const page = async (c: Context, username: string) => {
      const q = parseQuery(c, sessionPageQuery);
      const current = principalOf(c).sessionId;
      const rows = await deps.sessions.active(username, {
        limit: q.limit,
        ...(q.cursor ? { after: q.cursor } : {}),
      });
      return c.json({
        items: rows.map((s: SessionView) => ({
          id: s.id,
          userAgent: s.userAgent,
          ip: s.ip,
          secondFactor: s.secondFactor,
          createdAt: s.createdAt,
          lastSeenAt: s.lastSeenAt,
          expiresAt: s.expiresAt,
          current: s.id === current,
        })),
        nextCursor: rows.length === q.limit ? (rows.at(-1)?.id ?? null) : null,
      });
    };
    const revoke = async (c: Context, username: string) => {
      const id = parseParam(c.req.param("id"), sessionIdSchema, "id");
      if (!(await deps.sessions.revoke(username, id, meta(c)))) {
        throw new ProblemError(404, "not-found", `no active session ${id} of ${username}`);
      }
      deps.tokens.forget(username);
      return c.body(null, 204);
    };
    const usernameParam = (c: Context) => parseParam(c.req.param("username"), usernameSchema, "username");

    define(
      {
        method: "get",
        path: "/v1/me/sessions",
        summary: "The caller's active sign-in sessions, newest first (cursor = last id seen)",
        tag: "Users",
        permission: SELF_ACCESS,
        query: sessionPageQuery,
        response: { status: 200, schema: sessionListSchema, description: "A page of sessions" },
      },
      (c) => page(c, principalOf(c).username),
    );
    define(
      {
        method: "delete",
        path: "/v1/me/sessions/:id",
        summary: "Sign one of the caller's sessions out (its token is refused within seconds everywhere)",
        tag: "Users",
        permission: SELF_ACCESS,
        response: { status: 204, description: "Revoked" },
      },
      (c) => revoke(c, principalOf(c).username),
    );
    define(
      {
        method: "get",
        path: "/v1/users/:username/sessions",
        summary: "A user's active sign-in sessions, newest first (cursor = last id seen)",
        tag: "Users",
        permission: "session:read",
        query: sessionPageQuery,
        response: { status: 200, schema: sessionListSchema, description: "A page of sessions" },
      },
      (c) => page(c, usernameParam(c)),
    );
    define(
      {
        method: "delete",
        path: "/v1/users/:username/sessions/:id",
        summary: "Sign one of a user's sessions out (its token is refused within seconds everywhere)",
        tag: "Users",
        permission: "session:revoke",
        response: { status: 204, description: "Revoked" },
      },
      (c) => revoke(c, usernameParam(c)),
    );
  };
}
