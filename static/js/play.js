/* /play: the live trivia client over /ws/trivia/ (SPEC §5 frames): the round, its countdown,
   the attempts feed, reactions, the players with a podium of the top three by coins, and each
   round's result (who won and how many coins, or the revealed answer). */
"use strict";
GC.ready.then(async () => {
  const { el, gettext, number } = GC;
  const $ = GC.$;
  const me = await GC.me();
  if (!me) { $("signin-prompt").hidden = false; return; }
  $("game").hidden = false;

  const state = { socket: null, backoff: 1000, splitEndsAt: null, gameState: 0, free: null, baseFree: 0, coins: me.coins, value: null, stop: false };

  function setConnection(text, up) {
    const node = $("connection");
    node.textContent = text;
    node.classList.toggle("up", up === true);
    node.classList.toggle("down", up === false);
  }
  function notice(text) { $("notice").textContent = text; }
  function setPlayable(on) { $("attempt").disabled = !on; $("attempt-send").disabled = !on; }
  function setCoins(coins) { state.coins = coins; $("my-coins").textContent = number(coins); GC.setCoins(coins); }
  function setFree(n) { state.free = n; $("free-attempts").textContent = n === null || n === undefined ? "—" : number(n); }
  function setValue(v) { state.value = v; $("value").textContent = v === null || v === undefined ? "—" : number(v); }
  const waiting = () => gettext("Waiting for the next round…");

  // The round's result stays on screen through the next round, as "Last round: …".
  let lastResult = null;
  function showResult(text, kind) {
    lastResult = { text, kind };
    const node = $("result");
    node.replaceChildren(el("strong", { text }));
    node.className = `result ${kind || ""}`;
    node.hidden = false;
  }
  function clearResult() {
    const node = $("result");
    if (!lastResult) { node.hidden = true; node.replaceChildren(); return; }
    node.replaceChildren(el("span", { text: gettext("Last round: %(result)s", { result: lastResult.text }) }));
    node.className = `result previous ${lastResult.kind || ""}`;
  }

  function showRound(d) {
    // ROUND and WELCOME carry the clue and category; SPLIT carries only what changed.
    if ("category" in d) $("category").textContent = d.category || "—";
    if ("clue" in d) $("clue").textContent = d.clue || waiting();
    if (d.answer !== undefined && d.answer !== null) $("answer").textContent = d.answer;
    if (d.currentValue !== undefined && d.currentValue !== null) setValue(d.currentValue);
    state.splitEndsAt = d.splitEndsAt ? new Date(d.splitEndsAt) : null;
  }

  function addAttempt(a) {
    const mine = a.userId === me.id;
    const name = mine ? gettext("%(name)s (you)", { name: a.username }) : a.username;
    const item = el("li", { class: a.correct ? "correct" : "" }, el("strong", { text: `${name}: ` }), a.message);
    if (a.correct) item.append(el("span", { text: " ✔", "aria-label": gettext("right answer") }));
    const feed = $("feed");
    feed.querySelectorAll(".state-item").forEach((n) => n.remove());
    feed.prepend(item);
  }
  function emptyFeed() { GC.state($("feed"), "empty", gettext("No attempt yet this round.")); }

  function transition(answer) {
    state.gameState = 2;
    state.splitEndsAt = null;
    if (answer) $("answer").textContent = answer;
    $("countdown-label").textContent = gettext("Next round soon");
    $("countdown").textContent = "…";
    setPlayable(false);
  }

  function renderPlayers(players) {
    const podium = players.slice(0, 3);
    $("podium").replaceChildren(...podium.map((p, i) => el("li", { class: `place-${i + 1}${p.id === me.id ? " me" : ""}` },
      el("span", { class: "place", text: gettext("#%(rank)s", { rank: number(i + 1) }) }),
      el("span", { class: "who" }, GC.gamerLink(p.id, p.username)),
      el("span", { class: "coins", text: GC.ngettext("%(count)s coin", "%(count)s coins", p.coins, { count: number(p.coins) }) }))));
    if (!podium.length) GC.state($("podium"), "empty", gettext("Nobody is playing yet."));
    $("players").replaceChildren(...players.map((p) => el("li", { class: p.id === me.id ? "me" : "" },
      GC.gamerLink(p.id, p.id === me.id ? gettext("%(name)s (you)", { name: p.username }) : p.username),
      ` — ${GC.ngettext("%(count)s coin", "%(count)s coins", p.coins, { count: number(p.coins) })}`)));
    $("player-count").textContent = `(${number(players.length)})`;
  }

  const handlers = {
    authenticated() { state.backoff = 1000; setConnection(gettext("Connected"), true); },
    unauthorized(d) { setConnection(d.message || gettext("Please sign in again."), false); },
    WELCOME(d) {
      state.gameState = d.gameState;
      setCoins(d.userCoins);
      state.baseFree = Math.max(state.baseFree, d.freeAttemptsLeft || 0);
      setFree(d.freeAttemptsLeft);
      emptyFeed();
      (d.attempts || []).slice().forEach(addAttempt);
      $("player-count").textContent = `(${number(d.players)})`;
      requestPlayers();
      if (d.gameState === 0 || d.gameState === null) { $("clue").textContent = waiting(); setPlayable(false); return; }
      showRound(d);
      if (d.gameState === 1) { $("countdown-label").textContent = gettext("Next letter in"); setPlayable(true); clearResult(); }
      else {
        transition(d.answer);
        const winner = (d.attempts || []).find((a) => a.correct);
        if (winner) showResult(gettext("%(name)s found it.", { name: winner.username }), "won");
        else showResult(gettext("Nobody found it. The answer was %(answer)s.", { answer: d.answer || "" }), "revealed");
      }
      $("report").disabled = Boolean(d.entryReported);
    },
    ROUND(d) {
      state.gameState = 1;
      emptyFeed();
      clearResult();
      showRound(d);
      $("countdown-label").textContent = gettext("Next letter in");
      setFree(state.baseFree);
      setPlayable(true);
      $("report").disabled = false;
      notice("");
      requestPlayers(); // coins changed last round
    },
    SPLIT(d) { showRound(d); },
    REVEAL(d) {
      transition(d.answer);
      showResult(gettext("Nobody found it. The answer was %(answer)s.", { answer: d.answer }), "revealed");
    },
    PEER_ATTEMPT(d) {
      addAttempt(d);
      if (d.userId === me.id && state.free > 0) setFree(state.free - 1);
      if (d.correct) {
        transition(d.correctAnswer);
        const prize = state.value;
        const text = d.userId === me.id
          ? GC.ngettext("You won %(count)s coin! The answer was %(answer)s.", "You won %(count)s coins! The answer was %(answer)s.", prize, { count: number(prize), answer: d.correctAnswer })
          : GC.ngettext("%(name)s won %(count)s coin. The answer was %(answer)s.", "%(name)s won %(count)s coins. The answer was %(answer)s.", prize, { name: d.username, count: number(prize), answer: d.correctAnswer });
        showResult(text, "won");
        requestPlayers();
      }
    },
    COIN_DIFF(d) {
      setCoins(state.coins + d.coinDiff);
      const diff = $("coin-diff");
      diff.textContent = d.coinDiff > 0 ? `+${number(d.coinDiff)}` : number(d.coinDiff);
      diff.className = `diff ${d.coinDiff > 0 ? "plus" : "minus"}`;
    },
    INSUFFICIENT_FUNDS() { notice(gettext("Not enough coins for another attempt this round.")); },
    PEER_REACTION(d) { notice(`${d.username} ${d.emoji}`); },
    PEER_JOIN() { requestPlayers(); },
    PEER_LEFT() { requestPlayers(); },
    PLAYER_LIST(d) { renderPlayers(d.players || []); },
    ENTRY_REPORTED_OK() { notice(gettext("Thanks, the question was reported.")); $("report").disabled = true; },
    ENTRY_REPORTED_ERROR(d) { notice(d.message || gettext("Could not report this question.")); },
    ERROR(d) { notice(d.message || gettext("Something went wrong. Please try again.")); },
  };

  // The server answers REQUEST_PLAYER_LIST at most every 2 s (burst 2): ask at most that often,
  // and once more after the pause when something changed meanwhile.
  const PLAYER_LIST_GAP = 2100;
  let lastPlayers = -Infinity, playersTimer = null;
  function requestPlayers() {
    if (playersTimer) return;
    const wait = lastPlayers + PLAYER_LIST_GAP - Date.now();
    const ask = () => { playersTimer = null; lastPlayers = Date.now(); send("REQUEST_PLAYER_LIST"); };
    if (wait <= 0) ask(); else playersTimer = setTimeout(ask, wait);
  }

  function send(event, data = {}) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify({ event, data }));
  }

  async function connect() {
    setConnection(gettext("Connecting…"));
    await GC.me(true); // refreshes an expired access token before we put it in the URL
    const socket = new WebSocket(GC.wsUrl("/ws/trivia/"));
    state.socket = socket;
    socket.addEventListener("message", (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      const handler = handlers[frame.event];
      if (handler) handler(frame.data || {});
    });
    socket.addEventListener("close", async (event) => {
      setPlayable(false);
      if (state.stop) return;
      if (event.code === 4002) { setConnection(gettext("You opened the game somewhere else. Reload to play here."), false); return; }
      if (event.code === 4004) { setConnection(gettext("Your account was changed or disabled. Reload the page to continue."), false); return; }
      if (event.code === 4005) { setConnection(gettext("Too many open tabs or windows: close some and reload this page."), false); return; }
      if (event.code === 4001 && !(await GC.refresh())) { location.assign("/login?next=/play"); return; }
      const wait = state.backoff;
      state.backoff = Math.min(state.backoff * 2, 30000);
      setConnection(GC.ngettext("Disconnected. Reconnecting in %(count)s second…", "Disconnected. Reconnecting in %(count)s seconds…",
        Math.round(wait / 1000)), false);
      setTimeout(connect, wait);
    });
  }

  $("attempt-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const message = $("attempt").value.trim();
    if (!message) return;
    send("ATTEMPT", { message });
    $("attempt").value = "";
  });
  document.querySelectorAll(".reaction").forEach((b) => b.addEventListener("click", () => send("REACTION", { emoji: b.dataset.emoji })));
  $("report").addEventListener("click", () => send("REPORT_ENTRY"));

  setInterval(() => {
    if (state.gameState !== 1 || !state.splitEndsAt) return;
    const left = Math.max(0, Math.ceil((state.splitEndsAt - Date.now()) / 1000));
    $("countdown").textContent = gettext("%(seconds)s s", { seconds: number(left) });
  }, 250);

  window.addEventListener("beforeunload", () => { state.stop = true; });
  connect();
});
