import { text } from "./text.ts";

/**
 * A timestamp a channel or client reports as text (e.g. `paidAt`): kept as sent for the audit trail, so
 * only bounded and free of control characters, not parsed.
 */
export const reportedTimeSchema = text({ max: 64, min: 0 });

/** Epoch milliseconds to the ISO form every reply uses. */
export const isoTime = (epochMillis: number): string => new Date(epochMillis).toISOString();
