/* /: the next joinable sessions and the upcoming events (both public), with links to see all. */
"use strict";
GC.ready.then(() => {
  const { api, el, gettext, ngettext, when, number } = GC;

  async function loadSessions() {
    const list = GC.$("sessions");
    GC.state(list, "loading");
    const r = await api(`sessions/${GC.qs({ joinable: "true", ordering: "starts_at", page_size: 6 })}`, { auth: false });
    if (!r.ok) { GC.state(list, "error", GC.message(r.data), loadSessions); return; }
    if (!r.data.results.length) {
      GC.state(list, "empty", gettext("No session is open to join right now. Host one from the sessions page."));
      return;
    }
    list.replaceChildren(...r.data.results.map((s) => el("li", {},
      el("h3", {}, el("a", { href: `/sessions/${s.id}`, text: s.title })),
      el("p", { class: "muted", text: [s.game, s.platform, when(s.starts_at)].filter(Boolean).join(" · ") }),
      el("p", { class: "muted", text: ngettext("%(count)s of %(max)s place taken", "%(count)s of %(max)s places taken",
        s.attendee_count, { count: number(s.attendee_count), max: number(s.max_attendees) }) }))));
  }

  async function loadEvents() {
    const list = GC.$("events");
    GC.state(list, "loading");
    const params = { ordering: "starts_at", starts_after: new Date().toISOString(), page_size: 6 };
    const r = await api(`events/${GC.qs(params)}`, { auth: false });
    if (!r.ok) { GC.state(list, "error", GC.message(r.data), loadEvents); return; }
    if (!r.data.results.length) { GC.state(list, "empty", gettext("No upcoming event yet. Come back soon.")); return; }
    list.replaceChildren(...r.data.results.map((ev) => el("li", {},
      el("h3", {}, el("a", { href: `/events/${ev.id}`, text: ev.title })),
      el("p", { class: "muted", text: [ev.city, when(ev.starts_at)].filter(Boolean).join(" · ") }),
      el("p", { class: "muted", text: Number(ev.ticket_price) > 0 ? GC.money(ev.ticket_price) : gettext("Free") }))));
  }

  loadSessions();
  loadEvents();
});
