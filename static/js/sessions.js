/* /sessions: find gaming sessions. The filters live in the address bar (?search=&game=&platform=
   &starts_after=&starts_before=&joinable=true&past=1&ordering=&page=), so a list is shareable and
   Back/Forward move between searches. Without "Include past sessions" (and without a start date)
   only sessions that haven't started are listed. */
"use strict";
GC.ready.then(() => {
  const form = GC.$("filters"), list = GC.$("list"), count = GC.$("count"), pagerNode = GC.$("pager");
  const FIELDS = ["search", "game", "platform", "starts_after", "starts_before", "ordering"];
  const CHECKS = ["joinable", "past"];

  const flash = sessionStorage.getItem("gc.flash");
  if (flash) { sessionStorage.removeItem("gc.flash"); GC.$("flash").textContent = flash; GC.$("flash").hidden = false; }

  /** The filters in the address bar as an object (page included). */
  function fromUrl() {
    const params = new URLSearchParams(location.search);
    const out = {};
    for (const name of FIELDS) out[name] = params.get(name) || "";
    for (const name of CHECKS) out[name] = params.get(name) ? params.get(name) : "";
    out.page = Number(params.get("page")) > 1 ? Number(params.get("page")) : 1;
    return out;
  }
  function toForm(filters) {
    for (const name of FIELDS) form.elements[name].value = filters[name] || (name === "ordering" ? "starts_at" : "");
    for (const name of CHECKS) form.elements[name].checked = Boolean(filters[name]);
  }
  function fromForm() {
    const out = {};
    for (const name of FIELDS) out[name] = form.elements[name].value.trim();
    if (out.ordering === "starts_at") out.ordering = "";
    out.joinable = form.elements.joinable.checked ? "true" : "";
    out.past = form.elements.past.checked ? "1" : "";
    return out;
  }

  // A date (yyyy-mm-dd) as the instant its day starts in the display time zone.
  const dayStart = (date) => GC.fromLocalInput(`${date}T00:00`);
  const nextDay = (date) => new Date(Date.parse(`${date}T00:00:00Z`) + 86400000).toISOString().slice(0, 10);

  function apiQuery(f) {
    let after = f.starts_after && /^\d{4}-\d{2}-\d{2}$/.test(f.starts_after) ? dayStart(f.starts_after) : "";
    const before = f.starts_before && /^\d{4}-\d{2}-\d{2}$/.test(f.starts_before) ? dayStart(nextDay(f.starts_before)) : "";
    if (!after && !f.past && !f.joinable) after = new Date().toISOString();
    return GC.qs({ search: f.search, game: f.game, platform: f.platform, joinable: f.joinable, ordering: f.ordering,
      starts_after: after, starts_before: before, page: f.page > 1 ? f.page : "", page_size: 12 });
  }

  function card(s) {
    const li = GC.el("li", { class: "session-card" });
    li.append(
      GC.el("h3", {}, GC.el("a", { href: `/sessions/${s.id}`, text: s.title })),
      GC.el("p", { class: "session-tags" }, ...GCS.tags(s)),
      GC.el("p", {}, GC.el("strong", { text: s.game }), " · ", GCS.platform(s.platform)),
      GC.el("p", {}, GC.el("time", { datetime: s.starts_at, text: GC.when(s.starts_at) })),
      GC.el("p", { text: GC.gettext("%(count)s of %(max)s attending", { count: GC.number(s.attendee_count), max: GC.number(s.max_attendees) }) }),
      GC.el("p", { class: "muted" }, GC.gettext("Hosted by"), " ", GC.gamerLink(s.organizer.id, s.organizer.username)),
    );
    return li;
  }

  let current = 0;
  async function load() {
    const filters = fromUrl();
    toForm(filters);
    const ticket = ++current;
    GC.state(list, "loading");
    count.textContent = "";
    pagerNode.hidden = true;
    const r = await GC.api(`sessions/${apiQuery(filters)}`, { auth: Boolean(GC.tokens.access) });
    if (ticket !== current) return;  // a newer search answered first
    if (r.status === 404 && filters.page > 1) { go({ ...filters, page: 1 }, true); return; }
    if (r.status === 400) { GC.state(list, "error", GC.message(r.data, form)); return; }
    if (!r.ok) { GC.state(list, "error", GC.message(r.data), load); return; }
    if (!r.data.results.length) {
      const filtered = FIELDS.some((k) => filters[k] && k !== "ordering") || filters.joinable;
      GC.state(list, "empty", filtered ? GC.gettext("No session matches these filters. Try fewer filters or another search.")
        : GC.gettext("No upcoming sessions yet. Why not host one?"));
      return;
    }
    count.textContent = GC.ngettext("%(count)s session", "%(count)s sessions", r.data.count, { count: GC.number(r.data.count) });
    list.replaceChildren(...r.data.results.map(card));
    GC.pager(pagerNode, r.data, (page) => { go({ ...filters, page }); GC.$("results-heading").scrollIntoView(); });
  }

  /** Put `filters` in the address bar (a new history entry unless `replace`) and list them. */
  function go(filters, replace = false) {
    const url = location.pathname + GC.qs({ ...filters, page: filters.page > 1 ? filters.page : "" });
    if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
    load();
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); go(fromForm()); });
  for (const name of ["platform", "ordering", "joinable", "past", "starts_after", "starts_before"]) {
    form.elements[name].addEventListener("change", () => go(fromForm()));
  }
  GC.$("reset").addEventListener("click", () => go({}));
  window.addEventListener("popstate", load);

  GC.api("leaderboard/games", { auth: false }).then((r) => {
    if (!r.ok || !Array.isArray(r.data)) return;
    GC.$("game-names").replaceChildren(...r.data.map((g) => GC.el("option", { value: g.label })));
  });
  load();
});
