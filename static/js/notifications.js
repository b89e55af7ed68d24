/* /me/notifications: my notifications, newest first, unread ones marked; "Mark all as read";
   each links to its page (opening one marks it read first). */
"use strict";
/** A notification's link when it is a page of this site or an https address; otherwise none. */
function safeUrl(url) {
  if (typeof url !== "string" || !url) return null;
  if (/^\/[^/\\]/.test(url)) return url;
  return /^https:\/\//.test(url) ? url : null;
}

GC.ready.then(async () => {
  const $ = GC.$;
  const list = $("notifications"), pager = $("notifications-pager"), markAll = $("mark-all");
  let page = 1;
  if (!(await GC.requireLogin())) return;

  function badge(unread) {
    const node = $("account-unread");
    if (!node) return;
    node.hidden = !unread;
    node.textContent = GC.number(unread);
    node.setAttribute("aria-label", GC.ngettext("%(count)s unread", "%(count)s unread", unread, { count: GC.number(unread) }));
  }

  async function markRead(ids) {
    return GC.api("me/notifications/read", { method: "POST", body: ids ? { ids } : { all: true } });
  }

  function item(n) {
    const url = safeUrl(n.url);
    const title = url
      ? GC.el("a", { href: url, text: n.title, on: { click: async (e) => {
        if (n.read || e.ctrlKey || e.metaKey || e.shiftKey) return;
        e.preventDefault();
        await markRead([n.id]);
        location.assign(url);
      } } })
      : document.createTextNode(n.title);
    return GC.el("li", { class: n.read ? "read" : "unread" },
      GC.el("h2", {}, title, " ", n.read ? null : GC.el("span", { class: "tag warn", text: GC.gettext("Unread") })),
      n.body ? GC.el("p", { text: n.body }) : null,
      GC.el("p", { class: "muted" }, GC.el("time", { datetime: n.created_at, text: GC.when(n.created_at) })));
  }

  async function load(to = page) {
    page = to;
    GC.state(list, "loading");
    const [r, unread] = await Promise.all([GC.api(`me/notifications${GC.qs({ page })}`), GC.api("me/notifications?unread=true&page_size=1")]);
    if (!r.ok) {
      pager.hidden = true;
      if (r.status === 404 && page > 1) { load(1); return; }
      GC.state(list, "error", GC.message(r.data), () => load());
      return;
    }
    const count = unread.ok ? unread.data.count : r.data.results.filter((n) => !n.read).length;
    markAll.hidden = !count;
    badge(count);
    if (!r.data.results.length) {
      GC.state(list, "empty", GC.gettext("No notifications yet. Reminders, waiting-list seats, tickets, prizes and report outcomes will show up here."));
    } else {
      list.replaceChildren(...r.data.results.map(item));
    }
    GC.pager(pager, r.data, load);
  }

  markAll.addEventListener("click", () => GC.busy(markAll, async () => {
    const r = await markRead(null);
    if (!r.ok) { $("notifications-status").textContent = GC.message(r.data); return; }
    $("notifications-status").textContent = GC.ngettext("%(count)s notification marked as read.", "%(count)s notifications marked as read.", r.data.updated, { count: GC.number(r.data.updated) });
    await load();
  }));

  load();
});
