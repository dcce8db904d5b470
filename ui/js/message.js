// One chat message as an element: the quote of what it answers, the author's name in their
// colour, the text with @mentions marked, "(edited)", its files (files.js), reactions as
// chips, and the actions (reply, react, edit, delete) built only when the message is hovered,
// focused or tapped (a long press opens them as a sheet instead: msgsheet.js).
// Every piece of peer text goes into text nodes.
import { el, timeOf, safeColor, nameColors } from './util.js';
import { people } from './profile.js';
import { renderFiles, blobUrl } from './files.js';

export const EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'];

/** The text split into plain runs and `@Label` spans for the peers it mentions. */
function withMentions(m, me) {
  const text = m.text;
  const needles = [];
  for (const peer of m.mentions || []) {
    const p = people.get(peer);
    const names = new Set([people.label(peer)]);
    if (p && p.name) names.add(p.name);
    for (const n of names) needles.push({ at: `@${n}`, mine: peer === me });
  }
  const marks = [];
  for (const { at, mine } of needles) {
    for (let i = text.indexOf(at); i !== -1; i = text.indexOf(at, i + at.length)) {
      marks.push([i, i + at.length, mine]);
    }
  }
  // Leftmost first; of two at the same place, the longer.
  marks.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out = [];
  let pos = 0;
  for (const [start, end, mine] of marks) {
    if (start < pos) continue;
    if (start > pos) out.push(text.slice(pos, start));
    out.push(el('span', { class: mine ? 'mention me' : 'mention' }, text.slice(start, end)));
    pos = end;
  }
  if (pos < text.length) out.push(text.slice(pos));
  return out;
}

function quote(q) {
  if (!q) return null;
  let body = q.text;
  if (q.deleted) body = 'message deleted';
  else if (body === null || body === undefined) body = 'message not here yet';
  else if (body === '') body = 'files'; // a message of files alone
  return el('div', {
    class: q.deleted || q.text === null ? 'quote gone' : 'quote',
    'data-target': q.id,
    'data-testid': 'quote',
    role: 'button',
    tabindex: 0,
    title: 'Show the message this answers',
  }, q.label ? el('span', { class: 'quote-who', title: q.author }, q.label) : null,
  el('span', { class: 'quote-text' }, body));
}

function reactions(m, me) {
  const entries = Object.entries(m.reactions || {}).filter(([, who]) => who.length);
  if (!entries.length || m.deleted) return null;
  return el('div', { class: 'reactions' }, ...entries.map(([emoji, who]) => {
    const names = who.map((p) => (p === me ? 'You' : people.label(p)));
    return el('button', {
      type: 'button',
      class: who.includes(me) ? 'reaction mine' : 'reaction',
      'data-emoji': emoji,
      'data-testid': 'reaction',
      title: names.join(', '),
      'aria-pressed': String(who.includes(me)),
      'aria-label': `${emoji} ${who.length}: ${names.join(', ')}`,
    }, `${emoji} ${who.length}`);
  }));
}

/**
 * The element of a message. `ctx.me` is this identity's peer id; `ctx.owner` says whether it
 * owns the room (and may delete others' messages).
 */
export function renderMessage(m, ctx) {
  const classes = ['msg'];
  if (m.me) classes.push('mine');
  if (m.deleted) classes.push('deleted');
  if (m.mentions_me) classes.push('mentions-me');
  const who = el('span', { class: 'who', title: m.author }, m.label || m.author_short);
  const colour = safeColor(m.color);
  if (colour) {
    // In their colour, made darker or lighter where it would not read (style.css picks one).
    const { light, dark } = nameColors(colour);
    who.classList.add('tinted');
    who.style.setProperty('--who-light', light);
    who.style.setProperty('--who-dark', dark);
  }
  const when = el('time', {
    class: 'when',
    datetime: new Date(m.ts).toISOString(),
    title: new Date(m.ts).toLocaleString(),
  }, timeOf(m.ts));
  const gone = m.deleted || m.text === null;
  const files = gone ? null : renderFiles(m.files, m.me);
  let text = null;
  if (gone) {
    text = el('div', { class: 'text deleted', 'data-testid': 'deleted' },
      m.removed_by_owner ? 'removed by the owner' : 'message deleted');
  } else if (m.text || !files) {
    text = el('div', { class: 'text' }, ...withMentions(m, ctx.me));
  }
  const li = el('li', {
    class: classes.join(' '),
    'data-testid': 'chat-message',
    'data-id': m.id,
    tabindex: 0,
  },
  m.deleted ? null : quote(m.quote),
  el('div', { class: 'meta' }, avatar(m), who, when,
    m.edited && !m.deleted ? el('span', { class: 'edited', 'data-testid': 'edited' }, '(edited)') : null),
  text,
  files,
  reactions(m, ctx.me));
  li.dataset.ts = String(m.ts);
  li.dataset.tick = String(m.tick);
  return li;
}

/** The author's picture (its small preview), if they chose one. */
function avatar(m) {
  if (!m.picture || !/^[0-9a-f]{64}$/.test(m.picture)) return null;
  return el('img', {
    class: 'avatar', 'data-testid': 'avatar', alt: '', width: 20, height: 20,
    src: blobUrl(`thumb/${m.picture}`),
  });
}

/** Adds the action bar to a message's element, once (none on a deleted message). */
export function ensureActions(li, m, ctx) {
  if (!m || m.deleted || li.querySelector('.actions')) return;
  const act = (cls, label, icon) => el('button', {
    type: 'button', class: `act ${cls}`, 'data-testid': cls, title: label, 'aria-label': label,
  }, icon);
  li.append(el('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Message actions' },
    act('act-reply', 'Reply', '↩'),
    act('act-react', 'React', '☺'),
    m.me ? act('act-edit', 'Edit', '✎') : null,
    m.me || ctx.owner ? act('act-delete', m.me ? 'Delete' : 'Remove (as the owner)', '⌫') : null));
}

/** Opens or closes the emoji palette of a message. */
export function togglePalette(li) {
  const open = li.querySelector('.react-palette');
  if (open) {
    open.remove();
    return;
  }
  li.append(el('div', { class: 'react-palette', role: 'group', 'aria-label': 'React with' },
    ...EMOJI.map((e) => el('button', { type: 'button', 'data-emoji': e, title: `React ${e}` }, e))));
}

// ---- what a click in the list does ----

const armed = new Map(); // message id → timer: Delete was clicked once, a second click deletes

function armDelete(b, id) {
  if (armed.has(id)) {
    clearTimeout(armed.get(id));
    armed.delete(id);
    return true;
  }
  const icon = b.textContent;
  b.textContent = 'Delete?';
  b.classList.add('armed');
  armed.set(id, setTimeout(() => {
    armed.delete(id);
    b.textContent = icon;
    b.classList.remove('armed');
  }, 4000));
  return false;
}

/**
 * Handles a click (or Enter) in the message list `list`. `h` gives `message(id)`, `ctx()`
 * and what to do: `jump(id)`, `reply(m)`, `edit(m)`, `remove(id)`, `react(id, emoji)`.
 */
export async function onAction(e, list, h) {
  const quoteEl = e.target.closest('.quote');
  if (quoteEl) {
    await h.jump(quoteEl.dataset.target);
    return;
  }
  const li = e.target.closest('.msg');
  if (!li) return;
  const id = li.dataset.id;
  const m = h.message(id);
  const b = e.target.closest('button');
  if (!b) {
    // A tap shows this message's actions (and hides another's).
    for (const o of list.querySelectorAll('.msg.active')) if (o !== li) o.classList.remove('active');
    li.classList.add('active');
    ensureActions(li, m, h.ctx());
    return;
  }
  if (b.classList.contains('act-reply')) h.reply(m);
  else if (b.classList.contains('act-edit')) h.edit(m);
  else if (b.classList.contains('act-react')) togglePalette(li);
  else if (b.classList.contains('act-delete')) {
    if (armDelete(b, id)) await h.remove(id);
  } else if (b.dataset.emoji) {
    const palette = li.querySelector('.react-palette');
    if (palette) palette.remove();
    await h.react(id, b.dataset.emoji);
  }
}

/** Builds a message's actions when the pointer or focus reaches it. */
export function onHover(e, h) {
  const li = e.target.closest && e.target.closest('.msg');
  if (li && !li.querySelector('.actions')) ensureActions(li, h.message(li.dataset.id), h.ctx());
}
