import { createHash } from "node:crypto";
import type { Context } from "hono";
import { type CarrierCode, webhookBodySchema } from "../../actors/carrier/index.ts";
import type { MetricsRegistry } from "../../actors/runtime/index.ts";
import type { GatewayKit } from "../app.ts";
import { ProblemError, validationProblem } from "../problem.ts";
import type { CarrierDesk } from "../shipment-ports.ts";
import { parseBody, parseParam } from "../validate.ts";
import {
  carrierList,
  faultBody,
  faultReply,
  simulateBody,
  simulateReply,
  webhookReply,
} from "./shipment-schemas.ts";
import { carrierCodeParam } from "./shipments.ts";

export interface CarrierRouteDeps {
  carriers: CarrierDesk;
  metrics: MetricsRegistry;
}

type WebhookResult =
  | { shipmentId: string; accepted: number; duplicates: number; status: string }
  | { shipmentId: string; error: string };

/**
 * Carriers at the edge: the catalogue, the carriers' tracking webhooks (no bearer token: the carrier's
 * HMAC signature over timestamp and body is the auth, within a 5-minute replay window), and the
 * simulators' controls (record a tracking event, inject faults).
 */
export function carrierRoutes(deps: CarrierRouteDeps) {
  return (kit: GatewayKit) => {
    const webhooks = deps.metrics.counter(
      "hub_carrier_webhooks_total",
      "Carrier webhooks by carrier and outcome",
    );

    /** Verifies, parses and applies one webhook delivery: each shipment's events in one command. */
    async function deliver(
      c: Context,
      code: CarrierCode,
      raw: string,
      headers: Record<string, string | undefined>,
    ) {
      const refused = deps.carriers.verifyWebhook(code, raw, {
        timestamp: headers["x-carrier-timestamp"],
        signature: headers["x-carrier-signature"],
      });
      if (refused) {
        webhooks.inc({ carrier: code, outcome: "refused" });
        throw new ProblemError(401, "unauthorized", `webhook refused: ${refused}`, {
          field: "x-carrier-signature",
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        throw new ProblemError(400, "malformed-json", "the request body is not valid JSON");
      }
      const parsed = webhookBodySchema.safeParse(json);
      if (!parsed.success) throw validationProblem(parsed.error);
      if (parsed.data.carrier !== code)
        throw new ProblemError(400, "validation", `the body names carrier ${parsed.data.carrier}`, {
          field: "carrier",
        });
      const byShipment = new Map<string, typeof parsed.data.events>();
      for (const e of parsed.data.events)
        byShipment.set(e.orderRef, [...(byShipment.get(e.orderRef) ?? []), e]);
      const results: WebhookResult[] = [];
      for (const [shipmentId, events] of byShipment) {
        const ids = events.map((e) => e.eventId).sort();
        const id = `webhook:${code}:${createHash("sha256").update(ids.join("\n")).digest("base64url").slice(0, 32)}`;
        const cmd = {
          type: "track",
          carrier: code,
          source: "webhook",
          events: events.map((e) => ({
            eventId: e.eventId,
            waybillNo: e.waybillNo,
            type: e.type,
            at: Date.parse(e.at),
            ...(e.region ? { region: e.region } : {}),
            ...(e.reason ? { reason: e.reason } : {}),
            ...(e.note ? { note: e.note } : {}),
          })),
        };
        try {
          const reply = await kit.command<WebhookResult>(c, "shipment", shipmentId, cmd, {
            id,
            meta: { by: `carrier:${code}`, requestId: kit.requestId(c) },
          });
          results.push(reply);
        } catch (error) {
          // Not ours or not valid for this shipment: the carrier must not retry it; anything else (503) must.
          if (error instanceof ProblemError && [400, 404, 409, 422].includes(error.status))
            results.push({ shipmentId, error: `${error.slug}: ${error.message}` });
          else throw error;
        }
      }
      webhooks.inc({ carrier: code, outcome: "accepted" });
      return { received: parsed.data.events.length, results };
    }

    kit.define(
      {
        method: "get",
        path: "/v1/carriers",
        summary: "The carrier catalogue: service areas, SLA hours, rate cards, pickup cutoffs, circuit state",
        tag: "Logistics",
        permission: "order:read",
        response: { status: 200, schema: carrierList, description: "Every carrier of this build" },
      },
      async (c) => c.json({ items: await deps.carriers.list() }),
    );
    kit.define(
      {
        method: "post",
        path: "/v1/carriers/:code/webhooks",
        summary:
          "A carrier pushes tracking events (signed: x-carrier-timestamp, x-carrier-signature = base64 HMAC-SHA256 of `timestamp.body`; no bearer token)",
        tag: "Logistics",
        public: true,
        body: webhookBodySchema,
        response: {
          status: 200,
          schema: webhookReply,
          description: "What each shipment did with its events",
        },
      },
      async (c) => {
        const code = parseParam(c.req.param("code"), carrierCodeParam, "code");
        const raw = await c.req.text();
        return c.json(await deliver(c, code, raw, c.req.header()));
      },
    );
    kit.define(
      {
        method: "post",
        path: "/v1/carriers/:code/simulate",
        summary:
          "Simulator: the carrier scans a parcel (tracking event); a push carrier sends its signed webhook, a polling one waits to be asked",
        tag: "Logistics",
        permission: "carrier:simulate",
        body: simulateBody,
        response: {
          status: 200,
          schema: simulateReply,
          description: "The event, its webhook, and its delivery",
        },
      },
      async (c) => {
        const code = parseParam(c.req.param("code"), carrierCodeParam, "code");
        const body = await parseBody(c, simulateBody);
        const shipment = await kit.read<{ carrier: string; waybillNo: string | null }>(
          c,
          "shipment",
          body.shipmentId,
        );
        if (shipment.carrier !== code)
          throw new ProblemError(
            409,
            "conflict",
            `shipment ${body.shipmentId} travels with ${shipment.carrier}`,
            {
              field: "shipmentId",
            },
          );
        if (!shipment.waybillNo)
          throw new ProblemError(409, "conflict", `shipment ${body.shipmentId} has no waybill yet`, {
            field: "shipmentId",
          });
        const recorded = await deps.carriers.simulate(code, shipment.waybillNo, {
          type: body.type,
          ...(body.at ? { at: Date.parse(body.at) } : {}),
          ...(body.region ? { region: body.region } : {}),
          ...(body.reason ? { reason: body.reason } : {}),
          ...(body.note ? { note: body.note } : {}),
        });
        const delivery =
          recorded.webhook && body.deliver
            ? await deliver(c, code, recorded.webhook.body, recorded.webhook.headers)
            : null;
        return c.json({ ...recorded, delivery });
      },
    );
    kit.define(
      {
        method: "put",
        path: "/v1/carriers/:code/faults",
        summary: "Simulator: the carrier's next `count` requests time out, fail with 503, or are refused",
        tag: "Logistics",
        permission: "carrier:simulate",
        body: faultBody,
        response: { status: 200, schema: faultReply, description: "The faults now injected" },
      },
      async (c) => {
        const code = parseParam(c.req.param("code"), carrierCodeParam, "code");
        const body = await parseBody(c, faultBody);
        await deps.carriers.setFault(code, body.fault, body.count);
        return c.json({
          carrier: code,
          fault: body.count > 0 ? body.fault : null,
          count: body.fault ? body.count : 0,
        });
      },
    );
  };
}
