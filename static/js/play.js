/* /play: the live trivia client over /ws/trivia/ (SPEC §5 frames). */
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const { el } = GC;
  const $ = (id) => document.getElementById(id);
  const me = await GC.requireLogin();
  if (!me) return;

  const state = { socket: null, backoff: 1000, splitEndsAt: null, gameState: 0, free: null, baseFree: 0, coins: me.coins, stop: false };

  function setConnection(text, up) {
    const node = $("connection");
    node.textContent = text;
    node.classList.toggle("up", up === true);
    node.classList.toggle("down", up === false);
  }
  function notice(text) { $("notice").textContent = text; }
  function setPlayable(on) { $("attempt").disabled = !on; $("attempt-send").disabled = !on; }
  function setCoins(coins) { state.coins = coins; $("my-coins").textContent = coins; GC.setCoins(coins); }
  function setFree(n) { state.free = n; $("free-attempts").textContent = n === null || n === undefined ? "—" : n; }

  function showRound(d) {
    // ROUND and WELCOME carry the clue and category; SPLIT carries only what changed.
    if ("category" in d) $("category").textContent = d.category || "—";
    if ("clue" in d) $("clue").textContent = d.clue || "Waiting for the next round…";
    if (d.answer !== undefined && d.answer !== null) $("answer").textContent = d.answer;
    if (d.currentValue !== undefined && d.currentValue !== null) $("value").textContent = d.currentValue;
    state.splitEndsAt = d.splitEndsAt ? new Date(d.splitEndsAt) : null;
  }

  function addAttempt(a) {
    const mine = a.userId === me.id;
    const item = el("li", { class: a.correct ? "correct" : "" },
      el("strong", { text: `${a.username}${mine ? " (you)" : ""}: ` }), a.message);
    if (a.correct) item.append(el("span", { text: " ✔" }));
    $("feed").prepend(item);
  }

  function transition(answer, label) {
    state.gameState = 2;
    state.splitEndsAt = null;
    if (answer) $("answer").textContent = answer;
    $("countdown-label").textContent = label;
    $("countdown").textContent = "…";
    setPlayable(false);
  }

  const handlers = {
    authenticated() { state.backoff = 1000; setConnection("Connected", true); },
    unauthorized(d) { setConnection(d.message || "Please sign in again", false); },
    WELCOME(d) {
      state.gameState = d.gameState;
      setCoins(d.userCoins);
      state.baseFree = Math.max(state.baseFree, d.freeAttemptsLeft || 0);
      setFree(d.freeAttemptsLeft);
      $("feed").replaceChildren();
      (d.attempts || []).slice().forEach(addAttempt);
      $("player-count").textContent = `(${d.players})`;
      if (d.gameState === 0) { $("clue").textContent = "Waiting for the next round…"; setPlayable(false); return; }
      showRound(d);
      if (d.gameState === 1) { $("countdown-label").textContent = "Next letter in"; setPlayable(true); }
      else transition(d.answer, "Next round soon");
      $("report").disabled = Boolean(d.entryReported);
      send("REQUEST_PLAYER_LIST");
    },
    ROUND(d) {
      state.gameState = 1;
      $("feed").replaceChildren();
      showRound(d);
      $("countdown-label").textContent = "Next letter in";
      setFree(state.baseFree);
      setPlayable(true);
      $("report").disabled = false;
      notice("");
      send("REQUEST_PLAYER_LIST"); // coins changed last round
    },
    SPLIT(d) { showRound(d); },
    REVEAL(d) { transition(d.answer, "Nobody found it. Next round soon"); },
    PEER_ATTEMPT(d) {
      addAttempt(d);
      if (d.userId === me.id && state.free > 0) setFree(state.free - 1);
      if (d.correct) {
        transition(d.correctAnswer, `${d.username} won! Next round soon`);
        send("REQUEST_PLAYER_LIST");
      }
    },
    COIN_DIFF(d) {
      setCoins(state.coins + d.coinDiff);
      const diff = $("coin-diff");
      diff.textContent = d.coinDiff > 0 ? `+${d.coinDiff}` : `${d.coinDiff}`;
      diff.className = `diff ${d.coinDiff > 0 ? "plus" : "minus"}`;
    },
    INSUFFICIENT_FUNDS() { notice("Not enough coins for another attempt this round."); },
    PEER_REACTION(d) { notice(`${d.username} ${d.emoji}`); },
    PEER_JOIN() { send("REQUEST_PLAYER_LIST"); },
    PEER_LEFT() { send("REQUEST_PLAYER_LIST"); },
    PLAYER_LIST(d) {
      $("players").replaceChildren(...d.players.map((p) =>
        el("li", {}, `${p.username}${p.id === me.id ? " (you)" : ""} — ${p.coins}`)));
      $("player-count").textContent = `(${d.players.length})`;
    },
    ENTRY_REPORTED_OK() { notice("Thanks, the question was reported."); $("report").disabled = true; },
    ENTRY_REPORTED_ERROR(d) { notice(d.message || "Could not report this question."); },
    ERROR(d) { notice(d.message || "Something went wrong."); },
  };

  function send(event, data = {}) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify({ event, data }));
  }

  async function connect() {
    setConnection("Connecting…");
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
      if (event.code === 4002) { setConnection("You opened the game somewhere else. Reload to play here.", false); return; }
      if (event.code === 4004) { setConnection("Your account was changed or disabled. Reload the page to continue.", false); return; }
      if (event.code === 4005) { setConnection("Too many open tabs or windows: close some and reload this page.", false); return; }
      if (event.code === 4001 && !(await GC.refresh())) { location.assign("/login?next=/play"); return; }
      const wait = state.backoff;
      state.backoff = Math.min(state.backoff * 2, 30000);
      setConnection(`Disconnected. Reconnecting in ${Math.round(wait / 1000)} s…`, false);
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
    $("countdown").textContent = `${left} s`;
  }, 250);

  window.addEventListener("beforeunload", () => { state.stop = true; });
  connect();
});
