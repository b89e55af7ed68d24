/* GameConnect web client: tokens, REST calls with refresh, the account bar, translations,
   formatting in the reader's language and time zone, form errors, list states and pagers.
   The pages use only the public REST and WebSocket APIs. Strings go through GC.t (Django's
   JavaScriptCatalog, loaded before this file), so `makemessages -d djangojs` finds them. */
"use strict";
window.GC = (() => {
  const ACCESS = "gc.access", REFRESH = "gc.refresh", TZ = "gc.tz";
  const root = document.documentElement;

  // --- translations (django.views.i18n.JavaScriptCatalog) ------------------------------------
  // Pages call GC.gettext / GC.ngettext by these names: they are xgettext keywords, so
  // `make messages` collects the strings. `values` fill %(name)s placeholders.
  const fill = (text, values) => (values ? String(text).replace(/%\((\w+)\)s/g, (_, k) => (values[k] ?? "")) : text);
  const gettext = (msgid, values) => fill(window.gettext ? window.gettext(msgid) : msgid, values);
  const ngettext = (singular, plural, n, values) =>
    fill(window.ngettext ? window.ngettext(singular, plural, n) : (n === 1 ? singular : plural), { count: n, ...values });

  // --- formatting: the page's language, the display time zone (Africa/Tunis unless changed) --
  const lang = root.lang || "en";
  // Tunisia writes Latin digits in Arabic too; "-TN" gives them, and the country's conventions.
  const locale = { en: "en-GB", fr: "fr-TN", ar: "ar-TN" }[lang] || lang;
  const tz = () => (localStorage.getItem(TZ) === "device" ? undefined : root.dataset.tz || "Africa/Tunis");
  const fmt = (options) => new Intl.DateTimeFormat(locale, { timeZone: tz(), ...options });
  // 24-hour clock in every language, as Tunisia reads times (CLDR gives fr-TN and ar-TN 12 hours).
  const when = (iso) => (iso ? fmt({ dateStyle: "medium", timeStyle: "short", hourCycle: "h23" }).format(new Date(iso)) : "");
  const day = (iso) => (iso ? fmt({ dateStyle: "medium" }).format(new Date(iso)) : "");
  /** A number in the page's language; `digits` fixes the decimals (GC.number(4.5, 1) → "4.5"). */
  const number = (n, digits) => (n === null || n === undefined || n === "" ? "" : new Intl.NumberFormat(locale,
    digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(n)));
  const money = (amount) => new Intl.NumberFormat(locale, { style: "currency", currency: "TND", minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Number(amount));

  /** Minutes the display time zone is ahead of UTC at `date`. */
  function offsetMinutes(date) {
    const parts = Object.fromEntries(fmt({ hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(date).filter((p) => p.type !== "literal").map((p) => [p.type, Number(p.value)]));
    const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
    return Math.round((asUtc - date.getTime()) / 60000);
  }
  /** An ISO instant as the value of an <input type="datetime-local"> in the display time zone. */
  function toLocalInput(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    return new Date(date.getTime() + offsetMinutes(date) * 60000).toISOString().slice(0, 16);
  }
  /** A datetime-local value read in the display time zone, as an ISO instant (UTC); "" stays "". */
  function fromLocalInput(value) {
    if (!value) return "";
    const naive = new Date(`${value}:00Z`);
    if (Number.isNaN(naive.getTime())) return value;  // let the API say what is wrong with it
    const guess = new Date(naive.getTime() - offsetMinutes(naive) * 60000);
    return new Date(naive.getTime() - offsetMinutes(guess) * 60000).toISOString();
  }

  // --- tokens and REST -------------------------------------------------------------------------
  const tokens = {
    get access() { return localStorage.getItem(ACCESS); },
    get refresh() { return localStorage.getItem(REFRESH); },
    set(access, refresh) { localStorage.setItem(ACCESS, access); if (refresh) localStorage.setItem(REFRESH, refresh); meCache = null; },
    clear() { localStorage.removeItem(ACCESS); localStorage.removeItem(REFRESH); meCache = null; },
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
    }).catch(() => false).finally(() => { refreshing = null; });
    return refreshing;
  }

  /** Call /api/v1/`path`. `body` is sent as JSON, `form` (a FormData) as multipart. Never throws:
      a network failure is {status: 0, ok: false, data: {detail}}. */
  async function api(path, { method = "GET", body, form, auth = true } = {}) {
    const send = () => {
      const headers = { Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (auth && tokens.access) headers.Authorization = `Bearer ${tokens.access}`;
      return fetch(`/api/v1/${path}`, { method, headers, body: form || (body === undefined ? undefined : JSON.stringify(body)) });
    };
    let response;
    try {
      response = await send();
      if (response.status === 401 && auth && tokens.refresh && await refresh()) response = await send();
    } catch (e) {
      return { status: 0, ok: false, data: { detail: gettext("We couldn't reach the server. Check your connection and try again."), code: "network" } };
    }
    let data = null;
    if (response.status !== 204) { try { data = await response.json(); } catch (e) { data = null; } }
    return { status: response.status, ok: response.ok, data };
  }

  /** A query string from an object, skipping empty values: qs({page: 2, q: ""}) → "?page=2". */
  function qs(params) {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v !== "" && v !== null && v !== undefined && v !== false) search.set(k, v);
    const text = search.toString();
    return text ? `?${text}` : "";
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

  // --- DOM -------------------------------------------------------------------------------------
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v; else if (k === "text") node.textContent = v;
      else if (k === "on") for (const [name, fn] of Object.entries(v)) node.addEventListener(name, fn);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }
  const $ = (id) => document.getElementById(id);
  /** A link to a gamer's public profile. */
  const gamerLink = (id, name) => el("a", { href: `/gamers/${id}`, text: name });

  // --- errors in words -------------------------------------------------------------------------
  // Codes the pages explain themselves; any other answer shows the server's own sentence.
  const CODES = {
    network: () => gettext("We couldn't reach the server. Check your connection and try again."),
    throttled: () => gettext("Too many tries. Wait a moment and try again."),
    not_authenticated: () => gettext("Please sign in first."),
    not_found: () => gettext("This no longer exists."),
    permission_denied: () => gettext("You are not allowed to do this."),
  };
  function detail(data) {
    if (!data) return gettext("Something went wrong. Please try again.");
    if (data.code && CODES[data.code]) return CODES[data.code]();
    if (data.detail) return data.detail;
    return null;
  }
  const flat = (messages) => [].concat(messages).map((m) => (typeof m === "string" ? m : Object.values(m || {}).flat().join(" "))).join(" ");
  const labelOf = (form, name) => {
    const field = form && form.elements[name];
    const label = field && field.id && form.querySelector(`label[for="${field.id}"]`);
    return label ? label.childNodes[0].textContent.trim() : null;
  };
  /** One sentence for an error answer (a toast or status line), fields named by their label. */
  function message(data, form) {
    const d = detail(data);
    if (d) return d;
    const parts = Object.entries(data).filter(([k]) => k !== "code").map(([k, v]) => {
      const label = labelOf(form, k);
      return label ? `${label}: ${flat(v)}` : flat(v);
    });
    return parts.join(" ") || gettext("Please check the form.");
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error[data-generated]").forEach((n) => n.remove());
    form.querySelectorAll("[aria-invalid]").forEach((n) => {
      n.removeAttribute("aria-invalid");
      const ids = (n.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && !x.endsWith("-error"));
      if (ids.length) n.setAttribute("aria-describedby", ids.join(" ")); else n.removeAttribute("aria-describedby");
    });
    const summary = form.querySelector("[data-form-error]");
    if (summary) { summary.textContent = ""; summary.hidden = true; }
  }

  /** Show an error answer on `form`: each field's messages under that field (linked with
      aria-describedby), everything else in the form's [data-form-error] element; focus the first
      field in error. Returns the sentence it showed at the top (or ""). */
  function showErrors(form, data) {
    clearErrors(form);
    const rest = [];
    let first = null;
    const d = detail(data);
    if (d) rest.push(d);
    else for (const [key, messages] of Object.entries(data || {})) {
      if (key === "code") continue;  // the machine code beside field errors, not a sentence
      const field = form.elements[key];
      const node = field && (field.length && !field.tagName ? field[0] : field);
      if (!node || !node.id) { rest.push(labelOf(form, key) ? `${labelOf(form, key)}: ${flat(messages)}` : flat(messages)); continue; }
      const error = el("p", { class: "field-error", id: `${node.id}-error`, "data-generated": true, text: flat(messages) });
      (node.closest(".field") || node).after(error);
      node.setAttribute("aria-invalid", "true");
      node.setAttribute("aria-describedby", `${node.getAttribute("aria-describedby") || ""} ${error.id}`.trim());
      first = first || node;
    }
    const summary = form.querySelector("[data-form-error]");
    const text = rest.join(" ");
    if (summary && text) { summary.textContent = text; summary.hidden = false; }
    if (first) first.focus(); else if (summary && text) summary.focus();
    return text;
  }

  /** Run `work` with `button` disabled and marked busy. */
  async function busy(button, work) {
    if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
    try { return await work(); } finally { if (button) { button.disabled = false; button.removeAttribute("aria-busy"); } }
  }

  // --- loading, empty and failure states, pagers -----------------------------------------------
  /** Replace `node`'s content with a state line: "loading", "empty" or "error" (with a retry). */
  function state(node, kind, text, retry) {
    const line = el("p", { class: `state state-${kind}`, role: kind === "error" ? "alert" : "status",
      text: text || (kind === "loading" ? gettext("Loading…") : kind === "empty" ? gettext("Nothing here yet.") : gettext("Something went wrong. Please try again.")) });
    if (retry) line.append(" ", el("button", { type: "button", class: "link", text: gettext("Try again"), on: { click: retry } }));
    node.replaceChildren(node.tagName === "UL" || node.tagName === "OL" ? el("li", { class: "state-item" }, line) : line);
  }

  /** Previous/next links for a paginated answer ({page, pages, previous, next}); `go(page)` loads one. */
  function pager(nav, data, go) {
    nav.replaceChildren();
    if (!data || !data.pages || data.pages <= 1) { nav.hidden = true; return; }
    nav.hidden = false;
    const prev = el("button", { type: "button", class: "secondary", text: gettext("Previous"), disabled: !data.previous, on: { click: () => go(data.page - 1) } });
    const next = el("button", { type: "button", class: "secondary", text: gettext("Next"), disabled: !data.next, on: { click: () => go(data.page + 1) } });
    nav.append(prev, el("span", { text: gettext("Page %(page)s of %(pages)s", { page: number(data.page), pages: number(data.pages) }) }), next);
  }

  // --- the account bar and the language switcher -------------------------------------------------
  function setCoins(coins) {
    const node = $("account-coins");
    if (node && coins !== undefined && coins !== null) node.textContent = number(coins);
  }

  async function renderAccount() {
    const user = await me();
    document.querySelectorAll("[data-when]").forEach((node) => {
      node.hidden = (node.dataset.when === "auth") !== Boolean(user);
    });
    if (user) {
      $("account-name").textContent = user.username;
      setCoins(user.coins);
      api("me/notifications?unread=true&page_size=1").then((r) => {
        const badge = $("account-unread");
        if (!badge || !r.ok) return;
        badge.hidden = !r.data.count;
        badge.textContent = number(r.data.count);
        badge.setAttribute("aria-label", ngettext("%(count)s unread", "%(count)s unread", r.data.count, { count: number(r.data.count) }));
      });
    }
    document.dispatchEvent(new CustomEvent("gc:account", { detail: user }));
    return user;
  }

  const ready = new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve));
  ready.then(() => {
    renderAccount();
    const logout = $("logout");
    if (logout) logout.addEventListener("click", async () => {
      if (tokens.refresh) await api("auth/logout", { method: "POST", body: { refresh: tokens.refresh } });
      tokens.clear(); location.assign("/");
    });
    const language = $("language");
    if (language) {
      // Back to this very page after switching, filters included. Set here, not rendered by the
      // server, so a query's secrets (a mailed token) never end up in the page's HTML.
      language.form.elements.next.value = location.pathname + location.search + location.hash;
      language.addEventListener("change", () => language.form.requestSubmit());
    }
  });

  return {
    gettext, ngettext, lang, locale, tz, when, day, number, money, toLocalInput, fromLocalInput,
    tokens, api, qs, me, requireLogin, wsUrl, refresh,
    el, $, gamerLink, message, firstError: message, showErrors, clearErrors, busy, state, pager,
    setCoins, renderAccount, ready,
  };
})();
