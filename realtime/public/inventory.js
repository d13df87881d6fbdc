/** Inventory dashboard: stock per SKU from the snapshot, then the hub's coalesced additive deltas. */
import { clock, connectHub, el, int, onLangChange, percent, renderHeader } from "./common.js";
import { applyI18n, t } from "./i18n.js";

const ROWS_MAX = 30;
const HOT_WINDOW_MS = 5 * 60_000;
const ALERTS_MAX = 50;

const state = { asOf: 0, upTo: 0, skus: {}, alerts: [] };

renderHeader("inventory.html");

function blank(sku) {
  return {
    sku,
    physical: 0,
    reserved: 0,
    inTransit: 0,
    safetyStock: 0,
    sellable: 0,
    base: { physical: 0, reserved: 0, sellable: 0 },
    /** Physical stock when the sale started (just before the first reservation today); null before. */
    saleStart: null,
    activity: [],
  };
}

/** Sellable as the read model computed it, moved by what changed since (never below zero). */
function refresh(s) {
  s.sellable = Math.max(0, s.base.sellable + (s.physical - s.base.physical) - (s.reserved - s.base.reserved));
  s.lowStock = s.safetyStock > 0 && s.sellable < s.safetyStock;
}

function applySnapshot(data, asOf) {
  state.asOf = asOf;
  state.upTo = asOf;
  state.skus = {};
  state.alerts = [];
  for (const row of data?.skus ?? []) {
    const s = { ...blank(row.sku), ...row, saleStart: row.saleStart ?? null };
    s.base = { physical: row.physical, reserved: row.reserved, sellable: row.sellable };
    refresh(s);
    s.lowStock = Boolean(row.lowStock) || s.lowStock;
    state.skus[row.sku] = s;
  }
  // The alerts standing in the read model, each with the time of the change that left the stock low.
  for (const a of data?.lowStockAlerts ?? []) state.alerts.push({ ...a });
  render();
}

function applyStock(msg) {
  state.upTo = msg.upTo;
  const now = Date.now();
  for (const d of msg.deltas) {
    const s = state.skus[d.sku] ?? blank(d.sku);
    state.skus[d.sku] = s;
    // First reservation seen for a SKU the snapshot had no sale for: the sale starts from this stock.
    if (s.saleStart === null && d.reserved > 0) s.saleStart = s.physical;
    s.physical += d.physical;
    s.reserved += d.reserved;
    s.inTransit += d.inTransit;
    if (d.reserved > 0) s.activity.push({ at: now, qty: d.reserved });
    s.fresh = true;
    refresh(s);
  }
  scheduleRender();
}

function applyAlert(msg) {
  const s = state.skus[msg.sku] ?? blank(msg.sku);
  state.skus[msg.sku] = s;
  // Safety-stock changes are not in the stock deltas: the alert carries the warehouse's new level, so
  // sellable is re-based on it (exact for a SKU in one warehouse, close enough for several).
  if (msg.safetyStock > s.safetyStock) s.safetyStock = msg.safetyStock;
  s.base = {
    physical: s.physical,
    reserved: s.reserved,
    sellable: Math.max(0, s.physical - s.reserved - s.safetyStock),
  };
  refresh(s);
  s.lowStock = true;
  state.alerts.unshift({
    sku: msg.sku,
    warehouse: msg.warehouse,
    at: msg.at,
    sellable: msg.sellable,
    safetyStock: msg.safetyStock,
  });
  state.alerts.length = Math.min(state.alerts.length, ALERTS_MAX);
  scheduleRender();
}

function heat(s, now) {
  s.activity = s.activity.filter((a) => a.at > now - HOT_WINDOW_MS);
  return s.activity.reduce((n, a) => n + a.qty, 0);
}

function ranked() {
  const now = Date.now();
  return (
    Object.values(state.skus)
      // Demand: units reserved recently on this page, plus what is reserved now (orders not yet shipped).
      .map((s) => ({ s, heat: heat(s, now) + s.reserved }))
      .sort((a, b) => b.heat - a.heat || b.s.reserved - a.s.reserved || a.s.sku.localeCompare(b.s.sku))
      .map((x) => x.s)
  );
}

// --- rendering -----------------------------------------------------------------------------------

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function renderTable(rows) {
  const body = document.getElementById("skus");
  if (rows.length === 0) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 7, class: "empty", text: t("noData") })));
    return;
  }
  body.replaceChildren(
    ...rows.slice(0, ROWS_MAX).map((s) => {
      const row = el(
        "tr",
        {
          "data-testid": `sku-row-${s.sku}`,
          "data-physical": s.physical,
          "data-reserved": s.reserved,
          "data-sellable": s.sellable,
          class: `${s.lowStock ? "low" : ""}${s.fresh ? " fresh" : ""}`,
        },
        el("td", { class: "mono", text: s.sku }),
        el("td", { class: "num", text: int(s.physical) }),
        el("td", { class: "num", text: int(s.reserved) }),
        el("td", { class: "num", text: int(s.sellable) }),
        el("td", { class: "num", text: int(s.inTransit) }),
        el("td", { class: "num", text: int(s.safetyStock) }),
        el(
          "td",
          {},
          el("span", {
            class: `badge ${s.lowStock ? "low" : "completed"}`,
            text: t(s.lowStock ? "low" : "ok"),
          }),
        ),
      );
      s.fresh = false;
      return row;
    }),
  );
}

function renderSell(rows) {
  const box = document.getElementById("sell");
  // The hottest SKU that is on sale today (has a starting stock to measure against).
  const hottest = rows.find((s) => s.saleStart > 0);
  if (!hottest || !(hottest.saleStart > 0)) {
    box.replaceChildren(el("div", { class: "empty", text: t("noData") }));
    box.dataset.sku = "";
    return;
  }
  const available = Math.max(0, hottest.physical - hottest.reserved);
  // Claimed out of the stock the sale started with (a restock during the sale does not reset it).
  const claimed = Math.min(hottest.saleStart, Math.max(0, hottest.saleStart - available));
  const ratio = claimed / hottest.saleStart;
  box.dataset.sku = hottest.sku;
  box.dataset.ratio = ratio.toFixed(4);
  box.dataset.start = String(hottest.saleStart);
  box.replaceChildren(
    el(
      "div",
      {},
      el("span", { class: "empty", text: `${t("hottestSku")}: ` }),
      el("span", { class: "sku", text: hottest.sku }),
    ),
    el(
      "div",
      { class: "sell-track" },
      el("div", { class: "sell-fill", style: `width:${(ratio * 100).toFixed(1)}%` }),
    ),
    el(
      "div",
      { class: "sell-meta" },
      el("span", { text: `${int(claimed)} / ${int(hottest.saleStart)}` }),
      el("strong", { text: percent(ratio) }),
    ),
  );
}

function renderAlerts() {
  const list = document.getElementById("alerts");
  if (state.alerts.length === 0) {
    list.replaceChildren(el("li", { class: "empty", text: t("noAlerts") }));
    return;
  }
  list.replaceChildren(
    ...state.alerts.map((a) =>
      el(
        "li",
        { class: "warning", "data-testid": "alert-item", "data-kind": "lowStock", "data-sku": a.sku },
        el("span", { class: "when", text: a.at ? clock(a.at) : "—" }),
        el("strong", { text: `${t("alertLowStock")} ${a.sku}` }),
        el("span", {
          text: `${a.warehouse ? `${a.warehouse} · ` : ""}${t("sellableLabel")} ${int(a.sellable)} / ${t("safetyLabel")} ${int(a.safetyStock)}`,
        }),
      ),
    ),
  );
}

function render() {
  const rows = ranked();
  renderTable(rows);
  renderSell(rows);
  renderAlerts();
}

render();
setInterval(render, 2_000);
onLangChange(() => {
  applyI18n();
  render();
});

const hub = connectHub({
  dashboards: ["inventory"],
  onSnapshot: (_dashboard, data, asOf) => applySnapshot(data, asOf),
  onStock: applyStock,
  onAlert: applyAlert,
});
hub.state = state;
