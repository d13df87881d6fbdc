/**
 * The Postgres baseline behind the same HTTP stack (Hono on Bun): one plain route doing the guarded
 * update most back offices use, so the HTTP comparison is like for like. Started by the bench only.
 */
import { Hono } from "hono";
import postgres from "postgres";
import { z } from "zod";
import { reserveSql } from "./pg-baseline.ts";

const port = Number(process.env.PORT ?? 3901);
const sql = postgres(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres", {
  max: Number(process.env.PG_POOL ?? 32),
  onnotice: () => undefined,
});
const body = z.object({ orderId: z.string().min(1).max(64), userId: z.string().min(1).max(64) });
const app = new Hono();
app.get("/healthz", (c) => c.text("ok"));
app.post("/reserve/:table/:sku", async (c) => {
  const parsed = body.safeParse(await c.req.json().catch(() => null));
  if (!parsed.success) return c.json({ error: "invalid" }, 400);
  const outcome = await reserveSql(
    sql,
    c.req.param("table"),
    c.req.param("sku"),
    parsed.data.userId,
    parsed.data.orderId,
  );
  return c.json({ outcome }, outcome === "ok" ? 201 : 409);
});
Bun.serve({ port, hostname: "127.0.0.1", fetch: app.fetch });
console.log(`baseline listening on ${port}`);
