/**
 * The one place that touches Bun-only APIs: serving a fetch handler (and Socket.IO on the same port,
 * through Socket.IO's Bun engine). Everything else uses web-standard and `node:` APIs, so the core runs on
 * Node or Deno given another adapter here.
 */
import { Server as BunEngine } from "@socket.io/bun-engine";
import type { Server as SocketServer } from "socket.io";

/** What the adapter knows about a request beyond the Request itself (Hono's `c.env`). */
export interface RequestEnv {
  /** The TCP peer's address (behind a reverse proxy: the proxy's). */
  clientAddress?: string;
}

export interface HttpServer {
  port: number;
  stop(): Promise<void>;
}

interface BunServerLike {
  requestIP?: (request: Request) => { address: string } | null;
}

interface BunLike {
  serve: (options: unknown) => { port: number; stop: (force?: boolean) => Promise<void> | void };
}

/** The peer address is looked up only when a route asks for it (rate limits do; most routes never). */
function envOf(request: Request, server: unknown): RequestEnv {
  let looked = false;
  let address: string | undefined;
  return {
    get clientAddress() {
      if (!looked) {
        looked = true;
        address = (server as BunServerLike | undefined)?.requestIP?.(request)?.address;
      }
      return address;
    },
  };
}

/** True for Socket.IO's own requests; reads the path without parsing the whole URL for every request. */
function isSocketIo(url: string): boolean {
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  return pathStart >= 0 && url.startsWith("/socket.io/", pathStart);
}

export function serve(
  fetch: (request: Request, env: RequestEnv) => Response | Promise<Response>,
  options: { port: number; hostname: string; socketServer?: SocketServer },
): HttpServer {
  const bun = (globalThis as { Bun?: BunLike }).Bun;
  if (!bun) throw new Error("this adapter needs Bun: run with `npx bun` (installed by npm install)");
  if (!options.socketServer) {
    const server = bun.serve({
      fetch: (request: Request, bunServer: unknown) => fetch(request, envOf(request, bunServer)),
      port: options.port,
      hostname: options.hostname,
      idleTimeout: 60,
    });
    return { port: server.port, stop: async () => void (await server.stop(true)) };
  }
  const engine = new BunEngine({ path: "/socket.io/" });
  options.socketServer.bind(engine);
  const { websocket } = engine.handler();
  const server = bun.serve({
    port: options.port,
    hostname: options.hostname,
    // Longer than the engine's ping interval (25 s), so idle sockets are not cut by the HTTP server.
    idleTimeout: 30,
    fetch(request: Request, bunServer: unknown) {
      if (isSocketIo(request.url)) {
        return engine.handleRequest(request, bunServer as Parameters<typeof engine.handleRequest>[1]);
      }
      return fetch(request, envOf(request, bunServer));
    },
    websocket,
  });
  return {
    port: server.port,
    stop: async () => {
      engine.close();
      await server.stop(true);
    },
  };
}
