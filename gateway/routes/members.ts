import type { GatewayKit } from "../app.ts";
import { codeSchema } from "../schemas.ts";
import { parseParam } from "../validate.ts";

/** Members: level, points and recent orders, from the member actor. */
export function memberRoutes() {
  return ({ define, read }: GatewayKit) => {
    define(
      {
        method: "get",
        path: "/v1/members/:userId",
        summary: "A member's level, points and recent orders",
        tag: "Members",
        permission: "member:read",
      },
      async (c) => {
        const userId = parseParam(c.req.param("userId"), codeSchema, "userId");
        return c.json(await read(c, "member", userId));
      },
    );
  };
}
