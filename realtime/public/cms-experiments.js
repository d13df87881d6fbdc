/**
 * CMS A/B experiments (decision 0038): the experiments, newest first, and the chosen one's readout
 * (`?id=`): per variant exposures, clicks, rate and the two-proportion test against the control,
 * refreshed every two seconds from GET /v1/cms/experiments/{id} with the signed-in token.
 */
import "./cms-i18n.js";
import { clock, el, int, onLangChange, percent, renderHeader, requireToken, setConnState } from "./common.js";
import { t } from "./i18n.js";

const REFRESH_MS = 2_000;
const state = {
  list: [],
  readout: null,
  refreshes: 0,
  selected: new URLSearchParams(location.search).get("id"),
};
window.__experiments = state;

renderHeader("cms-experiments.html");

async function api(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${requireToken()}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

function select(id) {
  state.selected = id;
  history.replaceState(null, "", `?id=${encodeURIComponent(id)}`);
  state.readout = null;
  refresh();
}

function renderList() {
  const list = document.getElementById("ab-list");
  if (state.list.length === 0) {
    list.replaceChildren(el("li", { class: "empty", text: t("abNone") }));
    return;
  }
  list.replaceChildren(
    ...state.list.map((e) =>
      el(
        "li",
        { "data-testid": "ab-item", "data-id": e.id },
        el("span", { class: `badge ${e.live ? "shipped" : ""}`, text: t(`ab_${e.status}`) }),
        el("a", {
          href: `?id=${encodeURIComponent(e.id)}`,
          text: e.name ? `${e.id} · ${e.name}` : e.id,
          onclick: (event) => {
            event.preventDefault();
            select(e.id);
          },
        }),
        el("span", { class: "sku", text: e.slug }),
      ),
    ),
  );
}

const fixed = (n, digits) => (typeof n === "number" && Number.isFinite(n) ? n.toFixed(digits) : "—");

function renderReadout() {
  const r = state.readout;
  const rows = document.getElementById("ab-rows");
  const title = document.getElementById("ab-title");
  const meta = document.getElementById("ab-meta");
  if (!r) {
    title.textContent = t("abPick");
    meta.textContent = "";
    rows.replaceChildren();
    return;
  }
  title.textContent = r.name ? `${r.id} · ${r.name}` : r.id;
  title.dataset.id = r.id;
  meta.textContent = `${t("abPage")}: ${r.slug} · ${t("abStatus")}: ${t(`ab_${r.status}`)} · ${t("abUpdated")} ${clock(new Date())}`;
  rows.replaceChildren(
    ...r.results.map((v) =>
      el(
        "tr",
        { "data-testid": "ab-row", "data-variant": v.key },
        el("td", { text: v.control ? `${v.key} (${t("abControl")})` : v.key }),
        el("td", { class: "num", text: int(v.weight) }),
        el("td", { class: "num", text: v.version === undefined ? t("abPublished") : `v${v.version}` }),
        el("td", {
          class: "num",
          "data-testid": "ab-exposures",
          "data-value": v.exposures,
          text: int(v.exposures),
        }),
        el("td", { class: "num", "data-testid": "ab-clicks", "data-value": v.clicks, text: int(v.clicks) }),
        el("td", { class: "num", "data-testid": "ab-rate", text: v.rate === null ? "—" : percent(v.rate) }),
        el("td", { class: "num", "data-testid": "ab-z", text: fixed(v.test?.z, 2) }),
        el("td", { class: "num", "data-testid": "ab-p", text: fixed(v.test?.pValue, 4) }),
        el("td", {
          "data-testid": "ab-significant",
          "data-value": v.test ? String(v.test.significant) : "",
          text: v.test ? t(v.test.significant ? "abYes" : "abNo") : "—",
        }),
      ),
    ),
  );
}

async function refresh() {
  try {
    state.list = (await api("/v1/cms/experiments?limit=50")).items;
    if (state.selected)
      state.readout = await api(`/v1/cms/experiments/${encodeURIComponent(state.selected)}`);
    state.refreshes++;
    setConnState("connected");
  } catch {
    setConnState("disconnected");
  }
  renderList();
  renderReadout();
}

if (requireToken()) {
  setConnState("connecting");
  refresh();
  setInterval(refresh, REFRESH_MS);
}
onLangChange(() => {
  renderList();
  renderReadout();
});
