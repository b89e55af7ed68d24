/* /me/coins: my balance and every change to it (GET /api/v1/me/coins), newest first. */
"use strict";
// The ledger's reasons in words; a reason the page does not know shows the server's label.
const REASONS = {
  signup: () => GC.gettext("Starting coins"),
  attempt: () => GC.gettext("Trivia attempt"),
  prize: () => GC.gettext("Trivia prize"),
  adjustment: () => GC.gettext("Adjustment"),
};

GC.ready.then(async () => {
  const $ = GC.$;
  const state = $("coins-state"), wrap = $("coins-wrap"), rows = $("coins"), pager = $("coins-pager");
  const user = await GC.requireLogin();
  if (!user) return;
  $("balance").textContent = GC.ngettext("%(count)s coin", "%(count)s coins", user.coins, { count: GC.number(user.coins) });
  $("balance-line").hidden = false;

  function row(t) {
    const change = `${t.amount > 0 ? "+" : ""}${GC.number(t.amount)}`;
    return GC.el("tr", {},
      GC.el("td", {}, GC.el("time", { datetime: t.created_at, text: GC.when(t.created_at) })),
      GC.el("td", { class: `diff ${t.amount >= 0 ? "plus" : "minus"}` }, GC.el("bdi", { text: change })),
      GC.el("td", { text: REASONS[t.reason] ? REASONS[t.reason]() : t.reason_label }),
      GC.el("td", { text: GC.number(t.balance_after) }));
  }

  async function load(page = 1) {
    GC.state(state, "loading");
    const r = await GC.api(`me/coins${GC.qs({ page })}`);
    if (!r.ok) {
      wrap.hidden = true; pager.hidden = true;
      GC.state(state, "error", GC.message(r.data), () => load(page));
      return;
    }
    if (!r.data.results.length) {
      wrap.hidden = true;
      GC.state(state, "empty", GC.gettext("No coin changes yet."));
    } else {
      state.replaceChildren();
      rows.replaceChildren(...r.data.results.map(row));
      wrap.hidden = false;
    }
    GC.pager(pager, r.data, load);
  }
  load();
});
