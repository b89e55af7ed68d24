/* /gamers/{id}: a gamer's public profile (GET /api/v1/gamers/{id}, signed in per SPEC §2). */
"use strict";
const ROLES = {
  gamer: () => GC.gettext("Gamer"),
  moderator: () => GC.gettext("Moderator"),
  admin: () => GC.gettext("Admin"),
};

GC.ready.then(async () => {
  const $ = GC.$;
  const id = $("gamer").dataset.id, state = $("gamer-state");
  const me = await GC.me();
  if (!me) {
    $("gamer-signin-link").href = `/login?next=${encodeURIComponent(location.pathname)}`;
    $("gamer-signin").hidden = false;
    return;
  }

  function render(g) {
    $("gamer-name").textContent = g.username;
    document.title = `${g.username} · GameConnect`;
    $("gamer-avatar").hidden = !g.avatar_url;
    if (g.avatar_url) { $("gamer-avatar").src = g.avatar_url; $("gamer-avatar").alt = GC.gettext("%(name)s's avatar", { name: g.username }); }
    $("gamer-initial").hidden = Boolean(g.avatar_url);
    $("gamer-initial").textContent = g.username.trim().charAt(0).toUpperCase();
    $("gamer-role").textContent = ROLES[g.role] ? ROLES[g.role]() : g.role;
    $("gamer-role").className = g.role === "gamer" ? "tag" : "tag good";
    $("gamer-edit").hidden = me.id !== g.id;
    $("gamer-bio").textContent = g.bio || GC.gettext("No bio yet.");
    $("gamer-bio").classList.toggle("muted", !g.bio);
    $("gamer-joined").textContent = GC.day(g.joined);
    $("gamer-seen").textContent = g.last_seen ? GC.when(g.last_seen) : GC.gettext("Not yet");
    $("gamer-coins").textContent = GC.number(g.coins);
    $("gamer-hosted").textContent = GC.number(g.stats.sessions_hosted);
    $("gamer-joined-sessions").textContent = GC.number(g.stats.sessions_joined);
    $("gamer-wins").textContent = GC.number(g.stats.trivia_wins);
    $("gamer-profile").hidden = false;
  }

  async function load() {
    GC.state(state, "loading");
    const r = await GC.api(`gamers/${id}`);
    if (r.ok) { state.replaceChildren(); render(r.data); return; }
    if (r.status === 404) { GC.state(state, "empty", GC.gettext("There is no gamer with this number. The account may have been deleted.")); return; }
    if (r.status === 401) { location.assign(`/login?next=${encodeURIComponent(location.pathname)}`); return; }
    GC.state(state, "error", GC.message(r.data), load);
  }
  load();
});
