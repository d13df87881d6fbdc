/** Logistics and warehouse panels: logistics live (its honest empty state until it lands); the warehouse links to its own dashboard. */
import { clock, connectHub, el, int, onLangChange, renderHeader } from "./common.js";
import { applyI18n, currentLang, t } from "./i18n.js";
import { emptyLogistics, foldShipmentMessage, renderLogistics } from "./logistics-panel.js";

const PANELS = { logistics: "emptyLogistics", warehouse: "emptyWarehouse" };
const state = {
  logistics: { loaded: false, empty: false, reason: "", data: null, events: [] },
  warehouse: { loaded: false, empty: false, reason: "", data: null, events: [] },
};

renderHeader("logistics.html");

function renderPanel(name) {
  const panel = state[name];
  const box = document.getElementById(name);
  box.dataset.state = !panel.loaded ? "loading" : panel.empty && panel.events.length === 0 ? "empty" : "live";
  if (!panel.loaded) {
    box.replaceChildren(el("div", { class: "empty", text: t("conn_connecting") }));
    return;
  }
  const parts = [];
  if (name === "warehouse") {
    // The warehouse floor has its own live dashboard (decision 0027).
    box.dataset.state = "live";
    box.replaceChildren(
      el(
        "a",
        { href: "/dashboard/warehouse.html", class: "empty-state", "data-testid": "warehouse-link" },
        el("div", { class: "title", "data-i18n": "warehouseDash", text: t("warehouseDash") }),
        el("div", { class: "note", text: "→" }),
      ),
    );
    return;
  }
  if (name === "logistics" && panel.data && !panel.empty) {
    // The logistics module's live figures (decision 0029).
    box.dataset.state = "live";
    renderLogistics(box, panel.data);
    return;
  }
  if (panel.empty && panel.events.length === 0) {
    parts.push(
      el(
        "div",
        { class: "empty-state", "data-testid": `empty-${name}` },
        el("div", { class: "icon", text: "◇" }),
        el("div", { class: "title", text: t(PANELS[name]) }),
        el("div", { class: "note", text: t("emptyNote") }),
        // The server's own wording (English), shown in the English UI only.
        currentLang() === "en" && panel.reason ? el("div", { class: "note mono", text: panel.reason }) : null,
      ),
    );
  } else {
    parts.push(el("div", { class: "empty", text: `${t("eventsReceived")}: ${int(panel.events.length)}` }));
    const list = el("ul", { class: "alerts" });
    for (const e of panel.events.slice(0, 30))
      list.append(
        el(
          "li",
          {},
          el("span", { class: "when", text: clock(e.at) }),
          el("strong", { text: e.kind }),
          el("span", { class: "mono", text: `${e.entityId} · ${e.types}` }),
        ),
      );
    parts.push(list);
  }
  box.replaceChildren(...parts);
}

function render() {
  for (const name of Object.keys(PANELS)) renderPanel(name);
}

render();
onLangChange(() => {
  applyI18n();
  render();
});

const hub = connectHub({
  dashboards: ["logistics", "warehouse"],
  onSnapshot: (dashboard, data) => {
    const panel = state[dashboard];
    panel.loaded = true;
    panel.empty = Boolean(data?.empty);
    panel.reason = data?.reason ?? "";
    panel.data = dashboard === "logistics" && !panel.empty ? { ...emptyLogistics(), ...data } : data;
    renderPanel(dashboard);
  },
  onEvent: (msg) => {
    const panel = state[msg.dashboard];
    if (!panel) return;
    if (msg.dashboard === "logistics" && msg.kind === "shipment") {
      panel.data ??= emptyLogistics();
      foldShipmentMessage(panel.data, msg);
    }
    panel.events.unshift({
      at: msg.at,
      kind: msg.kind,
      entityId: msg.entityId,
      types: msg.events.map((e) => e.type).join(", "),
    });
    panel.events.length = Math.min(panel.events.length, 200);
    renderPanel(msg.dashboard);
  },
});
hub.state = state;
