/* /auth/callback/{google|discord}: where the provider sends the browser back with `code` and
   `state`. The state must be the one /login kept in sessionStorage for this provider; the code
   is then posted with the same redirect_uri to POST /api/v1/auth/social/<provider>. */
"use strict";
GC.ready.then(async () => {
  const box = document.getElementById("social-callback");
  const provider = box.dataset.provider;
  const status = document.getElementById("callback-status");
  const error = document.getElementById("callback-error");
  const query = new URLSearchParams(location.search);
  // The code is single-use and the state secret: neither stays in the address bar or history.
  history.replaceState(null, "", location.pathname);
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem("gc.oauth") || "null"); } catch (e) { saved = null; }
  sessionStorage.removeItem("gc.oauth");

  const fail = (text) => {
    status.textContent = GC.gettext("You are not signed in.");
    error.textContent = text;
    error.hidden = false;
    document.getElementById("callback-retry").hidden = false;
  };

  if (query.get("error")) {
    fail(query.get("error") === "access_denied"
      ? GC.gettext("The sign-in was cancelled. You can try again, or sign in with your password.")
      : GC.gettext("The provider could not sign you in. Try again, or sign in with your password."));
    return;
  }
  const code = query.get("code"), state = query.get("state");
  if (!code || !state || !saved || saved.provider !== provider || saved.state !== state) {
    fail(GC.gettext("This sign-in did not start on this page, or it was already used, so we stopped it to keep your account safe. Start again from the sign-in page."));
    return;
  }
  const r = await GC.api(`auth/social/${provider}`, { method: "POST", auth: false,
    body: { code, redirect_uri: `${location.origin}/auth/callback/${provider}` } });
  if (r.ok) {
    GC.tokens.set(r.data.access, r.data.refresh);
    status.textContent = r.data.created ? GC.gettext("Welcome! Your account is ready.") : GC.gettext("You are signed in.");
    location.assign(saved.next || "/");
    return;
  }
  const words = {
    invalid_code: GC.gettext("The provider did not accept this sign-in (it may have expired). Start again from the sign-in page."),
    provider_disabled: GC.gettext("Signing in this way is not available right now. Sign in with your password instead."),
    email_unverified: GC.gettext("An account already uses this email, but the email is not verified on both sides. Sign in with your password, verify your email, then try again."),
  };
  fail(words[r.data && r.data.code] || GC.message(r.data));
});
