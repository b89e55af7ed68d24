/* Account pages reached from mailed links (/verify-email, /reset-password) and /forgot-password.
   The links carry `uid` and `token` as query parameters; these pages post them to the API. */
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const query = new URLSearchParams(location.search);
  const uid = query.get("uid") || "", token = query.get("token") || "";
  const error = document.getElementById("form-error");
  const notice = document.getElementById("form-notice");
  const fail = (data) => { error.textContent = GC.firstError(data); error.hidden = false; };

  const verify = document.getElementById("verify-email");
  if (verify) (async () => {
    const status = document.getElementById("verify-status");
    const r = await GC.api("auth/email/verify", { method: "POST", auth: false, body: { uid, token } });
    if (r.ok) status.textContent = "Thanks: your email address is verified.";
    else { status.textContent = "We couldn't verify your email."; fail(r.data); }
  })();

  const forgot = document.getElementById("forgot-form");
  if (forgot) forgot.addEventListener("submit", async (e) => {
    e.preventDefault(); error.hidden = true; notice.textContent = "";
    const r = await GC.api("auth/password/reset", { method: "POST", auth: false, body: { email: forgot.email.value } });
    if (r.status === 202) notice.textContent = r.data.detail; else fail(r.data);
  });

  const reset = document.getElementById("reset-form");
  if (reset) reset.addEventListener("submit", async (e) => {
    e.preventDefault(); error.hidden = true; notice.textContent = "";
    const r = await GC.api("auth/password/reset/confirm", { method: "POST", auth: false,
      body: { uid, token, new_password: reset.new_password.value } });
    if (r.ok) {
      GC.tokens.clear();  // every session of the account was signed out
      notice.textContent = r.data.detail;
      reset.querySelector("button").disabled = true;
      notice.append(" ", GC.el("a", { href: "/login", text: "Sign in" }));
    } else fail(r.data);
  });
});
