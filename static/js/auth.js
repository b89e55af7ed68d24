"use strict";
// Where to go after signing in: `next` only when it is a path on this site: one slash followed
// by anything but a slash or a backslash (browsers read a backslash as a slash, so "/" + "\" +
// "evil.com" means //evil.com, another host), no control characters (URL parsing drops them),
// and the URL it resolves to has our origin. Anything else (https://evil.com, //evil.com,
// /%5Cevil.com once decoded, javascript:...) goes home.
window.GC = window.GC || {};
GC.safeNext = (next) => {
  if (typeof next !== "string" || !/^\/[^/\\]/.test(next) || /[\u0000-\u001f\u007f]/.test(next)) return "/";
  try {
    const url = new URL(next, location.origin);
    return url.origin === location.origin ? url.pathname + url.search + url.hash : "/";
  } catch (e) {
    return "/";
  }
};
document.addEventListener("DOMContentLoaded", () => {
  const error = document.getElementById("form-error");
  const next = new URLSearchParams(location.search).get("next");
  const go = () => location.assign(GC.safeNext(next));
  const fail = (data) => { error.textContent = GC.firstError(data); error.hidden = false; };

  const login = document.getElementById("login-form");
  if (login) login.addEventListener("submit", async (e) => {
    e.preventDefault(); error.hidden = true;
    const r = await GC.api("auth/token", { method: "POST", auth: false,
      body: { login: login.login.value, password: login.password.value } });
    if (r.ok) { GC.tokens.set(r.data.access, r.data.refresh); go(); } else fail(r.data);
  });

  const register = document.getElementById("register-form");
  if (register) {
    const status = document.getElementById("username-status");
    let timer = null;
    register.username.addEventListener("input", () => {
      clearTimeout(timer);
      const name = register.username.value.trim();
      if (name.length < 4) { status.textContent = ""; return; }
      timer = setTimeout(async () => {
        const r = await GC.api(`auth/availability/${encodeURIComponent(name)}`, { auth: false });
        status.textContent = r.data && r.data.available ? "Available" : "Taken";
      }, 300);
    });
    register.addEventListener("submit", async (e) => {
      e.preventDefault(); error.hidden = true;
      const r = await GC.api("auth/register", { method: "POST", auth: false, body: {
        username: register.username.value, email: register.email.value, password: register.password.value } });
      if (r.status === 201) { GC.tokens.set(r.data.access, r.data.refresh); go(); } else fail(r.data);
    });
  }
});
