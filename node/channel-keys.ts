import { generateChannelKeys, type SimulatedChannelKeys } from "../actors/payment/channels/index.ts";
import type { Sql } from "../storage/postgres/database.ts";
import { sharedSetting } from "../storage/users.ts";

/**
 * The simulated channels' keys, created once per cluster and shared through Postgres (every node must
 * verify callbacks with the same keys). Generating RSA keys is slow, so it happens only when none exist.
 */
export async function channelKeys(sql: Sql): Promise<SimulatedChannelKeys> {
  const existing = await sql`SELECT value FROM settings WHERE key = 'payment_channel_keys'`;
  if (existing[0]) return JSON.parse(existing[0].value as string) as SimulatedChannelKeys;
  const generated = JSON.stringify(await generateChannelKeys());
  return JSON.parse(
    await sharedSetting(sql, "payment_channel_keys", () => generated),
  ) as SimulatedChannelKeys;
}
