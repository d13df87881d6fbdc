import { expect, test } from "bun:test";
import bcrypt from "bcryptjs";
import { createPasswordHasher } from "./password.ts";

test("passwords - hashes written by bcryptjs (before hashing moved off the event loop) still verify", async () => {
  const hasher = createPasswordHasher();
  const legacy = await bcrypt.hash("an-existing-password", 10);
  expect(await hasher.verify("an-existing-password", legacy)).toBe(true);
  expect(await hasher.verify("another-password", legacy)).toBe(false);
});

test("passwords - new hashes are standard bcrypt, and a malformed stored hash is a wrong password", async () => {
  const hasher = createPasswordHasher();
  const hash = await hasher.hash("a-new-password");
  expect(hash).toMatch(/^\$2[aby]\$10\$/);
  expect(bcrypt.compareSync("a-new-password", hash)).toBe(true);
  expect(await hasher.verify("a-new-password", "not-a-hash")).toBe(false);
});
