import type { Context } from "hono";
import { isGrantable, SELF_ACCESS } from "../../actors/permissions/index.ts";
import { BuiltInRoleError } from "../../storage/user-errors.ts";
import type { GatewayKit } from "../app.ts";
import type { StaffDirectory, StaffUser } from "../ports.ts";

export type { StaffDirectory };

import { principalOf, type TokenService } from "../auth.ts";
import { ProblemError } from "../problem.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";
import {
  type ApprovalStore,
  holdPermissionGrant,
  holdRoleChange,
  PENDING_APPROVAL_RESPONSE,
} from "./approval-guard.ts";
import { approvalRoutes } from "./approvals.ts";
import { userCredentialRoutes } from "./user-credentials.ts";
import {
  createUserBody,
  meSchema,
  roleBody,
  roleListSchema,
  roleNameSchema,
  roleSchema,
  updateUserBody,
  userListSchema,
  usernameSchema,
  userPageQuery,
  userSchema,
  userStoreRefusal,
} from "./user-schemas.ts";

/** Approval rules, delegations and requests (decision 0034); a gateway without them guards nothing. */
export interface UserRoutePorts {
  approvals?: ApprovalStore | undefined;
}

export interface UserRouteDeps extends UserRoutePorts {
  users: StaffDirectory;
  tokens: Pick<TokenService, "forget">;
}

/**
 * Staff accounts and roles, administered through the API (`user:read`, `user:write`). Every change is
 * audited by the store in the same transaction; passwords are hashed off the event loop and never
 * logged, echoed or audited.
 */
export function userRoutes(deps: UserRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, meta, command } = kit;
    userCredentialRoutes(deps)(kit);
    // The approvals area: the role changes and grants guarded here are its first guarded actions.
    approvalRoutes(deps)(kit);
    const audit = (c: Context) => meta(c);
    const usernameParam = (c: Context) => parseParam(c.req.param("username"), usernameSchema, "username");
    // What the API shows of a user: never the token version or anything about the password.
    const shown = (user: StaffUser) => ({
      username: user.username,
      roles: user.roles,
      permissions: user.permissions,
      disabled: user.disabled,
      manager: user.manager ?? null,
    });
    const found = async (username: string) => {
      const user = await deps.users.find(username);
      if (!user) throw new ProblemError(404, "not-found", `no user ${username}`);
      return shown(user);
    };

    define(
      {
        method: "get",
        path: "/v1/me",
        summary: "The caller: user, roles and effective permissions (for hiding buttons)",
        tag: "Users",
        permission: SELF_ACCESS,
        response: { status: 200, schema: meSchema, description: "The caller" },
      },
      (c) => {
        const principal = principalOf(c);
        return c.json({
          username: principal.username,
          roles: principal.roles,
          permissions: principal.permissions,
          tokenExpiresAt: new Date(principal.expiresAt).toISOString(),
          sessionId: principal.sessionId ?? null,
          secondFactorRequired: principal.secondFactorRequired === true,
        });
      },
    );

    define(
      {
        method: "post",
        path: "/v1/users",
        summary: "Create a staff user",
        tag: "Users",
        permission: "user:write",
        body: createUserBody,
        response: {
          status: 201,
          schema: userSchema,
          description: "The user; 409 conflict if the name is taken",
        },
      },
      async (c) => {
        const body = await parseBody(c, createUserBody);
        const added = await deps.users.add(body, audit(c)).catch(userStoreRefusal);
        if (!added) throw new ProblemError(409, "conflict", `user ${body.username} exists`);
        return c.json(await found(body.username), 201);
      },
    );

    define(
      {
        method: "get",
        path: "/v1/users",
        summary: "List staff users by name (cursor = last username seen)",
        tag: "Users",
        permission: "user:read",
        query: userPageQuery,
        response: { status: 200, schema: userListSchema, description: "A page of users" },
      },
      async (c) => {
        const q = parseQuery(c, userPageQuery);
        const items = await deps.users.list({ limit: q.limit, ...(q.cursor ? { after: q.cursor } : {}) });
        return c.json({
          items,
          nextCursor: items.length === q.limit ? (items.at(-1)?.username ?? null) : null,
        });
      },
    );

    define(
      {
        method: "get",
        path: "/v1/users/:username",
        summary: "One staff user with effective permissions",
        tag: "Users",
        permission: "user:read",
        response: { status: 200, schema: userSchema, description: "The user" },
      },
      async (c) => c.json(await found(usernameParam(c))),
    );

    define(
      {
        method: "patch",
        path: "/v1/users/:username",
        summary:
          "Change a user's roles, manager or disabled flag (takes effect within seconds on every node)",
        tag: "Users",
        permission: "user:write",
        body: updateUserBody,
        response: { status: 200, schema: userSchema, description: "The user" },
        responses: [PENDING_APPROVAL_RESPONSE],
      },
      async (c) => {
        const username = usernameParam(c);
        const body = await parseBody(c, updateUserBody);
        if (body.disabled === true && username === principalOf(c).username) {
          throw new ProblemError(409, "conflict", "you cannot disable yourself", { field: "disabled" });
        }
        const held = await holdRoleChange(command, deps.approvals, c, username, body);
        if (held) return held;
        const change = {
          ...(body.roles !== undefined ? { roles: body.roles } : {}),
          ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
          ...(body.manager !== undefined ? { manager: body.manager } : {}),
        };
        const user = await deps.users.update(username, change, audit(c)).catch(userStoreRefusal);
        if (!user) throw new ProblemError(404, "not-found", `no user ${username}`);
        deps.tokens.forget(username);
        return c.json(shown(user));
      },
    );

    define(
      {
        method: "get",
        path: "/v1/roles",
        summary: "Roles and their permissions (built-in roles are defined by the code)",
        tag: "Users",
        permission: "user:read",
        response: { status: 200, schema: roleListSchema, description: "Every role" },
      },
      async (c) => c.json({ items: await deps.users.roles() }),
    );

    define(
      {
        method: "put",
        path: "/v1/roles/:name",
        summary: "Create or replace a custom role, optionally limited to a data scope (decision 0033)",
        tag: "Users",
        permission: "user:write",
        body: roleBody,
        response: { status: 200, schema: roleSchema, description: "The role, replaced" },
        responses: [
          { status: 201, schema: roleSchema, description: "The role, created" },
          { status: 409, description: "A built-in role (defined by the code)" },
          PENDING_APPROVAL_RESPONSE,
        ],
      },
      async (c) => {
        const name = parseParam(c.req.param("name"), roleNameSchema, "name");
        const body = await parseBody(c, roleBody);
        const unknown = body.permissions.filter((p) => !isGrantable(p));
        if (unknown.length > 0) {
          throw new ProblemError(
            422,
            "unknown-permission",
            `not in the permission catalogue (GET /v1/permissions): ${unknown.join(", ")}`,
            { field: "permissions", permissions: unknown },
          );
        }
        const held = await holdPermissionGrant(command, deps.approvals, deps.users, c, name, body);
        if (held) return held;
        try {
          const { created, role } = await deps.users.putRole({ name, ...body }, audit(c));
          return c.json(role, created ? 201 : 200);
        } catch (error) {
          if (error instanceof BuiltInRoleError) throw new ProblemError(409, "conflict", error.message);
          throw error;
        }
      },
    );
  };
}
