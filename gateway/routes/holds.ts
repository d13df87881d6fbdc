import type { GatewayKit } from "../app.ts";
import { can, principalOf } from "../auth.ts";
import { callerFingerprint } from "../idempotency.ts";
import type { WarehouseDirectory } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import * as s from "../schemas.ts";
import { parseBody } from "../validate.ts";
import { holdReply } from "./inventory-responses.ts";
import { skuRouteHelpers } from "./sku-helpers.ts";

export interface HoldRouteDeps {
  warehouses: WarehouseDirectory;
}

/** The permission to ship: committing a hold deducts physical stock, exactly like a shipment. */
const SHIP_PERMISSION = "order:fulfil";

/** Holds: operators reserve, release and ship stock by hand (orders reserve through their own actor). */
export function holdRoutes(deps: HoldRouteDeps) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const { skuParam, orderParam, skuCommand, knownWarehouse } = skuRouteHelpers(kit, deps.warehouses);

    define(
      {
        method: "post",
        path: "/v1/inventory/:sku/reservations",
        summary:
          "Hold stock (operator action; orderId names the hold and need not be an order; the same request replays, another under the same orderId is 422)",
        tag: "Inventory",
        permission: "inventory:hold",
        body: s.reservationBody,
        response: {
          status: 201,
          schema: holdReply.held,
          description:
            "Held (the same request again gets the same hold); 409 insufficient-stock or a released/shipped hold; 422 idempotency-key-reused",
        },
      },
      async (c) => {
        const sku = skuParam(c);
        const { maxPerUser: _refused, ...body } = await parseBody(c, s.reservationBody);
        await knownWarehouse(c, body.warehouse);
        // The orderId names one request (its fingerprint, operator included, goes with it): the same
        // request replays the hold, another is 422 `idempotency-key-reused`, and a released hold is
        // decided again (409) instead of replaying its 201. The SKU actor decides all three from its
        // state, so the command id only covers this request's own retries.
        const cmd = { type: "reserve", ...body, hold: true, fp: callerFingerprint(c, body) };
        return c.json(await skuCommand(c, sku, cmd), 201);
      },
    );
    define(
      {
        method: "delete",
        path: "/v1/inventory/:sku/reservations/:orderId",
        summary: "Release a hold (an order's reservation is released by cancelling the order)",
        tag: "Inventory",
        permission: "inventory:hold",
        response: { status: 200, schema: holdReply.released, description: "Released" },
      },
      async (c) => {
        const sku = skuParam(c);
        const orderId = orderParam(c);
        const cmd = { type: "release", orderId, hold: true };
        return c.json(await skuCommand(c, sku, cmd, `release:${orderId}`));
      },
    );
    define(
      {
        method: "post",
        path: "/v1/inventory/:sku/reservations/:orderId/commit",
        summary: "Ship a hold: deducts its stock (needs order:fulfil as well, the permission to ship)",
        tag: "Inventory",
        permission: "inventory:hold",
        response: { status: 200, schema: holdReply.committed, description: "Committed" },
      },
      async (c) => {
        const sku = skuParam(c);
        const orderId = orderParam(c);
        // Stock leaves the building only for someone allowed to ship; holding it is not enough.
        if (!can(principalOf(c), SHIP_PERMISSION)) {
          throw new ProblemError(
            403,
            "forbidden",
            `committing a hold requires permission ${SHIP_PERMISSION}`,
            {
              permission: SHIP_PERMISSION,
            },
          );
        }
        const cmd = { type: "commit", orderId, hold: true };
        return c.json(await skuCommand(c, sku, cmd, `commit:${orderId}`));
      },
    );
  };
}
