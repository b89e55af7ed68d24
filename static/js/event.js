/* /events/{id}: the event, buying tickets, the waiting list when sold out, bookmarking, and the
   organizer's way to the check-in page. Readable signed out; actions appear only when usable. */
"use strict";
GC.ready.then(async () => {
  const $ = GC.$;
  const id = $("title").dataset.id;
  const here = `/events/${id}`;
  const stateNode = $("event-state"), buyForm = $("buy-form"), waitForm = $("wait-form");
  const me = await GC.me();
  let current = null;

  /** Only images our Content-Security-Policy lets the page load (img-src 'self' data:). */
  function loadableImage(url) {
    if (!url) return false;
    if (url.startsWith("data:image/")) return true;
    try { return new URL(url, location.href).origin === location.origin; } catch (e) { return false; }
  }

  function notFound() {
    $("title").textContent = GC.gettext("This event doesn't exist");
    document.title = `${GC.gettext("Event not found")} · GameConnect`;
    GC.state(stateNode, "empty", GC.gettext("It may have been removed, or the link is wrong."));
    stateNode.append(GC.el("p", {}, GC.el("a", { href: "/events", text: GC.gettext("Browse all events") })));
  }

  function render(ev) {
    current = ev;
    $("title").textContent = ev.title;
    document.title = `${ev.title} · GameConnect`;
    $("starts").textContent = GC.when(ev.starts_at);
    $("starts").setAttribute("datetime", ev.starts_at);
    $("where").textContent = [ev.location, ev.city].filter(Boolean).join(", ");
    $("category").textContent = GC.events.category(ev.category);
    $("price").textContent = GC.events.price(ev.ticket_price);
    $("seats").replaceChildren(
      GC.events.seatsTag(ev), " ",
      GC.el("span", { class: "muted", text: GC.gettext("%(left)s of %(total)s left", { left: GC.number(ev.tickets_available), total: GC.number(ev.tickets_total) }) }));
    $("organizer").replaceChildren(ev.organizer ? GC.gamerLink(ev.organizer.id, ev.organizer.username) : GC.gettext("Unknown"));
    $("description").textContent = ev.description;
    $("description").hidden = !ev.description;
    const image = $("image");
    if (loadableImage(ev.image_url)) { image.src = ev.image_url; image.alt = ev.title; image.hidden = false; }
    else image.hidden = true;

    const started = GC.events.started(ev);
    const soldOut = ev.tickets_available <= 0;
    $("signin-hint").hidden = Boolean(me);
    $("signin-link").href = `/login?next=${encodeURIComponent(here)}`;
    $("closed").hidden = !started;
    $("buy-section").hidden = !me || started || soldOut;
    $("wait-section").hidden = !me || started || !soldOut;
    $("quantity").max = String(Math.max(1, Math.min(10, ev.tickets_available)));
    const bookmark = $("bookmark");
    bookmark.hidden = !me;
    bookmark.dataset.on = ev.bookmarked_by_me ? "true" : "false";
    bookmark.textContent = ev.bookmarked_by_me ? GC.gettext("Remove bookmark") : GC.gettext("Bookmark");
    const organizes = Boolean(me && ((ev.organizer && ev.organizer.id === me.id) || me.role === "admin"));
    $("checkin-link").hidden = !organizes;
    $("checkin-link").href = `${here}/checkin`;
    $("event").hidden = false;
    stateNode.replaceChildren();
  }

  async function load() {
    if (!current) GC.state(stateNode, "loading");
    const r = await GC.api(`events/${id}`, { auth: Boolean(me) });
    if (r.status === 404) { $("event").hidden = true; notFound(); return; }
    if (!r.ok) { GC.state(stateNode, "error", GC.message(r.data), load); return; }
    render(r.data);
  }

  buyForm.addEventListener("submit", (e) => {
    e.preventDefault();
    GC.busy(buyForm.querySelector("button[type=submit]"), async () => {
      GC.clearErrors(buyForm);
      const quantity = Number(buyForm.elements.quantity.value);
      const r = await GC.api(`events/${id}/tickets`, { method: "POST", body: { quantity: buyForm.elements.quantity.value === "" ? null : quantity } });
      if (r.status === 201) {
        $("bought-summary").textContent = GC.ngettext("You bought %(count)s ticket for %(total)s.", "You bought %(count)s tickets for %(total)s.",
          r.data.quantity, { count: GC.number(r.data.quantity), total: GC.money(r.data.total_price) });
        $("bought-codes").replaceChildren(...r.data.tickets.map((t) =>
          GC.el("li", {}, GC.el("span", { text: GC.gettext("Ticket code") }), " ", GC.el("code", { class: "code", text: t.code }))));
        $("bought").hidden = false;
        buyForm.reset();
        await load();
        $("bought").focus();
        return;
      }
      let sentence = null;
      if (r.data && r.data.code === "sold_out") {
        sentence = r.data.available > 0
          ? GC.ngettext("Only %(count)s ticket is left: buy fewer.", "Only %(count)s tickets are left: buy fewer.", r.data.available, { count: GC.number(r.data.available) })
          : GC.gettext("Sold out: no tickets are left. You can join the waiting list.");
      } else if (r.data && r.data.code === "event_started") {
        sentence = GC.gettext("This event has started: tickets are no longer sold.");
      } else if (r.status === 401) {
        sentence = GC.gettext("Please sign in again to buy tickets.");
      }
      GC.showErrors(buyForm, sentence ? { detail: sentence } : r.data);
      if (r.status === 409) await load();
    });
  });

  waitForm.addEventListener("submit", (e) => {
    e.preventDefault();
    GC.busy(waitForm.querySelector("button[type=submit]"), async () => {
      GC.clearErrors(waitForm);
      $("wait-status").textContent = "";
      const value = waitForm.elements.quantity.value;
      const r = await GC.api(`events/${id}/waitlist`, { method: "POST", body: { quantity: value === "" ? null : Number(value) } });
      if (r.status === 202) {
        $("wait-status").textContent = GC.gettext("You are on the waiting list, number %(position)s.", { position: GC.number(r.data.position) });
        $("wait-leave").hidden = false;
        return;
      }
      const d = r.data || {};
      let sentence = null;
      if (d.code === "already_waiting" && d.status === "offered") {
        // Held seats aren't "available" to others, but their holder buys them with the usual form.
        sentence = GC.gettext("Seats are held for you until %(time)s: buy them now.", { time: GC.when(d.expires_at) });
        $("buy-section").hidden = false;
        $("wait-leave").hidden = false;
      } else if (d.code === "already_waiting") {
        sentence = GC.gettext("You are already on the waiting list, number %(position)s.", { position: GC.number(d.position) });
        $("wait-leave").hidden = false;
      } else if (d.code === "tickets_available") {
        sentence = GC.gettext("Tickets are on sale again: you can buy them now.");
      } else if (d.code === "event_started") {
        sentence = GC.gettext("This event has started: tickets are no longer sold.");
      }
      GC.showErrors(waitForm, sentence ? { detail: sentence } : r.data);
      if (r.status === 409) await load();
    });
  });

  $("wait-leave").addEventListener("click", (e) => {
    GC.busy(e.currentTarget, async () => {
      GC.clearErrors(waitForm);
      const r = await GC.api(`events/${id}/waitlist`, { method: "DELETE" });
      if (!r.ok) { GC.showErrors(waitForm, r.data); return; }
      $("wait-status").textContent = GC.gettext("You left the waiting list.");
      $("wait-leave").hidden = true;
      await load();
    });
  });

  $("bookmark").addEventListener("click", (e) => {
    GC.busy(e.currentTarget, async () => {
      const on = $("bookmark").dataset.on === "true";
      const r = await GC.api(`events/${id}/bookmark`, { method: on ? "DELETE" : "POST" });
      $("status").textContent = r.ok ? (on ? GC.gettext("Bookmark removed.") : GC.gettext("Bookmarked.")) : GC.message(r.data);
      if (r.ok) await load();
    });
  });

  load();
});
