/* Account pages reached from mailed links (/verify-email, /reset-password) and the
   forgot-password page (/password/reset, also /forgot-password). The links carry `uid` and
   `token` as query parameters; these pages post them to the API. */
"use strict";
/** A field error answer without its machine `code` (GC.showErrors would show the code as text). */
function withoutCode(data) {
  if (!data || data.detail || !data.code) return data;
  const { code, ...fields } = data;
  return Object.keys(fields).length ? fields : data;
}

GC.ready.then(() => {
  const query = new URLSearchParams(location.search);
  const uid = query.get("uid") || "", token = query.get("token") || "";
  const notice = document.getElementById("form-notice");

  const verify = document.getElementById("verify-email");
  if (verify) (async () => {
    const status = document.getElementById("verify-status");
    const error = document.getElementById("form-error");
    if (!uid || !token) {
      status.textContent = GC.gettext("This link is incomplete. Open the whole link from the mail, or ask for a new one.");
      return;
    }
    const r = await GC.api("auth/email/verify", { method: "POST", auth: false, body: { uid, token } });
    if (r.ok) {
      status.textContent = GC.gettext("Thanks: your email address is verified.");
      document.getElementById("verify-next").hidden = false;
    } else {
      status.textContent = GC.gettext("We couldn't verify your email.");
      error.textContent = r.data && r.data.code === "invalid_token"
        ? GC.gettext("This link is invalid or has expired, or your account now uses another address. Ask for a new link from your account page.")
        : GC.message(r.data);
      error.hidden = false;
    }
  })();

  const forgot = document.getElementById("forgot-form");
  if (forgot) forgot.addEventListener("submit", (e) => {
    e.preventDefault();
    notice.textContent = "";
    if (!forgot.email.value.trim()) { GC.showErrors(forgot, { email: [GC.gettext("Type the email of your account.")] }); return; }
    GC.busy(forgot.querySelector("button[type=submit]"), async () => {
      GC.clearErrors(forgot);
      const r = await GC.api("auth/password/reset", { method: "POST", auth: false, body: { email: forgot.email.value } });
      if (r.status === 202) notice.textContent = r.data.detail; else GC.showErrors(forgot, withoutCode(r.data));
    });
  });

  const reset = document.getElementById("reset-form");
  if (reset) reset.addEventListener("submit", (e) => {
    e.preventDefault();
    notice.textContent = "";
    if (!reset.new_password.value) { GC.showErrors(reset, { new_password: [GC.gettext("Choose a new password.")] }); return; }
    const button = reset.querySelector("button[type=submit]");
    GC.busy(button, async () => {
      GC.clearErrors(reset);
      const r = await GC.api("auth/password/reset/confirm", { method: "POST", auth: false,
        body: { uid, token, new_password: reset.new_password.value } });
      if (r.ok) {
        GC.tokens.clear();  // every session of the account was signed out
        notice.textContent = r.data.detail;
        notice.append(" ", GC.el("a", { href: "/login", text: GC.gettext("Sign in") }));
        reset.new_password.disabled = true;
        return true;
      }
      GC.showErrors(reset, r.data && r.data.code === "invalid_token"
        ? { detail: GC.gettext("This link is invalid, expired or already used. Ask for a new one below.") } : withoutCode(r.data));
      return false;
    }).then((done) => { if (done) button.disabled = true; });
  });
});
