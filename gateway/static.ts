import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Hono } from "hono";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// Maps, not objects: a requested name such as `constructor` must find nothing, not `Object.prototype`'s.
const TYPES = new Map([
  [".html", "text/html; charset=utf-8"],
  [".js", "text/javascript; charset=utf-8"],
  [".css", "text/css; charset=utf-8"],
  [".svg", "image/svg+xml"],
  [".json", "application/json"],
]);
/** Third-party browser code, served from node_modules so pages never load anything from a CDN. */
const VENDOR = new Map([
  ["uPlot.iife.min.js", "node_modules/uplot/dist/uPlot.iife.min.js"],
  ["uPlot.min.css", "node_modules/uplot/dist/uPlot.min.css"],
  ["socket.io.min.js", "node_modules/socket.io-client/dist/socket.io.min.js"],
]);

/** The dashboards: static files from realtime/public (names are whitelisted, never joined from input). */
export function serveDashboards(app: Hono): void {
  const cache = new Map<string, { body: string; type: string }>();
  const file = async (path: string) => {
    let hit = cache.get(path);
    if (!hit) {
      hit = {
        body: await readFile(join(ROOT, path), "utf8"),
        type: TYPES.get(extname(path)) ?? "application/octet-stream",
      };
      cache.set(path, hit);
    }
    return hit;
  };
  app.get("/dashboard", (c) => c.redirect("/dashboard/"));
  app.get("/dashboard/", async (c) => {
    const f = await file("realtime/public/index.html");
    return c.body(f.body, 200, { "content-type": f.type });
  });
  app.get("/dashboard/vendor/:name", async (c) => {
    const path = VENDOR.get(c.req.param("name"));
    if (!path) return c.notFound();
    const f = await file(path);
    return c.body(f.body, 200, { "content-type": f.type, "cache-control": "public, max-age=86400" });
  });
  app.get("/dashboard/:name", async (c) => {
    const name = c.req.param("name");
    if (!/^[a-z0-9-]+\.(html|js|css|svg)$/.test(name)) return c.notFound();
    try {
      const f = await file(`realtime/public/${name}`);
      return c.body(f.body, 200, { "content-type": f.type });
    } catch {
      return c.notFound();
    }
  });
}
