// The pointer and the keyboard on the board: the tools (select, pen, eraser, shapes, text,
// sticky notes), selecting (click, a box dragged on empty space, Shift to add), moving and
// resizing (handles; lines and arrows by their ends), panning (Space held or the middle
// button, two fingers), zooming (Ctrl+wheel, pinch), and the keys (Delete, Ctrl+Z/Y/D/C/V).
// Mouse, pen and touch all arrive as pointer events.
import { $, toast } from '../util.js';
import { B, shown } from './state.js';
import { isSegment } from './scene.js';
import { panBy, setView, toBoard, zoomAt } from './view.js';
import { handlesOf } from './render.js';
import * as edit from './edit.js';
import { editText, isEditing, newText } from './text.js';
import { pastePicture } from './pictures.js';
import { pointerAt, sendLive } from './live.js';

const MAX_POINTS = 8000;
const REACH = { mouse: 6, pen: 8, touch: 18 };
const HANDLE_REACH = { mouse: 8, pen: 10, touch: 22 };
const SHAPES = ['rect', 'ellipse', 'line', 'arrow'];
const KEYS = { v: 'select', p: 'pen', e: 'eraser', r: 'rect', o: 'ellipse', l: 'line', a: 'arrow', t: 'text', n: 'note' };

const pointers = new Map(); // pointerId -> [clientX, clientY]
let gesture = null; // { type: 'pan' | 'pinch' | 'move' | 'resize', … }
let spaceHeld = false;

/** The style new objects get (the toolbar's). */
export function style() {
  return {
    color: $('pen-color').value,
    fill: $('board-fill-none').getAttribute('aria-pressed') === 'true' ? 'none' : $('board-fill').value,
    width: Number($('pen-width').value),
    font: Number($('board-font').value),
  };
}

export function setTool(t) {
  B.tool = t;
  for (const b of document.querySelectorAll('#board-tools [data-tool]')) {
    b.setAttribute('aria-pressed', String(b.dataset.tool === t));
  }
  B.canvas.style.cursor = t === 'select' ? 'default' : t === 'eraser' ? 'cell' : t === 'text' ? 'text' : 'crosshair';
  B.canvas.dataset.tool = t;
  if (t !== 'select' && B.selection.size) {
    B.selection.clear();
    edit.edited();
  }
}

/** A copy of `o` at a new place and size (a stroke's points follow); caches dropped. */
export function reshaped(o, x, y, w, h) {
  const n = { ...o, x, y, w, h };
  delete n.path;
  delete n.lines;
  delete n.linesKey;
  if (o.kind === 'stroke' && o.points) {
    const sx = o.w ? w / o.w : 1;
    const sy = o.h ? h / o.h : 1;
    n.points = o.points.map(([px, py]) => [x + (px - o.x) * sx, y + (py - o.y) * sy]);
  }
  return n;
}

function point(e) {
  const [x, y] = toBoard(e.clientX, e.clientY);
  return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
}

function reach(e, table = REACH) {
  return (table[e.pointerType] || table.mouse) / B.view.s;
}

function handleAt(p, e) {
  if (B.selection.size !== 1 || B.past) return null;
  const o = B.scene.get([...B.selection][0]);
  if (!o) return null;
  const r = reach(e, HANDLE_REACH);
  for (const h of handlesOf(o)) if (Math.abs(p[0] - h.x) <= r && Math.abs(p[1] - h.y) <= r) return { o, name: h.name };
  return null;
}

function selectedAt(p) {
  for (const id of B.selection) {
    const o = B.scene.get(id);
    if (o && p[0] >= o.bbox[0] && p[0] <= o.bbox[2] && p[1] >= o.bbox[1] && p[1] <= o.bbox[3]) return o;
  }
  return null;
}

function selectionChanged() {
  edit.edited();
  sendLive();
}

/** Ends whatever the pointer was doing without writing it (a second finger came). */
function abandon() {
  if (gesture && (gesture.type === 'move' || gesture.type === 'resize')) {
    for (const o of gesture.prior.values()) B.scene.set(o);
  }
  gesture = null;
  B.draft = null;
  B.draw();
}

function startPinch() {
  abandon();
  const [a, b] = [...pointers.values()];
  gesture = {
    type: 'pinch',
    dist: Math.max(1, Math.hypot(a[0] - b[0], a[1] - b[1])),
    mid: toBoard((a[0] + b[0]) / 2, (a[1] + b[1]) / 2),
    view: { ...B.view },
  };
}

function pinch() {
  const [a, b] = [...pointers.values()];
  const r = B.canvas.getBoundingClientRect();
  const dist = Math.max(1, Math.hypot(a[0] - b[0], a[1] - b[1]));
  const s = gesture.view.s * (dist / gesture.dist);
  const mx = (a[0] + b[0]) / 2 - r.left;
  const my = (a[1] + b[1]) / 2 - r.top;
  // The board point that was between the fingers stays between them.
  setView({ s, ox: gesture.mid[0] - mx / s, oy: gesture.mid[1] - my / s });
}

function down(e) {
  if (!B.space || isEditing()) return;
  B.canvas.focus({ preventScroll: true });
  pointers.set(e.pointerId, [e.clientX, e.clientY]);
  B.canvas.dataset.pointer = e.pointerType; // for the tests: mouse, pen or touch
  if (e.pointerType === 'touch' && pointers.size === 2) {
    startPinch();
    return;
  }
  if (pointers.size > 1) return;
  try {
    B.canvas.setPointerCapture(e.pointerId);
  } catch (_) { /* a pointer the browser does not track (a script's): no capture */ }
  if (e.button === 1 || (e.button === 0 && spaceHeld)) {
    gesture = { type: 'pan', last: [e.clientX, e.clientY], middle: e.button === 1 };
    return;
  }
  if (e.button > 0) return;
  const p = point(e);
  const scene = shown();
  if (B.past) {
    // History is read only: selecting (to restore) is all.
    const o = scene.hit(p, reach(e));
    B.selection = new Set(o ? [o.id] : []);
    selectionChanged();
    return;
  }
  const st = style();
  switch (B.tool) {
    case 'select': {
      const h = handleAt(p, e);
      if (h) {
        gesture = { type: 'resize', id: h.o.id, handle: h.name, prior: new Map([[h.o.id, h.o]]), moved: false };
        return;
      }
      // Inside the box of something selected grabs the selection (an outline has no inside).
      const o = (!e.shiftKey && selectedAt(p)) || scene.hit(p, reach(e));
      if (o) {
        if (e.shiftKey) {
          if (B.selection.has(o.id)) B.selection.delete(o.id);
          else B.selection.add(o.id);
          selectionChanged();
          if (!B.selection.has(o.id)) return;
        } else if (!B.selection.has(o.id)) {
          B.selection = new Set([o.id]);
          selectionChanged();
        }
        const prior = new Map();
        for (const id of B.selection) {
          const x = B.scene.get(id);
          if (x) prior.set(id, x);
        }
        // A click (no drag) on one of several selected objects selects it alone.
        const alone = !e.shiftKey && B.selection.size > 1 ? o.id : null;
        gesture = { type: 'move', from: p, prior, moved: false, alone };
      } else {
        if (!e.shiftKey && B.selection.size) {
          B.selection.clear();
          selectionChanged();
        }
        B.draft = { type: 'box', a: p, b: p, base: new Set(B.selection) };
      }
      break;
    }
    case 'pen':
      B.draft = { type: 'stroke', points: [p], color: st.color, width: st.width };
      break;
    case 'eraser': {
      const hit = scene.hit(p, reach(e));
      B.draft = { type: 'erase', ids: new Set(hit ? [hit.id] : []), last: p, reach: reach(e) };
      break;
    }
    case 'rect':
    case 'ellipse':
    case 'line':
    case 'arrow':
      B.draft = { type: 'shape', start: p, screen: [e.clientX, e.clientY], object: draftObject(B.tool, p, p, st, e.shiftKey) };
      break;
    case 'text':
      // The editor opens when the button is let go (the press would take its focus away).
      B.draft = { type: 'text', at: p };
      break;
    case 'note':
      placeNote(p, st).catch((err) => toast(err.message, true));
      break;
    default:
      break;
  }
  B.draw();
}

function draftObject(kind, a, b, st, square) {
  let [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  if (square) {
    if (isSegment({ kind })) {
      // Snap to 45°.
      const ang = Math.round(Math.atan2(dy, dx) / (Math.PI / 4)) * (Math.PI / 4);
      const len = Math.hypot(dx, dy);
      [dx, dy] = [Math.cos(ang) * len, Math.sin(ang) * len];
    } else {
      const m = Math.max(Math.abs(dx), Math.abs(dy));
      [dx, dy] = [Math.sign(dx || 1) * m, Math.sign(dy || 1) * m];
    }
  }
  const o = { id: 'draft', kind, text: '', color: st.color, fill: st.fill === 'none' ? null : st.fill, width: st.width, font: st.font };
  if (isSegment(o)) Object.assign(o, { x: a[0], y: a[1], w: dx, h: dy });
  else Object.assign(o, { x: Math.min(a[0], a[0] + dx), y: Math.min(a[1], a[1] + dy), w: Math.abs(dx), h: Math.abs(dy) });
  B.scene.prepare(o);
  return o;
}

async function placeNote(p, st) {
  setTool('select');
  const id = await edit.addShape({ kind: 'note', at: [Math.round(p[0] - 100), Math.round(p[1] - 100)], size: [200, 200], color: '#1e1e1e', font: st.font });
  editText(id);
}

function move(e) {
  if (pointers.has(e.pointerId)) pointers.set(e.pointerId, [e.clientX, e.clientY]);
  const p = point(e);
  pointerAt(p);
  if (gesture && gesture.type === 'pinch') {
    if (pointers.size >= 2) pinch();
    return;
  }
  if (gesture && gesture.type === 'pan') {
    // The middle button let go where no pointerup came.
    if (gesture.middle && !(e.buttons & 4)) {
      gesture = null;
      pointers.delete(e.pointerId);
      return;
    }
    panBy(e.clientX - gesture.last[0], e.clientY - gesture.last[1]);
    gesture.last = [e.clientX, e.clientY];
    return;
  }
  if (gesture && gesture.type === 'move') {
    const [dx, dy] = [p[0] - gesture.from[0], p[1] - gesture.from[1]];
    gesture.moved = gesture.moved || dx !== 0 || dy !== 0;
    gesture.d = [dx, dy];
    for (const o of gesture.prior.values()) B.scene.set(reshaped(o, o.x + dx, o.y + dy, o.w, o.h));
    sendLive();
    B.draw();
    return;
  }
  if (gesture && gesture.type === 'resize') {
    gesture.moved = true;
    const o = gesture.prior.get(gesture.id);
    B.scene.set(resized(o, gesture.handle, p, e.shiftKey));
    B.draw();
    return;
  }
  const d = B.draft;
  if (!d) {
    hover(p, e);
    return;
  }
  if (d.type === 'box') {
    d.b = p;
    const r = [Math.min(d.a[0], p[0]), Math.min(d.a[1], p[1]), Math.max(d.a[0], p[0]), Math.max(d.a[1], p[1])];
    B.selection = new Set([...d.base, ...B.scene.inside(r).map((o) => o.id)]);
    edit.edited();
  } else if (d.type === 'stroke') {
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      const q = point(ev);
      const last = d.points[d.points.length - 1];
      if (d.points.length < MAX_POINTS && Math.hypot(q[0] - last[0], q[1] - last[1]) >= 0.75) d.points.push(q);
    }
  } else if (d.type === 'erase') {
    for (const o of shown().touched(d.last, p, d.reach)) d.ids.add(o.id);
    d.last = p;
  } else if (d.type === 'shape') {
    d.object = draftObject(d.object.kind, d.start, p, style(), e.shiftKey);
  }
  B.draw();
}

/** The object `o` resized by its handle `handle` dragged to `p`. */
function resized(o, handle, p, keep) {
  if (handle === 'start') return reshaped(o, p[0], p[1], o.x + o.w - p[0], o.y + o.h - p[1]);
  if (handle === 'end') return reshaped(o, o.x, o.y, p[0] - o.x, p[1] - o.y);
  const ax = handle.includes('w') ? o.x + o.w : o.x;
  const ay = handle.includes('n') ? o.y + o.h : o.y;
  let w = Math.max(1, Math.abs(p[0] - ax));
  let h = Math.max(1, Math.abs(p[1] - ay));
  if (o.kind === 'picture' || keep) {
    // Pictures keep their proportions.
    const k = Math.max(w / o.w, h / o.h, 8 / Math.min(o.w, o.h));
    [w, h] = [o.w * k, o.h * k];
  }
  const x = handle.includes('w') ? ax - w : ax;
  const y = handle.includes('n') ? ay - h : ay;
  const r = (v) => Math.round(v * 10) / 10;
  return reshaped(o, r(x), r(y), r(w), r(h));
}

function hover(p, e) {
  if (e.pointerType !== 'mouse' || B.tool !== 'select' || B.past) return;
  const h = handleAt(p, e);
  const cursor = h
    ? (h.name === 'nw' || h.name === 'se' ? 'nwse-resize' : h.name === 'ne' || h.name === 'sw' ? 'nesw-resize' : 'crosshair')
    : shown().hit(p, reach(e)) ? 'move' : 'default';
  if (B.canvas.style.cursor !== cursor) B.canvas.style.cursor = cursor;
}

async function up(e) {
  pointers.delete(e.pointerId);
  const g = gesture;
  if (g && g.type === 'pinch') {
    if (pointers.size < 2) gesture = null;
    return;
  }
  if (pointers.size) return;
  gesture = null;
  if (g && g.type === 'pan') return;
  if (g && (g.type === 'move' || g.type === 'resize')) {
    if (!g.moved) {
      if (g.alone) {
        B.selection = new Set([g.alone]);
        selectionChanged();
      }
      return;
    }
    const edits = [...g.prior.keys()].map((id) => {
      const o = B.scene.get(id);
      const edit1 = { object: id, pos: [o.x, o.y] };
      if (g.type === 'resize') edit1.size = [o.w, o.h];
      return edit1;
    });
    try {
      await edit.change(edits, g.prior);
    } catch (err) {
      toast(err.message, true);
      await edit.refresh([...g.prior.keys()]);
    }
    return;
  }
  const d = B.draft;
  if (!d) return;
  try {
    if (d.type === 'box') {
      B.draft = null;
      selectionChanged();
    } else if (d.type === 'stroke') {
      sendLive();
      await edit.addStroke(d.points, d.color, d.width);
      if (B.draft === d) B.draft = null;
    } else if (d.type === 'erase') {
      B.draft = null;
      await edit.remove([...d.ids]);
    } else if (d.type === 'shape') {
      await finishShape(d, e);
    } else if (d.type === 'text') {
      B.draft = null;
      const st = style();
      setTool('select');
      newText(d.at, st.font, st.color);
    }
  } catch (err) {
    B.draft = null;
    toast(err.message, true);
  }
  B.draw();
}

async function finishShape(d, e) {
  let o = d.object;
  // A click (not a drag) places the kind's usual size there.
  if (Math.hypot(e.clientX - d.screen[0], e.clientY - d.screen[1]) < 4) {
    const segment = isSegment(o);
    o = { ...o, w: 160, h: segment ? 0 : 100 };
  }
  const r = (v) => Math.round(v * 10) / 10;
  const shape = { kind: o.kind, at: [r(o.x), r(o.y)], size: [r(o.w) || (isSegment(o) ? 0 : 1), r(o.h) || (isSegment(o) ? 0 : 1)], color: o.color, fill: o.fill || 'none', width: o.width, font: o.font };
  if (isSegment(o) && shape.size[0] === 0 && shape.size[1] === 0) shape.size = [160, 0];
  await edit.addShape(shape);
  B.draft = null;
  setTool('select');
}

function dblclick(e) {
  if (!B.space || B.past || (B.tool !== 'select' && B.tool !== 'text')) return;
  const p = point(e);
  const o = B.scene.hit(p, reach(e));
  if (o && ['text', 'note', 'rect', 'ellipse', 'line', 'arrow'].includes(o.kind)) editText(o.id);
  else if (!o) newText(p, style().font, style().color);
}

function wheel(e) {
  if (!B.space) return;
  e.preventDefault();
  const r = B.canvas.getBoundingClientRect();
  if (e.ctrlKey || e.metaKey) {
    const unit = e.deltaMode === 1 ? 16 : 1;
    zoomAt(Math.exp(-e.deltaY * unit * 0.0025), e.clientX - r.left, e.clientY - r.top);
  } else {
    panBy(e.shiftKey ? -e.deltaY : -e.deltaX, e.shiftKey ? 0 : -e.deltaY);
  }
}

async function pasteKey() {
  if (edit.copied()) {
    await edit.paste();
  } else if (!(await pastePicture())) {
    if (edit.anyCopied()) await edit.paste();
    else toast('There is no picture on the clipboard.', true);
  }
}

function typing(e) {
  return e.target.closest && e.target.closest('input, textarea, select, [contenteditable]');
}

/** Focus on a control Space presses (a button, a tab, a list item): Space is not a pan there. */
function onControl(e) {
  return e.target.closest && e.target.closest('button, a[href], summary, [role="button"], [role="tab"], li[tabindex]');
}

function keydown(e) {
  if ($('panel-board').hidden || !B.space || typing(e) || isEditing()) return;
  const ctrl = e.ctrlKey || e.metaKey;
  const k = e.key.toLowerCase();
  const run = (f) => {
    e.preventDefault();
    f().catch((err) => toast(err.message, true));
  };
  if (e.key === ' ') {
    if (onControl(e)) return undefined;
    e.preventDefault();
    if (!spaceHeld) {
      spaceHeld = true;
      B.canvas.style.cursor = 'grab';
    }
    return;
  }
  if (ctrl && k === 'z') return run(e.shiftKey ? edit.redo : edit.undo);
  if (ctrl && k === 'y') return run(edit.redo);
  if (ctrl && k === 'v' && !B.past) return run(pasteKey);
  if (B.past) return undefined;
  if ((e.key === 'Delete' || e.key === 'Backspace') && B.selection.size) return run(() => edit.remove([...B.selection]));
  if (ctrl && k === 'd') return run(edit.duplicate);
  if (ctrl && k === 'c') {
    if (edit.copy()) e.preventDefault();
    return undefined;
  }
  if (ctrl && k === 'a') {
    e.preventDefault();
    B.selection = new Set(B.scene.order.map((o) => o.id));
    selectionChanged();
    return undefined;
  }
  if (e.key === 'Escape') {
    B.draft = null;
    B.selection.clear();
    selectionChanged();
    return undefined;
  }
  if (!ctrl && !e.altKey && KEYS[k]) setTool(KEYS[k]);
  return undefined;
}

function keyup(e) {
  if (e.key === ' ' && spaceHeld) {
    spaceHeld = false;
    setTool(B.tool);
    if (!typing(e)) e.preventDefault();
  }
}

export function bindTools() {
  const c = B.canvas;
  c.addEventListener('pointerdown', down);
  c.addEventListener('pointermove', move);
  c.addEventListener('pointerup', (e) => up(e).catch((err) => toast(err.message, true)));
  c.addEventListener('pointercancel', (e) => {
    pointers.delete(e.pointerId);
    abandon();
  });
  c.addEventListener('pointerleave', (e) => {
    if (!B.draft && !gesture && e.pointerType === 'mouse') pointerAt(null);
  });
  c.addEventListener('dblclick', dblclick);
  c.addEventListener('wheel', wheel, { passive: false });
  c.addEventListener('auxclick', (e) => e.preventDefault());
  document.addEventListener('keydown', keydown);
  document.addEventListener('keyup', keyup);
  window.addEventListener('blur', () => {
    spaceHeld = false;
    edit.markClipStale();
  });
  for (const b of document.querySelectorAll('#board-tools [data-tool]')) {
    b.addEventListener('click', () => setTool(b.dataset.tool));
  }
}
