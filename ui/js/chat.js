// The Chat tab: history, sending, live messages, and a reading position that stays put.
//
// A reader at the bottom follows new messages. A reader who scrolled up stays where they are
// whatever arrives: older messages brought by sync are inserted above without moving the
// visible ones (the view is anchored to the first visible message, since WebKit has no CSS
// scroll anchoring), and newer ones below raise a "new messages" pill instead of pulling the
// view down.
import { call } from './api.js';
import { $, el, toast, colorFor, timeOf } from './util.js';

let space = null;
const shown = new Set();
let unseen = 0; // messages that arrived below while the reader was scrolled up

function nearBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
}

function item(m) {
  return el('li', { 'data-testid': 'chat-message', 'data-id': m.id, class: m.me ? 'mine' : '' },
    el('div', { class: 'meta' },
      el('span', { class: 'who', title: m.author, style: null }, m.me ? 'You' : m.author_short),
      el('time', { class: 'when', datetime: new Date(m.ts).toISOString() }, timeOf(m.ts))),
    el('div', { class: 'text' }, m.text));
}

function colour(li, m) {
  if (!m.me) li.querySelector('.who').style.color = colorFor(m.author);
  return li;
}

/** The first message whose bottom is below the top of the list's viewport, and its offset. */
function anchor(list) {
  const top = list.getBoundingClientRect().top;
  for (const li of list.children) {
    const r = li.getBoundingClientRect();
    if (r.bottom > top) return { id: li.dataset.id, offset: r.top - top };
  }
  return null;
}

/** Scrolls so that the anchored message is where it was. */
function restore(list, a) {
  if (!a) return;
  const li = list.querySelector(`li[data-id="${a.id}"]`);
  if (!li) return;
  const top = list.getBoundingClientRect().top;
  list.scrollTop += li.getBoundingClientRect().top - top - a.offset;
}

function showPill() {
  const pill = $('new-pill');
  pill.hidden = unseen === 0;
  pill.textContent = unseen === 1 ? '1 new message' : `${unseen} new messages`;
}

function toBottom(list) {
  list.scrollTop = list.scrollHeight;
  unseen = 0;
  showPill();
}

/** True if the shown message `li` comes before `m` in the clock's order: (ts, tick, id). */
function earlier(li, m) {
  const ts = Number(li.dataset.ts);
  if (ts !== m.ts) return ts < m.ts;
  const tick = Number(li.dataset.tick);
  if (tick !== m.tick) return tick < m.tick;
  return li.dataset.id < m.id;
}

/** Inserts messages in the clock's order; returns how many went below all others. */
function insert(list, msgs) {
  let below = 0;
  for (const m of msgs) {
    if (shown.has(m.id)) continue;
    shown.add(m.id);
    const li = colour(item(m), m);
    li.dataset.ts = String(m.ts);
    li.dataset.tick = String(m.tick);
    let before = null;
    for (let c = list.lastElementChild; c; c = c.previousElementSibling) {
      if (earlier(c, m)) break;
      before = c;
    }
    list.insertBefore(li, before);
    if (!before) below += 1;
  }
  return below;
}

function append(msgs, forceScroll) {
  const list = $('messages');
  const follow = forceScroll || nearBottom(list);
  const a = follow ? null : anchor(list);
  const below = insert(list, msgs);
  if (follow) {
    toBottom(list);
  } else {
    restore(list, a);
    unseen += below;
    showPill();
  }
}

/** Loads the whole room again (after a large batch), keeping the reader where they were. */
async function reload(s) {
  const list = $('messages');
  const follow = nearBottom(list);
  const a = follow ? null : anchor(list);
  const msgs = await call('chat_list', { space: s.id });
  if (!space || space.id !== s.id) return;
  const fresh = msgs.filter((m) => !shown.has(m.id)).length;
  const below = insert(list, msgs);
  if (follow) {
    toBottom(list);
  } else {
    restore(list, a);
    unseen += Math.min(below, fresh);
    showPill();
  }
}

async function send() {
  const input = $('chat-input');
  const text = input.value;
  if (!text.trim() || !space) return;
  try {
    await call('chat_send', { space: space.id, text });
    input.value = '';
    input.style.height = '';
  } catch (e) {
    toast(e.message, true);
  }
}

export const chat = {
  bind() {
    $('chat-form').addEventListener('submit', (e) => {
      e.preventDefault();
      send();
    });
    $('chat-input').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        send();
      }
    });
    $('chat-input').addEventListener('input', (e) => {
      const t = e.target;
      t.style.height = '';
      t.style.height = `${Math.min(t.scrollHeight, 160)}px`;
    });
    $('new-pill').addEventListener('click', () => toBottom($('messages')));
    $('messages').addEventListener('scroll', () => {
      if (unseen && nearBottom($('messages'))) {
        unseen = 0;
        showPill();
      }
    });
  },

  async show(s) {
    space = s;
    shown.clear();
    unseen = 0;
    showPill();
    $('messages').replaceChildren();
    append(await call('chat_list', { space: s.id }), true);
  },

  async onRecords(s, ev) {
    if (!space || s.id !== space.id) return;
    if (ev.count > ev.records.length) {
      await reload(s);
      return;
    }
    append(ev.records.filter((r) => r.kind === 'chat'), ev.local);
  },
};
