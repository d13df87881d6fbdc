import {
  NOTIFIER_KIND,
  type NotificationInput,
  type Notify,
  notificationInputSchema,
} from "../actors/notification/index.ts";
import type { ActorClient, EffectService, Logger, MetricsRegistry, Reply } from "../actors/runtime/index.ts";
import {
  deliveries,
  signatureHeader,
  signWebhook,
  WEBHOOK_SENDER_KIND,
  webhookDeliveryId,
} from "../actors/webhook/index.ts";
import type { PostgresNotifications } from "../storage/notifications/index.ts";
import type { Sql } from "../storage/postgres/database.ts";
import type { ProjectorAlert } from "../storage/projector.ts";
import {
  markDispatched,
  type PostgresWebhookSubscriptions,
  pendingOutbox,
} from "../storage/webhooks/index.ts";

/** The `Notify` function node code raises notifications with (decision 0030). */
export function notifier(store: PostgresNotifications, log: Logger): Notify {
  return async (input) => {
    const result = await store.raise(input);
    if (result.created) log.info("notification raised", { kind: input.kind, key: input.key });
    return result;
  };
}

/** Raises without waiting: a notification that cannot be stored is logged, never an error for the caller. */
export function notifyInBackground(notify: Notify, log: Logger): (input: NotificationInput) => void {
  return (input) =>
    void notify(input).catch((error: unknown) =>
      log.warn("notification not stored", { kind: input.kind, key: input.key, error: String(error) }),
    );
}

/**
 * The `notifier` effect service: stores what actors raise with `raiseNotification` (at least once; the key
 * deduplicates). A malformed notification is refused (`invalid`, not retried); Postgres being away is a
 * rejection, which the runtime retries.
 */
export function notifierService(notify: Notify): EffectService {
  return async (_id, cmd): Promise<Reply> => {
    const { type: _, ...fields } = cmd;
    const parsed = notificationInputSchema.safeParse(fields);
    if (!parsed.success)
      return { ok: false, error: { kind: "invalid", message: parsed.error.issues[0]?.message ?? "invalid" } };
    return { ok: true, value: await notify(parsed.data) };
  };
}

/** A projector alert (stalled, recovered, parked an event) as a notification. */
export function projectorAlertNotification(alert: ProjectorAlert): NotificationInput {
  const severity = alert.level === "critical" ? "critical" : "info";
  const key =
    alert.kind === "projectorParked" && alert.seq !== undefined
      ? `projectorParked:${alert.seq}`
      : `${alert.kind}:${alert.at}`;
  return { kind: alert.kind, severity, source: "projector", message: alert.detail.slice(0, 500), key };
}

export interface WebhookOptions {
  maxAttempts: number;
  backoffBaseMs: number;
  timeoutMs: number;
}

/**
 * The `webhook-sender` effect service: one signed POST per attempt, on the node that owns the delivery
 * actor. Answers `{ delivered, status, error }`; a 2xx is delivered, anything else (status, timeout,
 * connection refused, subscription disabled or removed) is a failed attempt the actor retries or dead-letters.
 */
export function webhookSenderService(
  subscriptions: Pick<PostgresWebhookSubscriptions, "target">,
  options: WebhookOptions,
  metrics?: MetricsRegistry,
): EffectService {
  const attempts = metrics?.counter("hub_webhook_attempts_total", "Outbound webhook attempts by outcome");
  return async (id, cmd, _commandId, signal): Promise<Reply> => {
    const answer = (delivered: boolean, status: number | null, error: string): Reply => {
      attempts?.inc({ outcome: delivered ? "delivered" : "failed" });
      return { ok: true, value: { delivered, status, error } };
    };
    const target = await subscriptions.target(String(cmd.subscription));
    if (!target) return answer(false, null, "the subscription was removed");
    if (!target.enabled) return answer(false, null, "the subscription is disabled");
    const body = String(cmd.body);
    const signature = signWebhook(target.secret, body, Math.floor(Date.now() / 1000));
    try {
      const response = await fetch(target.url, {
        method: "POST",
        body,
        redirect: "manual",
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
        headers: {
          "content-type": "application/json",
          "user-agent": "business-hub-webhooks/1",
          [signatureHeader]: signature,
          "x-hub-event": String(cmd.eventType),
          "x-hub-delivery": id,
          "x-hub-attempt": String(cmd.attempt),
        },
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return answer(true, response.status, "");
      return answer(false, response.status, `the receiver answered ${response.status}`);
    } catch (error) {
      if (signal.aborted) throw error; // the owner closed: the next owner sends this attempt again
      return answer(false, null, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
  };
}

/** Effect services of the notifications module, for the actor host. */
export function notificationServices(notify: Notify, sender: EffectService): Map<string, EffectService> {
  return new Map([
    [NOTIFIER_KIND, notifierService(notify)],
    [WEBHOOK_SENDER_KIND, sender],
  ]);
}

/**
 * Hands the outbox's events to the delivery actors: one `deliver` per event and listening subscription
 * (the delivery id and command id are derived from both, so two nodes relaying the same event, or a relay
 * retried after a crash, make one delivery), then marks the event dispatched. Every actor node relays;
 * the retries themselves are the delivery actors' durable timers, not this loop.
 */
export function startWebhookRelay(deps: {
  sql: Sql;
  subscriptions: Pick<PostgresWebhookSubscriptions, "listening">;
  client: ActorClient;
  options: WebhookOptions;
  log: Logger;
  intervalMs?: number;
}): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const relayOnce = async (): Promise<void> => {
    for (const event of await pendingOutbox(deps.sql, 100)) {
      if (stopped) return;
      for (const subscription of await deps.subscriptions.listening(event.eventType)) {
        const id = webhookDeliveryId(subscription, event.eventId);
        const call = deliveries.deliver(id, {
          subscription,
          eventId: event.eventId,
          eventType: event.eventType,
          body: event.body,
          maxAttempts: deps.options.maxAttempts,
          backoffBaseMs: deps.options.backoffBaseMs,
        });
        const reply = await deps.client.request(call.to.kind, id, call.cmd, {
          id: `relay:${id}`,
          meta: { by: "system:webhook-relay" },
        });
        if (!reply.ok) throw new Error(`delivery ${id} not handed over: ${reply.error.message}`);
      }
      await markDispatched(deps.sql, event.seq);
    }
  };
  const tick = () => {
    if (stopped) return;
    relayOnce()
      .catch((error: unknown) => deps.log.warn("webhook relay failed; retrying", { error: String(error) }))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, deps.intervalMs ?? 500);
      });
  };
  tick();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
