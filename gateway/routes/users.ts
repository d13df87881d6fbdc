import type { Context } from "hono";
import { z } from "zod";
import { MAX_PASSWORD_BYTES } from "../../platform/password.ts";
import { BuiltInRoleError, UnknownRoleError } from "../../storage/users.ts";
import type { GatewayKit } from "../app.ts";
import { principalOf, type TokenService } from "../auth.ts";
import { ProblemError } from "../problem.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";

/**
 * What the staff and roles routes need from the user store (Postgres in production). Throws
 * `UnknownRoleError` for a role that does not exist and `BuiltInRoleError` for editing a built-in role.
 */
export interface StaffDirectory {
  add(user: { username: string; password: string; roles: string[] }, audit: Audit): Promise<boolean>;
  update(
    username: string,
    change: { roles?: string[]; disabled?: boolean },
    audit: Audit,
  ): Promise<StaffUser | undefined>;
  setPassword(username: string, password: string, audit: Audit): Promise<boolean>;
  revokeTokens(username: string, audit: Audit): Promise<boolean>;
  find(username: string): Promise<StaffUser | undefined>;
  list(opts: { limit: number; after?: string }): Promise<Array<{ username: string }>>;
  roles(): Promise<Array<{ name: string; permissions: string[]; description: string; builtIn: boolean }>>;
  putRole(
    role: { name: string; permissions: string[]; description?: string },
    audit: Audit,
  ): Promise<{ created: boolean; role: object }>;
}

interface Audit {
  by: string;
  requestId: string | null;
}

interface StaffUser {
  username: string;
  roles: string[];
  permissions: string[];
  disabled: boolean;
}

export interface UserRouteDeps {
  users: StaffDirectory;
  tokens: Pick<TokenService, "forget">;
}

/** C0 and C1 control characters (and DEL): never part of a password or a description. */
const hasControl = (v: string) => {
  for (const ch of v) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
};

export const usernameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, "1–64 letters, digits, '_', '.', '@' or '-'");
const roleNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "1–64 lowercase letters, digits or '_'");
const permissionSchema = z
  .string()
  .regex(/^(\*|[a-z][a-z0-9_]{0,31}:(\*|[a-z][a-z0-9_]{0,31}))$/, "area:action, area:* or *");
/** bcrypt reads at most 72 bytes: a longer password would silently be cut, so it is refused. */
export const passwordSchema = z
  .string()
  .min(8, "at least 8 characters")
  .refine((v) => Buffer.byteLength(v, "utf8") <= MAX_PASSWORD_BYTES, `at most ${MAX_PASSWORD_BYTES} bytes`)
  .refine((v) => !hasControl(v), "no control characters");
const roleList = z
  .array(roleNameSchema)
  .max(20)
  .refine((v) => new Set(v).size === v.length, "roles must be distinct");

export const createUserBody = z
  .object({ username: usernameSchema, password: passwordSchema, roles: roleList })
  .strict();
export const updateUserBody = z
  .object({ roles: roleList.optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((v) => v.roles !== undefined || v.disabled !== undefined, "send roles and/or disabled");
export const passwordBody = z.object({ password: passwordSchema }).strict();
export const roleBody = z
  .object({
    permissions: z
      .array(permissionSchema)
      .max(200)
      .refine((v) => new Set(v).size === v.length, "permissions must be distinct"),
    description: z
      .string()
      .max(200)
      .refine((v) => !hasControl(v), "no control characters")
      .optional(),
  })
  .strict();
const userPageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: usernameSchema.optional(),
  })
  .strict();

const userSchema = z.object({
  username: z.string(),
  roles: z.array(z.string()),
  permissions: z.array(z.string()),
  disabled: z.boolean(),
});
const meSchema = z.object({
  username: z.string(),
  roles: z.array(z.string()),
  permissions: z.array(z.string()),
  tokenExpiresAt: z.string(),
});

/**
 * Staff accounts and roles, administered through the API (`user:read`, `user:write`). Every change is
 * audited by the store in the same transaction; passwords are hashed off the event loop and never
 * logged, echoed or audited.
 */
export function userRoutes(deps: UserRouteDeps) {
  return ({ define, meta }: GatewayKit) => {
    const audit = (c: Context) => meta(c);
    const usernameParam = (c: Context) => parseParam(c.req.param("username"), usernameSchema, "username");
    const unknownRole = (error: unknown): never => {
      if (error instanceof UnknownRoleError) {
        throw new ProblemError(422, "unknown-role", error.message, { field: "roles", roles: error.roles });
      }
      throw error;
    };
    const found = async (username: string) => {
      const user = await deps.users.find(username);
      if (!user) throw new ProblemError(404, "not-found", `no user ${username}`);
      return user;
    };

    define(
      {
        method: "get",
        path: "/v1/me",
        summary: "The caller: user, roles and effective permissions (for hiding buttons)",
        tag: "Users",
        response: { status: 200, schema: meSchema, description: "The caller" },
      },
      (c) => {
        const principal = principalOf(c);
        return c.json({
          username: principal.username,
          roles: principal.roles,
          permissions: principal.permissions,
          tokenExpiresAt: new Date(principal.expiresAt).toISOString(),
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
        const added = await deps.users.add(body, audit(c)).catch(unknownRole);
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
        summary: "Change a user's roles or disable/enable them (takes effect within seconds on every node)",
        tag: "Users",
        permission: "user:write",
        body: updateUserBody,
        response: { status: 200, schema: userSchema, description: "The user" },
      },
      async (c) => {
        const username = usernameParam(c);
        const body = await parseBody(c, updateUserBody);
        if (body.disabled === true && username === principalOf(c).username) {
          throw new ProblemError(409, "conflict", "you cannot disable yourself", { field: "disabled" });
        }
        const change = {
          ...(body.roles !== undefined ? { roles: body.roles } : {}),
          ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
        };
        const user = await deps.users.update(username, change, audit(c)).catch(unknownRole);
        if (!user) throw new ProblemError(404, "not-found", `no user ${username}`);
        deps.tokens.forget(username);
        return c.json(user);
      },
    );

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

    define(
      {
        method: "get",
        path: "/v1/roles",
        summary: "Roles and their permissions (built-in roles are defined by the code)",
        tag: "Users",
        permission: "user:read",
      },
      async (c) => c.json({ items: await deps.users.roles() }),
    );

    define(
      {
        method: "put",
        path: "/v1/roles/:name",
        summary: "Create or replace a custom role",
        tag: "Users",
        permission: "user:write",
        body: roleBody,
        response: { status: 200, description: "The role, replaced; 409 for a built-in role" },
        responses: [{ status: 201, description: "The role, created" }],
      },
      async (c) => {
        const name = parseParam(c.req.param("name"), roleNameSchema, "name");
        const body = await parseBody(c, roleBody);
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
