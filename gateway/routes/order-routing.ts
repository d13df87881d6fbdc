import type { Context } from "hono";
import { z } from "zod";
import { type Routing, rechooseCarriers, routedParcelSchema } from "../../actors/freight/index.ts";
import { type AllocatedLine, shipmentParcels } from "../../actors/order/index.ts";
import type { GatewayKit } from "../app.ts";
import { requireOrderInScope } from "../data-scope.ts";
import type { FreightPorts } from "../freight-ports.ts";
import { codeSchema, reasonText } from "../schemas.ts";
import { parseBody, parseParam } from "../validate.ts";

/** The parts of the order actor's `get` reply routing reads. */
interface RoutedOrder {
  status: string;
  lines: AllocatedLine[];
  routing?: Routing & { at: number; by: string; cause: string };
}

export const routingView = z.object({
  orderId: z.string(),
  status: z.string(),
  dest: z.string().nullable().describe("The destination's GB/T 2260 code (null: the address had none)"),
  parcels: z.array(routedParcelSchema),
  freight: z.number().int().describe("What the order charged for freight, fen"),
  reasons: z.array(z.string()).describe("Why this warehouse choice (and split), readable"),
  decidedAt: z.string().nullable(),
  cause: z.string().describe("placed, or why it was re-routed; 'placed before routing' on older orders"),
});

export const rerouteBody = z
  .object({
    reason: reasonText,
    carrier: codeSchema.optional().describe("The carrier that failed: routed around"),
  })
  .strict();

function view(orderId: string, order: RoutedOrder) {
  const r = order.routing;
  if (r === undefined)
    // Orders placed before routing: their parcels are where stock was reserved, no carrier chosen.
    return {
      orderId,
      status: order.status,
      dest: null,
      parcels: shipmentParcels(order.lines).map((p) => ({
        ...p,
        carrier: null,
        freight: 0,
        reasons: ["placed before routing: one parcel per warehouse the stock was reserved in"],
      })),
      freight: 0,
      reasons: [],
      decidedAt: null,
      cause: "placed before routing",
    };
  return {
    orderId,
    status: order.status,
    dest: r.dest,
    parcels: r.parcels,
    freight: r.freight,
    reasons: r.reasons,
    decidedAt: new Date(r.at).toISOString(),
    cause: r.cause,
  };
}

/** `GET /v1/orders/{id}/routing` and the re-run after a carrier failure (decision 0028). */
export function orderRoutingRoutes(deps: Pick<FreightPorts, "carriers" | "warehouseRegions">) {
  return (kit: GatewayKit) => {
    const orderId = (c: Context) => parseParam(c.req.param("orderId"), codeSchema, "orderId");
    kit.define(
      {
        method: "get",
        path: "/v1/orders/:orderId/routing",
        summary: "Where the order ships from and with which carrier, parcel by parcel, and why",
        tag: "Orders",
        permission: "order:read",
        response: { status: 200, schema: routingView, description: "The routing decision in force" },
      },
      async (c) => {
        const id = orderId(c);
        const order = await kit.read<RoutedOrder>(c, "order", id);
        requireOrderInScope(c, id, order);
        return c.json(view(id, order));
      },
    );
    kit.define(
      {
        method: "post",
        path: "/v1/orders/:orderId/routing/rerun",
        summary: "Re-run routing's carrier choice (a carrier failed); before shipment only",
        tag: "Orders",
        permission: "order:fulfil",
        body: rerouteBody,
        response: {
          status: 200,
          schema: routingView,
          description: "The new decision; 409 conflict once shipped or cancelled",
        },
      },
      async (c) => {
        const id = orderId(c);
        const body = await parseBody(c, rerouteBody);
        const [order, carriers] = await Promise.all([
          kit.read<RoutedOrder>(c, "order", id),
          deps.carriers.list(),
        ]);
        requireOrderInScope(c, id, order);
        const current = view(id, order);
        const cause = body.carrier ? `carrier ${body.carrier} failed: ${body.reason}` : body.reason;
        const routing = rechooseCarriers(
          {
            dest: current.dest,
            parcels: current.parcels,
            freight: current.freight,
            reasons: current.reasons,
          },
          { carriers, avoid: body.carrier ? [body.carrier] : [], cause },
        );
        const cmd = { type: "reroute", routing, reason: cause };
        await kit.command(c, "order", id, cmd, { id: `reroute:${crypto.randomUUID()}` });
        return c.json(view(id, await kit.read<RoutedOrder>(c, "order", id)));
      },
    );
  };
}
