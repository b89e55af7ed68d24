/* /events/{id}/checkin: the organizer (or an admin) checks people in by typing a ticket's code or
   scanning its QR code (which holds that same signed code) where the browser has BarcodeDetector
   and a camera; the attendee list refreshes after each check-in. Others see a sentence. */
"use strict";
GC.ready.then(async () => {
  const $ = GC.$;
  const id = $("checkin-title").dataset.id;
  const gate = $("gate"), form = $("checkin-form"), result = $("result");
  let attendeesPage = 1;

  function refuse(text, link) {
    GC.state(gate, "empty", text);
    if (link) gate.append(GC.el("p", {}, link));
  }

  async function loadEvent() {
    const r = await GC.api(`events/${id}`, { auth: false });
    if (r.status === 404) {
      $("checkin-title").textContent = GC.gettext("This event doesn't exist");
      refuse(GC.gettext("It may have been removed, or the link is wrong."), GC.el("a", { href: "/events", text: GC.gettext("Browse all events") }));
      return false;
    }
    if (!r.ok) { GC.state(gate, "error", GC.message(r.data), start); return false; }
    $("checkin-title").textContent = GC.gettext("Check-in: %(title)s", { title: r.data.title });
    document.title = `${$("checkin-title").textContent} · GameConnect`;
    $("event-link").textContent = r.data.title;
    $("event-link").href = `/events/${id}`;
    $("event-starts").textContent = GC.when(r.data.starts_at);
    $("event-starts").setAttribute("datetime", r.data.starts_at);
    $("event-line").hidden = false;
    return true;
  }

  /** The attendee list; its answer also says whether this reader may check people in. */
  async function loadAttendees(page = attendeesPage) {
    const r = await GC.api(`events/${id}/attendees${GC.qs({ page, page_size: 50 })}`);
    if (r.status === 404 && page > 1) return loadAttendees(1);
    if (!r.ok) return r;
    attendeesPage = page;
    const rows = r.data.results;
    const seats = rows.reduce((n, a) => n + a.quantity, 0), inside = rows.reduce((n, a) => n + a.checked_in, 0);
    $("attendee-summary").textContent = r.data.pages > 1
      ? GC.ngettext("%(count)s order.", "%(count)s orders.", r.data.count, { count: GC.number(r.data.count) })
      : GC.gettext("%(inside)s of %(seats)s seats checked in.", { inside: GC.number(inside), seats: GC.number(seats) });
    if (!rows.length) {
      $("attendees-table").hidden = true;
      GC.state($("attendees-state"), "empty", GC.gettext("No tickets sold yet."));
    } else {
      $("attendees-state").replaceChildren();
      $("attendees").replaceChildren(...rows.map((a) => GC.el("tr", {},
        GC.el("td", {}, a.holder ? GC.gamerLink(a.holder.id, a.holder.username) : GC.gettext("Deleted account")),
        GC.el("td", { text: GC.number(a.quantity) }),
        GC.el("td", {}, GC.el("span", { class: a.checked_in >= a.quantity ? "tag good" : a.checked_in ? "tag warn" : "tag",
          text: GC.gettext("%(inside)s of %(seats)s", { inside: GC.number(a.checked_in), seats: GC.number(a.quantity) }) })))));
      $("attendees-table").hidden = false;
    }
    GC.pager($("attendees-pager"), r.data, loadAttendees);
    return r;
  }

  function showResult(kind, title, lines) {
    result.replaceChildren(GC.el("div", { class: `checkin-result-box ${kind}` },
      GC.el("p", { class: "checkin-headline", text: title }), ...lines.map((l) => GC.el("p", { text: l }))));
  }

  async function checkIn(code) {
    GC.clearErrors(form);
    result.replaceChildren();
    const r = await GC.api(`events/${id}/checkin`, { method: "POST", body: { code } });
    const d = r.data || {};
    if (r.ok) {
      const holder = d.holder ? d.holder.username : GC.gettext("a deleted account");
      showResult("good", GC.gettext("Welcome in: checked in."), [
        GC.gettext("Holder: %(holder)s", { holder }),
        GC.gettext("Seat %(seat)s of %(seats)s in order %(order)s", { seat: GC.number(d.ticket.seat), seats: GC.number(d.ticket.order_quantity), order: d.ticket.order_id }),
      ]);
      form.reset();
      loadAttendees();
    } else if (d.code === "already_checked_in") {
      showResult("warn", GC.gettext("Already checked in at %(time)s.", { time: GC.when(d.checked_in_at) }), [GC.gettext("Don't let this ticket in twice.")]);
    } else if (d.code === "unknown_ticket") {
      showResult("bad", GC.gettext("Unknown ticket."), [GC.gettext("No ticket with this code for this event. Check the code and try again.")]);
    } else if (d.code === "ticket_cancelled") {
      showResult("bad", GC.gettext("This ticket was cancelled."), [GC.gettext("It can't be used to get in.")]);
    } else {
      GC.showErrors(form, r.data);
    }
    return r;
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const code = form.elements.code.value.trim();
    if (!code) { GC.showErrors(form, { code: [GC.gettext("Type a ticket code.")] }); return; }
    GC.busy(form.querySelector("button[type=submit]"), () => checkIn(code)).then(() => {
      if (!form.querySelector("[aria-invalid]")) form.elements.code.select();  // ready for the next code
    });
  });

  // --- scanning: only where the browser has BarcodeDetector (QR codes) and a camera -------------
  let stream = null, timer = null, lastCode = "", lastAt = 0;

  async function canScan() {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return false;
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (!formats.includes("qr_code")) return false;
      const devices = await navigator.mediaDevices.enumerateDevices();
      return devices.some((d) => d.kind === "videoinput");
    } catch (e) {
      return false;
    }
  }

  function stopScan() {
    clearInterval(timer); timer = null;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    $("video").srcObject = null;
    $("scanner").hidden = true;
    $("scan").hidden = false;
  }

  async function startScan() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      GC.showErrors(form, { detail: GC.gettext("The camera couldn't be opened. Allow the camera, or type the code.") });
      return;
    }
    const video = $("video");
    video.srcObject = stream;
    $("scanner").hidden = false;
    $("scan").hidden = true;
    await video.play().catch(() => {});
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    let busy = false;
    timer = setInterval(async () => {
      if (busy || video.readyState < 2) return;
      busy = true;
      try {
        const found = await detector.detect(video);
        const code = found.length ? String(found[0].rawValue || "").trim() : "";
        // The same code stays in view for a while: check it in once, not at every frame.
        if (code && (code !== lastCode || Date.now() - lastAt > 5000)) {
          lastCode = code; lastAt = Date.now();
          form.elements.code.value = code;
          await checkIn(code);
        }
      } catch (e) {
        // A frame the detector can't read: try the next one.
      } finally {
        busy = false;
      }
    }, 400);
  }

  $("scan").addEventListener("click", startScan);
  $("stop-scan").addEventListener("click", () => { stopScan(); $("scan").focus(); });
  window.addEventListener("pagehide", stopScan);

  async function start() {
    const me = await GC.me();
    GC.state(gate, "loading");
    if (!(await loadEvent())) return;
    if (!me) {
      refuse(GC.gettext("Only the event's organizer can check people in."),
        GC.el("a", { href: `/login?next=${encodeURIComponent(location.pathname)}`, text: GC.gettext("Sign in") }));
      return;
    }
    const r = await loadAttendees(1);
    if (r.status === 403) { refuse(GC.gettext("Only the event's organizer or an admin can check people in.")); return; }
    if (!r.ok) { GC.state(gate, "error", GC.message(r.data), start); return; }
    gate.replaceChildren();
    $("door").hidden = false;
    $("scan").hidden = !(await canScan());
  }
  start();
});
