/**
 * Every start calls `ensureAdmin`; hashing a password (bcrypt, tens of milliseconds of CPU) on each
 * start only to throw the hash away when admin already exists wastes start-up time on every node. The
 * password is hashed only when admin is created.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createPasswordHasher, type PasswordHasher } from "../platform/password.ts";
import { openDatabase, type Sql } from "../storage/postgres/database.ts";
import { migrate } from "../storage/postgres/migrate.ts";
import { UserStore } from "../storage/users.ts";
import { cleanupNamespace, DATABASE_URL, requireServices, testNamespace } from "./support/harness.ts";

const ns = testNamespace("adminboot");
let sql: Sql;

beforeAll(async () => {
  await requireServices();
  sql = await openDatabase(DATABASE_URL, ns, { max: 2 });
  await migrate(sql, ns);
});

afterAll(async () => {
  await sql?.end();
  await cleanupNamespace(ns);
});

test("users - ensureAdmin hashes a password only when it creates admin, not on every start", async () => {
  const real = createPasswordHasher();
  const hashed: string[] = [];
  const counting: PasswordHasher = {
    hash: (password) => {
      hashed.push(password);
      return real.hash(password);
    },
    verify: (password, hash) => real.verify(password, hash),
  };
  const users = new UserStore(sql, counting);
  await users.ensureRoles();
  expect(await users.ensureAdmin("first-password")).toBe(true);
  expect(hashed).toEqual(["first-password"]);
  // Later starts (any password configured): admin exists, nothing is hashed, nothing changes.
  for (let start = 0; start < 3; start++) expect(await users.ensureAdmin(`start-${start}`)).toBe(false);
  expect(hashed).toEqual(["first-password"]);
  expect(await users.passwordMatches("admin", "first-password")).toBe(true);
  expect(await users.passwordMatches("admin", "start-0")).toBe(false);
});
