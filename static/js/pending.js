/* /leaderboards/pending: pending self-reported scores the signed-in user may confirm
   (moderators and admins: all; organizers: their attendees'), with Confirm, and Void for
   moderators (GET /leaderboard/scores/pending, POST .../{id}/confirm, DELETE /leaderboard/scores/{id}). */
"use strict";
GC.ready.then(async () => {
  const { el, gettext, number } = GC;
  const $ = GC.$;
  const me = await GC.me();
  if (!me) { $("signin-hint").hidden = false; return; }
  $("pending-section").hidden = false;
  const moderator = me.role === "moderator" || me.role === "admin";
  const games = {};
  const catalog = await GC.api("leaderboard/games", { auth: false });
  if (catalog.ok) for (const g of catalog.data) games[g.slug] = g.label;
  let current = 1;

  const say = (text, ok) => { $("pending-status").textContent = text; $("pending-status").className = ok ? "ok" : "error"; };

  async function confirmScore(row, button) {
    const r = await GC.busy(button, () => GC.api(`leaderboard/scores/${row.id}/confirm`, { method: "POST" }));
    if (r.ok) say(gettext("Confirmed: %(player)s's %(score)s on %(game)s now ranks.", { player: row.player, score: number(row.score), game: games[row.game] || row.game }), true);
    else if (r.status === 409) say(gettext("This score is no longer pending: someone else confirmed or voided it."), false);
    else if (r.status === 404) say(gettext("This score no longer exists."), false);
    else { say(GC.message(r.data), false); return; }
    load(current);
  }

  async function voidScore(row, button) {
    const sure = window.confirm(gettext("Void %(player)s's %(score)s on %(game)s? It is removed for good.", { player: row.player, score: number(row.score), game: games[row.game] || row.game }));
    if (!sure) return;
    const r = await GC.busy(button, () => GC.api(`leaderboard/scores/${row.id}`, { method: "DELETE" }));
    if (r.ok) say(gettext("Voided: %(player)s's %(score)s on %(game)s.", { player: row.player, score: number(row.score), game: games[row.game] || row.game }), true);
    else if (r.status === 404) say(gettext("This score no longer exists."), false);
    else { say(GC.message(r.data), false); return; }
    load(current);
  }

  async function load(page = 1) {
    current = page;
    const wrap = $("pending-wrap");
    GC.state(wrap, "loading");
    const r = await GC.api(`leaderboard/scores/pending${GC.qs({ page })}`);
    if (r.status === 404 && page > 1) { load(page - 1); return; }
    if (!r.ok) { GC.state(wrap, "error", GC.message(r.data), () => load(page)); $("pending-pager").hidden = true; return; }
    GC.pager($("pending-pager"), r.data, load);
    if (!r.data.results.length) {
      GC.state(wrap, "empty", moderator
        ? gettext("No score is waiting for confirmation.")
        : gettext("No score is waiting for you. Organizers confirm the scores of the players who attended their started sessions; moderators confirm any."));
      return;
    }
    const head = [gettext("Player"), gettext("Game"), gettext("Score"), gettext("Posted"), gettext("Your sessions"), gettext("Actions")];
    wrap.replaceChildren(el("table", { class: "table stacked" },
      el("caption", { class: "sr-only", text: gettext("Pending scores") }),
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...r.data.results.map((row) => {
        const confirmButton = el("button", { type: "button", text: gettext("Confirm"),
          "aria-label": gettext("Confirm %(player)s's %(score)s", { player: row.player, score: number(row.score) }) });
        confirmButton.addEventListener("click", () => confirmScore(row, confirmButton));
        const actions = el("td", { class: "actions" }, confirmButton);
        if (moderator) {
          const voidButton = el("button", { type: "button", class: "danger", text: gettext("Void"),
            "aria-label": gettext("Void %(player)s's %(score)s", { player: row.player, score: number(row.score) }) });
          voidButton.addEventListener("click", () => voidScore(row, voidButton));
          actions.append(voidButton);
        }
        const sessions = row.sessions.length
          ? el("td", {}, ...row.sessions.flatMap((id, i) => [i ? ", " : null, el("a", { href: `/sessions/${id}`, text: gettext("#%(id)s", { id }) })]).filter(Boolean))
          : el("td", { class: "muted", text: "—" });
        const cells = [el("td", {}, GC.gamerLink(row.user_id, row.player)), el("td", { text: games[row.game] || row.game }),
          el("td", { text: number(row.score) }), el("td", { text: GC.when(row.achieved_at) }), sessions, actions];
        cells.forEach((cell, i) => cell.setAttribute("data-label", head[i]));  // the column's name on phones (play.css)
        return el("tr", {}, ...cells);
      }))));
  }
  load();
});
