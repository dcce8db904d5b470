// The Whiteboard tab: an infinite canvas of objects (shapes, text, sticky notes, strokes,
// pictures) that every member may edit. This module opens a board, keeps its objects up to
// date from the node's events (only the objects an event names are read again), and wires
// the toolbar; the rest is in board/: the objects and their index (scene.js), the view
// (view.js), drawing (render.js), the pointer and keys (tools.js), changes and undo
// (edit.js), text in place (text.js), history (history.js), export (export.js), live
// presence (live.js) and pictures (pictures.js).
import { call } from './api.js';
import { $, toast } from './util.js';
import { B } from './board/state.js';
import { Scene } from './board/scene.js';
import { fit, onViewChange, restoreView, setView, toBoard, visibleRect, zoomAt } from './board/view.js';
import { refreshTheme, stats } from './board/render.js';
import { bindTools, setTool, style } from './board/tools.js';
import * as edit from './board/edit.js';
import { bindText, finishEditing } from './board/text.js';
import { bindHistory, closeHistory, historySelection, onHistory } from './board/history.js';
import { exportAs } from './board/export.js';
import { bindLive, clearLive, liveCount, onLive, sendLive, strokeDone } from './board/live.js';
import { bindPictures, pictureHeld } from './board/pictures.js';

/** Pictures placed together without a point are set apart by this much (board units). */
const STAGGER = 32;

let opening = 0;
let fetching = new Set();
let fetchTimer = null;
let reloadTimer = null;
/** The last board opened: how long it took, for the tests and the benchmark. */
let lastLoad = null;

function resize() {
  const dpr = window.devicePixelRatio || 1;
  const r = B.canvas.getBoundingClientRect();
  if (!r.width || !r.height) return;
  B.width = r.width;
  B.height = r.height;
  B.canvas.width = Math.max(1, Math.round(r.width * dpr));
  B.canvas.height = Math.max(1, Math.round(r.height * dpr));
  B.draw();
  sendLive();
}

/** Reads the objects an event named (many events in a burst make one round of reads). */
function fetchLater(id) {
  fetching.add(id);
  if (fetchTimer) return;
  fetchTimer = setTimeout(() => {
    fetchTimer = null;
    const ids = [...fetching];
    fetching = new Set();
    if (B.space) edit.refresh(ids).catch((e) => console.error(e));
  }, 16);
}

/** Reads the whole board again (after an erase, or a catch-up too big to go by event). */
function reloadLater() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(async () => {
    const space = B.space;
    if (!space) return;
    const list = await call('board_objects', { space: space.id });
    if (B.space !== space) return;
    B.scene = new Scene(list);
    for (const id of [...B.selection]) if (!B.scene.get(id)) B.selection.delete(id);
    edit.edited();
  }, 150);
}

/** Top-left corner for a picture placed without a point: inside the view, past any picture
 * placed there before (so one never hides another exactly). */
function corner() {
  const [x0, y0] = visibleRect();
  let [x, y] = [Math.round(x0 + 24 / B.view.s), Math.round(y0 + 24 / B.view.s)];
  const pics = B.scene.order.filter((o) => o.kind === 'picture');
  while (pics.some((p) => Math.abs(p.x - x) < 1 && Math.abs(p.y - y) < 1)) {
    x += STAGGER;
    y += STAGGER;
  }
  return [x, y];
}

/** The toolbar follows the selection, the undo stacks and history mode. */
function toolbar() {
  const editable = !B.past;
  const some = B.selection.size > 0 && editable;
  for (const id of ['board-front', 'board-back', 'board-duplicate', 'board-remove']) $(id).disabled = !some;
  $('undo').disabled = !edit.canUndo() || !editable;
  $('redo').disabled = !edit.canRedo() || !editable;
  for (const b of document.querySelectorAll('#board-tools [data-tool]')) b.disabled = !editable;
  $('board-image').disabled = !editable;
  B.canvas.dataset.selected = [...B.selection].join(',');
  historySelection();
}

/** A style control changed: the selection takes it (one undo step), new objects too. */
function restyle(prop) {
  if (B.past || !B.selection.size) return;
  const st = style();
  const edits = [];
  for (const id of B.selection) {
    const o = B.scene.get(id);
    if (!o) continue;
    if (prop === 'fill' && !['rect', 'ellipse', 'note'].includes(o.kind)) continue;
    if (prop === 'font' && !['text', 'note', 'rect', 'ellipse', 'line', 'arrow'].includes(o.kind)) continue;
    if (prop === 'color' && o.kind === 'picture') continue;
    edits.push({ object: id, [prop]: st[prop] });
  }
  if (edits.length) edit.change(edits).catch((e) => toast(e.message, true));
}

function bindToolbar() {
  const act = (id, f) => $(id).addEventListener('click', () => {
    f().catch((e) => toast(e.message, true));
    B.canvas.focus({ preventScroll: true });
  });
  act('undo', edit.undo);
  act('redo', edit.redo);
  act('board-front', () => edit.restack('front'));
  act('board-back', () => edit.restack('back'));
  act('board-duplicate', edit.duplicate);
  act('board-remove', () => edit.remove([...B.selection]));
  $('zoom-in').addEventListener('click', () => zoomAt(1.25));
  $('zoom-out').addEventListener('click', () => zoomAt(0.8));
  $('zoom-level').addEventListener('click', () => zoomAt(1 / B.view.s));
  $('zoom-fit').addEventListener('click', fit);
  $('export-png').addEventListener('click', () => exportAs('png'));
  $('export-svg').addEventListener('click', () => exportAs('svg'));
  $('pen-color').addEventListener('change', () => restyle('color'));
  $('pen-width').addEventListener('change', () => restyle('width'));
  $('board-font').addEventListener('change', () => restyle('font'));
  $('board-fill').addEventListener('change', () => {
    $('board-fill-none').setAttribute('aria-pressed', 'false');
    restyle('fill');
  });
  $('board-fill-none').addEventListener('click', () => {
    const none = $('board-fill-none').getAttribute('aria-pressed') !== 'true';
    $('board-fill-none').setAttribute('aria-pressed', String(none));
    restyle('fill');
  });
  for (const b of document.querySelectorAll('#board-tools [data-tool]')) {
    b.addEventListener('click', () => B.canvas.focus({ preventScroll: true }));
  }
  onViewChange(() => {
    const zoom = `${Math.round(B.view.s * 100)}%`;
    $('zoom-level').textContent = zoom;
    // The name starts with what the button shows (axe: label-content-name-mismatch).
    $('zoom-level').setAttribute('aria-label', `Zoom ${zoom}, back to 100%`);
    B.canvas.dataset.view = JSON.stringify(B.view);
    sendLive();
  });
  edit.onEdit(toolbar);
  edit.onEdit(sendLive);
  onHistory(toolbar);
}

/** Numbers for the tests and the benchmark (no effect on the board). */
function debugHooks() {
  window.__board = {
    get lastLoad() { return lastLoad; },
    get visible() { return stats.visible; },
    get total() { return stats.total; },
    get view() { return { ...B.view }; },
    get selection() { return [...B.selection]; },
    get tool() { return B.tool; },
    get history() { return B.past ? { asOf: B.past.asOf, count: B.past.scene.size } : null; },
    frames: () => stats.frames.slice(),
    object: (id) => {
      const o = (B.past ? B.past.scene : B.scene).get(id);
      return o ? { id: o.id, kind: o.kind, x: o.x, y: o.y, w: o.w, h: o.h, text: o.text, color: o.color, fill: o.fill, z: o.z } : null;
    },
    objects: () => (B.past ? B.past.scene : B.scene).order.map((o) => ({ id: o.id, kind: o.kind, x: o.x, y: o.y, w: o.w, h: o.h, text: o.text })),
    setView: (v) => setView(v),
    /** Moves the view once per animation frame, `frames` times (`pan` or `zoom`), and gives
     * the frames' timings: what a person dragging or pinching makes the board do. */
    animate: (kind, frames = 120) => new Promise((done) => {
      const start = { ...B.view };
      const out = [];
      let i = 0;
      let last = performance.now();
      const step = (now) => {
        try {
          stepOnce(now);
        } catch (e) {
          done(String(e));
        }
      };
      const stepOnce = (now) => {
        out.push({ interval: now - last, draw: stats.frames.length ? stats.frames[stats.frames.length - 1].draw : 0, visible: stats.visible });
        last = now;
        if (i >= frames) {
          done(out.slice(1));
          return;
        }
        i += 1;
        if (kind === 'zoom') {
          const k = Math.exp(Math.sin((i / frames) * Math.PI * 2) * 0.9);
          const s = start.s * k;
          setView({ s, ox: start.ox + B.width / 2 / start.s - B.width / 2 / s, oy: start.oy + B.height / 2 / start.s - B.height / 2 / s });
        } else {
          // Back and forth over 400 × 200 px: the same part of the board stays in play.
          const a = (i / frames) * Math.PI * 2;
          setView({ s: start.s, ox: start.ox + (Math.sin(a) * 200) / start.s, oy: start.oy + ((1 - Math.cos(a)) * 100) / start.s });
        }
        requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    }),
  };
}

export const board = {
  bind() {
    B.canvas = $('board-canvas');
    B.ctx = B.canvas.getContext('2d');
    refreshTheme();
    bindTools();
    bindText();
    bindHistory();
    bindLive();
    bindToolbar();
    bindPictures({
      toBoard,
      // Pictures just placed are selected with the select tool, ready to be moved or resized.
      placed: (ids) => {
        setTool('select');
        return edit.added(ids);
      },
      corner,
    });
    new ResizeObserver(resize).observe(B.canvas);
    setTool('pen');
    toolbar();
    debugHooks();
    call('me').then((m) => edit.setMe(m.account || m.peer_id), () => {});
  },

  async show(s) {
    const mine = ++opening;
    const t0 = performance.now();
    const other = !B.space || B.space.id !== s.id;
    if (other) {
      finishEditing();
      closeHistory();
      clearLive();
      edit.forget();
      B.selection.clear();
      B.draft = null;
      B.scene = new Scene();
    }
    B.space = s;
    $('board-note').textContent = '';
    const list = await call('board_objects', { space: s.id });
    if (mine !== opening) return;
    const t1 = performance.now();
    B.scene = new Scene(list);
    const t2 = performance.now();
    resize();
    if (other) restoreView();
    edit.edited();
    // Measured to the end of the first frame that shows the board.
    requestAnimationFrame(() => {
      const t3 = performance.now();
      lastLoad = { ms: t3 - t0, fetch: t1 - t0, index: t2 - t1, objects: list.length, visible: stats.visible, at: Date.now() };
      B.canvas.dataset.loaded = String(list.length);
    });
    sendLive();
  },

  async onRecords(s, ev) {
    if (!B.space || s.id !== B.space.id) return;
    if (ev.count > ev.records.length || ev.records.some((r) => r.kind === 'erase')) {
      reloadLater();
      return;
    }
    for (const r of ev.records) {
      if (r.kind === 'shape' && r.object) {
        // A new shape comes whole, unless the board has it already.
        if (!B.scene.get(r.id)) B.scene.set(r.object);
        fetchLater(r.id);
      } else if (r.kind === 'object_changed' || r.kind === 'move') {
        fetchLater(r.target);
      } else if (r.kind === 'stroke' || r.kind === 'picture') {
        fetchLater(r.id);
        // The finished stroke replaces its author's stroke in progress.
        if (r.kind === 'stroke') strokeDone(r.author);
      }
    }
    B.draw();
  },

  /** Another member's pointer, stroke in progress, view and selection. */
  onLive(ev, me) {
    onLive(ev, me);
  },

  /** The whole picture of a blob is here (`file_held`). */
  onHeld(ev) {
    if (B.space && ev.space === B.space.id) pictureHeld(B.scene, ev.blob);
  },

  /** How many members are shown live now (for tests and the status line). */
  liveCount() {
    return liveCount();
  },

  redraw() {
    refreshTheme();
    B.draw();
  },
};
