import { generateChannelKeys, type SimulatedChannelKeys } from "../actors/payment/channels/index.ts";
import type { Sql } from "../storage/postgres/database.ts";
import { type SecretBox, sharedSecret } from "../storage/secrets.ts";

/**
 * The simulated channels' keys, created once per cluster and shared through Postgres (every node must
 * verify callbacks with the same keys), sealed with the secrets key: they include private keys.
 * Generating RSA keys is slow, so it happens only when none exist.
 */
export async function channelKeys(sql: Sql, secrets: SecretBox): Promise<SimulatedChannelKeys> {
  const stored = await sharedSecret(sql, secrets, "payment_channel_keys", async () =>
    JSON.stringify(await generateChannelKeys()),
  );
  return JSON.parse(stored) as SimulatedChannelKeys;
}
