// Where the board lies on screen: the view (origin and scale), kept per board in the page's
// storage; panning, zooming about a point, fitting the content, and following another
// member's viewport (which stops as soon as the person pans or zooms themselves).
import { B, shown } from './state.js';

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 8;

const listeners = [];
let saveTimer = null;

/** Who is being followed (peer id), or null. */
export const follow = { peer: null };

/** Calls `fn()` after every change of the view (live presence, the zoom label). */
export function onViewChange(fn) {
  listeners.push(fn);
}

function changed() {
  for (const fn of listeners) fn();
  B.draw();
  clearTimeout(saveTimer);
  const id = B.space && B.space.id;
  saveTimer = setTimeout(() => {
    if (id) localStorage.setItem(`confab-board-view:${id}`, JSON.stringify(B.view));
  }, 400);
}

/** A point of the window (client CSS pixels) on the board. */
export function toBoard(clientX, clientY) {
  const r = B.canvas.getBoundingClientRect();
  return [(clientX - r.left) / B.view.s + B.view.ox, (clientY - r.top) / B.view.s + B.view.oy];
}

/** A board point in the canvas's CSS pixels. */
export function toScreen(x, y) {
  return [(x - B.view.ox) * B.view.s, (y - B.view.oy) * B.view.s];
}

/** The part of the board in view: [x0, y0, x1, y1]. */
export function visibleRect() {
  const { s, ox, oy } = B.view;
  return [ox, oy, ox + B.width / s, oy + B.height / s];
}

/** Sets the view. `byPerson` (the default) stops following. */
export function setView(v, byPerson = true) {
  if (byPerson && follow.peer) stopFollowing();
  const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.s));
  if (!Number.isFinite(s) || !Number.isFinite(v.ox) || !Number.isFinite(v.oy)) return;
  B.view = { s, ox: v.ox, oy: v.oy };
  changed();
}

/** Moves the board by (dx, dy) CSS pixels. */
export function panBy(dx, dy) {
  setView({ s: B.view.s, ox: B.view.ox - dx / B.view.s, oy: B.view.oy - dy / B.view.s });
}

/** Zooms by `factor` keeping the board point under (cx, cy) (canvas CSS pixels) in place. */
export function zoomAt(factor, cx = B.width / 2, cy = B.height / 2) {
  const { s, ox, oy } = B.view;
  const s2 = Math.min(MAX_SCALE, Math.max(MIN_SCALE, s * factor));
  const bx = cx / s + ox;
  const by = cy / s + oy;
  setView({ s: s2, ox: bx - cx / s2, oy: by - cy / s2 });
}

/** Shows the rectangle [x0, y0, x1, y1] whole, centred, no closer than `maxScale`. */
export function showRect(r, maxScale = 1, byPerson = true) {
  const pad = 24;
  const w = Math.max(1, r[2] - r[0]);
  const h = Math.max(1, r[3] - r[1]);
  const s = Math.min(maxScale, Math.max(1, B.width - 2 * pad) / w, Math.max(1, B.height - 2 * pad) / h);
  const cx = (r[0] + r[2]) / 2;
  const cy = (r[1] + r[3]) / 2;
  setView({ s, ox: cx - B.width / 2 / s, oy: cy - B.height / 2 / s }, byPerson);
}

/** Fits everything on the board (never closer than 100%). */
export function fit() {
  const e = shown().extent();
  if (e) showRect(e, 1);
  else setView({ s: 1, ox: 0, oy: 0 });
}

/** The view kept for this board, else the whole content (the top-left at 0,0 at 100% when
 * that fits, so a new board starts where board units are CSS pixels). */
export function restoreView() {
  const saved = B.space && localStorage.getItem(`confab-board-view:${B.space.id}`);
  if (saved) {
    try {
      const v = JSON.parse(saved);
      if ([v.s, v.ox, v.oy].every(Number.isFinite)) {
        setView(v, false);
        return;
      }
    } catch (_) { /* a view from an older version: fit instead */ }
  }
  const e = shown().extent();
  if (!e || (e[0] >= 0 && e[1] >= 0 && e[2] <= B.width && e[3] <= B.height)) {
    setView({ s: 1, ox: 0, oy: 0 }, false);
  } else {
    showRect(e, 1, false);
  }
}

const followListeners = [];
/** Calls `fn()` when following starts or stops. */
export function onFollowChange(fn) {
  followListeners.push(fn);
}

export function startFollowing(peer) {
  follow.peer = peer;
  for (const fn of followListeners) fn();
}

export function stopFollowing() {
  follow.peer = null;
  for (const fn of followListeners) fn();
}

/** Another member's viewport [x, y, w, h]: shown when they are the one followed. */
export function followed(peer, rect) {
  if (follow.peer !== peer || !rect) return;
  const [x, y, w, h] = rect;
  if (![x, y, w, h].every(Number.isFinite) || w <= 0 || h <= 0) return;
  // Their whole view in ours, centred, at their scale or further out.
  const s = Math.min(B.width / w, B.height / h);
  setView({ s, ox: x + w / 2 - B.width / 2 / s, oy: y + h / 2 - B.height / 2 / s }, false);
}
