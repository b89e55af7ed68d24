/* /events/new: any signed-in gamer organizes an event (POST /events/); then its page. */
"use strict";
GC.ready.then(async () => {
  const form = GC.$("event-form");
  if (!(await GC.requireLogin())) return;
  form.hidden = false;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    GC.busy(form.querySelector("button[type=submit]"), async () => {
      GC.clearErrors(form);
      const f = form.elements;
      const body = {
        title: f.title.value.trim(), description: f.description.value, starts_at: GC.fromLocalInput(f.starts_at.value) || null,
        location: f.location.value.trim(), city: f.city.value.trim(), category: f.category.value, image_url: f.image_url.value.trim(),
        tickets_total: f.tickets_total.value === "" ? null : f.tickets_total.value, ticket_price: f.ticket_price.value === "" ? null : f.ticket_price.value,
      };
      const r = await GC.api("events/", { method: "POST", body });
      if (r.status === 201) { location.assign(`/events/${r.data.id}`); return; }
      GC.showErrors(form, r.data);
    });
  });
});
