/** The entry page: sign in (token kept in sessionStorage), then links to the dashboards. */
import { renderHeader, session, setConnState } from "./common.js";
import { applyI18n, t } from "./i18n.js";

const loginSection = document.getElementById("login");
const homeSection = document.getElementById("home");
const form = document.getElementById("login-form");
const errorBox = document.getElementById("login-error");
let socket = null;

renderHeader("index.html");

/** The indicator on this page shows whether the token opens a hub connection. */
function watchConnection() {
  socket?.close();
  if (!session.token) {
    setConnState("disconnected");
    return;
  }
  setConnState("connecting");
  socket = window.io({ auth: { token: session.token }, transports: ["websocket"] });
  socket.on("connect", () => setConnState("connected"));
  socket.on("disconnect", () => setConnState(socket.active ? "reconnecting" : "disconnected"));
  socket.on("connect_error", (error) => {
    if (String(error?.message).includes("unauthorized")) {
      session.clear();
      show();
    } else setConnState("reconnecting");
  });
}

function show() {
  const signedIn = Boolean(session.token);
  loginSection.classList.toggle("hidden", signedIn);
  homeSection.classList.toggle("hidden", !signedIn);
  document.getElementById("whoami").textContent = session.user ?? "";
  applyI18n();
  watchConnection();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorBox.textContent = "";
  const data = new FormData(form);
  const username = String(data.get("username") ?? "");
  const password = String(data.get("password") ?? "");
  try {
    const res = await fetch("/v1/auth/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    if (!res.ok) throw new Error(String(res.status));
    const { token } = await res.json();
    session.save(token, username);
    const next = new URLSearchParams(location.search).get("next");
    if (next && /^[a-z0-9-]+\.html$/.test(next) && next !== "index.html") {
      location.assign(`/dashboard/${next}`);
      return;
    }
    show();
  } catch {
    errorBox.textContent = t("loginFailed");
  }
});

document.getElementById("logout").addEventListener("click", () => {
  session.clear();
  show();
});

show();
