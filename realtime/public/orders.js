/** Orders dashboard: snapshot of the read model, then every order and payment event applied live. */
import {
  clock,
  connectHub,
  el,
  int,
  money,
  onLangChange,
  percent,
  renderHeader,
  statusLabel,
} from "./common.js";
import { applyI18n, currentLang, reasonText, t } from "./i18n.js";

const FUNNEL_MAIN = ["placing", "pending_payment", "awaiting_shipment", "shipped", "completed"];
const FUNNEL_SIDE = ["cancelled", "refunded"];
const LATEST_MAX = 20;
const ALERTS_MAX = 50;
const BUCKET_MS = 10_000;
const WINDOW_MS = 10 * 60_000;
/** The status an order most likely had before an event, when this page has not seen it yet. */
const PREVIOUS = {
  awaitingPayment: "placing",
  placementFailed: "placing",
  cancelled: "pending_payment",
  paid: "pending_payment",
  shipped: "awaiting_shipment",
  completed: "shipped",
};

const state = {
  asOf: 0,
  today: { orders: 0, paid: 0, gmv: 0, refunds: 0 },
  funnel: {},
  latest: [],
  statusOf: {},
  beforeAfterSales: {},
  /** Placed and paid per 10-second bucket (key: bucket start, ms), seeded from the snapshot's history. */
  buckets: {},
  alerts: [],
};

renderHeader("orders.html");

function move(orderId, to, fallbackFrom) {
  const from = state.statusOf[orderId] ?? fallbackFrom;
  if (from === to) return;
  if (from && (state.funnel[from] ?? 0) > 0) state.funnel[from] -= 1;
  state.funnel[to] = (state.funnel[to] ?? 0) + 1;
  state.statusOf[orderId] = to;
  const row = state.latest.find((o) => o.orderId === orderId);
  if (row) row.status = to;
}

function bucket(at, field) {
  const key = Math.floor(at / BUCKET_MS) * BUCKET_MS;
  const b = state.buckets[key] ?? { placed: 0, paid: 0 };
  b[field] += 1;
  state.buckets[key] = b;
}

/** `detail` is a function so an alert re-renders in the page's language after a switch. */
function alert(level, kindKey, at, detail) {
  state.alerts.unshift({ level, kind: kindKey, at, detail });
  state.alerts.length = Math.min(state.alerts.length, ALERTS_MAX);
}

function applySnapshot(data, asOf) {
  state.asOf = asOf;
  state.today = { ...state.today, ...(data?.today ?? {}) };
  state.funnel = { ...(data?.funnel ?? {}) };
  state.latest = (data?.latest ?? []).map((o) => ({ ...o, createdAt: Date.parse(o.createdAt) }));
  state.statusOf = {};
  for (const o of state.latest) state.statusOf[o.orderId] = o.status;
  // The chart and orders/min start from the read model's last ten minutes, then move with live events.
  state.buckets = {};
  for (const b of data?.history?.buckets ?? []) state.buckets[b.at] = { placed: b.placed, paid: b.paid };
  render();
}

function applyEvent(msg) {
  const id = msg.entityId;
  for (const e of msg.events) {
    const at = typeof e.at === "number" ? e.at : msg.at;
    if (msg.kind === "payment") {
      if (e.type === "callbackRejected")
        alert(
          "error",
          "alertCallbackRejected",
          at,
          () => `${id} · ${reasonText(e.reason)} · ${money(e.amount)}`,
        );
      continue;
    }
    switch (e.type) {
      case "placed":
        state.today.orders += 1;
        move(id, "placing", null);
        state.latest.unshift({
          orderId: id,
          userId: e.userId,
          status: "placing",
          total: e.amounts?.total ?? 0,
          createdAt: at,
          fresh: true,
        });
        state.latest.length = Math.min(state.latest.length, LATEST_MAX);
        bucket(at, "placed");
        break;
      case "awaitingPayment":
        move(id, "pending_payment", PREVIOUS[e.type]);
        break;
      case "placementFailed":
        move(id, "cancelled", PREVIOUS[e.type]);
        alert("warning", "alertPlacementFailed", at, () => `${id} · ${reasonText(e.reason)}`);
        break;
      case "cancelled":
        move(id, "cancelled", PREVIOUS[e.type]);
        if (e.reason === "payment timeout") alert("warning", "alertPaymentTimeout", at, () => id);
        break;
      case "paid":
        state.today.paid += 1;
        state.today.gmv += e.amount ?? 0;
        move(id, "awaiting_shipment", PREVIOUS[e.type]);
        bucket(at, "paid");
        break;
      case "shipped":
        move(id, "shipped", PREVIOUS[e.type]);
        break;
      case "completed":
        move(id, "completed", PREVIOUS[e.type]);
        break;
      case "afterSalesRequested":
        state.beforeAfterSales[id] = state.statusOf[id];
        move(id, e.kind === "refund_only" ? "refund_requested" : "return_requested", undefined);
        break;
      case "afterSalesDecided":
        if (!e.approved && state.beforeAfterSales[id]) move(id, state.beforeAfterSales[id], undefined);
        break;
      case "returnReceived":
        move(id, "returned", undefined);
        break;
      case "refunded":
        state.today.refunds += e.amount ?? 0;
        move(id, "refunded", undefined);
        break;
      default:
        break;
    }
  }
  scheduleRender();
}

// --- rendering -----------------------------------------------------------------------------------

let chart = null;
let renderQueued = false;

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function setValue(testid, text, raw) {
  const node = document.querySelector(`[data-testid="${testid}"]`);
  node.textContent = text;
  node.dataset.value = String(raw);
}

function renderKpis() {
  // Orders placed in the last minute, to the 10-second bucket.
  const since = Math.floor((Date.now() - 60_000) / BUCKET_MS) * BUCKET_MS;
  let perMin = 0;
  for (const [at, b] of Object.entries(state.buckets)) if (Number(at) > since) perMin += b.placed;
  const { orders, paid, gmv, refunds } = state.today;
  setValue("kpi-orders-per-min", int(perMin), perMin);
  setValue("kpi-gmv", money(gmv), gmv);
  setValue("kpi-paid-rate", orders > 0 ? percent(paid / orders) : "—", orders > 0 ? paid / orders : 0);
  setValue("kpi-aov", money(paid > 0 ? Math.round(gmv / paid) : 0), paid > 0 ? Math.round(gmv / paid) : 0);
  setValue("kpi-orders", int(orders), orders);
  setValue("kpi-refunds", money(refunds), refunds);
}

function renderFunnel() {
  const box = document.getElementById("funnel");
  const all = [...FUNNEL_MAIN, ...FUNNEL_SIDE];
  const max = Math.max(1, ...all.map((s) => state.funnel[s] ?? 0));
  box.replaceChildren(
    ...all.map((status) => {
      const n = state.funnel[status] ?? 0;
      return el(
        "div",
        {
          class: `funnel-row${FUNNEL_SIDE.includes(status) ? " side" : ""}`,
          "data-testid": `funnel-${status}`,
          "data-count": n,
        },
        el("span", { text: statusLabel(status) }),
        el(
          "div",
          { class: "funnel-track" },
          el("div", { class: "funnel-fill", style: `width:${((n / max) * 100).toFixed(1)}%` }),
        ),
        el("span", { class: "count", text: int(n) }),
      );
    }),
  );
}

function renderLatest() {
  const body = document.getElementById("latest");
  if (state.latest.length === 0) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "empty", text: t("noData") })));
    return;
  }
  body.replaceChildren(
    ...state.latest.map((o) => {
      const row = el(
        "tr",
        { "data-testid": `order-row-${o.orderId}`, "data-status": o.status, class: o.fresh ? "fresh" : "" },
        el("td", { text: clock(o.createdAt) }),
        el("td", { class: "mono", text: o.orderId, title: o.orderId }),
        el("td", { text: o.userId }),
        el("td", {}, el("span", { class: `badge ${o.status}`, text: statusLabel(o.status) })),
        el("td", { class: "num", text: money(o.total) }),
      );
      o.fresh = false;
      return row;
    }),
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
        { class: a.level, "data-testid": "alert-item", "data-kind": a.kind },
        el("span", { class: "when", text: clock(a.at) }),
        el("strong", { text: t(a.kind) }),
        el("span", { class: "mono", "data-testid": "alert-detail", text: a.detail() }),
      ),
    ),
  );
}

function chartData() {
  const now = Date.now();
  const end = Math.floor(now / BUCKET_MS) * BUCKET_MS;
  const xs = [];
  const placed = [];
  const paid = [];
  for (let at = end - WINDOW_MS + BUCKET_MS; at <= end; at += BUCKET_MS) {
    xs.push(at / 1000);
    placed.push(state.buckets[at]?.placed ?? 0);
    paid.push(state.buckets[at]?.paid ?? 0);
  }
  for (const key of Object.keys(state.buckets)) if (Number(key) < end - WINDOW_MS) delete state.buckets[key];
  return [xs, placed, paid];
}

/** An x-axis tick (seconds) as hours and minutes in the page's language. */
function axisTime(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString(currentLang() === "en" ? "en-GB" : "zh-CN", {
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });
}

function buildChart() {
  const target = document.getElementById("chart");
  chart?.destroy();
  chart = new window.uPlot(
    {
      width: Math.max(320, target.clientWidth),
      height: 240,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.2))] } },
      // Legend and axes in the page's language: uPlot's own defaults are English ("Time", month names).
      series: [
        { label: t("axisTime"), value: (_u, v) => (v === null ? "—" : clock(v * 1000)) },
        { label: t("seriesPlaced"), stroke: "#2f6bff", fill: "rgba(47,107,255,0.12)", width: 2 },
        { label: t("seriesPaid"), stroke: "#17a35b", width: 2 },
      ],
      axes: [
        { stroke: "#6b7487", label: t("axisTime"), values: (_u, splits) => splits.map(axisTime) },
        { stroke: "#6b7487", label: t("axisOrders"), grid: { stroke: "#eef1f7" } },
      ],
    },
    chartData(),
    target,
  );
  window.__chart = chart;
}

function render() {
  renderKpis();
  renderFunnel();
  renderLatest();
  renderAlerts();
  if (chart) chart.setData(chartData());
}

buildChart();
render();
setInterval(render, 1_000);
window.addEventListener("resize", () =>
  chart?.setSize({ width: document.getElementById("chart").clientWidth, height: 240 }),
);
onLangChange(() => {
  applyI18n();
  buildChart();
  render();
});

const hub = connectHub({
  dashboards: ["orders"],
  onSnapshot: (_dashboard, data, asOf) => applySnapshot(data, asOf),
  onEvent: applyEvent,
});
hub.state = state;
