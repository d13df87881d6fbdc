import { z } from "zod";
import { dataScopeSchema } from "../../actors/permissions/index.ts";
import { MAX_PASSWORD_BYTES } from "../../platform/password.ts";
import { InvalidManagerError, UnknownRoleError } from "../../storage/user-errors.ts";
import { ProblemError } from "../problem.ts";

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
export const roleNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, "1–64 lowercase letters, digits or '_'");
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

const managerField = usernameSchema
  .nullable()
  .describe("The user's manager (a username), who reviews their role grants; null: nobody");
export const createUserBody = z
  .object({
    username: usernameSchema,
    password: passwordSchema,
    roles: roleList,
    manager: managerField.optional(),
  })
  .strict();
export const updateUserBody = z
  .object({ roles: roleList.optional(), disabled: z.boolean().optional(), manager: managerField.optional() })
  .strict()
  .refine(
    (v) => v.roles !== undefined || v.disabled !== undefined || v.manager !== undefined,
    "send roles, disabled and/or manager",
  );
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
    /** Limits the role's grant to warehouses, regions, channels, suppliers or what the user created (0033). */
    scope: dataScopeSchema.optional(),
  })
  .strict();
export const userPageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: usernameSchema.optional(),
  })
  .strict();

export const userSchema = z.object({
  username: z.string(),
  roles: z.array(z.string()),
  permissions: z.array(z.string()),
  disabled: z.boolean(),
  manager: z.string().nullable(),
});
export const meSchema = z.object({
  username: z.string(),
  roles: z.array(z.string()),
  permissions: z.array(z.string()),
  tokenExpiresAt: z.string(),
  /** The sign-in session of the token (decision 0032). */
  sessionId: z.string().nullable(),
  /** Only `self:access` until the user enrols TOTP and signs in with a code (`TOTP_REQUIRED_ROLES`). */
  secondFactorRequired: z.boolean(),
});

export const roleSchema = z.object({
  name: z.string(),
  permissions: z.array(z.string()),
  description: z.string(),
  builtIn: z.boolean(),
  scope: z
    .object({
      warehouses: z.array(z.string()).optional(),
      regions: z.array(z.string()).optional(),
      channels: z.array(z.string()).optional(),
      suppliers: z.array(z.string()).optional(),
      createdByMe: z.boolean().optional(),
    })
    .optional()
    .describe("What the role's grant is limited to (decision 0033); absent: not limited"),
});
export const roleListSchema = z.object({ items: z.array(roleSchema) });
export const userListSchema = z.object({
  items: z.array(
    z.object({
      username: z.string(),
      roles: z.array(z.string()),
      disabled: z.boolean(),
      manager: z.string().nullable(),
      createdAt: z.string(),
      updatedAt: z.string(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

/** The user store's refusals as problems: an unknown role, a manager that is no other user (422). */
export function userStoreRefusal(error: unknown): never {
  if (error instanceof UnknownRoleError)
    throw new ProblemError(422, "unknown-role", error.message, { field: "roles", roles: error.roles });
  if (error instanceof InvalidManagerError)
    throw new ProblemError(422, "validation", error.message, { field: "manager" });
  throw error;
}
