import type { Context } from "hono";
import { z } from "zod";
import {
  DELIVERY_STATUSES,
  type DeliveryView,
  deliveries,
  WEBHOOK_EVENT_TYPES,
} from "../../actors/webhook/index.ts";
import type { GatewayKit } from "../app.ts";
import { principalOf } from "../auth.ts";
import { pagedRead } from "../cursor.ts";
import { optionalIdempotency } from "../idempotency.ts";
import type { WebhookDirectory } from "../notification-ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema, pageQuery } from "../schemas.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";

const subscriptionBody = z
  .object({
    url: z
      .url({ protocol: /^https?$/ })
      .max(2_000)
      .describe("Where deliveries are POSTed"),
    eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length),
    secret: z
      .string()
      .min(16)
      .max(200)
      .describe("Shared secret for the HMAC-SHA256 signature; never returned"),
    enabled: z.boolean().default(true),
  })
  .strict();
const subscriptionSchema = z.object({
  id: z.string(),
  url: z.string(),
  eventTypes: z.array(z.string()),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
const deliveryRowSchema = z.object({
  id: z.string(),
  subscription: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const deliveryPage = z.object({ items: z.array(deliveryRowSchema), nextCursor: z.string().nullable() });
const deliveryViewSchema = z.object({
  id: z.string(),
  subscription: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
});
const deliveriesQuery = pageQuery.extend({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  status: z.enum(DELIVERY_STATUSES).optional(),
});
const deadQuery = pageQuery.extend({ limit: z.coerce.number().int().min(1).max(200).default(50) });
const deliveryId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_:-]{0,64}:[0-9a-f]{20}$/, "a delivery id");

/**
 * Outbound webhooks (decision 0030): subscriptions, their deliveries, the dead-letter list and replay.
 * Deliveries are signed: header `x-hub-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
 */
export function webhookRoutes(deps: { webhooks: WebhookDirectory }) {
  return (kit: GatewayKit) => {
    const { define, requestId } = kit;
    const subscriptionId = (c: Context) => parseParam(c.req.param("id"), codeSchema, "id");
    const existing = async (c: Context) => {
      const id = subscriptionId(c);
      const found = await deps.webhooks.get(id);
      if (!found) throw new ProblemError(404, "not-found", `no webhook subscription ${id}`);
      return found;
    };

    define(
      {
        method: "get",
        path: "/v1/webhooks",
        summary: "Webhook subscriptions (secrets are never shown)",
        tag: "Webhooks",
        permission: "webhook:read",
        response: {
          status: 200,
          schema: z.object({ items: z.array(subscriptionSchema) }),
          description: "The subscriptions",
        },
      },
      async (c) => c.json({ items: await deps.webhooks.list() }),
    );
    define(
      {
        method: "get",
        path: "/v1/webhooks/dead-letters",
        summary: "Deliveries that failed every attempt, newest first (replay them one by one)",
        tag: "Webhooks",
        permission: "webhook:read",
        query: deadQuery,
        response: { status: 200, schema: deliveryPage, description: "A page of dead letters" },
      },
      async (c) => {
        const q = parseQuery(c, deadQuery);
        return c.json(
          await pagedRead(() =>
            deps.webhooks.deliveries({
              status: "dead",
              limit: q.limit,
              ...(q.cursor ? { cursor: q.cursor } : {}),
            }),
          ),
        );
      },
    );
    define(
      {
        method: "put",
        path: "/v1/webhooks/:id",
        summary: "Create or replace a subscription: URL, event types, signing secret, enabled",
        tag: "Webhooks",
        permission: "webhook:write",
        body: subscriptionBody,
        response: { status: 200, schema: subscriptionSchema, description: "The subscription" },
      },
      async (c) => {
        const id = subscriptionId(c);
        const body = await parseBody(c, subscriptionBody);
        const { subscription, created } = await deps.webhooks.put(
          {
            id,
            url: body.url,
            eventTypes: [...new Set(body.eventTypes)],
            secret: body.secret,
            enabled: body.enabled,
          },
          { principal: principalOf(c).username, requestId: requestId(c) },
        );
        void created;
        return c.json(subscription);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/webhooks/:id",
        summary: "One subscription",
        tag: "Webhooks",
        permission: "webhook:read",
        response: { status: 200, schema: subscriptionSchema, description: "The subscription" },
      },
      async (c) => c.json(await existing(c)),
    );
    define(
      {
        method: "get",
        path: "/v1/webhooks/:id/deliveries",
        summary: "A subscription's deliveries, newest first (from the read model; may lag)",
        tag: "Webhooks",
        permission: "webhook:read",
        query: deliveriesQuery,
        response: { status: 200, schema: deliveryPage, description: "A page of deliveries" },
      },
      async (c) => {
        const sub = await existing(c);
        const q = parseQuery(c, deliveriesQuery);
        return c.json(
          await pagedRead(() =>
            deps.webhooks.deliveries({
              subscription: sub.id,
              limit: q.limit,
              ...(q.status ? { status: q.status } : {}),
              ...(q.cursor ? { cursor: q.cursor } : {}),
            }),
          ),
        );
      },
    );
    define(
      {
        method: "get",
        path: "/v1/webhook-deliveries/:deliveryId",
        summary: "One delivery, from its actor (current attempts, next attempt, last error)",
        tag: "Webhooks",
        permission: "webhook:read",
        response: { status: 200, schema: deliveryViewSchema, description: "The delivery" },
      },
      async (c) => {
        const id = parseParam(c.req.param("deliveryId"), deliveryId, "deliveryId");
        return c.json(await kit.read<DeliveryView>(c, deliveries.kind, id));
      },
    );
    define(
      {
        method: "post",
        path: "/v1/webhook-deliveries/:deliveryId/replay",
        summary: "Send a dead-lettered delivery again (a fresh round of attempts); 409 unless it is dead",
        tag: "Webhooks",
        permission: "webhook:write",
        idempotencyKey: "optional",
        response: { status: 202, schema: deliveryViewSchema, description: "The delivery, pending again" },
      },
      async (c) => {
        const idempotency = optionalIdempotency(c);
        const id = parseParam(c.req.param("deliveryId"), deliveryId, "deliveryId");
        const call = deliveries.replay(id, {});
        const reply = await kit.command<DeliveryView>(
          c,
          call.to.kind,
          id,
          call.cmd,
          idempotency(`replay:${id}`, {}),
        );
        return c.json(reply, 202);
      },
    );
  };
}
