import { expect, test } from "bun:test";
import { Hono } from "hono";
import { serveDashboards } from "./static.ts";

const BUILTIN_NAMES = [
  "constructor",
  "toString",
  "__proto__",
  "hasOwnProperty",
  "valueOf",
  "__defineGetter__",
];

test("static files - built-in property names are not vendor files: 404, never a 500", async () => {
  const app = new Hono();
  serveDashboards(app);
  for (const name of BUILTIN_NAMES) {
    const res = await app.request(`/dashboard/vendor/${name}`);
    expect({ name, status: res.status }).toEqual({ name, status: 404 });
  }
  const real = await app.request("/dashboard/vendor/uPlot.min.css");
  expect(real.status).toBe(200);
  expect(real.headers.get("content-type")).toBe("text/css; charset=utf-8");
});
