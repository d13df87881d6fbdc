import type { Severity } from "../actors/notification/index.ts";

/** A notification as the API shows it. */
export interface NotificationView {
  id: string;
  kind: string;
  severity: Severity;
  source: string;
  subject: { kind: string; id: string } | null;
  message: string;
  key: string;
  raisedAt: string;
  acknowledged: { by: string; at: string } | null;
}

/** Operator notifications (Postgres in production; decision 0030). */
export interface NotificationCenter {
  get(id: string): Promise<NotificationView | null>;
  list(filter: {
    severity?: Severity;
    acknowledged?: boolean;
    kind?: string;
    limit: number;
    cursor?: string;
  }): Promise<{ items: NotificationView[]; nextCursor: string | null }>;
  /** First acknowledgement wins (kept on a repeat); audited. Null when there is no such notification. */
  acknowledge(
    id: string,
    by: { principal: string; requestId: string },
  ): Promise<{ record: NotificationView; changed: boolean } | null>;
}

export interface WebhookSubscriptionView {
  id: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

export interface WebhookDeliveryRow {
  id: string;
  subscription: string;
  eventId: string;
  eventType: string;
  status: "pending" | "delivered" | "dead";
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Integrators' webhook subscriptions and the deliveries read model (may lag the delivery actors). */
export interface WebhookDirectory {
  put(
    sub: { id: string; url: string; eventTypes: string[]; secret: string; enabled: boolean },
    by: { principal: string; requestId: string },
  ): Promise<{ subscription: WebhookSubscriptionView; created: boolean }>;
  get(id: string): Promise<WebhookSubscriptionView | null>;
  list(): Promise<WebhookSubscriptionView[]>;
  deliveries(filter: {
    subscription?: string;
    status?: "pending" | "delivered" | "dead";
    limit: number;
    cursor?: string;
  }): Promise<{ items: WebhookDeliveryRow[]; nextCursor: string | null }>;
}
