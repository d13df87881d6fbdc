import { InvalidCursorError } from "../storage/read-models/cursor.ts";
import type { NotificationCenter, WebhookDirectory } from "./notification-ports.ts";

/** No notifications (the fake gateway's port; the real one is `PostgresNotifications`). */
export function emptyNotifications(): NotificationCenter {
  return {
    get: async () => null,
    list: async (f) => {
      if (f.cursor) throw new InvalidCursorError(f.cursor);
      return { items: [], nextCursor: null };
    },
    acknowledge: async () => null,
  };
}

/** No webhook subscriptions; creating one is not supported by the fake gateway. */
export function emptyWebhooks(): WebhookDirectory {
  return {
    put: async () => {
      throw new Error("no webhook store in the fake gateway");
    },
    get: async () => null,
    list: async () => [],
    deliveries: async (f) => {
      if (f.cursor) throw new InvalidCursorError(f.cursor);
      return { items: [], nextCursor: null };
    },
  };
}
