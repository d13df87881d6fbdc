/** Shared by every dashboard page: session, header (nav, language, connection status), the hub socket. */
import { applyI18n, currentLang, LANGS, setLang, t } from "./i18n.js";

const TOKEN_KEY = "hub.token";
const USER_KEY = "hub.user";

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  get user() {
    return sessionStorage.getItem(USER_KEY);
  },
  save(token, user) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, user);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  },
};

/** On a dashboard page without a token: back to the login form, which returns here afterwards. */
export function requireToken() {
  const token = session.token;
  if (!token) {
    const page = location.pathname.split("/").pop() || "";
    location.replace(`/dashboard/?next=${encodeURIComponent(page)}`);
  }
  return token;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** Integer fen as ¥ with two decimals. */
export function money(fen) {
  const n = Number(fen) || 0;
  return `¥${(n / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function int(n) {
  return (Number(n) || 0).toLocaleString("en-US");
}

export function percent(ratio) {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)}%` : "—";
}

export function clock(at) {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return "—";
  return d.toLocaleTimeString(currentLang() === "en" ? "en-GB" : "zh-CN", { hour12: false });
}

export function statusLabel(status) {
  return t(`status_${status}`);
}

/** Top bar: title, nav, language switch and the connection indicator. */
export function renderHeader(active) {
  const header = document.getElementById("topbar");
  if (!header) return;
  const links = [
    ["index.html", "home"],
    ["orders.html", "ordersDash"],
    ["inventory.html", "inventoryDash"],
    ["logistics.html", "logisticsDash"],
    ["catalogue.html", "catalogueDash"],
    ["promotions.html", "promotionsDash"],
    ["warehouse.html", "warehouseDash"],
    ["notifications.html", "notificationsDash"],
    ["cms-experiments.html", "abDash"],
    ["audit.html", "auditDash"],
  ];
  const nav = el("nav", { class: "nav" });
  for (const [href, key] of links) {
    const target = href === "index.html" ? "/dashboard/" : `/dashboard/${href}`;
    nav.append(el("a", { href: target, "data-i18n": key, class: href === active ? "active" : "" }));
  }
  const select = el("select", { id: "lang", "aria-label": "language", "data-testid": "lang-switch" });
  for (const [code, label] of LANGS) select.append(el("option", { value: code, text: label }));
  select.value = currentLang();
  select.addEventListener("change", () => setLang(select.value));
  const status = el(
    "span",
    { class: "conn", id: "conn", "data-testid": "conn-status", "data-state": "disconnected" },
    el("span", { class: "dot" }),
    el("span", { class: "conn-text", "data-i18n": "conn_disconnected" }),
  );
  header.replaceChildren(
    el(
      "div",
      { class: "brand" },
      el("span", { class: "logo", text: "◆" }),
      el("span", { "data-i18n": "appTitle" }),
    ),
    nav,
    el("div", { class: "tools" }, status, select),
  );
  applyI18n();
}

export function setConnState(state) {
  const node = document.getElementById("conn");
  if (!node) return;
  node.dataset.state = state;
  const text = node.querySelector(".conn-text");
  text.dataset.i18n = `conn_${state}`;
  text.textContent = t(`conn_${state}`);
}

/**
 * Connects to the hub and keeps the given dashboards subscribed. Every (re)connection re-subscribes with
 * the last id applied (event `id`, or stock `upTo`), so the server replays exactly what was missed; anything
 * at or below it is dropped here as well. Messages that arrive before a subscription's ack wait for it, so a
 * snapshot is never applied on top of newer events.
 */
export function connectHub({ dashboards, onSnapshot, onEvent, onStock, onAlert, onPanel }) {
  const token = requireToken();
  const subs = new Map(dashboards.map((d) => [d, { lastId: null, ready: false, pending: [] }]));
  const seenAlerts = new Set();
  const hub = {
    received: [],
    receivedBy: Object.fromEntries(dashboards.map((d) => [d, []])),
    stockUpTo: [],
    duplicatesDropped: 0,
    subscribes: 0,
    disconnects: [],
    state: {},
    lastIds: () => Object.fromEntries([...subs].map(([d, s]) => [d, s.lastId])),
    socket: null,
  };
  window.__hub = hub;
  if (!token) return hub; // on its way to the login form
  // `io` is the global from /dashboard/vendor/socket.io.min.js.
  const socket = window.io({
    auth: { token },
    transports: ["websocket"],
    reconnectionDelay: 300,
    reconnectionDelayMax: 3_000,
  });
  hub.socket = socket;
  setConnState("connecting");

  const apply = (dashboard, kind, msg) => {
    const sub = subs.get(dashboard);
    if (!sub) return;
    if (kind === "alert") {
      const key = `${msg.sku}|${msg.warehouse ?? ""}|${msg.at}`;
      if (seenAlerts.has(key)) return;
      seenAlerts.add(key);
      onAlert?.(msg);
      return;
    }
    const id = kind === "stock" ? msg.upTo : msg.id;
    if (sub.lastId !== null && id <= sub.lastId) {
      hub.duplicatesDropped++;
      return;
    }
    sub.lastId = id;
    if (kind === "stock") {
      hub.stockUpTo.push(id);
      onStock?.(msg);
    } else {
      hub.received.push(id);
      hub.receivedBy[dashboard].push(id);
      onEvent?.(msg);
    }
  };
  const incoming = (kind) => (msg) => {
    const dashboard = msg?.dashboard ?? "inventory";
    const sub = subs.get(dashboard);
    if (!sub) return;
    if (!sub.ready) sub.pending.push([kind, msg]);
    else apply(dashboard, kind, msg);
  };
  socket.on("event", incoming("event"));
  socket.on("stock", incoming("stock"));
  socket.on("alert", incoming("alert"));
  // Whole-panel figures (not log messages): each replaces the last; their order is the page's concern.
  socket.on("panel", (msg) => {
    hub.panels = (hub.panels ?? 0) + 1;
    onPanel?.(msg);
  });

  socket.on("connect", () => {
    setConnState("connected");
    for (const [dashboard, sub] of subs) {
      sub.ready = false;
      const request = { dashboard, ...(sub.lastId !== null ? { lastEventId: sub.lastId } : {}) };
      hub.subscribes++;
      socket.emit("subscribe", request, (ack) => {
        if (!ack?.ok) {
          console.error(`subscribe ${dashboard} failed`, ack?.error);
          sub.ready = true;
          return;
        }
        if (ack.snapshot) {
          sub.lastId = ack.snapshot.asOf;
          onSnapshot?.(dashboard, ack.snapshot.data, ack.snapshot.asOf);
        }
        sub.ready = true;
        for (const [kind, msg] of sub.pending.splice(0)) apply(dashboard, kind, msg);
      });
    }
  });
  // The hub ends a session whose token expired or was revoked: sign in again, do not reconnect with it.
  let sessionEnded = false;
  socket.on("session", (status) => {
    if (status?.ok !== false) return;
    sessionEnded = true;
    hub.sessionEnded = status.reason;
    socket.disconnect(); // no reconnecting with a token the hub refuses
    setConnState("expired");
    session.clear();
    setTimeout(() => requireToken(), 1_500);
  });
  socket.on("disconnect", (reason) => {
    hub.disconnects.push(reason);
    if (sessionEnded) return;
    if (reason === "io server disconnect") {
      // The hub drops a client that falls behind (or whose replay failed): reconnect and resume from lastId.
      setConnState("reconnecting");
      setTimeout(() => socket.connect(), 500 + Math.random() * 1_000);
      return;
    }
    setConnState(socket.active ? "reconnecting" : "disconnected");
  });
  socket.io.on("reconnect_attempt", () => setConnState("reconnecting"));
  socket.on("connect_error", (error) => {
    if (String(error?.message).includes("unauthorized")) {
      setConnState("unauthorized");
      session.clear();
      setTimeout(() => requireToken(), 1_500);
    } else setConnState("reconnecting");
  });
  return hub;
}

/** Re-renders on a language switch. */
export function onLangChange(render) {
  window.addEventListener("langchange", () => render());
}
