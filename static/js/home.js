"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const { api, el, when } = GC;
  const nowIso = new Date().toISOString();
  const events = await api(`events/?ordering=starts_at&starts_after=${encodeURIComponent(nowIso)}&page_size=6`, { auth: false });
  const eventList = document.getElementById("events");
  if (events.ok) {
    for (const ev of events.data.results) {
      eventList.append(el("li", {}, el("a", { href: `/events/${ev.id}`, text: ev.title }),
        el("div", { class: "muted", text: `${ev.city} · ${when(ev.starts_at)} · ${ev.ticket_price} TND` })));
    }
    if (!events.data.results.length) eventList.append(el("li", { class: "muted", text: "No upcoming events yet." }));
  }
  const user = await GC.me();
  const sessionList = document.getElementById("sessions");
  if (!user) { document.getElementById("sessions-hint").hidden = false; return; }
  const sessions = await api("sessions/?joinable=true&ordering=starts_at&page_size=6");
  if (sessions.ok) {
    for (const s of sessions.data.results) {
      sessionList.append(el("li", {}, el("a", { href: `/sessions/${s.id}`, text: s.title }),
        el("div", { class: "muted", text: `${s.game} · ${s.platform} · ${when(s.starts_at)} · ${s.attendee_count}/${s.max_attendees}` })));
    }
    if (!sessions.data.results.length) sessionList.append(el("li", { class: "muted", text: "No joinable sessions right now." }));
  }
});
