"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const $ = (id) => document.getElementById(id);
  const id = $("event").dataset.id;
  const me = await GC.me();

  function render(ev) {
    $("title").textContent = ev.title;
    $("category").textContent = ev.category;
    $("location").textContent = ev.location;
    $("city").textContent = ev.city;
    $("starts").textContent = GC.when(ev.starts_at);
    $("starts").setAttribute("datetime", ev.starts_at);
    $("description").textContent = ev.description;
    $("available").textContent = ev.tickets_available;
    $("total").textContent = ev.tickets_total;
    $("price").textContent = ev.ticket_price;
    if (ev.image_url) { $("image").src = ev.image_url; $("image").alt = ev.title; $("image").hidden = false; }
    $("bookmark").setAttribute("aria-pressed", String(Boolean(ev.bookmarked_by_me)));
    $("bookmark").textContent = ev.bookmarked_by_me ? "Remove bookmark" : "Bookmark";
  }
  async function load() {
    const r = await GC.api(`events/${id}/`, { auth: Boolean(me) });
    if (r.ok) render(r.data); else $("status").textContent = GC.firstError(r.data);
  }
  $("buy-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!me) { location.assign(`/login?next=/events/${id}`); return; }
    const r = await GC.api(`events/${id}/tickets`, { method: "POST", body: { quantity: Number($("quantity").value) } });
    $("status").textContent = r.status === 201
      ? `Bought ${r.data.quantity} ticket(s) for ${r.data.total_price} TND. Your code: ${r.data.code}` : GC.firstError(r.data);
    await load();
  });
  $("bookmark").addEventListener("click", async () => {
    if (!me) { location.assign(`/login?next=/events/${id}`); return; }
    const on = $("bookmark").getAttribute("aria-pressed") === "true";
    const r = await GC.api(`events/${id}/bookmark`, { method: on ? "DELETE" : "POST" });
    $("status").textContent = r.ok ? (on ? "Bookmark removed." : "Bookmarked.") : GC.firstError(r.data);
    await load();
  });
  load();
});
