import type { GatewayKit } from "../app.ts";
import * as s from "../schemas.ts";
import { parseBody, parseParam } from "../validate.ts";
import { holdReply } from "./inventory-responses.ts";

/** The constant answer: the shape and size of a real hold reply for one unit. */
const CONSTANT = JSON.stringify({
  orderId: "ceiling",
  lines: [{ warehouse: "FS", qty: 1 }],
  sellable: 0,
});

/**
 * The bench's HTTP ceiling (issue 15): the reservation route of `holds.ts` with the same app, auth
 * (bearer token, the same one permission), middleware (request id, metrics, body limit, problem+json)
 * and body validation, answering a constant instead of asking the SKU actor. "HTTP reservation ÷ HTTP
 * ceiling" is the share of the bare HTTP rate the real route keeps. Registered only when the hub starts
 * with `BENCH_HTTP_CEILING=1` in a `bench_` namespace (`node/gateway.ts`); a production hub has no such route.
 */
export function benchCeilingRoutes() {
  return (kit: GatewayKit) => {
    kit.define(
      {
        method: "post",
        path: "/v1/bench/ceiling/:sku/reservations",
        summary: "Bench only: the reservation route's auth, validation and middleware, answering a constant",
        tag: "Bench",
        permission: "inventory:hold",
        body: s.reservationBody,
        response: { status: 201, schema: holdReply.held, description: "A constant hold reply" },
      },
      async (c) => {
        parseParam(c.req.param("sku"), s.codeSchema, "sku");
        await parseBody(c, s.reservationBody);
        return c.body(CONSTANT, 201, { "content-type": "application/json" });
      },
    );
  };
}
