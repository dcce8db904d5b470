// The composer: Enter sends (with any files waiting in the tray, see attach.js), Shift+Enter
// is a new line, Escape cancels a reply or an edit.
// Typing `@` offers the room's members; a chosen one is written as `@Label ` and its peer id
// is sent along as a mention. While the person types, the room hears "typing" at most every
// 3 s (live, never stored).
import { call } from './api.js';
import { $, el, toast } from './util.js';
import { people } from './profile.js';
import { attachments } from './attach.js';

const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 5000;

const st = {
  space: null,
  mode: null, // { kind: 'reply' | 'edit', m }
  chosen: new Map(), // label → peer id, for mentions picked in this draft
  members: null, // { peer, label } of the room, without this identity; null until first wanted
  lastPing: 0,
  menu: null, // { start, items, index } while the mention list is open
  typers: new Map(), // author → { label, timer }: others typing in the room
};

let sent = () => {}; // told after a message is written (the room jumps to the newest)
let lastOwn = () => null; // the newest own message shown, for ↑ to edit it

function input() {
  return $('chat-input');
}

function grow() {
  const t = input();
  t.style.height = '';
  t.style.height = `${Math.min(t.scrollHeight, 160)}px`;
}

function setText(text) {
  input().value = text;
  grow();
}

function showBar() {
  const bar = $('compose-bar');
  if (!st.mode) {
    bar.hidden = true;
    return;
  }
  const { kind, m } = st.mode;
  const what = $('compose-what');
  if (kind === 'reply') {
    const files = (m.files || []).length;
    const snippet = (m.text || '').replace(/\s+/g, ' ').slice(0, 80)
      || (files === 1 ? m.files[0].name : (files && `${files} files`) || '');
    what.replaceChildren('Replying to ', el('strong', {}, m.label || m.author_short), el('span', { class: 'muted' }, ` ${snippet}`));
  } else {
    what.replaceChildren(el('strong', {}, 'Editing'), el('span', { class: 'muted' }, ' Escape to cancel'));
  }
  bar.dataset.mode = kind;
  bar.hidden = false;
}

function cancel() {
  const wasEdit = st.mode && st.mode.kind === 'edit';
  st.mode = null;
  showBar();
  if (wasEdit) {
    setText('');
    st.chosen.clear();
  }
}

/** The peers mentioned by the draft: those chosen whose `@Label` is still in the text. */
function mentionsIn(text) {
  const peers = new Set();
  for (const [label, peer] of st.chosen) if (text.includes(`@${label}`)) peers.add(peer);
  return [...peers];
}

async function send() {
  const t = input();
  const text = t.value;
  if (!st.space || attachments.busy) return;
  const mode = st.mode;
  const editing = Boolean(mode && mode.kind === 'edit');
  // Files wait in the tray during an edit, for the next message.
  const withFiles = !editing && attachments.count > 0;
  if (!text.trim() && !withFiles) {
    if (editing) toast('A message cannot be empty: delete it instead.', true);
    return;
  }
  const mentions = mentionsIn(text);
  const space = st.space.id;
  const replyTo = mode && mode.kind === 'reply' ? mode.m.id : null;
  try {
    if (editing) {
      if (text !== mode.m.text) await call('chat_edit', { space, msg: mode.m.id, text, mentions });
    } else if (withFiles) {
      await attachments.send({ space, text, replyTo, mentions });
    } else {
      await call('chat_write', { space, text, replyTo, mentions });
    }
  } catch (e) {
    toast(e.message, true);
    return;
  }
  if (input().value === text) setText('');
  st.mode = null;
  st.chosen.clear();
  st.lastPing = 0;
  showBar();
  closeMenu();
  Promise.resolve(sent(mode, space)).catch((e) => toast(e.message, true));
}

function ping() {
  const now = Date.now();
  if (!st.space || !input().value.trim() || now - st.lastPing < TYPING_EVERY_MS) return;
  st.lastPing = now;
  call('chat_typing', { space: st.space.id }).catch(() => {});
}

// ---- others typing ----

function renderTyping() {
  const names = [...st.typers.values()].map((t) => t.label);
  const line = $('typing');
  if (!names.length) line.textContent = '';
  else if (names.length === 1) line.textContent = `${names[0]} is typing…`;
  else if (names.length === 2) line.textContent = `${names[0]} and ${names[1]} are typing…`;
  else line.textContent = 'Several people are typing…';
}

function stopTyping(author) {
  const t = st.typers.get(author);
  if (!t) return;
  clearTimeout(t.timer);
  st.typers.delete(author);
  renderTyping();
}

// ---- @-mention autocomplete ----

function closeMenu() {
  st.menu = null;
  const list = $('mention-list');
  list.hidden = true;
  list.replaceChildren();
  input().removeAttribute('aria-activedescendant');
}

function renderMenu() {
  const list = $('mention-list');
  const { items, index } = st.menu;
  list.replaceChildren(...items.map((p, i) => el('li', {
    id: `mention-${i}`,
    role: 'option',
    'data-peer': p.peer,
    'aria-selected': String(i === index),
    title: p.peer,
  }, p.label)));
  list.hidden = false;
  input().setAttribute('aria-activedescendant', `mention-${index}`);
}

/** Opens, narrows or closes the list after each keystroke, from the word before the caret. */
function updateMenu() {
  const t = input();
  const before = t.value.slice(0, t.selectionStart);
  const hit = /(^|\s)@([^\s@]{0,32})$/.exec(before);
  if (hit && st.members === null && st.space) {
    // The room's members are read when first wanted: listing them reads the whole room, which
    // must not delay opening it.
    st.members = [];
    loadMembers(st.space).then(() => updateMenu());
  }
  if (!hit || !st.members || !st.members.length) {
    closeMenu();
    return;
  }
  const q = hit[2].toLowerCase();
  // Those whose label starts with what was typed first, then those that contain it.
  const starts = (p) => (p.label.toLowerCase().startsWith(q) ? 0 : 1);
  const items = st.members
    .filter((p) => p.label.toLowerCase().includes(q))
    .sort((a, b) => starts(a) - starts(b))
    .slice(0, 8);
  if (!items.length) {
    closeMenu();
    return;
  }
  const start = before.length - hit[2].length - 1;
  const index = st.menu && st.menu.start === start ? Math.min(st.menu.index, items.length - 1) : 0;
  st.menu = { start, items, index };
  renderMenu();
}

function choose(i) {
  if (!st.menu) return;
  const p = st.menu.items[i];
  const t = input();
  const end = t.selectionStart;
  const insert = `@${p.label} `;
  t.value = t.value.slice(0, st.menu.start) + insert + t.value.slice(end);
  const caret = st.menu.start + insert.length;
  t.setSelectionRange(caret, caret);
  st.chosen.set(p.label, p.peer);
  closeMenu();
  grow();
  t.focus();
}

/** Keys the open mention list takes; true if it took this one. */
function menuKey(e) {
  if (!st.menu) return false;
  const n = st.menu.items.length;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    st.menu.index = (st.menu.index + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
    renderMenu();
  } else if (e.key === 'Enter' || e.key === 'Tab') {
    choose(st.menu.index);
  } else if (e.key === 'Escape') {
    closeMenu();
  } else {
    return false;
  }
  e.preventDefault();
  return true;
}

async function loadMembers(space) {
  try {
    const list = await call('space_members', { space: space.id });
    if (!st.space || st.space.id !== space.id) return;
    st.members = list
      .filter((m) => !m.me && m.role !== 'removed')
      .map((m) => ({ peer: m.peer, label: people.get(m.peer) ? people.label(m.peer) : m.short }))
      .sort((a, b) => a.label.localeCompare(b.label));
  } catch (_) {
    st.members = [];
  }
}

export const composer = {
  /** `onSent(mode, space)` runs after a write; `newestOwn()` gives the last own message. */
  bind(onSent, newestOwn) {
    sent = onSent;
    lastOwn = newestOwn;
    const t = input();
    $('chat-form').addEventListener('submit', (e) => {
      e.preventDefault();
      send();
    });
    t.addEventListener('keydown', (e) => {
      if (e.isComposing || menuKey(e)) return;
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        send();
      } else if (e.key === 'Escape' && st.mode) {
        e.preventDefault();
        cancel();
      } else if (e.key === 'ArrowUp' && !t.value && !st.mode) {
        const m = lastOwn();
        if (m) {
          e.preventDefault();
          this.edit(m);
        }
      }
    });
    t.addEventListener('input', () => {
      grow();
      updateMenu();
      ping();
    });
    t.addEventListener('click', updateMenu);
    t.addEventListener('blur', () => setTimeout(closeMenu, 150));
    // mousedown, not click: the text box keeps its focus and caret.
    $('mention-list').addEventListener('mousedown', (e) => {
      const li = e.target.closest('li[role="option"]');
      if (!li) return;
      e.preventDefault();
      choose([...li.parentNode.children].indexOf(li));
    });
    $('compose-cancel').addEventListener('click', () => {
      cancel();
      t.focus();
    });
  },

  /** The room the composer writes to; a reply or edit in another room is dropped. */
  setSpace(space) {
    const same = st.space && space && st.space.id === space.id;
    st.space = space;
    if (!same) {
      if (st.mode && st.mode.kind === 'edit') setText('');
      st.mode = null;
      st.chosen.clear();
      showBar();
      closeMenu();
    }
    st.members = null;
  },

  /** The member list changed (a member record, a profile): read again when next wanted. */
  refreshMembers() {
    st.members = null;
  },

  reply(m) {
    if (st.mode && st.mode.kind === 'edit') setText('');
    st.mode = { kind: 'reply', m };
    showBar();
    input().focus();
  },

  edit(m) {
    if (!m.me || m.deleted) return;
    st.mode = { kind: 'edit', m };
    st.chosen.clear();
    for (const peer of m.mentions || []) {
      st.chosen.set(people.label(peer), peer);
      const p = people.get(peer);
      if (p && p.name) st.chosen.set(p.name, peer);
    }
    setText(m.text || '');
    showBar();
    const t = input();
    t.focus();
    t.setSelectionRange(t.value.length, t.value.length);
  },

  /** Someone else is typing in this room. */
  onTyping(ev) {
    const t = st.typers.get(ev.author);
    if (t) clearTimeout(t.timer);
    const timer = setTimeout(() => stopTyping(ev.author), TYPING_SHOWN_MS);
    st.typers.set(ev.author, { label: ev.label, timer });
    renderTyping();
  },

  /** Their message arrived: they stopped typing. */
  stopTyping,

  clearTyping() {
    for (const t of st.typers.values()) clearTimeout(t.timer);
    st.typers.clear();
    renderTyping();
  },

  /** The message being answered or edited was deleted or changed elsewhere. */
  forget(id) {
    if (st.mode && st.mode.m.id === id) cancel();
  },
};
