// The Chat tab: history, sending, live messages, auto-scroll.
import { call } from './api.js';
import { $, el, toast, colorFor, timeOf } from './util.js';

let space = null;
const shown = new Set();

function nearBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
}

function item(m) {
  return el('li', { 'data-testid': 'chat-message', 'data-id': m.id, class: m.author.me ? 'mine' : '' },
    el('div', { class: 'meta' },
      el('span', { class: 'who', title: m.author.id, style: null }, m.author.me ? 'You' : m.author.short),
      el('time', { class: 'when', datetime: new Date(m.ts).toISOString() }, timeOf(m.ts))),
    el('div', { class: 'text' }, m.text));
}

function colour(li, m) {
  if (!m.author.me) li.querySelector('.who').style.color = colorFor(m.author.id);
  return li;
}

function append(msgs, forceScroll) {
  const list = $('messages');
  const stick = forceScroll || nearBottom(list);
  // Messages can arrive out of order (sync brings older ones): insert by (ts, id).
  for (const m of msgs) {
    if (shown.has(m.id)) continue;
    shown.add(m.id);
    const li = colour(item(m), m);
    li.dataset.ts = String(m.ts);
    let before = null;
    for (let c = list.lastElementChild; c; c = c.previousElementSibling) {
      const ts = Number(c.dataset.ts);
      if (ts < m.ts || (ts === m.ts && c.dataset.id < m.id)) break;
      before = c;
    }
    list.insertBefore(li, before);
  }
  if (stick) list.scrollTop = list.scrollHeight;
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
  },

  async show(s) {
    space = s;
    shown.clear();
    $('messages').replaceChildren();
    append(await call('chat_list', { space: s.id }), true);
  },

  async onRecords(s, ev) {
    if (!space || s.id !== space.id) return;
    if (ev.count > ev.records.length) {
      await this.show(s);
      return;
    }
    append(ev.records.filter((r) => r.kind === 'chat'), ev.local);
  },
};
