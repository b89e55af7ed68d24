/* What the session pages share: platform names in words, whether a session has started,
   the organizer/role checks that decide which buttons a reader sees. */
"use strict";
window.GCS = (() => {
  const PLATFORMS = {
    pc: () => GC.gettext("PC"),
    playstation: () => GC.gettext("PlayStation"),
    xbox: () => GC.gettext("Xbox"),
    switch: () => GC.gettext("Nintendo Switch"),
    mobile: () => GC.gettext("Mobile"),
    other: () => GC.gettext("Other platform"),
  };
  const platform = (code) => (PLATFORMS[code] ? PLATFORMS[code]() : code);
  const started = (s) => new Date(s.starts_at).getTime() <= Date.now();
  const isOrganizer = (s, user) => Boolean(user && s.organizer && s.organizer.id === user.id);
  const isAdmin = (user) => Boolean(user && user.role === "admin");
  const isStaff = (user) => Boolean(user && (user.role === "admin" || user.role === "moderator"));
  /** Tags for a session: started, full, switched off. */
  function tags(s) {
    const out = [];
    if (started(s)) out.push(GC.el("span", { class: "tag", text: GC.gettext("Started") }));
    else if (s.is_full) out.push(GC.el("span", { class: "tag warn", text: GC.gettext("Full") }));
    if (!s.is_available) out.push(GC.el("span", { class: "tag warn", text: GC.gettext("Closed by the organizer") }));
    if (!started(s) && !s.is_full && s.is_available) out.push(GC.el("span", { class: "tag good", text: GC.gettext("Open") }));
    return out;
  }
  /** Call `fn` when the session starts (if it starts within the next day), e.g. to re-render. */
  function atStart(s, fn) {
    const wait = new Date(s.starts_at).getTime() - Date.now();
    if (wait > 0 && wait < 86400000) return setTimeout(fn, wait + 250);
    return null;
  }
  return { platform, PLATFORMS, started, isOrganizer, isAdmin, isStaff, tags, atStart };
})();
