/* /sessions/{id}: a session's details, readable signed out (the reads are public). Buttons appear
   only when they apply: Join (open, not full, not started, not in), Join the waiting list (full),
   Leave the waiting list, Leave (not the organizer), Like/Unlike, Edit (organizer, admin), Cancel
   (moderator), Report (signed in). Attendees and reviews are paginated; attendees may review
   (edit and delete their own through /reviews/mine). The organizer posts the results once the
   session has started: one row per attendee, each row's outcome shown in words. */
"use strict";
GC.ready.then(async () => {
  const id = GC.$("session-page").dataset.id;
  const $ = GC.$;
  let s = null, user = null, myReview = null;

  const status = (text, ok = true) => { $("status").textContent = text; $("status").className = ok ? "ok" : "error"; };
  const started = () => GCS.started(s);
  const organizer = () => GCS.isOrganizer(s, user);

  // --- the session ------------------------------------------------------------------------------
  function render() {
    document.title = `${s.title} · GameConnect`;
    $("title").textContent = s.title;
    $("tags").replaceChildren(...GCS.tags(s));
    $("game").textContent = s.game;
    $("platform").textContent = GCS.platform(s.platform);
    $("starts").textContent = GC.when(s.starts_at);
    $("starts").setAttribute("datetime", s.starts_at);
    $("organizer").replaceChildren(GC.gamerLink(s.organizer.id, s.organizer.username));
    $("attendees").textContent = GC.number(s.attendee_count);
    $("max").textContent = GC.number(s.max_attendees);
    $("waiting").textContent = s.waiting_count ? GC.ngettext("(%(count)s waiting)", "(%(count)s waiting)", s.waiting_count, { count: GC.number(s.waiting_count) }) : "";
    $("likes").textContent = GC.number(s.like_count);
    $("avg-rating").textContent = s.avg_rating === null || s.avg_rating === undefined
      ? GC.gettext("No reviews yet")
      : GC.ngettext("%(rating)s / 5 from %(count)s review", "%(rating)s / 5 from %(count)s reviews", s.review_count, { rating: GC.number(s.avg_rating, 1), count: GC.number(s.review_count) });
    $("description").textContent = s.description || "";
    $("description").hidden = !s.description;

    const signedIn = Boolean(user);
    const free = s.is_available && !started();
    let you = "";
    if (organizer()) you = GC.gettext("You are hosting this session.");
    else if (s.joined_by_me) you = GC.gettext("You are attending this session.");
    else if (s.waiting_by_me) you = GC.gettext("You are on the waiting list.");
    $("you").textContent = you;
    $("join").hidden = !signedIn || s.joined_by_me || s.waiting_by_me || !free || s.is_full;
    $("wait").hidden = !signedIn || s.joined_by_me || s.waiting_by_me || !free || !s.is_full;
    $("unwait").hidden = !signedIn || !s.waiting_by_me;
    $("leave").hidden = !signedIn || !s.joined_by_me || organizer();
    $("like").hidden = !signedIn;
    $("like").setAttribute("aria-pressed", String(Boolean(s.liked_by_me)));
    $("like").textContent = s.liked_by_me ? GC.gettext("Unlike") : GC.gettext("Like");
    const mayEdit = organizer() || GCS.isAdmin(user);
    $("edit").hidden = !mayEdit;
    $("edit").href = `/sessions/${id}/edit`;
    $("cancel-link").hidden = mayEdit || !GCS.isStaff(user);
    $("cancel-link").href = `/sessions/${id}/edit#cancel`;
    $("report-open").hidden = !signedIn || organizer();
    $("signin").hidden = signedIn;
    $("signin").href = `/login?next=${encodeURIComponent(location.pathname)}`;
    renderResults();
  }

  async function loadSession() {
    const r = await GC.api(`sessions/${id}/`, { auth: Boolean(GC.tokens.access || GC.tokens.refresh) });
    if (r.status === 404) {
      $("page-state").hidden = true; $("session").hidden = true; $("missing").hidden = false;
      document.title = `${GC.gettext("This session doesn't exist")} · GameConnect`;
      return false;
    }
    if (!r.ok) { GC.state($("page-state"), "error", GC.message(r.data), () => start()); return false; }
    s = r.data;
    $("page-state").hidden = true;
    $("session").hidden = false;
    render();
    return true;
  }

  /** Send one action, say how it went, refresh the session (and, when who attends may have
      changed, the attendees and my review form) without blanking what is on screen. */
  async function act(button, path, method, body, done, { people = true } = {}) {
    await GC.busy(button, async () => {
      const r = await GC.api(path, { method, body });
      if (r.ok) status(done(r.data)); else status(GC.message(r.data), false);
      await loadSession();
      if (people) await Promise.all([loadAttendees(attendeePage, true), loadMyReview()]);
    });
  }
  $("join").addEventListener("click", (e) => act(e.currentTarget, `sessions/${id}/join`, "POST", undefined, () => GC.gettext("You joined this session.")));
  $("wait").addEventListener("click", (e) => act(e.currentTarget, `sessions/${id}/join`, "POST", { wait: true }, (d) =>
    d.position ? GC.gettext("You are number %(position)s on the waiting list.", { position: GC.number(d.position) }) : GC.gettext("You joined this session.")));
  $("unwait").addEventListener("click", (e) => act(e.currentTarget, `sessions/${id}/wait`, "DELETE", undefined, () => GC.gettext("You left the waiting list.")));
  $("leave").addEventListener("click", (e) => act(e.currentTarget, `sessions/${id}/leave`, "POST", undefined, () => GC.gettext("You left this session.")));
  $("like").addEventListener("click", (e) => {
    const liked = s.liked_by_me;
    act(e.currentTarget, `sessions/${id}/like`, liked ? "DELETE" : "POST", undefined, () => (liked ? GC.gettext("Like removed.") : GC.gettext("Liked!")), { people: false });
  });

  // --- report -----------------------------------------------------------------------------------
  const reportForm = $("report-form");
  const toggleReport = (open) => {
    reportForm.hidden = !open;
    $("report-open").setAttribute("aria-expanded", String(open));
    if (open) reportForm.reason.focus(); else $("report-open").focus();
  };
  $("report-open").addEventListener("click", () => toggleReport(reportForm.hidden));
  $("report-close").addEventListener("click", () => toggleReport(false));
  reportForm.addEventListener("submit", (e) => {
    e.preventDefault();
    GC.busy($("report-send"), async () => {
      GC.clearErrors(reportForm);
      const r = await GC.api("reports/", { method: "POST", body: { target_type: "session", target_id: Number(id), reason: reportForm.reason.value.trim() } });
      if (!r.ok) { GC.showErrors(reportForm, r.data); return; }
      reportForm.reset();
      toggleReport(false);
      status(GC.gettext("Thank you. A moderator will look at your report."));
    });
  });

  // --- attendees --------------------------------------------------------------------------------
  let attendeePage = 1;
  async function loadAttendees(page = 1, quiet = false) {
    attendeePage = page;
    const list = $("attendee-list");
    if (!quiet) GC.state(list, "loading");
    const r = await GC.api(`sessions/${id}/attendees${GC.qs({ page: page > 1 ? page : "", page_size: 20 })}`, { auth: false });
    if (r.status === 404 && page > 1) { await loadAttendees(1, quiet); return; }
    if (!r.ok) { GC.state(list, "error", GC.message(r.data), () => loadAttendees(page)); $("attendee-pager").hidden = true; return; }
    if (!r.data.results.length) { GC.state(list, "empty", GC.gettext("Nobody has joined yet.")); $("attendee-pager").hidden = true; return; }
    list.replaceChildren(...r.data.results.map((g) => GC.el("li", {},
      GC.gamerLink(g.id, g.username),
      g.id === s.organizer.id ? GC.el("span", { class: "tag", text: GC.gettext("Host") }) : null)));
    GC.pager($("attendee-pager"), r.data, loadAttendees);
  }

  // --- reviews ----------------------------------------------------------------------------------
  const reviewForm = $("review-form");
  async function loadReviews(page = 1, quiet = false) {
    const list = $("review-list");
    if (!quiet) GC.state(list, "loading");
    const r = await GC.api(`sessions/${id}/reviews${GC.qs({ page: page > 1 ? page : "", page_size: 10 })}`, { auth: false });
    if (r.status === 404 && page > 1) { loadReviews(1); return; }
    if (!r.ok) { GC.state(list, "error", GC.message(r.data), () => loadReviews(page)); $("review-pager").hidden = true; return; }
    if (!r.data.results.length) {
      GC.state(list, "empty", GC.gettext("No reviews yet. Attendees can review the session."));
      $("review-pager").hidden = true; return;
    }
    list.replaceChildren(...r.data.results.map((v) => GC.el("li", { class: user && v.author.id === user.id ? "mine" : null },
      GC.el("p", {},
        GC.el("strong", { class: "stars", text: GC.ngettext("%(count)s star", "%(count)s stars", v.rating, { count: GC.number(v.rating) }) }),
        " · ", GC.gamerLink(v.author.id, v.author.username), " · ",
        GC.el("time", { class: "muted", datetime: v.created_at, text: GC.day(v.created_at) })),
      v.content ? GC.el("p", { class: "review-text", text: v.content }) : null)));
    GC.pager($("review-pager"), r.data, loadReviews);
  }
  async function loadMyReview() {
    if (!user || !s.joined_by_me) { myReview = null; reviewForm.hidden = true; return; }  // only attendees may review
    const r = await GC.api(`sessions/${id}/reviews/mine`);
    myReview = r.ok ? r.data : null;
    if (!r.ok && r.status !== 404) { reviewForm.hidden = true; return; }
    GC.clearErrors(reviewForm);
    $("review-form-heading").textContent = myReview ? GC.gettext("Your review") : GC.gettext("Write a review");
    reviewForm.rating.value = myReview ? String(myReview.rating) : "";
    reviewForm.content.value = myReview ? myReview.content : "";
    $("review-send").textContent = myReview ? GC.gettext("Save my review") : GC.gettext("Publish my review");
    $("review-delete").hidden = !myReview;
    reviewForm.hidden = false;
  }
  reviewForm.addEventListener("submit", (e) => {
    e.preventDefault();
    GC.busy($("review-send"), async () => {
      GC.clearErrors(reviewForm);
      if (!reviewForm.rating.value) { GC.showErrors(reviewForm, { rating: [GC.gettext("Choose a rating from 1 to 5.")] }); return; }
      const body = { rating: reviewForm.rating.value ? Number(reviewForm.rating.value) : null, content: reviewForm.content.value };
      const r = await GC.api(myReview ? `sessions/${id}/reviews/mine` : `sessions/${id}/reviews`, { method: myReview ? "PUT" : "POST", body });
      if (!r.ok) { GC.showErrors(reviewForm, r.data); return; }
      $("review-status").textContent = myReview ? GC.gettext("Your review was saved.") : GC.gettext("Your review was published.");
      await loadSession(); await Promise.all([loadMyReview(), loadReviews(1, true)]);
    });
  });
  $("review-delete").addEventListener("click", (e) => GC.busy(e.currentTarget, async () => {
    const r = await GC.api(`sessions/${id}/reviews/mine`, { method: "DELETE" });
    $("review-status").textContent = r.ok || r.status === 404 ? GC.gettext("Your review was deleted.") : GC.message(r.data);
    await loadSession(); await Promise.all([loadMyReview(), loadReviews(1, true)]);
  }));

  // --- results (organizer, once started) ---------------------------------------------------------
  const CODES = {
    not_attendee: () => GC.gettext("Rejected: this player is not attending."),
    own_score: () => GC.gettext("Rejected: your own score goes through a moderator."),
    inactive_player: () => GC.gettext("Rejected: this account is no longer active."),
    invalid_score: () => GC.gettext("Rejected: the score must be a whole number."),
    score_out_of_range: () => GC.gettext("Rejected: the score is out of this game's range."),
    duplicate: () => GC.gettext("Rejected: a result for this player is already posted."),
    suspended: () => GC.gettext("Rejected: this player is suspended from this game's boards."),
    not_stored: () => GC.gettext("Rejected: the score couldn't be stored. Try again."),
  };
  const resultsForm = $("results-form");
  let resultsReady = false, games = [];
  async function renderResults() {
    const show = Boolean(user) && organizer() && started();
    $("results").hidden = !show;
    if (!show || resultsReady) return;
    resultsReady = true;
    const rows = $("results-rows");
    rows.replaceChildren(GC.el("tr", {}, GC.el("td", { colspan: "3", text: GC.gettext("Loading…") })));
    const [g, people] = await Promise.all([GC.api("leaderboard/games", { auth: false }), allAttendees()]);
    if (!g.ok || people === null) {
      resultsReady = false;
      rows.replaceChildren(GC.el("tr", {}, GC.el("td", { colspan: "3" }, GC.el("span", { class: "error", text: GC.gettext("Couldn't load the games or the attendees.") }), " ",
        GC.el("button", { type: "button", class: "link", text: GC.gettext("Try again"), on: { click: renderResults } }))));
      return;
    }
    games = g.data;
    resultsForm.game.replaceChildren(GC.el("option", { value: "", text: GC.gettext("Choose a game") }),
      ...games.map((x) => GC.el("option", { value: x.slug, text: x.label })));
    const guess = games.find((x) => x.label.toLowerCase() === s.game.toLowerCase() || x.slug === s.game.toLowerCase());
    if (guess) resultsForm.game.value = guess.slug;
    const players = people.filter((p) => p.id !== s.organizer.id);
    if (!players.length) {
      rows.replaceChildren(GC.el("tr", {}, GC.el("td", { colspan: "3", text: GC.gettext("Nobody else attended, so there are no results to post.") })));
      $("results-send").hidden = true;
      return;
    }
    rows.replaceChildren(...players.map((p) => GC.el("tr", { "data-player": String(p.id) },
      GC.el("th", { scope: "row" }, GC.gamerLink(p.id, p.username)),
      GC.el("td", {}, GC.el("input", { type: "number", min: "0", step: "1", inputmode: "numeric", id: `score-${p.id}`, name: `score-${p.id}`,
        "aria-label": GC.gettext("Score of %(name)s", { name: p.username }), class: "score-input" })),
      GC.el("td", { class: "row-result", "aria-live": "polite" }))));
  }
  async function allAttendees() {
    const out = [];
    for (let page = 1; page <= 20; page += 1) {
      const r = await GC.api(`sessions/${id}/attendees${GC.qs({ page, page_size: 100 })}`, { auth: false });
      if (!r.ok) return null;
      out.push(...r.data.results);
      if (!r.data.next) break;
    }
    return out;
  }
  resultsForm.addEventListener("submit", (e) => {
    e.preventDefault();
    GC.busy($("results-send"), async () => {
      GC.clearErrors(resultsForm);
      $("results-status").textContent = "";
      const trs = [...$("results-rows").querySelectorAll("tr[data-player]")];
      const sent = [];
      for (const tr of trs) {
        tr.querySelector(".row-result").textContent = "";
        const value = tr.querySelector("input").value.trim();
        if (value === "") continue;
        sent.push({ tr, row: { player: Number(tr.dataset.player), score: /^\d+$/.test(value) ? Number(value) : value } });
      }
      if (!sent.length) { GC.showErrors(resultsForm, { scores: [GC.gettext("Enter at least one score.")] }); return; }
      const r = await GC.api(`sessions/${id}/results`, { method: "POST", body: { game: resultsForm.game.value, scores: sent.map((x) => x.row) } });
      if (!r.ok) {
        if (r.data && r.data.code === "unknown_game") { GC.showErrors(resultsForm, { game: [GC.gettext("Choose a game from the list.")] }); return; }
        GC.showErrors(resultsForm, r.data); return;
      }
      let created = 0;
      for (const row of r.data.results) {
        const cell = sent[row.index].tr.querySelector(".row-result");
        if (row.status === "created") {
          created += 1;
          cell.replaceChildren(GC.el("span", { class: "ok", text: row.rank ? GC.gettext("Recorded: rank %(rank)s", { rank: GC.number(row.rank) }) : GC.gettext("Recorded") }));
        } else {
          cell.replaceChildren(GC.el("span", { class: "error", text: CODES[row.code] ? CODES[row.code]() : GC.gettext("Rejected (%(code)s).", { code: row.code }) }));
        }
      }
      $("results-status").textContent = GC.ngettext("%(count)s of %(total)s score recorded.", "%(count)s of %(total)s scores recorded.", sent.length, { count: GC.number(created), total: GC.number(sent.length) });
    });
  });

  async function start() {
    GC.state($("page-state"), "loading");
    $("page-state").hidden = false;
    user = await GC.me();
    if (!(await loadSession())) return;
    GCS.atStart(s, () => { if (s) render(); });
    loadAttendees(1);
    loadReviews(1);
    loadMyReview();
  }
  start();
});
