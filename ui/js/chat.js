// The Chat tab: a window on a room's history, and a reading position that stays put.
//
// The DOM holds at most MAX messages: a page of PAGE is loaded when the reader nears the top
// (older) or the bottom (newer), and what then exceeds MAX is dropped at the far end. Every
// change keeps the first visible message where it was on screen (WebKit has no CSS scroll
// anchoring). A reader at the newest message follows new ones; a reader scrolled up, or
// reading older history, stays where they are and a "new messages" pill counts what arrived.
import { call } from './api.js';
import { $, el, toast, debounce, flash } from './util.js';
import { renderMessage, ensureActions, onAction, onHover } from './message.js';
import { composer } from './compose.js';
import { bindMessageSheet } from './msgsheet.js';
import { announce } from './announce.js';

const PAGE = 50;
const MAX = 150;

const st = {
  space: null,
  me: null,
  msgs: new Map(), // id → MessageView of what is in the DOM
  atNewest: true, // the window holds the room's newest message
  atOldest: false, // … and its oldest
  busy: false,
  unseen: 0, // messages that arrived below while the reader was elsewhere
  gen: 0, // bumped when the room changes; a load for an older generation is dropped
  readUpto: null,
  pendingJump: null,
};

let onRead = () => {}; // the app refreshes the room list's badges

const list = () => $('messages');
const msgEls = () => list().querySelectorAll('.msg');
const firstMsg = () => list().querySelector('.msg');
function lastMsg() {
  const all = msgEls();
  return all.length ? all[all.length - 1] : null;
}
const byId = (id) => list().querySelector(`.msg[data-id="${CSS.escape(id)}"]`);
const ctx = () => ({ me: st.me, owner: Boolean(st.space && st.space.mine) });

function nearBottom(l) {
  return l.scrollHeight - l.scrollTop - l.clientHeight < 80;
}

/** The first message whose bottom is below the top of the list's viewport, and its offset. */
function anchor(l) {
  const top = l.getBoundingClientRect().top;
  for (const li of msgEls()) {
    const r = li.getBoundingClientRect();
    if (r.bottom > top) return { id: li.dataset.id, offset: r.top - top };
  }
  return null;
}

/** Scrolls so that the anchored message is where it was. */
function restore(l, a) {
  if (!a) return;
  const li = byId(a.id);
  if (!li) return;
  l.scrollTop += li.getBoundingClientRect().top - l.getBoundingClientRect().top - a.offset;
}

function showPill() {
  const pill = $('new-pill');
  pill.hidden = st.unseen === 0;
  pill.textContent = st.unseen === 1 ? '1 new message ↓' : `${st.unseen} new messages ↓`;
  $('jump-latest').hidden = st.atNewest || st.unseen > 0;
}

function toBottom(l) {
  l.scrollTop = l.scrollHeight;
  st.unseen = 0;
  showPill();
}

/** Scrolls a message into the middle of the list and flashes it. */
function reveal(li) {
  const l = list();
  const r = li.getBoundingClientRect();
  const lr = l.getBoundingClientRect();
  l.scrollTop += r.top - lr.top - Math.max(0, (l.clientHeight - r.height) / 2);
  flash(li);
}

/** True if the element `li` comes before message `m` in the clock's order: (ts, tick, id). */
function earlier(li, m) {
  const ts = Number(li.dataset.ts);
  if (ts !== m.ts) return ts < m.ts;
  const tick = Number(li.dataset.tick);
  if (tick !== m.tick) return tick < m.tick;
  return li.dataset.id < m.id;
}

/** Puts a message in its place; returns true if it went below all others. */
function insert(m) {
  const l = list();
  const li = renderMessage(m, ctx());
  st.msgs.set(m.id, m);
  let before = null;
  for (let c = l.lastElementChild; c; c = c.previousElementSibling) {
    if (!c.classList.contains('msg')) continue;
    if (earlier(c, m)) break;
    before = c;
  }
  l.insertBefore(li, before);
  return !before;
}

function drop(li) {
  st.msgs.delete(li.dataset.id);
  li.remove();
}

/** Drops messages over MAX at the end farther from the anchored (visible) one. */
function trim(a, side) {
  const all = [...msgEls()];
  const extra = all.length - MAX;
  if (extra <= 0) return;
  let from = side;
  if (!from) {
    const i = a ? all.findIndex((x) => x.dataset.id === a.id) : all.length;
    from = i >= all.length / 2 ? 'top' : 'bottom';
  }
  const gone = from === 'top' ? all.slice(0, extra) : all.slice(all.length - extra);
  gone.forEach(drop);
  if (from === 'top') st.atOldest = false;
  else st.atNewest = false;
  // A divider left at an edge marks nothing any more.
  const l = list();
  for (const edge of [l.firstElementChild, l.lastElementChild]) {
    if (edge && !edge.classList.contains('msg')) edge.remove();
  }
}

function divider(beforeId) {
  const li = beforeId && byId(beforeId);
  if (!li) return null;
  const d = el('li', { class: 'unread-divider', 'data-testid': 'unread-divider' },
    el('span', {}, 'New since you were here'));
  li.before(d);
  return d;
}

/** Replaces the window with `page` (oldest first). */
function fillWith(page) {
  st.msgs.clear();
  list().replaceChildren();
  for (const m of page) insert(m);
}

/** After a page that was not the newest or oldest: asks whether anything lies beyond it. */
async function probeEnds(g) {
  const first = firstMsg();
  const last = lastMsg();
  if (!first) {
    st.atOldest = true;
    st.atNewest = true;
    return;
  }
  const space = st.space.id;
  const [older, newer] = await Promise.all([
    call('chat_window', { space, limit: 1, before: first.dataset.id }),
    call('chat_window', { space, limit: 1, after: last.dataset.id }),
  ]);
  if (g !== st.gen) return;
  st.atOldest = older.length === 0;
  st.atNewest = newer.length === 0;
}

/** Loads more while the window does not fill the list (nothing to scroll yet). */
async function topUp() {
  const l = list();
  for (let i = 0; i < 4 && l.clientHeight > 0 && l.scrollHeight <= l.clientHeight + 8; i++) {
    if (msgEls().length + PAGE > MAX) break;
    if (!st.atOldest) await older();
    else if (!st.atNewest) await newer();
    else break;
  }
  scheduleRead();
}

async function older() {
  const first = firstMsg();
  if (st.busy || st.atOldest || !first) return;
  st.busy = true;
  const g = st.gen;
  try {
    const page = await call('chat_window', { space: st.space.id, limit: PAGE, before: first.dataset.id });
    if (g !== st.gen) return;
    if (page.length < PAGE) st.atOldest = true;
    const l = list();
    const a = anchor(l);
    for (const m of page) if (!st.msgs.has(m.id)) insert(m);
    trim(a, 'bottom');
    restore(l, a);
    showPill();
  } catch (e) {
    toast(e.message, true);
  } finally {
    st.busy = false;
  }
}

async function newer() {
  const last = lastMsg();
  if (st.busy || st.atNewest || !last) return;
  st.busy = true;
  const g = st.gen;
  try {
    const page = await call('chat_window', { space: st.space.id, limit: PAGE, after: last.dataset.id });
    if (g !== st.gen) return;
    if (page.length < PAGE) st.atNewest = true;
    const l = list();
    const a = anchor(l);
    for (const m of page) if (!st.msgs.has(m.id)) insert(m);
    trim(a, 'top');
    restore(l, a);
    if (st.atNewest && nearBottom(l)) st.unseen = 0;
    showPill();
    scheduleRead();
  } catch (e) {
    toast(e.message, true);
  } finally {
    st.busy = false;
  }
}

/** Shows the page around a message; false if the room does not have it. */
async function around(id, { mark = false, limit = PAGE } = {}) {
  const g = st.gen;
  const page = await call('chat_window', { space: st.space.id, limit, around: id });
  if (g !== st.gen) return false;
  if (!page.some((m) => m.id === id)) return false;
  fillWith(page);
  await probeEnds(g);
  if (g !== st.gen) return false;
  if (mark) divider(id);
  return true;
}

/** Opens the room at its newest page. */
async function newest(limit = PAGE) {
  const g = st.gen;
  const page = await call('chat_window', { space: st.space.id, limit });
  if (g !== st.gen) return;
  fillWith(page);
  st.atNewest = true;
  st.atOldest = page.length < limit;
}

async function jumpLatest() {
  await newest();
  toBottom(list());
  await topUp();
}

/** Goes to a message, loading the history around it if it is not in the window. */
async function jumpTo(id) {
  let li = byId(id);
  if (!li) {
    if (!(await around(id))) {
      toast('That message is not in this room (yet).', true);
      return;
    }
    li = byId(id);
    st.unseen = 0;
    showPill();
  }
  if (li) reveal(li);
  await topUp();
}

async function jumpDate(ms) {
  const g = st.gen;
  const page = await call('chat_window', { space: st.space.id, limit: PAGE, atMs: ms });
  if (g !== st.gen) return;
  if (!page.length) {
    toast('No messages from that day on.');
    return;
  }
  fillWith(page);
  await probeEnds(g);
  const target = page.find((m) => m.ts >= ms) || page[page.length - 1];
  const li = byId(target.id);
  if (li) {
    const l = list();
    l.scrollTop += li.getBoundingClientRect().top - l.getBoundingClientRect().top - 8;
    flash(li);
  }
  st.unseen = 0;
  showPill();
  await topUp();
}

/** Reads the window again in place (after a large batch, a reload or a renamed member). */
async function refetch() {
  if (!st.space) return;
  if (st.busy) {
    refetchSoon(); // after the page being loaded
    return;
  }
  const l = list();
  const follow = st.atNewest && nearBottom(l);
  const a = follow ? null : anchor(l);
  const count = Math.min(MAX, Math.max(PAGE, msgEls().length));
  const prevLast = lastMsg() && lastMsg().dataset.id;
  const wasNewest = st.atNewest;
  st.busy = true;
  try {
    if (!a) {
      await newest(count);
      toBottom(l);
      return;
    }
    const g = st.gen;
    const page = await call('chat_window', { space: st.space.id, limit: count, around: a.id });
    if (g !== st.gen || !page.length) return;
    // Replaced and put back in one go, before anything is painted.
    fillWith(page);
    restore(l, a);
    await probeEnds(g);
    // What now shows below the former newest message arrived while the reader read above.
    const i = page.findIndex((m) => m.id === prevLast);
    if (wasNewest && i >= 0) st.unseen += page.length - 1 - i;
    showPill();
  } catch (e) {
    toast(e.message, true);
  } finally {
    st.busy = false;
  }
}

const refetchSoon = debounce(() => refetch(), 300);

/** Re-reads one message (a reaction, edit or delete) and those quoting it. */
async function refreshOne(target) {
  if (!st.space) return;
  const ids = new Set();
  if (st.msgs.has(target)) ids.add(target);
  for (const q of list().querySelectorAll(`.quote[data-target="${CSS.escape(target)}"]`)) {
    const li = q.closest('.msg');
    if (li) ids.add(li.dataset.id);
  }
  const g = st.gen;
  const space = st.space.id;
  for (const id of ids) {
    const m = await call('chat_message', { space, id });
    if (g !== st.gen || !m) continue;
    const old = byId(id);
    if (!old) continue;
    const l = list();
    const follow = st.atNewest && nearBottom(l);
    const a = follow ? null : anchor(l);
    const li = renderMessage(m, ctx());
    st.msgs.set(id, m);
    if (old.classList.contains('active')) {
      li.classList.add('active');
      ensureActions(li, m, ctx());
    }
    old.replaceWith(li);
    if (follow) l.scrollTop = l.scrollHeight;
    else restore(l, a);
    if (m.deleted) composer.forget(id);
  }
}

/** New messages from an event: placed if they fall in the window, counted if below it. */
function add(msgs, local) {
  const l = list();
  const follow = st.atNewest && (local || nearBottom(l));
  const a = follow ? null : anchor(l);
  let below = 0;
  const told = [];
  for (const m of msgs) {
    composer.stopTyping(m.author);
    if (st.msgs.has(m.id)) continue;
    const first = firstMsg();
    const last = lastMsg();
    if (first && !st.atOldest && !earlier(first, m)) continue; // older than the window
    if (last && !st.atNewest && earlier(last, m)) {
      if (!m.me) { // newer than the window: only counted
        below += 1;
        told.push(m);
      }
      continue;
    }
    if (insert(m) && !m.me) {
      below += 1;
      told.push(m);
    }
  }
  announce(told);
  trim(a, follow ? 'top' : null);
  if (follow) {
    toBottom(l);
    scheduleRead();
  } else {
    restore(l, a);
    st.unseen += below;
    showPill();
  }
}

// ---- reading position ----

async function markRead() {
  const l = list();
  const last = lastMsg();
  if (!st.space || !st.atNewest || !last || document.hidden || $('panel-chat').hidden) return;
  if (last.getBoundingClientRect().top >= l.getBoundingClientRect().bottom) return;
  if (st.readUpto === last.dataset.id) return;
  const space = st.space.id;
  try {
    await call('mark_read', { space, upto: last.dataset.id });
    if (st.space && st.space.id === space) st.readUpto = last.dataset.id;
    onRead(space);
  } catch (_) { /* tried again at the next scroll or message */ }
}

const scheduleRead = debounce(markRead, 700);

// ---- actions on a message ----

const actions = {
  message: (id) => st.msgs.get(id),
  ctx,
  jump: (id) => jumpTo(id),
  reply: (m) => composer.reply(m),
  edit: (m) => composer.edit(m),
  async remove(id) {
    if (!st.space) return;
    await call('chat_delete', { space: st.space.id, msg: id });
    await refreshOne(id);
  },
  async react(id, emoji) {
    if (!st.space) return;
    await call('chat_react', { space: st.space.id, msg: id, emoji });
    await refreshOne(id);
  },
};

export const chat = {
  bind(readHook) {
    onRead = readHook || onRead;
    composer.bind(
      async (mode) => {
        if (mode && mode.kind === 'edit') {
          await refreshOne(mode.m.id);
          return;
        }
        if (!st.atNewest) await jumpLatest();
        else toBottom(list());
      },
      () => {
        const own = [...msgEls()].reverse().find((li) => li.classList.contains('mine') && !li.classList.contains('deleted'));
        return own ? st.msgs.get(own.dataset.id) : null;
      },
    );
    const l = list();
    const act = (e) => onAction(e, l, actions).catch((err) => toast(err.message, true));
    l.addEventListener('click', act);
    l.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && e.target.classList.contains('quote')) act(e);
    });
    l.addEventListener('mouseover', (e) => onHover(e, actions));
    bindMessageSheet(l, actions);
    // A tap elsewhere hides the actions a tap showed.
    document.addEventListener('click', (e) => {
      if (e.target.closest && e.target.closest('.msg')) return;
      for (const o of l.querySelectorAll('.msg.active')) o.classList.remove('active');
    });
    l.addEventListener('focusin', (e) => onHover(e, actions));
    let ticking = false;
    l.addEventListener('scroll', () => {
      if (ticking) return;
      ticking = true;
      requestAnimationFrame(() => {
        ticking = false;
        if (!st.space) return;
        if (l.scrollTop < 300) older();
        if (nearBottom(l)) {
          if (!st.atNewest) newer();
          else if (st.unseen) {
            st.unseen = 0;
            showPill();
          }
          scheduleRead();
        }
      });
    }, { passive: true });
    $('new-pill').addEventListener('click', () => jumpLatest().catch((e) => toast(e.message, true)));
    $('jump-latest').addEventListener('click', () => jumpLatest().catch((e) => toast(e.message, true)));
    $('jump-date').addEventListener('change', (e) => {
      const v = e.target.value; // YYYY-MM-DD, the start of that day here
      if (!v || !st.space) return;
      const [y, mo, d] = v.split('-').map(Number);
      jumpDate(new Date(y, mo - 1, d).getTime()).catch((err) => toast(err.message, true));
    });
    document.addEventListener('visibilitychange', () => scheduleRead());
    window.addEventListener('focus', () => scheduleRead());
  },

  /** Opens a room (or re-reads the one open), at the first unread message or the newest. */
  async show(s, me) {
    if (me) st.me = me.peer_id;
    const jump = st.pendingJump;
    st.pendingJump = null;
    const l = list();
    if (st.space && st.space.id === s.id && msgEls().length) {
      st.space = s;
      composer.setSpace(s);
      if (jump) await jumpTo(jump);
      else await refetch();
      return;
    }
    st.gen += 1;
    const g = st.gen;
    st.space = s;
    st.unseen = 0;
    st.readUpto = null;
    st.busy = false;
    st.atNewest = true;
    st.atOldest = false;
    st.msgs.clear();
    l.replaceChildren();
    $('jump-date').value = '';
    composer.clearTyping();
    composer.setSpace(s);
    showPill();
    if (jump) {
      if (await around(jump)) {
        const li = byId(jump);
        if (li) reveal(li);
        await topUp();
        return;
      }
      if (g === st.gen) toast('That message is not in this room (yet).', true);
    }
    if (g !== st.gen) return;
    const reading = await call('reading', { space: s.id }).catch(() => null);
    if (g !== st.gen) return;
    const first = reading && reading.first_unread;
    await newest();
    if (g !== st.gen) return;
    if (first && !st.msgs.has(first) && !st.atOldest && (await around(first, { mark: true }))) {
      const d = l.querySelector('.unread-divider');
      if (d) l.scrollTop += d.getBoundingClientRect().top - l.getBoundingClientRect().top - 8;
    } else {
      const d = divider(first);
      toBottom(l);
      // Start at the divider when the unread ones do not all fit.
      if (d && d.getBoundingClientRect().top < l.getBoundingClientRect().top) {
        l.scrollTop += d.getBoundingClientRect().top - l.getBoundingClientRect().top - 8;
      }
    }
    showPill();
    await topUp();
  },

  /** The Chat tab was left: the room opens afresh when it comes back. */
  leave() {
    st.space = null;
    st.gen += 1;
  },

  /** Jumps to a message the next time this room shows (a search hit), or now if it shows. */
  async open(id) {
    st.pendingJump = id;
  },

  async jumpTo(id) {
    await jumpTo(id);
  },

  /** A `records` event for the room shown. */
  async onRecords(s, ev) {
    if (!st.space || s.id !== st.space.id) return;
    if (ev.count > ev.records.length) {
      await refetch();
      return;
    }
    const msgs = ev.records.filter((r) => r.kind === 'chat');
    if (msgs.length) {
      if (ev.local && !st.atNewest) await jumpLatest();
      else add(msgs, ev.local);
    }
    const changed = new Set(ev.records.filter((r) => r.kind === 'changed').map((r) => r.target));
    // A reply arrives without its quote (the event is made before anything is looked up).
    for (const m of msgs) if (m.reply_to && !m.quote) changed.add(m.id);
    for (const target of changed) await refreshOne(target);
  },

  /** Someone's name or colour changed: labels are re-read. */
  relabel() {
    if (st.space) refetchSoon();
    composer.refreshMembers();
  },

  /** A `typing` event: "NAME is typing…" for a few seconds after the last one. */
  onTyping(ev) {
    if (st.space && ev.space === st.space.id && ev.author !== st.me) composer.onTyping(ev);
  },

  /** The member list changed. */
  onMembers() {
    composer.refreshMembers();
  },
};
