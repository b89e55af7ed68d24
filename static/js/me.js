/* /me: my account. Profile (avatar, bio), email and its verification, password, notification
   mails, the linked Discord account, the calendar feed link, sign out everywhere, delete. Reads
   and writes GET/PATCH /api/v1/auth/me and the account endpoints next to it. */
"use strict";
// One line per notification kind of `notify` (GET /auth/me), in words. Kinds the page does not
// know yet still get a checkbox, named by their code.
const KINDS = {
  session_reminder: () => GC.gettext("Reminders before my sessions start"),
  waitlist_promotion: () => GC.gettext("A seat freed up for me on a waiting list"),
  ticket_confirmation: () => GC.gettext("My ticket confirmations"),
  leaderboard_prize: () => GC.gettext("Leaderboard prizes I win"),
  report_outcome: () => GC.gettext("The outcome of my reports"),
};

/** An error answer ready for GC.showErrors: a field error's machine `code` is not shown, and
    codes with a sentence of ours in `words` ({code: {field: sentence}}) use it. */
function fieldErrors(data, words = {}) {
  if (!data || typeof data !== "object") return data;
  if (data.code && words[data.code]) return Object.fromEntries(Object.entries(words[data.code]).map(([k, v]) => [k, [v]]));
  if (data.detail) return data;
  const { code, ...fields } = data;
  return Object.keys(fields).length ? fields : data;
}

GC.ready.then(async () => {
  const $ = GC.$;
  const shell = $("me"), loading = $("me-state");
  let user = null;

  const say = (id, text) => { $(id).textContent = text; };
  const problem = (id, data) => { const node = $(id); node.textContent = GC.message(data); node.hidden = false; };
  const clearProblem = (id) => { $(id).hidden = true; $(id).textContent = ""; };

  function showAvatar(src) {
    $("avatar-preview").hidden = !src;
    if (src) $("avatar-preview").src = src;
    $("avatar-none").hidden = Boolean(src);
    $("avatar-none").textContent = user ? (user.username || "?").trim().charAt(0).toUpperCase() : "";
  }

  function render() {
    $("my-profile").href = `/gamers/${user.id}`;
    showAvatar(user.avatar_url);
    $("bio").value = user.bio || "";
    say("email-current", user.email);
    $("email-verified").hidden = !user.email_verified;
    $("email-pending").hidden = user.email_verified;
    $("email-unverified").hidden = user.email_verified;
    const kinds = $("notify-kinds");
    kinds.replaceChildren(...Object.entries(user.notify || {}).map(([kind, on]) => GC.el("div", { class: "check" },
      GC.el("input", { type: "checkbox", id: `notify-${kind}`, name: `notify-${kind}`, "data-kind": kind, checked: Boolean(on) }),
      GC.el("label", { for: `notify-${kind}`, text: KINDS[kind] ? KINDS[kind]() : kind }))));
    $("discord-linked").hidden = !user.discord_linked;
    $("discord-unlinked").hidden = user.discord_linked;
    say("discord-id", user.discord_id || "");
    $("delete-admin").hidden = user.role !== "admin";
    $("delete-box").hidden = user.role === "admin";
    GC.setCoins(user.coins);
  }

  async function load() {
    GC.state(loading, "loading");
    const r = await GC.api("auth/me");
    if (r.status === 401) { location.assign(`/login?next=${encodeURIComponent("/me")}`); return; }
    if (!r.ok) { GC.state(loading, "error", GC.message(r.data), load); return; }
    user = r.data;
    loading.replaceChildren();
    render();
    shell.hidden = false;
  }

  // --- profile: avatar (multipart) and bio ---------------------------------------------------
  const profile = $("profile-form");
  profile.avatar.addEventListener("change", () => {
    const file = profile.avatar.files[0];
    if (!file) { showAvatar(user.avatar_url); return; }
    if (!file.type.startsWith("image/")) return;  // the server says why on save
    const reader = new FileReader();  // a data: URL (the Content-Security-Policy allows no blob: images)
    reader.addEventListener("load", () => showAvatar(reader.result));
    reader.readAsDataURL(file);
  });
  profile.addEventListener("submit", (e) => {
    e.preventDefault();
    say("profile-status", "");
    const file = profile.avatar.files[0];
    if (file && file.size > 5 * 1024 * 1024) {
      GC.showErrors(profile, { avatar: [GC.gettext("This file is bigger than 5 MB. Choose a smaller picture.")] });
      return;
    }
    GC.busy(profile.querySelector("button[type=submit]"), async () => {
      GC.clearErrors(profile);
      const form = new FormData();
      form.append("bio", profile.bio.value);
      if (file) form.append("avatar", file);
      const r = await GC.api("auth/me", { method: "PATCH", form });
      if (!r.ok) {
        GC.showErrors(profile, fieldErrors(r.data, {
          invalid_image: { avatar: GC.gettext("This file is not a picture we can read. Choose a JPEG, PNG, GIF or WebP image.") },
          avatar_too_large: { avatar: GC.gettext("This file is bigger than 5 MB. Choose a smaller picture.") },
        }));
        return;
      }
      user = r.data;
      profile.avatar.value = "";
      render();
      say("profile-status", GC.gettext("Your profile is saved."));
    });
  });

  // --- email -----------------------------------------------------------------------------------
  const emailForm = $("email-form");
  emailForm.addEventListener("submit", (e) => {
    e.preventDefault();
    say("email-status", "");
    if (!emailForm.email.value.trim()) { GC.showErrors(emailForm, { email: [GC.gettext("Type your new email address.")] }); return; }
    GC.busy(emailForm.querySelector("button[type=submit]"), async () => {
      GC.clearErrors(emailForm);
      const r = await GC.api("auth/me", { method: "PATCH", body: { email: emailForm.email.value.trim() } });
      if (!r.ok) {
        GC.showErrors(emailForm, fieldErrors(r.data, { email_taken: { email: GC.gettext("An account already uses this email.") } }));
        return;
      }
      user = r.data;
      render();
      emailForm.reset();
      say("email-status", user.email_verified ? GC.gettext("Your email is saved.")
        : GC.gettext("Saved. Follow the link we mailed to your new address to verify it."));
    });
  });
  $("email-resend").addEventListener("click", () => GC.busy($("email-resend"), async () => {
    const r = await GC.api("auth/email/verify/resend", { method: "POST" });
    if (r.ok) say("email-resend-status", r.data.detail);
    else if (r.status === 409) { say("email-resend-status", GC.gettext("Your email address is already verified.")); load(); }
    else say("email-resend-status", GC.message(r.data));
  }));

  // --- password ----------------------------------------------------------------------------------
  const passwordForm = $("password-form");
  passwordForm.addEventListener("submit", (e) => {
    e.preventDefault();
    say("password-status", "");
    const errors = {};
    if (!passwordForm.current_password.value) errors.current_password = [GC.gettext("Type your current password.")];
    if (!passwordForm.new_password.value) errors.new_password = [GC.gettext("Choose a new password.")];
    if (Object.keys(errors).length) { GC.showErrors(passwordForm, errors); return; }
    GC.busy(passwordForm.querySelector("button[type=submit]"), async () => {
      GC.clearErrors(passwordForm);
      const r = await GC.api("auth/password/change", { method: "POST", body: {
        current_password: passwordForm.current_password.value, new_password: passwordForm.new_password.value } });
      if (!r.ok) {
        GC.showErrors(passwordForm, fieldErrors(r.data, { wrong_password: { current_password: GC.gettext("This is not your current password.") } }));
        return;
      }
      GC.tokens.set(r.data.access, r.data.refresh);
      passwordForm.reset();
      say("password-status", GC.gettext("Your password is changed. Your other devices are signed out."));
    });
  });

  // --- notification mails ------------------------------------------------------------------------
  const notifyForm = $("notify-form");
  notifyForm.addEventListener("submit", (e) => {
    e.preventDefault();
    say("notify-status", "");
    const notify = {};
    notifyForm.querySelectorAll("input[data-kind]").forEach((box) => { notify[box.dataset.kind] = box.checked; });
    GC.busy(notifyForm.querySelector("button[type=submit]"), async () => {
      GC.clearErrors(notifyForm);
      const r = await GC.api("auth/me", { method: "PATCH", body: { notify } });
      if (!r.ok) { GC.showErrors(notifyForm, fieldErrors(r.data)); return; }
      user = r.data;
      render();
      say("notify-status", GC.gettext("Your notification settings are saved."));
    });
  });

  // --- Discord -----------------------------------------------------------------------------------
  $("discord-unlink").addEventListener("click", () => GC.busy($("discord-unlink"), async () => {
    clearProblem("discord-error"); say("discord-status", "");
    const r = await GC.api("auth/discord/link", { method: "DELETE" });
    if (!r.ok) { problem("discord-error", r.data); return; }
    user = { ...user, discord_id: null, discord_linked: false };
    render();
    say("discord-status", GC.gettext("Your Discord account is unlinked."));
  }));
  $("discord-code-button").addEventListener("click", () => GC.busy($("discord-code-button"), async () => {
    clearProblem("discord-error"); say("discord-status", "");
    const r = await GC.api("auth/discord/link-code", { method: "POST" });
    if (!r.ok) { problem("discord-error", r.data); return; }
    say("discord-code", r.data.code);
    say("discord-code-expires", GC.when(r.data.expires_at));
    $("discord-code-box").hidden = false;
  }));

  // --- calendar feed -----------------------------------------------------------------------------
  $("calendar-key").addEventListener("click", () => GC.busy($("calendar-key"), async () => {
    clearProblem("calendar-error"); say("calendar-status", "");
    const r = await GC.api("me/calendar/key", { method: "POST" });
    if (!r.ok) { problem("calendar-error", r.data); return; }
    $("calendar-url").value = r.data.url;
    $("calendar-box").hidden = false;
    $("calendar-key").textContent = GC.gettext("Get a new calendar link");
    say("calendar-status", GC.gettext("Here is your new link. Any older link no longer works."));
  }));
  $("calendar-copy").addEventListener("click", async () => {
    $("calendar-url").select();
    try { await navigator.clipboard.writeText($("calendar-url").value); say("calendar-status", GC.gettext("Link copied.")); }
    catch (e) { say("calendar-status", GC.gettext("Select the link and copy it.")); }
  });

  // --- sign out everywhere -----------------------------------------------------------------------
  $("logout-all").addEventListener("click", () => GC.busy($("logout-all"), async () => {
    clearProblem("logout-all-error");
    const r = await GC.api("auth/logout-all", { method: "POST" });
    if (!r.ok) { problem("logout-all-error", r.data); return; }
    GC.tokens.clear();
    location.assign("/login");
  }));

  // --- delete, with a confirmation step ----------------------------------------------------------
  $("delete-start").addEventListener("click", () => {
    $("delete-start").hidden = true;
    $("delete-confirm").hidden = false;
    $("delete-no").focus();
  });
  $("delete-no").addEventListener("click", () => {
    $("delete-confirm").hidden = true;
    $("delete-start").hidden = false;
    $("delete-start").focus();
  });
  $("delete-yes").addEventListener("click", () => GC.busy($("delete-yes"), async () => {
    clearProblem("delete-error");
    const r = await GC.api("auth/me", { method: "DELETE" });
    if (!r.ok) { problem("delete-error", r.data); return; }
    GC.tokens.clear();
    location.assign("/");
  }));

  load();
});
