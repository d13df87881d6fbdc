import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import type { Sql } from "./postgres/database.ts";

const SEALED_PREFIX = "enc:v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Where a node keeps the generated secrets key when `HUB_SECRETS_KEY` is not set: per user and machine
 * (`$XDG_DATA_HOME/business-hub/<namespace>/secrets.key`), not inside a checkout. Every checkout on one
 * machine talks to the same Postgres, so they must find the same key: a key kept in the checkout made a
 * second clone refuse to start against the secrets the first one sealed.
 */
export function defaultSecretsKeyFile(namespace: string): string {
  const dataHome = process.env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(dataHome, "business-hub", namespace, "secrets.key");
}

/**
 * Seals secrets kept in Postgres (the JWT signing key, the payment channels' private keys) with
 * AES-256-GCM, so a database dump, replica or backup does not hand out the keys. The key never enters
 * the database: it comes from `HUB_SECRETS_KEY` or from a file beside the node (docs/decisions/0010).
 */
export class SecretBox {
  readonly #key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error("a secrets key is 32 bytes");
    this.#key = key;
  }

  /**
   * `HUB_SECRETS_KEY` (any string of at least 32 characters, stretched with HKDF) or, without it, the
   * key in `keyFile`, generated with mode 0600 the first time. Exclusive creation makes two nodes
   * starting together on one machine agree on one key.
   */
  static load(options: { secret?: string | undefined; keyFile: string }): { box: SecretBox; source: string } {
    if (options.secret) {
      const key = Buffer.from(hkdfSync("sha256", options.secret, "business-hub", "secrets-at-rest v1", 32));
      return { box: new SecretBox(key), source: "HUB_SECRETS_KEY" };
    }
    mkdirSync(dirname(options.keyFile), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(options.keyFile, `${randomBytes(32).toString("base64")}\n`, { flag: "wx", mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    // Also tightens a file copied in by hand with a looser mode.
    chmodSync(options.keyFile, 0o600);
    const key = Buffer.from(readFileSync(options.keyFile, "utf8").trim(), "base64");
    if (key.length !== 32) {
      throw new Error(
        `${options.keyFile} does not hold a base64 32-byte key; restore it or set HUB_SECRETS_KEY`,
      );
    }
    return { box: new SecretBox(key), source: options.keyFile };
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
  }

  open(sealed: string): string {
    const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), "base64");
    const decipher = createDecipheriv("aes-256-gcm", this.#key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      "utf8",
    );
  }

  static isSealed(value: string): boolean {
    return value.startsWith(SEALED_PREFIX);
  }
}

export class SecretsKeyMismatchError extends Error {}

/**
 * A secret created once and shared by every node through the `settings` table, stored sealed. A value
 * written in plaintext by an older version is sealed in place on first read (compare-and-set, so
 * concurrent starts agree).
 */
export async function sharedSecret(
  sql: Sql,
  box: SecretBox,
  key: string,
  create: () => string | Promise<string>,
): Promise<string> {
  let rows = await sql`SELECT value FROM settings WHERE key = ${key}`;
  if (!rows[0]) {
    await sql`INSERT INTO settings (key, value) VALUES (${key}, ${box.seal(await create())})
      ON CONFLICT (key) DO NOTHING`;
    rows = await sql`SELECT value FROM settings WHERE key = ${key}`;
  }
  const stored = rows[0]!.value as string;
  if (!SecretBox.isSealed(stored)) {
    await sql`UPDATE settings SET value = ${box.seal(stored)} WHERE key = ${key} AND value = ${stored}`;
    return stored;
  }
  try {
    return box.open(stored);
  } catch {
    throw new SecretsKeyMismatchError(
      `the secret "${key}" in the database was sealed with another secrets key than this node's. ` +
        "Every node of a cluster needs the same key: set the same HUB_SECRETS_KEY everywhere, or copy " +
        "the key file of the first node (see README, Configuration).",
    );
  }
}
