import {
  generateChannelKeys,
  type SimulatedChannelKeys,
  withUnionpayCertificates,
} from "../actors/payment/channels/index.ts";
import type { Sql } from "../storage/postgres/database.ts";
import { SecretBox, sharedSecret } from "../storage/secrets.ts";

const SETTING = "payment_channel_keys";

/**
 * The simulated channels' keys, created once per cluster and shared through Postgres (every node must
 * verify callbacks with the same keys), sealed with the secrets key: they include private keys.
 * Generating RSA keys is slow, so it happens only when none exist.
 */
export async function channelKeys(sql: Sql, secrets: SecretBox): Promise<SimulatedChannelKeys> {
  const stored = () =>
    sharedSecret(sql, secrets, SETTING, async () => JSON.stringify(await generateChannelKeys()));
  const keys = JSON.parse(await stored()) as SimulatedChannelKeys;
  if (keys.unionpay.rootCert) return keys;
  // Keys stored before UnionPay 5.1.0 support: add the simulated CA chain once, compare-and-set on the
  // row still holding the old keys, so every node ends up with the same chain.
  const upgraded = JSON.stringify({ ...keys, unionpay: await withUnionpayCertificates(keys.unionpay) });
  const [row] = await sql`SELECT value FROM settings WHERE key = ${SETTING}`;
  const raw = row!.value as string;
  const current = JSON.parse(SecretBox.isSealed(raw) ? secrets.open(raw) : raw) as SimulatedChannelKeys;
  if (!current.unionpay.rootCert) {
    await sql`UPDATE settings SET value = ${secrets.seal(upgraded)} WHERE key = ${SETTING} AND value = ${raw}`;
  }
  return JSON.parse(await stored()) as SimulatedChannelKeys;
}
