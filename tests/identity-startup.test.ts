/**
 * Start-up of the identity pieces (issue 8): secrets at rest are sealed (and plaintext rows from older
 * versions migrate), the first-start password is printed in a box after the shard logs settle, a
 * configured ADMIN_PASSWORD that does not apply is reported loudly, and every response carries the
 * security headers.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "hono/jwt";
import { generateChannelKeys } from "../actors/payment/channels/index.ts";
import type { Logger } from "../actors/runtime/index.ts";
import { DOCS_HTML } from "../gateway/openapi.ts";
import { inlineScriptHashes } from "../gateway/security-headers.ts";
import type { HubNode } from "../hub-node.ts";
import { startHubNode } from "../hub-node.ts";
import { openDatabase } from "../storage/postgres/database.ts";
import { migrate } from "../storage/postgres/migrate.ts";
import { SecretBox } from "../storage/secrets.ts";
import {
  ApiClient,
  cleanupNamespace,
  DATABASE_URL,
  requireServices,
  testConfig,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("id-start");
const dir = mkdtempSync(join(tmpdir(), "hub-identity-"));
const keyFile = join(dir, "secrets.key");
const OLD_JWT_SECRET = "plaintext-jwt-secret-from-an-older-version-0123456789";
let oldChannelKeys: string;
let node: HubNode | undefined;
const printed: string[] = [];
const warnings: Array<{ msg: string; fields?: Record<string, unknown> }> = [];

const capturingLog: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (msg, fields) => void warnings.push({ msg, ...(fields ? { fields } : {}) }),
  error: () => undefined,
  child: () => capturingLog,
};

/** Starts a node of this namespace with JWT_SECRET unset (so the stored one is used) and stdout captured. */
async function start(overrides: Record<string, string>): Promise<HubNode> {
  return startHubNode(testConfig(ns, { JWT_SECRET: "", HUB_SECRETS_KEY_FILE: keyFile, ...overrides }), {
    log: capturingLog,
    listen: false,
  });
}

const realWrite = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  await requireServices();
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    printed.push(String(chunk));
    return (realWrite as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  // What an older version left behind: the JWT key and the channels' private keys in plaintext.
  const sql = await openDatabase(DATABASE_URL, ns, { max: 1 });
  await migrate(sql, ns);
  oldChannelKeys = JSON.stringify(await generateChannelKeys());
  await sql`INSERT INTO settings (key, value) VALUES ('jwt_secret', ${OLD_JWT_SECRET}),
    ('payment_channel_keys', ${oldChannelKeys})`;
  await sql.end();
  node = await start({ ADMIN_PASSWORD: "" });
});

afterAll(async () => {
  process.stdout.write = realWrite;
  await node?.stop();
  await cleanupNamespace(ns);
  rmSync(dir, { recursive: true, force: true });
});

test("secrets - the JWT key and channel keys are sealed in Postgres after start, and still the same keys", async () => {
  const rows = await node!
    .sql`SELECT key, value FROM settings WHERE key IN ('jwt_secret', 'payment_channel_keys')`;
  expect(rows.length).toBe(2);
  const { box } = SecretBox.load({ keyFile });
  for (const row of rows) {
    const value = row.value as string;
    expect(value.startsWith("enc:v1:"), `${row.key} sealed`).toBe(true);
    expect(value).not.toContain("PRIVATE KEY");
    expect(value).not.toContain(OLD_JWT_SECRET);
    expect(box.open(value)).toBe(row.key === "jwt_secret" ? OLD_JWT_SECRET : oldChannelKeys);
  }
  expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  // Tokens signed before the migration still verify: the key is the same, only its storage changed.
  const now = Math.floor(Date.now() / 1000);
  const token = await sign({ sub: "admin", ver: 0, iat: now, exp: now + 600 }, OLD_JWT_SECRET, "HS256");
  const api = new ApiClient(node!.app!);
  api.token = token;
  expect((await api.call("GET", "/v1/me")).status).toBe(200);
});

test("startup - the first-start password is printed in a box once the shard logs have settled", async () => {
  await waitFor(() => printed.some((p) => p.includes("Created user")), 25_000, "the password box");
  const box = printed.find((p) => p.includes("Created user"))!;
  expect(box).toContain("┌");
  expect(box).toContain("npm run admin -- reset-password admin");
  expect(node!.actorNode!.coveredShards).toBe(node!.config.SHARD_COUNT);
  const password = /with password: (\S+)/.exec(box)![1]!;
  await new ApiClient(node!.app!).login("admin", password);
});

test("startup - an ADMIN_PASSWORD that is not admin's password is reported loudly, with the fix", async () => {
  await node!.stop();
  node = undefined;
  printed.length = 0;
  warnings.length = 0;
  node = await start({ ADMIN_PASSWORD: "not-the-admin-password" });
  const warning = warnings.find((w) => w.msg.includes("ADMIN_PASSWORD"));
  expect(warning, JSON.stringify(warnings)).toBeDefined();
  expect(JSON.stringify(warning)).toContain("reset-password");
  await waitFor(
    () => printed.some((p) => p.includes("ADMIN_PASSWORD is set but")),
    25_000,
    "the warning box",
  );
});

test("secrets - a node with another secrets key refuses to start and says how to fix it", async () => {
  const refused = await start({ HUB_SECRETS_KEY: "a-different-key-a-different-key-123456" }).then(
    (n) => n.stop().then(() => "started"),
    (error: Error) => error.message,
  );
  expect(refused).toContain("sealed with another secrets key");
  expect(refused).toContain("HUB_SECRETS_KEY");
});

test("headers - pages get a same-origin CSP, everything gets nosniff, DENY framing and no referrer", async () => {
  const app = node!.app!;
  const page = await app.request("/dashboard/orders.html");
  expect(page.status).toBe(200);
  const csp = page.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain("unsafe-eval");
  // The vendor scripts the pages load are served from this origin, so 'self' covers them.
  const html = await page.text();
  for (const src of html.matchAll(/<script[^>]*src="([^"]+)"/g)) {
    expect(src[1]!.startsWith("/"), src[1]).toBe(true);
    expect((await app.request(src[1]!)).status, src[1]).toBe(200);
  }
  const docs = await app.request("/docs");
  for (const hash of inlineScriptHashes(DOCS_HTML)) {
    expect(docs.headers.get("content-security-policy")).toContain(`'${hash}'`);
  }
  for (const path of ["/dashboard/", "/docs", "/v1/warehouses", "/healthz", "/nowhere"]) {
    const res = await app.request(path);
    expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
    expect(res.headers.get("x-frame-options"), path).toBe("DENY");
    expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
    expect(res.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
  }
  expect((await app.request("/v1/warehouses")).headers.get("content-security-policy")).toBe(
    "default-src 'none'; frame-ancestors 'none'",
  );
});
