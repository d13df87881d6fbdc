import type { Server, Socket } from "socket.io";
import {
  type Grant,
  type PiiField,
  type PiiView,
  piiView,
  type ScopeFilter,
  scopeFor,
} from "../actors/permissions/index.ts";
import type { Logger } from "../actors/runtime/index.ts";

export interface Principal {
  username: string;
  permissions: string[];
  /** Each role with its data scope (decision 0033); absent: not limited. */
  grants?: readonly Grant[];
}

/** Where reads of unmasked personal data are recorded (the gateway's audit log, `pii.read`). */
export interface PiiReadAudit {
  record(entry: {
    principal: string;
    action: string;
    target: string;
    requestId: string;
    detail: Record<string, unknown>;
  }): Promise<void>;
}

interface SocketSession {
  token: string;
  principal: Principal;
  expiry: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Who is on each socket, for as long as their token is good. The token is checked at the handshake,
 * the socket is dropped when the token expires, and every `recheckMs` each token is checked again with
 * the same check the HTTP gateway uses, so a revoked token or a disabled user loses its sockets too.
 */
export class SocketAuth {
  readonly #io: Server;
  readonly #checkToken: (token: string) => Promise<Principal>;
  readonly #can: (principal: Principal, permission: string) => boolean;
  readonly #log: Logger;
  readonly #recheckMs: number;
  readonly #audit: PiiReadAudit | undefined;
  readonly #sessions = new Map<Socket, SocketSession>();
  #recheckTimer: ReturnType<typeof setInterval> | undefined;
  #rechecking = false;

  constructor(deps: {
    io: Server;
    checkToken: (token: string) => Promise<Principal>;
    can: (principal: Principal, permission: string) => boolean;
    log: Logger;
    recheckMs?: number;
    audit?: PiiReadAudit;
  }) {
    this.#io = deps.io;
    this.#audit = deps.audit;
    this.#checkToken = deps.checkToken;
    this.#can = deps.can;
    this.#log = deps.log;
    this.#recheckMs = deps.recheckMs ?? 2_000;
  }

  start(): void {
    this.#io.use(async (socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      if (typeof token !== "string") return next(new Error("unauthorized: send auth.token"));
      try {
        const principal = await this.#checkToken(token);
        const expiresAt = tokenExpiry(token);
        if (expiresAt === undefined) return next(new Error("unauthorized: token without expiry"));
        this.#sessions.set(socket, { token, principal, expiry: undefined });
        socket.on("disconnect", () => this.#forget(socket));
        next();
        this.#expireAt(socket, expiresAt);
      } catch {
        next(new Error("unauthorized: invalid or expired token"));
      }
    });
    this.#recheckTimer = setInterval(() => void this.#recheck(), this.#recheckMs);
  }

  stop(): void {
    if (this.#recheckTimer) clearInterval(this.#recheckTimer);
    for (const socket of [...this.#sessions.keys()]) this.#forget(socket);
  }

  can(socket: Socket, permission: string): boolean {
    const session = this.#sessions.get(socket);
    return session !== undefined && this.#can(session.principal, permission);
  }

  /** The data scope this socket's user holds `permission` under (decision 0033); null: not limited. */
  scope(socket: Socket, permission: string): ScopeFilter | null {
    const session = this.#sessions.get(socket);
    if (!session) return null;
    const scope = scopeFor(session.principal, permission);
    return scope ? { scope, username: session.principal.username } : null;
  }

  /** What this socket's user may see of customers' personal data (the masking policy, decision 0037). */
  customerView(socket: Socket): PiiView {
    return piiView((permission) => this.can(socket, permission), "customer");
  }

  /**
   * One `pii.read` audit row for a subscription that shows personal data unmasked (decision 0037): once
   * per subscription, not per message. Without an audit log (tests of other parts) nothing is written.
   */
  async revealed(socket: Socket, target: string, fields: readonly PiiField[]): Promise<void> {
    const principal = this.#sessions.get(socket)?.principal.username;
    if (fields.length === 0 || principal === undefined || this.#audit === undefined) return;
    await this.#audit.record({
      principal,
      action: "pii.read",
      target,
      requestId: `socket:${socket.id}`,
      detail: { fields: [...fields], door: "socket" },
    });
  }

  #expireAt(socket: Socket, expiresAt: number): void {
    const session = this.#sessions.get(socket);
    if (!session) return;
    // setTimeout holds at most ~24.8 days; a longer token is re-armed by the periodic re-check anyway.
    const delay = Math.min(Math.max(0, expiresAt - Date.now()), 2 ** 31 - 1);
    session.expiry = setTimeout(() => this.#drop(socket, "token expired"), delay);
  }

  /** Each distinct token once per round, however many sockets share it. */
  async #recheck(): Promise<void> {
    if (this.#rechecking || this.#sessions.size === 0) return;
    this.#rechecking = true;
    try {
      const byToken = new Map<string, Socket[]>();
      for (const [socket, session] of this.#sessions) {
        const sockets = byToken.get(session.token);
        if (sockets) sockets.push(socket);
        else byToken.set(session.token, [socket]);
      }
      for (const [token, sockets] of byToken) {
        let principal: Principal | undefined;
        try {
          principal = await this.#checkToken(token);
        } catch (error) {
          // Only a refusal (401) ends a session. A user store that cannot answer right now (503 while
          // Postgres is away) is asked again next round: an outage must not sign every operator out.
          if (statusOf(error) !== 401) {
            this.#log.warn("socket token re-check could not decide; keeping the sockets", { error });
            continue;
          }
          principal = undefined;
        }
        for (const socket of sockets) {
          const session = this.#sessions.get(socket);
          if (!session) continue;
          if (!principal) this.#drop(socket, "token revoked or expired");
          // Rooms were chosen by the old permissions and scopes (what is masked, which dashboards, which
          // warehouses): start over.
          else if (
            !samePermissions(principal, session.principal) ||
            !sameGrants(principal, session.principal)
          )
            this.#drop(socket, "permissions changed");
        }
      }
    } catch (error) {
      this.#log.warn("socket token re-check failed; retrying next round", { error });
    } finally {
      this.#rechecking = false;
    }
  }

  #drop(socket: Socket, reason: string): void {
    this.#forget(socket);
    if (!socket.connected) return;
    // Tell the page why, so it can ask for a new sign-in instead of reconnecting with a dead token.
    socket.emit("session", { ok: false, reason });
    socket.disconnect(true);
  }

  #forget(socket: Socket): void {
    const session = this.#sessions.get(socket);
    if (session?.expiry) clearTimeout(session.expiry);
    this.#sessions.delete(socket);
  }
}

/** The `exp` claim (ms) of a JWT the token check has already verified; undefined when absent. */
export function tokenExpiry(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      exp?: unknown;
    };
    return typeof payload.exp === "number" ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The HTTP status a token check's error carries (the gateway's problems do), if any. */
function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("status" in error)) return undefined;
  return typeof error.status === "number" ? error.status : undefined;
}

function samePermissions(a: Principal, b: Principal): boolean {
  if (a.permissions.length !== b.permissions.length) return false;
  const set = new Set(a.permissions);
  return b.permissions.every((p) => set.has(p));
}

function sameGrants(a: Principal, b: Principal): boolean {
  return JSON.stringify(a.grants ?? []) === JSON.stringify(b.grants ?? []);
}
