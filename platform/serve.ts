/**
 * The one place that touches Bun-only APIs: serving a fetch handler. Everything else uses web-standard
 * and `node:` APIs, so the core runs on Node or Deno given another adapter here.
 */
export interface HttpServer {
  port: number;
  stop(): Promise<void>;
}

export function serve(
  fetch: (request: Request) => Response | Promise<Response>,
  options: { port: number; hostname: string },
): HttpServer {
  const bun = (
    globalThis as {
      Bun?: { serve: (o: unknown) => { port: number; stop: (force?: boolean) => Promise<void> | void } };
    }
  ).Bun;
  if (!bun) throw new Error("this adapter needs Bun: run with `npx bun` (installed by npm install)");
  const server = bun.serve({ fetch, port: options.port, hostname: options.hostname, idleTimeout: 60 });
  return { port: server.port, stop: async () => void (await server.stop(true)) };
}
