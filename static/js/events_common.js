/* What the event pages share: category names, prices ("Free" for 0), seats left, an event card.
   Loaded after api.js. */
"use strict";
window.GC = window.GC || {};
GC.events = (() => {
  const CATEGORIES = {
    music: () => GC.gettext("Music"),
    theatre: () => GC.gettext("Theatre"),
    festival: () => GC.gettext("Festival"),
    art: () => GC.gettext("Art"),
    cinema: () => GC.gettext("Cinema"),
    sport: () => GC.gettext("Sport"),
    esports: () => GC.gettext("Esports"),
    heritage: () => GC.gettext("Heritage"),
    other: () => GC.gettext("Other"),
  };
  const category = (value) => (CATEGORIES[value] ? CATEGORIES[value]() : value);
  const price = (amount) => (Number(amount) === 0 ? GC.gettext("Free") : GC.money(amount));
  const started = (ev) => new Date(ev.starts_at).getTime() <= Date.now();

  /** "12 seats left" / "Sold out" / "Started", as a tag. */
  function seatsTag(ev) {
    if (started(ev)) return GC.el("span", { class: "tag", text: GC.gettext("Started") });
    if (ev.tickets_available <= 0) return GC.el("span", { class: "tag warn", text: GC.gettext("Sold out") });
    return GC.el("span", { class: "tag good", text: GC.ngettext("%(count)s seat left", "%(count)s seats left",
      ev.tickets_available, { count: GC.number(ev.tickets_available) }) });
  }

  /** A list item for an event: title link, date, city, category, price, seats. */
  function card(ev) {
    return GC.el("li", { class: "event-card" },
      GC.el("h3", {}, GC.el("a", { href: `/events/${ev.id}`, text: ev.title })),
      GC.el("p", {}, GC.el("time", { datetime: ev.starts_at, text: GC.when(ev.starts_at) })),
      GC.el("p", { class: "muted" }, [ev.city, category(ev.category)].filter(Boolean).join(" · ")),
      GC.el("p", { class: "event-meta" }, GC.el("strong", { class: "price", text: price(ev.ticket_price) }), " ", seatsTag(ev)));
  }

  return { category, price, started, seatsTag, card };
})();
