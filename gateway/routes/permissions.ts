import { z } from "zod";
import { PERMISSION_CATALOGUE, SELF_ACCESS } from "../../actors/permissions/index.ts";
import type { GatewayKit } from "../app.ts";

const permissionListSchema = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      description: z.object({ "zh-CN": z.string(), en: z.string() }),
    }),
  ),
});

/**
 * The permission catalogue (decision 0032): every permission with its zh-CN and en description, for a
 * UI that renders or hides buttons and for an admin composing roles. Every signed-in user may read it.
 */
export function permissionRoutes() {
  return ({ define }: GatewayKit) => {
    define(
      {
        method: "get",
        path: "/v1/permissions",
        summary: "Every permission (area:action) with its description in zh-CN and en",
        tag: "Users",
        permission: SELF_ACCESS,
        response: { status: 200, schema: permissionListSchema, description: "The whole catalogue" },
      },
      (c) => c.json({ items: PERMISSION_CATALOGUE }),
    );
  };
}
