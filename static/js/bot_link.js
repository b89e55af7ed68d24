"use strict";
// The Discord link page: /discord/link?token=... (from the bot's `link`). Signed-in users confirm,
// and the token is posted to POST /api/v1/auth/discord/link; others sign in first and come back.
GC.ready.then(async () => {
  const status = document.getElementById("link-status");
  const form = document.getElementById("link-form");
  const token = new URLSearchParams(location.search).get("token");
  if (!token) { status.textContent = GC.gettext("This link is incomplete. Send /link to the bot for a new one."); return; }
  const user = await GC.requireLogin();
  if (!user) return;
  document.getElementById("link-account").textContent = user.username;
  status.textContent = "";
  form.hidden = false;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    GC.busy(form.querySelector("button[type=submit]"), async () => {
      GC.clearErrors(form);
      const r = await GC.api("auth/discord/link", { method: "POST", body: { token } });
      if (r.ok) {
        form.hidden = true;
        history.replaceState(null, "", location.pathname);  // the spent token leaves the address bar
        status.textContent = `${r.data.detail} ${GC.gettext("Try /me in Discord.")}`;
        document.getElementById("link-done").hidden = false;
      } else {
        GC.showErrors(form, r.data);
      }
    });
  });
});
