/* /me/tickets: my orders newest first with each seat's code and QR code, cancelling while it is
   allowed (with a confirmation step), and my bookmarked events. */
"use strict";
GC.ready.then(async () => {
  const $ = GC.$;
  const PAGE_SIZE = 10;
  const orders = $("orders"), status = $("tickets-status");
  const me = await GC.requireLogin();
  if (!me) return;

  const cancellable = (order) => order.status !== "cancelled"
    && !order.tickets.some((t) => t.checked_in_at)
    && Date.now() < new Date(order.cancellable_until).getTime();  // the API has the last word (409 too_late)

  /** The server's SVG markup of a QR code, parsed as SVG (never as HTML) and copied node by node
      into the SVG namespace (segno's inline markup has no xmlns, so the parsed tree isn't SVG yet):
      only drawing elements and plain attributes come across. A viewBox makes it scale. */
  const SVG_NS = "http://www.w3.org/2000/svg";
  const DRAWING = new Set(["svg", "g", "path", "rect"]);
  function copySvg(node) {
    if (node.nodeType !== Node.ELEMENT_NODE || !DRAWING.has(node.localName)) return null;
    const copy = document.createElementNS(SVG_NS, node.localName);
    for (const a of node.attributes) {
      if (!/^on/i.test(a.name) && a.name !== "style" && !/href$/i.test(a.name)) copy.setAttribute(a.name, a.value);
    }
    for (const child of node.children) { const c = copySvg(child); if (c) copy.append(c); }
    return copy;
  }
  function qrNode(markup, code) {
    const doc = new DOMParser().parseFromString(markup, "image/svg+xml");
    if (doc.getElementsByTagName("parsererror").length) return null;
    const svg = copySvg(doc.documentElement);
    if (!svg || svg.localName !== "svg") return null;
    const width = Number(svg.getAttribute("width")), height = Number(svg.getAttribute("height"));
    if (!svg.hasAttribute("viewBox") && width > 0 && height > 0) svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", GC.gettext("QR code of ticket %(code)s", { code }));
    svg.setAttribute("focusable", "false");
    return GC.el("div", { class: "qr" }, svg);
  }

  function ticketItem(t, seatCount) {
    const item = GC.el("li", { class: "ticket" });
    if (t.qr) { const qr = qrNode(t.qr, t.code); if (qr) item.append(qr); }
    const facts = GC.el("div", { class: "ticket-facts" },
      GC.el("p", {}, seatCount > 1 ? GC.gettext("Seat %(seat)s", { seat: GC.number(t.seat) }) : GC.gettext("Ticket")),
      GC.el("p", {}, GC.el("span", { class: "muted", text: GC.gettext("Code") }), " ", GC.el("code", { class: "code", text: t.code })));
    if (t.checked_in_at) facts.append(GC.el("p", { class: "tag good", text: GC.gettext("Checked in at %(time)s", { time: GC.when(t.checked_in_at) }) }));
    else if (t.status === "cancelled") facts.append(GC.el("p", { class: "tag", text: GC.gettext("Cancelled") }));
    item.append(facts);
    return item;
  }

  function orderItem(order, detail) {
    const active = order.status !== "cancelled";
    const item = GC.el("li", { class: "order" });
    const heading = GC.el("h3", {}, order.event ? GC.el("a", { href: `/events/${order.event.id}`, text: order.event.title }) : GC.gettext("Event"));
    const facts = GC.el("dl", { class: "facts" },
      GC.el("dt", { text: GC.gettext("When") }), GC.el("dd", {}, GC.el("time", { datetime: order.event.starts_at, text: GC.when(order.event.starts_at) })),
      GC.el("dt", { text: GC.gettext("Where") }), GC.el("dd", { text: [order.event.location, order.event.city].filter(Boolean).join(", ") }),
      GC.el("dt", { text: GC.gettext("Tickets") }), GC.el("dd", { text: GC.number(order.quantity) }),
      GC.el("dt", { text: GC.gettext("Total") }), GC.el("dd", { text: GC.events.price(order.total_price) }),
      GC.el("dt", { text: GC.gettext("Bought") }), GC.el("dd", {}, GC.el("time", { datetime: order.purchased_at, text: GC.when(order.purchased_at) })),
      GC.el("dt", { text: GC.gettext("Status") }), GC.el("dd", {},
        active ? GC.el("span", { class: "tag good", text: GC.gettext("Active") })
          : GC.el("span", { class: "tag", text: GC.gettext("Cancelled on %(day)s", { day: GC.day(order.cancelled_at) }) })));
    item.append(heading, facts);

    if (active) {
      const tickets = (detail || order).tickets;
      item.append(GC.el("ul", { class: "tickets", "aria-label": GC.gettext("Tickets of this order") }, ...tickets.map((t) => ticketItem(t, tickets.length))));
      if (detail === null) item.append(GC.el("p", { class: "muted", text: GC.gettext("The QR codes couldn't be loaded: show the codes at the door.") }));
    }
    if (cancellable(order)) item.append(cancelControls(order, item));
    return item;
  }

  /** "Cancel order" → a confirmation with "Yes, cancel" and "Keep my tickets". */
  function cancelControls(order, item) {
    const error = GC.el("p", { class: "error", role: "alert", hidden: true });
    const ask = GC.el("button", { type: "button", class: "secondary", text: GC.gettext("Cancel order") });
    const question = GC.el("p", { tabindex: "-1", text: GC.ngettext(
      "Cancel this order? Its %(count)s ticket goes back on sale and its code stops working.",
      "Cancel this order? Its %(count)s tickets go back on sale and their codes stop working.", order.quantity, { count: GC.number(order.quantity) }) });
    const yes = GC.el("button", { type: "button", class: "danger", text: GC.gettext("Yes, cancel the order") });
    const no = GC.el("button", { type: "button", class: "secondary", text: GC.gettext("Keep my tickets") });
    const confirm = GC.el("div", { class: "confirm panel", hidden: true }, question, GC.el("div", { class: "actions" }, yes, no));
    ask.addEventListener("click", () => { ask.hidden = true; confirm.hidden = false; question.focus(); });
    no.addEventListener("click", () => { confirm.hidden = true; ask.hidden = false; ask.focus(); });
    yes.addEventListener("click", () => GC.busy(yes, async () => {
      error.hidden = true;
      const r = await GC.api(`me/tickets/${order.id}/cancel`, { method: "POST" });
      if (r.ok) {
        item.replaceWith(orderItem(r.data, r.data));
        status.textContent = GC.gettext("Order cancelled: the tickets are back on sale.");
        return;
      }
      const d = r.data || {};
      error.textContent = d.code === "too_late"
        ? GC.gettext("It's too late to cancel: orders can be cancelled until %(deadline)s.", { deadline: GC.when(d.deadline) })
        : d.code === "already_checked_in" ? GC.gettext("A ticket of this order was already checked in: it can't be cancelled.")
          : d.code === "already_cancelled" ? GC.gettext("This order is already cancelled.") : GC.message(d);
      error.hidden = false;
      confirm.hidden = true;
      ask.hidden = d.code === "too_late" || d.code === "already_cancelled" || d.code === "already_checked_in";
      if (!ask.hidden) ask.focus(); else error.focus();
    }));
    error.setAttribute("tabindex", "-1");
    return GC.el("div", { class: "cancel" }, GC.el("div", { class: "actions" }, ask), confirm, error);
  }

  async function loadOrders(page) {
    GC.state(orders, "loading");
    const r = await GC.api(`me/tickets${GC.qs({ page, page_size: PAGE_SIZE })}`);
    if (r.status === 404 && page > 1) return loadOrders(1);
    if (!r.ok) { GC.state(orders, "error", GC.message(r.data), () => loadOrders(page)); return; }
    if (!r.data.results.length) {
      GC.state(orders, "empty", GC.gettext("You have no tickets yet."));
      orders.querySelector(".state").append(" ", GC.el("a", { href: "/events", text: GC.gettext("Find an event") }));
      GC.pager($("orders-pager"), r.data, loadOrders);
      return;
    }
    // The list has the codes; each active order's QR codes come with the order itself.
    const details = await Promise.all(r.data.results.map(async (order) => {
      if (order.status === "cancelled") return undefined;
      const d = await GC.api(`me/tickets/${order.id}`);
      return d.ok ? d.data : null;
    }));
    orders.replaceChildren(...r.data.results.map((order, i) => orderItem(order, details[i])));
    GC.pager($("orders-pager"), r.data, (p) => { loadOrders(p); $("orders-heading").scrollIntoView(); });
  }

  async function loadBookmarks(page) {
    const list = $("bookmarks");
    GC.state(list, "loading");
    const r = await GC.api(`me/bookmarks${GC.qs({ page, page_size: PAGE_SIZE })}`);
    if (r.status === 404 && page > 1) return loadBookmarks(1);
    if (!r.ok) { GC.state(list, "error", GC.message(r.data), () => loadBookmarks(page)); return; }
    if (!r.data.results.length) GC.state(list, "empty", GC.gettext("No bookmarks yet: bookmark an event to find it here."));
    else list.replaceChildren(...r.data.results.map(GC.events.card));
    GC.pager($("bookmarks-pager"), r.data, loadBookmarks);
  }

  loadOrders(1);
  loadBookmarks(1);
});
