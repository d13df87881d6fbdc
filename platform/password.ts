/**
 * Password hashing off the event loop. bcrypt costs ~70 ms of CPU per hash; run on the thread that also
 * serves requests and drives actors, 40 wrong logins stall the node for seconds. `Bun.password` hashes
 * and verifies on Bun's worker thread pool. It reads and writes standard `$2a$`/`$2b$` bcrypt strings, so
 * hashes written earlier (by bcryptjs) keep verifying.
 */
import bcrypt from "bcryptjs";

/** bcrypt only reads 72 bytes; longer passwords are refused where they are set (see `MAX_PASSWORD_BYTES`). */
export const MAX_PASSWORD_BYTES = 72;
const BCRYPT_COST = 10;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

interface BunPasswordLike {
  password: {
    hash(password: string, options: { algorithm: "bcrypt"; cost: number }): Promise<string>;
    verify(password: string, hash: string): Promise<boolean>;
  };
}

export function createPasswordHasher(): PasswordHasher {
  const bun = (globalThis as { Bun?: BunPasswordLike }).Bun;
  if (bun) {
    return {
      hash: (password) => bun.password.hash(password, { algorithm: "bcrypt", cost: BCRYPT_COST }),
      // A malformed stored hash is a wrong password, never a 500.
      verify: (password, hash) => bun.password.verify(password, hash).catch(() => false),
    };
  }
  // Another runtime (Node, Deno) gets bcryptjs until this adapter grows a worker_threads pool: correct,
  // but on the calling thread.
  return {
    hash: (password) => bcrypt.hash(password, BCRYPT_COST),
    verify: (password, hash) => bcrypt.compare(password, hash).catch(() => false),
  };
}
