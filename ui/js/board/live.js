// Live presence on the board: this person's pointer, stroke in progress, view (the part of
// the board in view, in board units) and selection go out at most 20 times a second and only
// when something changed (with a frame every 2 s meanwhile, so the others keep them); the
// other members' arrive as `live` events, are drawn (render.js), listed as chips over the
// board and forgotten after 4 s without a frame. Clicking a chip follows that member's view.
import { call } from '../api.js';
import { $, el, colorFor } from '../util.js';
import { people } from '../profile.js';
import { B } from './state.js';
import { follow, followed, onFollowChange, startFollowing, stopFollowing, visibleRect } from './view.js';
import { setOthers } from './render.js';

const LIVE_FORGET = 4000;
const LIVE_EVERY = 50; // ms between frames sent (20 a second)
const KEEP_ALIVE = 2000;
const LIVE_POINTS = 512;

/** Other members by peer id: { id, name, cursor, stroke, view, selection, seen }. */
const others = new Map();
setOthers(others);

let cursor = null;
let timer = null;
let lastSent = 0;
let lastFrame = '';

function frameNow() {
  const d = B.draft;
  const stroke = d && d.type === 'stroke'
    ? { points: d.points.slice(-LIVE_POINTS), color: d.color, width: d.width, erasing: false }
    : null;
  const [x0, y0, x1, y1] = visibleRect();
  const round = (v) => Math.round(v * 10) / 10;
  return {
    cursor,
    stroke,
    view: B.width ? [round(x0), round(y0), round(x1 - x0), round(y1 - y0)] : null,
    selection: [...B.selection].slice(0, 64),
  };
}

/** Something this person shows others changed: a frame goes out within 50 ms. */
export function sendLive() {
  if (!B.space || timer) return;
  const wait = Math.max(0, LIVE_EVERY - (Date.now() - lastSent));
  timer = setTimeout(async () => {
    timer = null;
    if (!B.space) return;
    const frame = frameNow();
    const text = JSON.stringify(frame);
    // Only on change (or to stay known).
    if (text === lastFrame && Date.now() - lastSent < KEEP_ALIVE) return;
    lastFrame = text;
    lastSent = Date.now();
    try {
      await call('board_live', { space: B.space.id, ...frame });
    } catch (_) { /* presence is best effort */ }
  }, wait);
}

/** The pointer is at board point `p` (null: off the board). */
export function pointerAt(p) {
  cursor = p ? [Math.round(p[0] * 10) / 10, Math.round(p[1] * 10) / 10] : null;
  sendLive();
}

function nameOf(o) {
  const label = people.label(o.id);
  return label && !label.startsWith('…') ? label : o.short;
}

function renderChips() {
  const list = $('board-presence');
  const items = [...others.values()].sort((a, b) => a.name.localeCompare(b.name)).map((o) => {
    const following = follow.peer === o.id;
    const b = el('button', {
      type: 'button',
      'data-testid': 'board-member',
      'data-peer': o.id,
      'aria-pressed': String(following),
      title: following ? `Following ${o.name}: click to stop` : `Follow ${o.name}'s view`,
      onclick: () => {
        if (follow.peer === o.id) stopFollowing();
        else {
          startFollowing(o.id);
          if (o.view) followed(o.id, o.view);
        }
      },
    }, following ? `👁 ${o.name}` : o.name);
    b.style.background = colorFor(o.id, 28); // the chip's white name reads on it
    return el('li', {}, b);
  });
  list.replaceChildren(...items);
  B.canvas.dataset.live = String(others.size);
  B.canvas.dataset.following = follow.peer || '';
}

/** A member's live frame (`live` event). */
export function onLive(ev, me) {
  if (!B.space || ev.space !== B.space.id || (me && ev.author === me.peer_id)) return;
  const known = others.get(ev.author);
  const o = {
    id: ev.author,
    short: ev.author_short,
    name: known ? known.name : '',
    cursor: ev.cursor,
    stroke: ev.stroke,
    view: ev.view || (known && known.view) || null,
    selection: ev.selection || [],
    seen: Date.now(),
  };
  o.name = nameOf(o);
  others.set(ev.author, o);
  if (!known || known.name !== o.name) renderChips();
  followed(o.id, ev.view);
  B.draw();
}

/** A member's stroke was stored: their stroke in progress is done. */
export function strokeDone(author) {
  const o = others.get(author);
  if (o) o.stroke = null;
}

/** Forgets everyone (another board opened). */
export function clearLive() {
  others.clear();
  cursor = null;
  lastFrame = '';
  if (follow.peer) stopFollowing();
  renderChips();
}

export function liveCount() {
  return others.size;
}

export function bindLive() {
  onFollowChange(renderChips);
  // Forget members who went quiet (closed the board, lost the connection); keep this one
  // known to them.
  setInterval(() => {
    const now = Date.now();
    let gone = false;
    for (const [id, o] of others) {
      if (now - o.seen > LIVE_FORGET) {
        others.delete(id);
        gone = true;
        if (follow.peer === id) stopFollowing();
      }
    }
    if (gone) {
      renderChips();
      B.draw();
    }
    if (B.space && !$('panel-board').hidden && now - lastSent >= KEEP_ALIVE) sendLive();
  }, 1000);
}
