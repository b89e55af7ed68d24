/* /sessions/new and /sessions/{id}/edit: host or edit a session (POST / PATCH /sessions/), and
   cancel it (DELETE, after a confirmation). Editing is for the organizer or an admin; cancelling
   for the organizer, a moderator or an admin; anyone else reads a sentence, not the form. */
"use strict";
GC.ready.then(async () => {
  const root = GC.$("session-form-page");
  const id = root.dataset.id;
  const form = GC.$("session-form"), pageState = GC.$("page-state");
  const say = (text, kind = "status") => { pageState.textContent = text; pageState.className = `state state-${kind}`; pageState.setAttribute("role", kind === "error" ? "alert" : "status"); pageState.hidden = !text; };

  GC.api("leaderboard/games", { auth: false }).then((r) => {
    if (r.ok && Array.isArray(r.data)) GC.$("game-names").replaceChildren(...r.data.map((g) => GC.el("option", { value: g.label })));
  });

  const user = await GC.requireLogin();
  if (!user) return;

  // Cancel: a first click asks, the second (on "Yes") deletes.
  function wireCancel() {
    const confirmBox = GC.$("cancel-confirm");
    GC.$("cancel-start").addEventListener("click", () => { confirmBox.hidden = false; GC.$("cancel-start").hidden = true; GC.$("cancel-question").focus(); });
    GC.$("cancel-no").addEventListener("click", () => { confirmBox.hidden = true; GC.$("cancel-start").hidden = false; GC.$("cancel-start").focus(); });
    GC.$("cancel-yes").addEventListener("click", (e) => GC.busy(e.currentTarget, async () => {
      const r = await GC.api(`sessions/${id}/`, { method: "DELETE" });
      if (r.ok || r.status === 404) {
        sessionStorage.setItem("gc.flash", GC.gettext("The session “%(title)s” was cancelled.", { title: session.title }));
        location.assign("/sessions");
        return;
      }
      GC.$("cancel-error").textContent = GC.message(r.data);
      GC.$("cancel-error").hidden = false;
    }));
  }

  let session = null;
  let initialStart = "";
  if (id) {
    GC.$("back-link").href = `/sessions/${id}`;
    GC.$("cancel-edit").href = `/sessions/${id}`;
    const r = await GC.api(`sessions/${id}/`);
    if (r.status === 404) { say(GC.gettext("This session doesn't exist. It may have been cancelled."), "error"); GC.$("back-link").href = "/sessions"; GC.$("back-link").textContent = GC.gettext("Browse sessions"); GC.$("back").hidden = false; return; }
    if (!r.ok) { say(GC.message(r.data), "error"); return; }
    session = r.data;
    document.title = `${GC.gettext("Edit a session")}: ${session.title} · GameConnect`;
    GC.$("back").hidden = false;
    const mayEdit = GCS.isOrganizer(session, user) || GCS.isAdmin(user);
    const mayCancel = mayEdit || GCS.isStaff(user);
    if (!mayEdit) say(GC.gettext("Only the organizer of this session or an admin can edit it."));
    else say("");
    GC.$("cancel-section").hidden = !mayCancel;
    if (mayCancel) wireCancel();
    if (!mayEdit) { if (mayCancel && location.hash === "#cancel") GC.$("cancel-start").focus(); return; }
    form.title.value = session.title;
    form.game.value = session.game;
    form.description.value = session.description || "";
    form.platform.value = session.platform;
    form.max_attendees.value = session.max_attendees;
    initialStart = GC.toLocalInput(session.starts_at);
    form.starts_at.value = initialStart;
    form.is_available.checked = session.is_available;
    GC.$("available-label").hidden = false;
  } else {
    say("");
    form.max_attendees.value = "4";
  }
  form.hidden = false;

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    GC.busy(GC.$("save"), async () => {
      GC.clearErrors(form);
      GC.$("saved").textContent = "";
      const body = { title: form.title.value.trim(), game: form.game.value.trim(), description: form.description.value, platform: form.platform.value };
      if (form.max_attendees.value.trim() !== "") body.max_attendees = Number(form.max_attendees.value);
      else if (!id) body.max_attendees = null;
      // An unchanged start is not sent: a started session keeps its (past) time.
      if (form.starts_at.value !== initialStart || !id) body.starts_at = form.starts_at.value ? GC.fromLocalInput(form.starts_at.value) : null;
      if (id) body.is_available = form.is_available.checked;
      const r = await GC.api(id ? `sessions/${id}/` : "sessions/", { method: id ? "PATCH" : "POST", body });
      if (!r.ok) { GC.showErrors(form, r.data); return; }
      if (!id) { location.assign(`/sessions/${r.data.id}`); return; }
      session = r.data;
      initialStart = GC.toLocalInput(session.starts_at);
      form.starts_at.value = initialStart;
      GC.$("saved").textContent = GC.gettext("Changes saved.");
    });
  });
});
