/* /leaderboards: a live top 10 per game and period over /ws/leaderboard/ (SPEC §6), my rank and
   the players around me, my squad's board, posting a score (pending on verified games), and the
   archived seasons with their final boards. Signed-out visitors read the boards over REST. */
"use strict";
GC.ready.then(async () => {
  const { el, gettext, ngettext, number } = GC;
  const $ = GC.$;
  const params = new URLSearchParams(location.search);
  const state = { socket: null, backoff: 1000, stop: false, games: {}, seasonPage: 1 };

  const [me, games] = await Promise.all([GC.me(), GC.api("leaderboard/games", { auth: false })]);
  if (games.ok) for (const g of games.data) { state.games[g.slug] = g; $("game").append(el("option", { value: g.slug, text: g.label })); }
  if (params.get("game") && (params.get("game") === "all" || state.games[params.get("game")])) $("game").value = params.get("game");
  if (["all", "month", "week", "day"].includes(params.get("period"))) $("period").value = params.get("period");

  $("mine-section").hidden = !me;
  $("squad-section").hidden = !me;
  $("signin-hint").hidden = Boolean(me);
  // Moderators confirm every pending score; organizers their attendees' (the list tells).
  if (me) {
    const staff = me.role === "moderator" || me.role === "admin";
    if (staff) $("pending-link").hidden = false;
    else GC.api("leaderboard/scores/pending?page_size=1").then((r) => { $("pending-link").hidden = !(r.ok && r.data.count); });
  }

  const game = () => $("game").value;
  const period = () => $("period").value;
  const gameLabel = () => $("game").selectedOptions[0].text;
  const periodLabel = () => $("period").selectedOptions[0].text;

  function setConnection(text, up) {
    const node = $("connection");
    node.textContent = text;
    node.classList.toggle("up", up === true);
    node.classList.toggle("down", up === false);
  }
  function send(frame) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(frame));
  }

  const isMe = (row) => me && row.user_id === me.id;
  const playerCell = (row) => el("td", {}, row.user_id ? GC.gamerLink(row.user_id, row.player) : el("span", { class: "muted", text: gettext("a deleted account") }));
  function rowsTable(rows, { when = true, caption } = {}) {
    const head = [gettext("Rank"), gettext("Player"), gettext("Score")].concat(when ? [gettext("When")] : []);
    return el("table", { class: "board-table" },
      caption ? el("caption", { class: "sr-only", text: caption }) : null,
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...rows.map((r) => el("tr", { class: isMe(r) ? "me" : "" },
        el("td", { text: number(r.rank) }), playerCell(r), el("td", { text: number(r.score) }),
        when ? el("td", { text: GC.when(r.date) }) : null))));
  }
  function emptyRow(body, cols, text) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: String(cols), class: "muted", text })));
  }

  // --- the top 10 ---------------------------------------------------------------------------
  function renderBoard(rows) {
    const body = $("board");
    if (!rows.length) { emptyRow(body, 4, gettext("No scores on this board yet.")); return; }
    body.replaceChildren(...rows.map((r) => el("tr", { class: isMe(r) ? "me" : "" },
      el("td", { text: number(r.rank) }), playerCell(r), el("td", { text: number(r.score) }), el("td", { text: GC.when(r.date) }))));
  }
  async function loadBoardOnce() {
    emptyRow($("board"), 4, gettext("Loading…"));
    const r = await GC.api(`leaderboard/${game()}${GC.qs({ period: period(), page_size: 10 })}`, { auth: false });
    if (r.ok) renderBoard(r.data.results);
    else emptyRow($("board"), 4, GC.message(r.data));
  }

  function describeGame() {
    const g = state.games[game()];
    $("board-caption").textContent = gettext("Top 10: %(game)s, %(period)s", { game: gameLabel(), period: periodLabel() });
    let text = "";
    if (g && g.trust === "verified") text = gettext("Verified scores only: from game servers, session results, or confirmed by a moderator.");
    if (g && g.order === "asc") text = `${text} ${gettext("Lower is better.")}`.trim();
    $("game-trust").textContent = text;
    // The score form is for one game: on "All games" it asks to pick one.
    if (me) {
      $("score-form").hidden = !g;
      $("score-pick").hidden = Boolean(g);
      if (g) {
        $("score").max = g.max_score;
        $("score-hint").textContent = g.trust === "verified"
          ? gettext("%(game)s: from 0 to %(max)s. Your score waits for a moderator's confirmation before it ranks.", { game: g.label, max: number(g.max_score) })
          : gettext("%(game)s: from 0 to %(max)s.", { game: g.label, max: number(g.max_score) });
      }
    }
  }

  function changed() {
    const url = new URL(location.href);
    url.searchParams.set("game", game());
    url.searchParams.set("period", period());
    history.replaceState(null, "", url);
    $("score-status").textContent = "";
    describeGame();
    if (state.socket && state.socket.readyState === WebSocket.OPEN) subscribe(); else loadBoardOnce();
    loadSquad();
  }

  // --- live over the socket (signed in) ----------------------------------------------------------
  function subscribe() {
    emptyRow($("board"), 4, gettext("Loading…"));
    send({ action: "subscribe", game: game(), period: period(), start: 0, end: 9 });
    if (me) send({ action: "my_score", game: game(), period: period() });
  }
  function renderMine(frame) {
    if (!frame.rank) {
      $("my-rank").textContent = gettext("You have no score on this board yet.");
      $("around").replaceChildren();
      $("around-wrap").hidden = true;
      return;
    }
    $("my-rank").textContent = gettext("You are #%(rank)s with %(score)s.", { rank: number(frame.rank), score: number(frame.score) });
    send({ action: "around_me", game: game(), period: period(), radius: 3 });
  }
  function renderAround(rows) {
    $("around-wrap").hidden = !rows.length;
    $("around").replaceChildren(...rows.map((r) => el("tr", { class: isMe(r) ? "me" : "" },
      el("td", { text: number(r.rank) }), playerCell(r), el("td", { text: number(r.score) }))));
  }

  function connect() {
    if (!me) { setConnection(gettext("Showing the boards as they are now."), null); loadBoardOnce(); return; }
    setConnection(gettext("Connecting…"));
    const socket = new WebSocket(GC.wsUrl("/ws/leaderboard/"));
    state.socket = socket;
    socket.addEventListener("message", (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      const current = frame.game === game() && frame.period === period();
      if (frame.type === "authenticated" || frame.event === "authenticated") { state.backoff = 1000; setConnection(gettext("Live"), true); subscribe(); }
      else if (frame.type === "scores" && current) renderBoard(frame.result || []);
      else if (frame.type === "my_score" && current) renderMine(frame);
      else if (frame.type === "around_me" && current) renderAround(frame.result || []);
      else if (frame.type === "error") setConnection(frame.message, false);
    });
    socket.addEventListener("close", async (event) => {
      state.socket = null;
      if (state.stop) return;
      if (event.code === 4001 && !(await GC.refresh())) { setConnection(gettext("Please sign in again to watch the live boards."), false); return; }
      if (event.code === 4004) { setConnection(gettext("Your account was changed or disabled. Reload the page to continue."), false); return; }
      if (event.code === 4005) { setConnection(gettext("Too many open tabs or windows: close some and reload this page."), false); return; }
      const wait = state.backoff;
      state.backoff = Math.min(state.backoff * 2, 30000);
      setConnection(ngettext("Disconnected. Reconnecting in %(count)s second…", "Disconnected. Reconnecting in %(count)s seconds…", Math.round(wait / 1000)), false);
      setTimeout(connect, wait);
    });
  }

  // --- my squad ------------------------------------------------------------------------------
  async function loadSquad() {
    if (!me) return;
    const wrap = $("squad-wrap");
    GC.state(wrap, "loading");
    const r = await GC.api(`leaderboard/${game()}/squad${GC.qs({ period: period() })}`);
    if (!r.ok) { GC.state(wrap, "error", GC.message(r.data), loadSquad); return; }
    if (!r.data.results.length) { GC.state(wrap, "empty", gettext("Nobody in your squad has a score on this board yet. Join a session to build your squad.")); return; }
    wrap.replaceChildren(rowsTable(r.data.results, { when: false, caption: gettext("My squad") }));
  }

  // --- posting a score -------------------------------------------------------------------------
  $("score-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    GC.clearErrors(form);
    $("score-status").textContent = "";
    const g = state.games[game()];
    if (!g) return;
    const raw = $("score").value.trim();
    if (!raw) { GC.showErrors(form, { score: [gettext("Enter a score.")] }); return; }
    const button = form.querySelector("button[type=submit]");
    const r = await GC.busy(button, () => GC.api("leaderboard/scores", { method: "POST", body: { game: g.slug, score: Number(raw) } }));
    if (r.status !== 201) { GC.showErrors(form, r.data); return; }
    form.reset();
    if (r.data.status === "pending") {
      $("score-status").textContent = gettext("Saved: your %(score)s on %(game)s is pending. It ranks once a moderator or the organizer of a session you played in confirms it.",
        { score: number(r.data.score), game: g.label });
    } else if (r.data.rank) {
      $("score-status").textContent = gettext("Saved. Your best on %(game)s is %(best)s, rank #%(rank)s of all time.",
        { game: g.label, best: number(r.data.best), rank: number(r.data.rank) });
    } else {
      $("score-status").textContent = gettext("Saved. The boards will show it shortly.");
    }
    loadSquad();
  });

  // --- seasons -------------------------------------------------------------------------------
  async function loadSeasons(page = 1) {
    state.seasonPage = page;
    const list = $("seasons");
    GC.state(list, "loading");
    const r = await GC.api(`leaderboard/${game()}/seasons${GC.qs({ period: $("season-period").value, page, page_size: 6 })}`, { auth: false });
    if (!r.ok) { GC.state(list, "error", GC.message(r.data), () => loadSeasons(page)); $("seasons-pager").hidden = true; return; }
    GC.pager($("seasons-pager"), r.data, loadSeasons);
    if (!r.data.results.length) { GC.state(list, "empty", gettext("No season of this kind has ended on this board yet.")); return; }
    list.replaceChildren(...r.data.results.map((season) => {
      const title = seasonTitle(season);
      return el("li", {},
        el("h3", { text: title }),
        el("p", { class: "muted", text: ngettext("%(count)s player", "%(count)s players", season.players, { count: number(season.players) }) }),
        season.winners.length
          ? el("ol", { class: "winners" }, ...season.winners.map((w) => el("li", {},
            w.user_id ? GC.gamerLink(w.user_id, w.player) : el("span", { class: "muted", text: gettext("a deleted account") }),
            ` — ${number(w.score)}`)))
          : el("p", { class: "muted", text: gettext("No scores in this season.") }),
        season.players ? el("button", { type: "button", class: "secondary", text: gettext("See the final board"),
          on: { click: () => openSeason(season, title, 1) } }) : null);
    }));
  }
  // Seasons are UTC days, weeks and months: name their first and last days from midday UTC, so
  // the display time zone (Africa/Tunis, UTC+1) does not move them to the neighbouring date.
  const HALF_DAY = 12 * 3600 * 1000;
  function seasonTitle(season) {
    const first = GC.day(new Date(Date.parse(season.starts) + HALF_DAY).toISOString());
    const last = GC.day(new Date(Date.parse(season.ends) - HALF_DAY).toISOString());
    return season.key.startsWith("d") ? first : gettext("%(start)s to %(end)s", { start: first, end: last });
  }
  async function openSeason(season, title, page) {
    $("season-board").hidden = false;
    $("season-board-title").textContent = gettext("Final board: %(game)s, %(season)s", { game: gameLabel(), season: title });
    const wrap = $("season-board-wrap");
    GC.state(wrap, "loading");
    if (page === 1) $("season-board-title").focus();
    const r = await GC.api(`leaderboard/${game()}/seasons/${encodeURIComponent(season.key)}${GC.qs({ page, page_size: 20 })}`, { auth: false });
    if (r.status === 404) { GC.state(wrap, "error", gettext("This season was not found.")); return; }
    if (!r.ok) { GC.state(wrap, "error", GC.message(r.data), () => openSeason(season, title, page)); return; }
    GC.pager($("season-board-pager"), r.data, (p) => openSeason(season, title, p));
    if (!r.data.results.length) { GC.state(wrap, "empty", gettext("No scores in this season.")); return; }
    wrap.replaceChildren(rowsTable(r.data.results, { caption: $("season-board-title").textContent }));
  }

  $("game").addEventListener("change", () => { changed(); $("season-board").hidden = true; loadSeasons(); });
  $("period").addEventListener("change", changed);
  $("season-period").addEventListener("change", () => { $("season-board").hidden = true; loadSeasons(); });
  window.addEventListener("beforeunload", () => { state.stop = true; });

  describeGame();
  connect();
  loadSquad();
  loadSeasons();
});
