"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const $ = (id) => document.getElementById(id);
  const id = $("session").dataset.id;
  if (!(await GC.requireLogin())) return;

  function render(s) {
    $("title").textContent = s.title;
    $("game").textContent = s.game;
    $("platform").textContent = s.platform;
    $("starts").textContent = GC.when(s.starts_at);
    $("starts").setAttribute("datetime", s.starts_at);
    $("description").textContent = s.description;
    $("attendees").textContent = s.attendee_count;
    $("max").textContent = s.max_attendees;
    $("likes").textContent = s.like_count;
    $("rating").textContent = s.avg_rating === null ? "—" : Number(s.avg_rating).toFixed(1);
    $("join").hidden = s.joined_by_me;
    $("leave").hidden = !s.joined_by_me;
    $("like").setAttribute("aria-pressed", String(s.liked_by_me));
    $("like").textContent = s.liked_by_me ? "Unlike" : "Like";
  }
  async function load() {
    const r = await GC.api(`sessions/${id}/`);
    if (r.ok) render(r.data); else $("status").textContent = GC.firstError(r.data);
    return r.data;
  }
  async function act(path, method, done) {
    const r = await GC.api(path, { method });
    $("status").textContent = r.ok ? done : GC.firstError(r.data);
    await load();
  }
  $("join").addEventListener("click", () => act(`sessions/${id}/join`, "POST", "You joined this session."));
  $("leave").addEventListener("click", () => act(`sessions/${id}/leave`, "POST", "You left this session."));
  $("like").addEventListener("click", () => {
    const liked = $("like").getAttribute("aria-pressed") === "true";
    act(`sessions/${id}/like`, liked ? "DELETE" : "POST", liked ? "Like removed." : "Liked!");
  });
  load();
});
