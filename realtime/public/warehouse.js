/**
 * The warehouse dashboard (decision 0027): inbound due today, putaway backlog, open waves with progress,
 * pick rate per hour, short picks, bins near capacity and count differences of one warehouse. The figures
 * come from the warehouse actor (`GET /v1/warehouses/{code}/floor-summary`, strongly consistent) and are
 * re-read whenever that actor's events arrive on the `warehouse` dashboard feed: live, without polling.
 */
import { connectHub, el, int, onLangChange, percent, renderHeader, session } from "./common.js";
import { applyI18n, currentLang } from "./i18n.js";

const WORDS = {
  "zh-CN": {
    pick: "仓库",
    inbound: "今日到货（件）",
    backlog: "待上架（件）",
    waves: "进行中波次",
    rate: "每小时拣货件数",
    shorts: "短拣",
    counts: "盘点差异（件）",
    openWaves: "进行中波次",
    nearCapacity: "接近满载的库位",
    exceptions: "短拣与待盘库位",
    countDiffs: "盘点差异",
    none: "暂无",
    orders: "单",
    steps: "步",
    toCount: "待盘点库位",
    awaiting_approval: "待审批",
    applied: "已调整",
    open: "盘点中",
  },
  en: {
    pick: "Warehouse",
    inbound: "Inbound due today (units)",
    backlog: "Putaway backlog (units)",
    waves: "Open waves",
    rate: "Units picked per hour",
    shorts: "Short picks",
    counts: "Count differences (units)",
    openWaves: "Open waves",
    nearCapacity: "Bins near capacity",
    exceptions: "Short picks and bins to count",
    countDiffs: "Count differences",
    none: "None",
    orders: "orders",
    steps: "steps",
    toCount: "Bins to count",
    awaiting_approval: "awaiting approval",
    applied: "adjusted",
    open: "counting",
  },
};
const w = (key) => (WORDS[currentLang()] ?? WORDS.en)[key] ?? key;

renderHeader("warehouse.html");
const state = { code: null, summary: null, refreshing: false, again: false };

async function api(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${session.token}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

function kpi(id, value) {
  const node = document.getElementById(id);
  node.dataset.value = String(value);
  node.textContent = int(value);
}

function list(id, items, render) {
  const box = document.getElementById(id);
  if (items.length === 0) {
    box.replaceChildren(el("li", { class: "empty", text: w("none") }));
    return;
  }
  box.replaceChildren(...items.map(render));
}

function render() {
  for (const node of document.querySelectorAll("[data-wh]")) node.textContent = w(node.dataset.wh);
  const s = state.summary;
  if (!s) return;
  kpi("k-inbound", s.inboundDueToday.units);
  kpi("k-backlog", s.putawayBacklog.units);
  kpi("k-waves", s.openWaves.length);
  kpi("k-rate", s.pickRatePerHour);
  kpi("k-shorts", s.shortPicks.total);
  kpi(
    "k-counts",
    s.countDifferences.reduce((n, c) => n + c.units, 0),
  );
  list("waves", s.openWaves, (wave) =>
    el(
      "li",
      { "data-testid": "wave-row", "data-wave": wave.waveId, "data-progress": String(wave.progress) },
      el("strong", { class: "mono", text: wave.waveId.split(":")[0] }),
      el("span", {
        text: `${int(wave.orders)} ${w("orders")} · ${int(wave.picked)}/${int(wave.steps)} ${w("steps")}`,
      }),
      el("span", { class: "when", text: percent(wave.progress) }),
    ),
  );
  list("bins", s.binsNearCapacity, (b) =>
    el(
      "li",
      { "data-testid": "bin-row", "data-bin": b.bin },
      el("strong", { class: "mono", text: b.bin }),
      el("span", { text: `${int(b.load)} / ${int(b.capacity)}` }),
    ),
  );
  const rows = [
    ...s.shortPicks.exceptions.map((e) => ({ key: e.orderId, text: e.exception })),
    ...s.shortPicks.binsToCount.map((bin) => ({ key: bin, text: w("toCount") })),
  ];
  list("exceptions", rows, (r) =>
    el(
      "li",
      { "data-testid": "short-row" },
      el("strong", { class: "mono", text: r.key }),
      el("span", { text: r.text }),
    ),
  );
  list("diffs", s.countDifferences, (c) =>
    el(
      "li",
      { "data-testid": "diff-row", "data-count": c.countId },
      el("strong", { class: "mono", text: c.bin }),
      el("span", { text: `${int(c.units)} · ${w(c.status)}` }),
    ),
  );
}

/** Re-reads the figures; a refresh asked for while one runs runs once more after it. */
async function refresh() {
  if (!state.code) return;
  if (state.refreshing) {
    state.again = true;
    return;
  }
  state.refreshing = true;
  try {
    do {
      state.again = false;
      state.summary = await api(`/v1/warehouses/${encodeURIComponent(state.code)}/floor-summary`);
      render();
    } while (state.again);
  } catch (error) {
    console.warn(String(error));
  } finally {
    state.refreshing = false;
  }
}

async function start() {
  const select = document.getElementById("wh");
  const { items } = await api("/v1/warehouses?limit=100");
  const wanted = new URLSearchParams(location.search).get("code");
  select.replaceChildren(...items.map((x) => el("option", { value: x.code, text: `${x.code} · ${x.name}` })));
  state.code = items.some((x) => x.code === wanted) ? wanted : (items[0]?.code ?? null);
  if (state.code) select.value = state.code;
  select.addEventListener("change", () => {
    state.code = select.value;
    refresh();
  });
  await refresh();
}

render();
onLangChange(() => {
  applyI18n();
  render();
});

const hub = connectHub({
  dashboards: ["warehouse"],
  onSnapshot: () => refresh(),
  onEvent: (msg) => {
    if (msg.kind === "warehouse" && msg.entityId === state.code) refresh();
  },
});
hub.state = state;
start();
