/**
 * The audit log (decision 0035): rows with filters (actor, action, entity — exact or a prefix ending in
 * `*` — and a time window), paged with the server's cursor ("more"), and a button that verifies the hash
 * chain and shows the answer. Personal data arrives masked unless the signed-in user may see it.
 */
import { el, int, onLangChange, renderHeader, requireToken, session, setConnState } from "./common.js";
import { t } from "./i18n.js";

const state = { items: [], nextCursor: null, query: "", verification: null, loading: false };
window.__audit = state;

renderHeader("audit.html");
const token = requireToken();

async function api(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } }).catch((error) => {
    setConnState("disconnected");
    throw error;
  });
  // No socket on this page: the indicator says whether the hub answers.
  setConnState("connected");
  if (res.status === 401) {
    // Expired or revoked: back to the sign-in form, which returns here.
    session.clear();
    requireToken();
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.detail || body.title || `HTTP ${res.status}`);
  return body;
}

function queryFromForm() {
  const form = new FormData(document.getElementById("audit-filters"));
  const params = new URLSearchParams();
  for (const name of ["actor", "action", "entity"]) {
    const value = String(form.get(name) ?? "").trim();
    if (value) params.set(name, value);
  }
  for (const name of ["from", "to"]) {
    const value = String(form.get(name) ?? "");
    if (value) params.set(name, new Date(value).toISOString());
  }
  params.set("limit", String(form.get("limit") ?? "50"));
  return params.toString();
}

async function load(more) {
  const error = document.getElementById("audit-error");
  error.textContent = "";
  state.loading = true;
  try {
    if (!more) state.query = queryFromForm();
    const cursor = more && state.nextCursor ? `&cursor=${encodeURIComponent(state.nextCursor)}` : "";
    const page = await api(`/v1/audit?${state.query}${cursor}`);
    state.items = more ? [...state.items, ...page.items] : page.items;
    state.nextCursor = page.nextCursor;
  } catch (e) {
    error.textContent = `${t("auditFailed")}: ${e.message}`;
  } finally {
    state.loading = false;
    render();
  }
}

const compact = (value) => (value === undefined ? "" : JSON.stringify(value));

function change(item) {
  if (item.before === undefined && item.after === undefined) return compact(item.detail);
  return `${compact(item.before) || "—"} → ${compact(item.after) || "—"}`;
}

function render() {
  const rows = document.getElementById("audit-rows");
  if (state.items.length === 0) {
    rows.replaceChildren(
      el(
        "tr",
        {},
        el("td", { colspan: "6", class: "empty", "data-testid": "audit-empty", text: t("auditNone") }),
      ),
    );
  } else {
    rows.replaceChildren(
      ...state.items.map((item) =>
        el(
          "tr",
          { "data-testid": "audit-row", "data-id": item.id, "data-action": item.action },
          el("td", { class: "time", text: new Date(item.at).toLocaleString() }),
          el("td", { text: item.actor }),
          el("td", { text: item.action }),
          el("td", { text: item.entity }),
          el("td", { class: "change", "data-testid": "audit-change", text: change(item) }),
          el("td", { text: item.seq === null ? t("auditUnsealed") : String(item.seq) }),
        ),
      ),
    );
  }
  document.getElementById("audit-more").hidden = !state.nextCursor;
  const result = document.getElementById("audit-verify-result");
  const v = state.verification;
  if (!v) {
    result.dataset.state = "";
    result.textContent = "";
  } else if (v.error) {
    result.dataset.state = "error";
    result.textContent = `${t("auditFailed")}: ${v.error}`;
  } else if (v.ok) {
    result.dataset.state = "ok";
    const pending = v.unsealed ? `; ${t("auditPending").replace("{n}", int(v.unsealed))}` : "";
    result.textContent = `${t("auditChainOk").replace("{rows}", int(v.rows))}${pending}`;
  } else {
    result.dataset.state = "broken";
    result.dataset.seq = String(v.broken.seq);
    result.textContent = `${t("auditChainBroken").replace("{seq}", String(v.broken.seq))} (${t(`auditReason_${v.broken.reason}`)})`;
  }
}

document.getElementById("audit-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  load(false);
});
document.getElementById("audit-more").addEventListener("click", () => load(true));
document.getElementById("audit-verify").addEventListener("click", async () => {
  try {
    state.verification = await api("/v1/audit/verify");
  } catch (e) {
    state.verification = { error: e.message };
  }
  render();
});
onLangChange(render);
if (token) load(false);
