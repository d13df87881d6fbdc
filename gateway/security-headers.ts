import { createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";

/**
 * Browser hardening on every response. Pages (the dashboards, /docs) load scripts and styles only from
 * this origin (vendor code is served from node_modules under /dashboard/vendor/, never a CDN), may not
 * be framed (clickjacking) and send no referrer (URLs can carry ids). Inline scripts are allowed only by
 * hash, for the pages that have one. API responses get the strictest policy: they are data, never a
 * document.
 */
export function securityHeaders(pagesWithInlineScripts: readonly string[] = []): MiddlewareHandler {
  const hashes = pagesWithInlineScripts.flatMap(inlineScriptHashes).map((h) => `'${h}'`);
  const pagePolicy = [
    "default-src 'self'",
    `script-src 'self'${hashes.length ? ` ${hashes.join(" ")}` : ""}`,
    // uPlot sizes its canvas with style attributes; inline styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  const dataPolicy = "default-src 'none'; frame-ancestors 'none'";
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    const isPage = (headers.get("content-type") ?? "").startsWith("text/html");
    headers.set("content-security-policy", isPage ? pagePolicy : dataPolicy);
    headers.set("x-content-type-options", "nosniff");
    headers.set("x-frame-options", "DENY");
    headers.set("referrer-policy", "no-referrer");
    headers.set("cross-origin-opener-policy", "same-origin");
  };
}

/** `sha256-…` of each inline `<script>` body (CSP hashes the exact text between the tags). */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    (m) => `sha256-${createHash("sha256").update(m[1]!, "utf8").digest("base64")}`,
  );
}
