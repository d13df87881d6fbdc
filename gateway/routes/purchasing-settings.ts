import { PURCHASING_SETTINGS_ID } from "../../actors/purchasing/index.ts";
import type { GatewayKit } from "../app.ts";
import { listScope } from "../data-scope.ts";
import type { PurchasingStore } from "../purchasing-ports.ts";
import { parseBody, parseQuery } from "../validate.ts";
import { payableList, payableQuery, settingsBody, settingsView } from "./purchasing-schemas.ts";

const SETTINGS = "purchasing-settings";

/** Purchasing's operator settings (approval threshold, receipt tolerance) and finance's payables. */
export function purchasingSettingsRoutes(deps: { purchasing: PurchasingStore }) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    define(
      {
        method: "get",
        path: "/v1/purchasing/settings",
        summary:
          "Purchasing settings: second-approval threshold (none on a fresh install) and receipt tolerance",
        tag: "Purchasing",
        permission: "purchase:read",
        response: { status: 200, schema: settingsView, description: "The settings" },
      },
      async (c) => c.json(await kit.read(c, SETTINGS, PURCHASING_SETTINGS_ID)),
    );
    define(
      {
        method: "put",
        path: "/v1/purchasing/settings",
        summary: "Set the second-approval threshold and the receipt tolerance (POs submitted later use them)",
        tag: "Purchasing",
        permission: "purchase:configure",
        body: settingsBody,
        response: { status: 200, schema: settingsView, description: "The settings" },
      },
      async (c) => {
        const body = await parseBody(c, settingsBody);
        const cmd = { type: "set", settings: body };
        return c.json(
          await command(c, SETTINGS, PURCHASING_SETTINGS_ID, cmd, { id: `settings:${crypto.randomUUID()}` }),
        );
      },
    );
    define(
      {
        method: "get",
        path: "/v1/purchase-payables",
        summary: "Payables for finance, one per receipt (accepted × unit cost), newest first (read model)",
        tag: "Purchasing",
        permission: "purchase:read",
        query: payableQuery,
        response: { status: 200, schema: payableList, description: "Payables" },
      },
      async (c) =>
        c.json({ items: await deps.purchasing.payables(parseQuery(c, payableQuery), listScope(c)) }),
    );
  };
}
