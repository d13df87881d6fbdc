import { z } from "zod";
import { text } from "../shared/index.ts";
import { APPROVAL_EXEC_KIND, registerGuardedAction } from "./registry.ts";

const name = text({ max: 64 });

/**
 * A change of a staff user's roles (`PATCH /v1/users/{username}` with `roles`): the first guarded action.
 * Staff accounts live in Postgres, not in an actor, so it runs in the `approval-exec` service, which
 * records the approval's command id in the same transaction as the change (once, however often re-sent).
 */
export const roleChange = registerGuardedAction({
  name: "user.roles",
  label: { en: "Role change of a staff user", "zh-CN": "员工角色变更" },
  measure: "none",
  payload: z
    .object({
      username: name,
      roles: z.array(name).max(50),
      disabled: z.boolean().optional(),
      manager: name.nullable().optional(),
    })
    .strict(),
  measureOf: () => null,
  subject: (p) => `user/${p.username}`,
  describe: (p) => `roles of ${p.username} → ${p.roles.join(", ") || "(none)"}`,
  effect: (p) => ({ to: { kind: APPROVAL_EXEC_KIND, id: "staff" }, cmd: { type: "user.roles", ...p } }),
});

/** A grant of permissions to a custom role (`PUT /v1/roles/{name}`). */
export const permissionGrant = registerGuardedAction({
  name: "role.permissions",
  label: { en: "Permission grant to a role", "zh-CN": "角色权限授予" },
  measure: "none",
  payload: z
    .object({
      name,
      permissions: z.array(text({ max: 100 })).max(500),
      description: text({ max: 500, min: 0 }).optional(),
      // The role's data scope (decision 0033), flat so approvers see it field by field.
      scopeWarehouses: z.array(name).max(200).optional(),
      scopeRegions: z.array(name).max(200).optional(),
      scopeChannels: z.array(name).max(200).optional(),
      scopeSuppliers: z.array(name).max(200).optional(),
      scopeCreatedByMe: z.boolean().optional(),
    })
    .strict(),
  measureOf: () => null,
  subject: (p) => `role/${p.name}`,
  describe: (p) => `permissions of role ${p.name} → ${p.permissions.join(", ") || "(none)"}`,
  effect: (p) => ({
    to: { kind: APPROVAL_EXEC_KIND, id: "staff" },
    cmd: { type: "role.permissions", ...p },
  }),
});
