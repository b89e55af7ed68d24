"use strict";
// The Discord link page: /discord/link?token=... (from the bot's `link`). Signed-in users confirm,
// and the token is posted to POST /api/v1/auth/discord/link; others sign in first and come back.
document.addEventListener("DOMContentLoaded", async () => {
  const status = document.getElementById("link-status");
  const form = document.getElementById("link-form");
  const error = document.getElementById("form-error");
  const token = new URLSearchParams(location.search).get("token");
  if (!token) { status.textContent = "This link is incomplete. Send /link to the bot for a new one."; return; }
  const user = await GC.requireLogin();
  if (!user) return;
  document.getElementById("link-account").textContent = user.username;
  status.textContent = "";
  form.hidden = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault(); error.hidden = true;
    const r = await GC.api("auth/discord/link", { method: "POST", body: { token } });
    if (r.ok) {
      form.hidden = true;
      history.replaceState(null, "", location.pathname);  // the spent token leaves the address bar
      status.textContent = `${r.data.detail} Try /me in Discord.`;
    } else {
      error.textContent = GC.firstError(r.data); error.hidden = false;
    }
  });
});
