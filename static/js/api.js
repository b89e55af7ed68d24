/* GameConnect web client: tokens, REST calls with refresh, the account bar, small DOM helpers.
   The pages use only the public REST and WebSocket APIs. */
"use strict";
window.GC = (() => {
  const ACCESS = "gc.access", REFRESH = "gc.refresh";
  const tokens = {
    get access() { return localStorage.getItem(ACCESS); },
    get refresh() { return localStorage.getItem(REFRESH); },
    set(access, refresh) { localStorage.setItem(ACCESS, access); if (refresh) localStorage.setItem(REFRESH, refresh); },
    clear() { localStorage.removeItem(ACCESS); localStorage.removeItem(REFRESH); },
  };
  let refreshing = null;

  async function refresh() {
    if (!tokens.refresh) return false;
    refreshing = refreshing || fetch("/api/v1/auth/token/refresh", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh: tokens.refresh }),
    }).then(async (r) => {
      if (!r.ok) { tokens.clear(); return false; }
      const body = await r.json(); tokens.set(body.access, body.refresh); return true;
    }).finally(() => { refreshing = null; });
    return refreshing;
  }

  async function api(path, { method = "GET", body, auth = true } = {}) {
    const send = () => {
      const headers = { Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (auth && tokens.access) headers.Authorization = `Bearer ${tokens.access}`;
      return fetch(`/api/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    };
    let response = await send();
    if (response.status === 401 && auth && tokens.refresh && await refresh()) response = await send();
    let data = null;
    if (response.status !== 204) { try { data = await response.json(); } catch (e) { data = null; } }
    return { status: response.status, ok: response.ok, data };
  }

  let meCache = null;
  async function me(force = false) {
    if (!tokens.access && !tokens.refresh) return null;
    if (meCache && !force) return meCache;
    const r = await api("auth/me");
    meCache = r.ok ? r.data : null;
    return meCache;
  }

  async function requireLogin() {
    const user = await me();
    if (!user) location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    return user;
  }

  function wsUrl(path) {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    return `${proto}://${location.host}${path}?token=${encodeURIComponent(tokens.access || "")}`;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function when(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function firstError(data) {
    if (!data) return "Something went wrong. Please try again.";
    if (data.detail) return data.detail;
    const [field, messages] = Object.entries(data)[0] || [];
    return field ? `${field}: ${[].concat(messages).join(" ")}` : "Please check the form.";
  }

  function setCoins(coins) {
    const node = document.getElementById("account-coins");
    if (node && coins !== undefined && coins !== null) node.textContent = coins;
  }

  async function renderAccount() {
    const user = await me();
    document.querySelectorAll("[data-when]").forEach((node) => {
      node.hidden = (node.dataset.when === "auth") !== Boolean(user);
    });
    if (user) {
      document.getElementById("account-name").textContent = user.username;
      setCoins(user.coins);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    renderAccount();
    const logout = document.getElementById("logout");
    if (logout) logout.addEventListener("click", async () => {
      if (tokens.refresh) await api("auth/logout", { method: "POST", body: { refresh: tokens.refresh } });
      tokens.clear(); location.assign("/");
    });
  });

  return { tokens, api, me, requireLogin, wsUrl, el, when, firstError, setCoins, refresh };
})();
