import type { AccountSource, AccountState } from "./auth.ts";
import { ProblemError } from "./problem.ts";

const ACCOUNT_CACHE_MAX = 10_000;
/** How long a user's state (roles, disabled, token version, revoked sessions) is trusted before it is read again. */
export const ACCOUNT_CACHE_MS = 2_000;
/** While the user store is unreachable, the last state read is used this long, then requests get 503. */
const ACCOUNT_STALE_MAX_MS = 60_000;
const ACCOUNT_LOOKUP_DEADLINE_MS = 2_000;

interface CachedAccount {
  state: AccountState | undefined;
  readAt: number;
}

/**
 * Accounts as the token check reads them: through a short per-node cache, one lookup in flight per user,
 * a deadline on each lookup, and the last state read while the store is unreachable (see `TokenService`).
 */
export class AccountCache {
  readonly #source: AccountSource;
  readonly #cacheMs: number;
  readonly #cache = new Map<string, CachedAccount>();
  readonly #inflight = new Map<string, Promise<AccountState | undefined>>();

  constructor(source: AccountSource, cacheMs: number) {
    this.#source = source;
    this.#cacheMs = cacheMs;
  }

  forget(username: string): void {
    this.#cache.delete(username);
  }

  async get(username: string): Promise<AccountState | undefined> {
    const cached = this.#cache.get(username);
    const now = Date.now();
    if (cached && now - cached.readAt < this.#cacheMs) return cached.state;
    let pending = this.#inflight.get(username);
    if (!pending) {
      pending = this.#read(username).finally(() => this.#inflight.delete(username));
      this.#inflight.set(username, pending);
    }
    try {
      return await pending;
    } catch {
      // Revocations are written to the same store, so while it is unreachable none can be missed beyond
      // the ones made in the last cache interval.
      if (cached && now - cached.readAt < ACCOUNT_STALE_MAX_MS) return cached.state;
      throw new ProblemError(503, "unavailable", "cannot check the token right now", {}, 2);
    }
  }

  async #read(username: string): Promise<AccountState | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const state = await Promise.race([
        this.#source.account(username),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("account lookup deadline")), ACCOUNT_LOOKUP_DEADLINE_MS);
        }),
      ]);
      if (this.#cache.size >= ACCOUNT_CACHE_MAX && !this.#cache.has(username)) {
        this.#cache.delete(this.#cache.keys().next().value!);
      }
      this.#cache.set(username, { state, readAt: Date.now() });
      return state;
    } finally {
      clearTimeout(timer);
    }
  }
}
