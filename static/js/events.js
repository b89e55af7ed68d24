/* /events: search, filters and ordering kept in the page's query string, paginated results. */
"use strict";
GC.ready.then(() => {
  const form = GC.$("filters"), results = GC.$("results"), count = GC.$("count"), pager = GC.$("pager");
  const FIELDS = ["search", "category", "city", "starts_after", "starts_before", "min_price", "max_price", "ordering"];
  const PAGE_SIZE = 12;

  /** The next day of a yyyy-mm-dd date, as yyyy-mm-dd ("Until" includes its whole day). */
  const nextDay = (value) => {
    const d = new Date(`${value}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  };

  function fromUrl() {
    const params = new URLSearchParams(location.search);
    for (const name of FIELDS) if (params.has(name)) form.elements[name].value = params.get(name);
    form.elements.available.checked = params.get("available") === "true";
    const page = Number(params.get("page"));
    return Number.isInteger(page) && page > 0 ? page : 1;
  }

  function values() {
    const v = {};
    for (const name of FIELDS) v[name] = form.elements[name].value.trim();
    if (v.ordering === "starts_at") v.ordering = "";  // the default stays out of the URL
    v.available = form.elements.available.checked ? "true" : "";
    return v;
  }

  /** The API query: dates are days in the display time zone; without a start date, upcoming events. */
  function apiQuery(v, page) {
    const q = { ...v, page, page_size: PAGE_SIZE, ordering: v.ordering || "starts_at" };
    q.starts_after = v.starts_after ? GC.fromLocalInput(`${v.starts_after}T00:00`) : new Date().toISOString();
    q.starts_before = v.starts_before ? GC.fromLocalInput(`${nextDay(v.starts_before)}T00:00`) : "";
    return q;
  }

  async function load(page, push) {
    const v = values();
    if (push) history.pushState(null, "", location.pathname + GC.qs({ ...v, page: page > 1 ? page : "" }));
    GC.clearErrors(form);
    count.textContent = "";
    GC.state(results, "loading");
    pager.hidden = true;
    const r = await GC.api(`events/${GC.qs(apiQuery(v, page))}`, { auth: false });
    if (r.status === 404 && page > 1) return load(1, true);  // a page past the end: back to the first
    if (r.status === 400) {
      GC.showErrors(form, r.data);
      GC.state(results, "empty", GC.gettext("Fix the search above to see events."));
      return;
    }
    if (!r.ok) { GC.state(results, "error", GC.message(r.data), () => load(page, false)); return; }
    count.textContent = GC.ngettext("%(count)s event found", "%(count)s events found", r.data.count, { count: GC.number(r.data.count) });
    if (!r.data.results.length) {
      GC.state(results, "empty", GC.gettext("No event matches. Try fewer filters or another search."));
      return;
    }
    results.replaceChildren(...r.data.results.map(GC.events.card));
    GC.pager(pager, r.data, (p) => { load(p, true); GC.$("results-heading").scrollIntoView(); });
  }

  document.addEventListener("gc:account", (e) => { GC.$("create-event").hidden = !e.detail; });
  form.addEventListener("submit", (e) => { e.preventDefault(); load(1, true); });
  form.addEventListener("reset", () => setTimeout(() => load(1, true)));  // after the fields are reset
  form.elements.ordering.addEventListener("change", () => load(1, true));
  form.elements.available.addEventListener("change", () => load(1, true));
  window.addEventListener("popstate", () => load(fromUrl(), false));
  load(fromUrl(), false);
});
