import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../actors/runtime/index.ts";

/**
 * Operations alerts (the projector stalled, or parked an event) travel on core NATS, outside the event
 * log: whichever node raises one, every node with the realtime role shows it on its dashboards.
 */
export function alertSubject(namespace: string): string {
  return `${namespace}.ops.alerts`;
}

export function publishAlerts(nc: NatsConnection, namespace: string): (alert: object) => void {
  const subject = alertSubject(namespace);
  return (alert) => nc.publish(subject, JSON.stringify(alert));
}

export function subscribeAlerts(
  nc: NatsConnection,
  namespace: string,
  show: (alert: Record<string, unknown>) => void,
  log: Logger,
): { unsubscribe(): void } {
  return nc.subscribe(alertSubject(namespace), {
    callback: (error, msg) => {
      if (error) return log.warn("alert subscription failed", { error: error.message });
      try {
        show(msg.json<Record<string, unknown>>());
      } catch (cause) {
        log.warn("malformed alert ignored", { error: String(cause) });
      }
    },
  });
}
