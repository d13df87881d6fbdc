import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SecretBox } from "./secrets.ts";

test("secrets - AES-GCM sealing round-trips, hides the plaintext and detects tampering or another key", () => {
  const dir = mkdtempSync(join(tmpdir(), "hub-secrets-"));
  try {
    const { box } = SecretBox.load({ keyFile: join(dir, "ns", "secrets.key") });
    const sealed = box.seal("-----BEGIN PRIVATE KEY-----abc");
    expect(SecretBox.isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain("PRIVATE");
    expect(box.open(sealed)).toBe("-----BEGIN PRIVATE KEY-----abc");
    const tampered = `${sealed.slice(0, -4)}AAAA`;
    expect(() => box.open(tampered)).toThrow();
    const other = SecretBox.load({ secret: "x".repeat(32), keyFile: join(dir, "unused") }).box;
    expect(() => other.open(sealed)).toThrow();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("secrets - the generated key file is created once with mode 0600 and reused", () => {
  const dir = mkdtempSync(join(tmpdir(), "hub-secrets-"));
  try {
    const file = join(dir, "ns", "secrets.key");
    const first = SecretBox.load({ keyFile: file });
    const content = readFileSync(file, "utf8");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = SecretBox.load({ keyFile: file });
    expect(readFileSync(file, "utf8")).toBe(content);
    expect(second.box.open(first.box.seal("same key"))).toBe("same key");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("secrets - HUB_SECRETS_KEY gives the same key on every node and never touches the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "hub-secrets-"));
  try {
    const a = SecretBox.load({ secret: "a-shared-secret-of-at-least-32-chars!", keyFile: join(dir, "k") });
    const b = SecretBox.load({ secret: "a-shared-secret-of-at-least-32-chars!", keyFile: join(dir, "k") });
    expect(b.box.open(a.box.seal("jwt"))).toBe("jwt");
    expect(a.source).toBe("HUB_SECRETS_KEY");
    expect(() => statSync(join(dir, "k"))).toThrow();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
