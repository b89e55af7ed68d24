/* /login and /register: sign in (with a password or a configured social provider) and sign up.
   Field errors go under their fields, in words; the register form checks every field at once
   before it asks the server, and shows the server's answers (400 field lists, 409 taken name or
   email) under the same fields. */
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

/** A random hex string for the OAuth2 `state` round trip. */
function randomState() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A 409 `username_taken` / `email_taken` answer as a field error of that field. */
function takenAsField(data) {
  if (data && data.code === "username_taken") return { username: [GC.gettext("This username is taken. Try another one.")] };
  if (data && data.code === "email_taken") return { email: [GC.gettext("An account already uses this email. Sign in, or reset your password.")] };
  if (!data || data.detail || !data.code) return data;
  const { code, ...fields } = data;  // a field error's machine code is not for people
  return Object.keys(fields).length ? fields : data;
}

GC.ready.then(() => {
  const next = new URLSearchParams(location.search).get("next");
  const go = () => location.assign(GC.safeNext(next));

  const login = document.getElementById("login-form");
  if (login) {
    login.addEventListener("submit", (e) => {
      e.preventDefault();
      const errors = {};
      if (!login.login.value.trim()) errors.login = [GC.gettext("Type your username or email.")];
      if (!login.password.value) errors.password = [GC.gettext("Type your password.")];
      if (Object.keys(errors).length) { GC.showErrors(login, errors); return; }
      GC.busy(login.querySelector("button[type=submit]"), async () => {
        GC.clearErrors(login);
        const r = await GC.api("auth/token", { method: "POST", auth: false,
          body: { login: login.login.value, password: login.password.value } });
        if (r.ok) { GC.tokens.set(r.data.access, r.data.refresh); go(); } else GC.showErrors(login, r.data);
      });
    });
    document.querySelectorAll("[data-social]").forEach((button) => button.addEventListener("click", () => {
      const provider = button.dataset.social;
      const state = randomState();
      const redirectUri = `${location.origin}/auth/callback/${provider}`;
      sessionStorage.setItem("gc.oauth", JSON.stringify({ provider, state, next: GC.safeNext(next) }));
      const url = new URL(button.dataset.authorize);
      url.search = new URLSearchParams({ client_id: button.dataset.clientId, redirect_uri: redirectUri,
        response_type: "code", scope: button.dataset.scope, state }).toString();
      location.assign(url.toString());
    }));
  }

  const register = document.getElementById("register-form");
  if (register) {
    const status = document.getElementById("username-status");
    let timer = null, taken = false;
    register.username.addEventListener("input", () => {
      clearTimeout(timer);
      taken = false;
      const name = register.username.value.trim();
      if (name.length < 4 || name.length > 50) { status.textContent = ""; status.className = "hint"; return; }
      timer = setTimeout(async () => {
        const r = await GC.api(`auth/availability/${encodeURIComponent(name)}`, { auth: false });
        if (register.username.value.trim() !== name || (r.status !== 200 && r.status !== 409)) return;
        taken = !r.data.available;
        status.textContent = taken ? GC.gettext("This username is taken. Try another one.") : GC.gettext("This username is available.");
        status.className = taken ? "hint error" : "hint ok";
      }, 300);
    });

    /** Every problem the page can see before asking the server, all at once. */
    function check() {
      const errors = {};
      const name = register.username.value.trim(), email = register.email.value.trim(), password = register.password.value;
      if (!name) errors.username = [GC.gettext("Choose a username.")];
      else if (name.length < 4 || name.length > 50) errors.username = [GC.gettext("A username has 4 to 50 characters.")];
      else if (taken) errors.username = [GC.gettext("This username is taken. Try another one.")];
      if (!email) errors.email = [GC.gettext("Type your email address.")];
      else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors.email = [GC.gettext("This doesn't look like an email address, e.g. name@example.com.")];
      if (!password) errors.password = [GC.gettext("Choose a password.")];
      else if (password.length < 8) errors.password = [GC.gettext("A password has at least 8 characters.")];
      else if (/^\d+$/.test(password)) errors.password = [GC.gettext("A password can't be only digits.")];
      return errors;
    }

    register.addEventListener("submit", (e) => {
      e.preventDefault();
      const errors = check();
      if (Object.keys(errors).length) { GC.showErrors(register, errors); return; }
      GC.busy(register.querySelector("button[type=submit]"), async () => {
        GC.clearErrors(register);
        const r = await GC.api("auth/register", { method: "POST", auth: false, body: {
          username: register.username.value, email: register.email.value, password: register.password.value } });
        if (r.status === 201) { GC.tokens.set(r.data.access, r.data.refresh); go(); } else GC.showErrors(register, takenAsField(r.data));
      });
    });
  }
});
