import { ZodError, z } from "zod";
import { APPROVAL_EXEC_KIND, permissionGrant, roleChange } from "../actors/approval/index.ts";
import type { EffectService, Reply } from "../actors/runtime/index.ts";
import type { PostgresPriceBook } from "../storage/prices.ts";
import { BuiltInRoleError, InvalidManagerError, UnknownRoleError, type UserStore } from "../storage/users.ts";

/** The `approval-exec` command type `price.change` guarded actions send (actors/pricing/approval.ts). */
const PRICE_CHANGE = "price.change";

const refused = (kind: "invalid" | "not_found" | "conflict", message: string): Reply => ({
  ok: false,
  error: { kind, message },
});

/**
 * The `approval-exec` effect service (decision 0034): runs approved guarded actions that are no actor
 * command (staff role changes, permission grants) on the node that owns the approval actor. The effect's
 * command id (`approval:<id>:execute`) is claimed in the same transaction as the change, so a re-send
 * after a crash or a moved shard finds it and changes nothing: the action runs exactly once.
 */
export function approvalExecService(users: UserStore, prices: PostgresPriceBook): EffectService {
  return async (_target, cmd, commandId, signal) => {
    const { type: action, ...fields } = cmd;
    signal.throwIfAborted();
    const once = { commandId, action };
    const audit = { by: commandId.split(":").slice(0, 2).join(":"), requestId: null };
    try {
      if (action === roleChange.name) {
        const p = roleChange.payload.parse(fields);
        const change = {
          roles: p.roles,
          ...(p.disabled !== undefined ? { disabled: p.disabled } : {}),
          ...(p.manager !== undefined ? { manager: p.manager } : {}),
        };
        const user = await users.update(p.username, change, audit, once);
        if (!user) return refused("not_found", `no user ${p.username}`);
        return { ok: true, value: { username: user.username, roles: user.roles } };
      }
      if (action === permissionGrant.name) {
        const p = permissionGrant.payload.parse(fields);
        const { scopeWarehouses, scopeRegions, scopeChannels, scopeSuppliers, scopeCreatedByMe, ...role } = p;
        const scope = {
          ...(scopeWarehouses ? { warehouses: scopeWarehouses } : {}),
          ...(scopeRegions ? { regions: scopeRegions } : {}),
          ...(scopeChannels ? { channels: scopeChannels } : {}),
          ...(scopeSuppliers ? { suppliers: scopeSuppliers } : {}),
          ...(scopeCreatedByMe !== undefined ? { createdByMe: scopeCreatedByMe } : {}),
        };
        await users.putRole({ ...role, ...(Object.keys(scope).length > 0 ? { scope } : {}) }, audit, once);
        return { ok: true, value: { name: p.name, permissions: p.permissions } };
      }
      if (action === PRICE_CHANGE) {
        const p = z.object({ sku: z.string(), listPrice: z.number().int().min(0) }).parse(fields);
        await prices.set(p.sku, p.listPrice, audit.by, commandId, once);
        return { ok: true, value: { sku: p.sku, listPrice: p.listPrice } };
      }
      return refused("invalid", `no guarded action ${action} runs in ${APPROVAL_EXEC_KIND}`);
    } catch (error) {
      if (
        error instanceof UnknownRoleError ||
        error instanceof BuiltInRoleError ||
        error instanceof InvalidManagerError ||
        error instanceof ZodError
      )
        return refused("invalid", error.message);
      throw error; // Postgres away: the runtime retries the effect with the same command id
    }
  };
}
