/* /leaderboards: a live top-10 per game and period over /ws/leaderboard/ (SPEC §6). */
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const { el } = GC;
  const $ = (id) => document.getElementById(id);
  const me = await GC.me();
  const state = { socket: null, backoff: 1000, stop: false };

  const games = await GC.api("leaderboard/games", { auth: false });
  if (games.ok) for (const g of games.data) $("game").append(el("option", { value: g.slug, text: g.label }));
  $("score-form").hidden = !me;

  function setConnection(text, up) {
    const node = $("connection");
    node.textContent = text;
    node.classList.toggle("up", up === true);
    node.classList.toggle("down", up === false);
  }
  function send(frame) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(frame));
  }
  function subscribe() {
    const game = $("game").value, period = $("period").value;
    $("board-caption").textContent = `Top 10 · ${$("game").selectedOptions[0].text} · ${$("period").selectedOptions[0].text}`;
    $("board").replaceChildren();
    send({ action: "subscribe", game, period, start: 0, end: 9 });
    if (me) send({ action: "my_score", game, period });
  }
  function render(rows) {
    $("board").replaceChildren(...rows.map((r) => {
      const tr = el("tr", { class: me && r.user_id === me.id ? "me" : "" },
        el("td", { text: r.rank }), el("td", { text: r.player }), el("td", { text: r.score }), el("td", { text: GC.when(r.date) }));
      return tr;
    }));
    if (!rows.length) $("board").append(el("tr", {}, el("td", { colspan: "4", class: "muted", text: "No scores yet." })));
  }

  function connect() {
    if (!GC.tokens.access) { setConnection("Sign in to watch the live boards.", false); loadOnce(); return; }
    setConnection("Connecting…");
    const socket = new WebSocket(GC.wsUrl("/ws/leaderboard/"));
    state.socket = socket;
    socket.addEventListener("message", (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      if (frame.type === "authenticated" || frame.event === "authenticated") { state.backoff = 1000; setConnection("Live", true); subscribe(); }
      else if (frame.type === "scores" && frame.game === $("game").value && frame.period === $("period").value) render(frame.result || []);
      else if (frame.type === "my_score") $("my-rank").textContent = frame.rank ? `Your rank: #${frame.rank} with ${frame.score}` : "";
      else if (frame.type === "error") setConnection(frame.message, false);
    });
    socket.addEventListener("close", async (event) => {
      if (state.stop) return;
      if (event.code === 4001 && !(await GC.refresh())) { setConnection("Sign in to watch the live boards.", false); return; }
      if (event.code === 4004) { setConnection("Your account was changed or disabled. Reload the page to continue.", false); return; }
      if (event.code === 4005) { setConnection("Too many open tabs or windows: close some and reload this page.", false); return; }
      const wait = state.backoff;
      state.backoff = Math.min(state.backoff * 2, 30000);
      setConnection(`Disconnected. Reconnecting in ${Math.round(wait / 1000)} s…`, false);
      setTimeout(connect, wait);
    });
  }

  async function loadOnce() {
    const r = await GC.api(`leaderboard/${$("game").value}?period=${$("period").value}&page_size=10`, { auth: false });
    if (r.ok) render(r.data.results);
  }

  $("game").addEventListener("change", () => (state.socket ? subscribe() : loadOnce()));
  $("period").addEventListener("change", () => (state.socket ? subscribe() : loadOnce()));
  $("score-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const game = $("game").value;
    if (game === "all") { $("score-status").textContent = "Pick a game first."; return; }
    const r = await GC.api("leaderboard/scores", { method: "POST", body: { game, score: Number($("score").value) } });
    $("score-status").textContent = r.status === 201 ? `Saved. Your best: ${r.data.best}, rank #${r.data.rank}` : GC.firstError(r.data);
  });
  window.addEventListener("beforeunload", () => { state.stop = true; });
  connect();
});
