import type { MetricsRegistry } from "../../actors/runtime/index.ts";
import type { GatewayKit } from "../app.ts";
import { DOCS_HTML, openApiDocument } from "../openapi.ts";
import type { ReadinessReport } from "../ports.ts";
import { serveDashboards } from "../static.ts";

export interface OpsRouteDeps {
  readiness(): Promise<ReadinessReport>;
  metrics: MetricsRegistry;
}

/** Operations: liveness, readiness, Prometheus metrics, the API description and the dashboards. */
export function opsRoutes(deps: OpsRouteDeps) {
  return ({ app, documented }: GatewayKit) => {
    app.get("/healthz", (c) => c.json({ status: "ok" }));
    app.get("/readyz", async (c) => {
      const report = await deps.readiness();
      return c.json(report, report.ready ? 200 : 503);
    });
    app.get("/metrics", (c) =>
      c.text(deps.metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" }),
    );
    app.get("/openapi.json", (c) => c.json(openApiDocument([...documented()])));
    app.get("/docs", (c) => c.html(DOCS_HTML));
    serveDashboards(app);
  };
}
