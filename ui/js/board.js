// The Whiteboard tab: pointer events (mouse, pen, touch), pen, eraser and the Move tool for
// pictures, undo of your own strokes and pictures, export to PNG and SVG. The board is drawn
// from the stored pictures (pictures.js) with the stored strokes over them.
import { call } from './api.js';
import { $, colorFor, toast } from './util.js';
import { pictures } from './pictures.js';

const MAX_POINTS = 8000;
let space = null;
let strokes = [];
let tool = 'pen';
let drawing = null; // { points, color, width } while the pointer is down with the pen
let erasing = null; // Set of stroke ids touched while erasing
let canvas = null;
let ctx = null;

// Other members' pointers and strokes in progress, by author id: { short, cursor, stroke, seen }.
// Ephemeral: never stored, forgotten after LIVE_FORGET ms without news.
const others = new Map();
const LIVE_FORGET = 4000;
const LIVE_EVERY = 50; // ms between live frames sent (20 a second)
const LIVE_POINTS = 512;
let liveTimer = null;
let livePending = null;
let liveLastSent = 0;

function sendLive(cursor) {
  if (!space) return;
  livePending = {
    cursor,
    stroke: drawing
      ? { points: drawing.points.slice(-LIVE_POINTS), color: drawing.color, width: drawing.width, erasing: false }
      : null,
  };
  const wait = Math.max(0, LIVE_EVERY - (Date.now() - liveLastSent));
  if (liveTimer) return;
  liveTimer = setTimeout(async () => {
    liveTimer = null;
    const frame = livePending;
    livePending = null;
    if (!frame || !space) return;
    liveLastSent = Date.now();
    try {
      await call('board_live', { space: space.id, cursor: frame.cursor, stroke: frame.stroke });
    } catch (_) { /* presence is best effort */ }
  }, wait);
}

function drawCursor(o) {
  // Drawn at screen scale so the label stays readable however far the board is zoomed out.
  const x = (o.cursor[0] - view.ox) * view.s;
  const y = (o.cursor[1] - view.oy) * view.s;
  const c = colorFor(o.id);
  ctx.save();
  ctx.fillStyle = c;
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + 4, y + 14);
  ctx.lineTo(x + 8, y + 9);
  ctx.lineTo(x + 14, y + 5);
  ctx.closePath();
  ctx.fill();
  ctx.font = '12px system-ui, sans-serif';
  const w = ctx.measureText(o.short).width + 8;
  ctx.fillRect(x + 12, y + 12, w, 17);
  ctx.fillStyle = '#ffffff';
  ctx.fillText(o.short, x + 16, y + 25);
  ctx.restore();
}

function background() {
  return getComputedStyle(document.documentElement).getPropertyValue('--board').trim() || '#ffffff';
}

function resize() {
  const dpr = window.devicePixelRatio || 1;
  const r = canvas.getBoundingClientRect();
  canvas.width = Math.max(1, Math.round(r.width * dpr));
  canvas.height = Math.max(1, Math.round(r.height * dpr));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  redraw();
}

function drawStroke(s, highlight = false) {
  const pts = s.points;
  if (!pts.length) return;
  ctx.save();
  ctx.strokeStyle = s.color;
  ctx.fillStyle = s.color;
  ctx.lineWidth = s.width;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  if (highlight) ctx.globalAlpha = 0.3;
  if (pts.length === 1) {
    ctx.beginPath();
    ctx.arc(pts[0][0], pts[0][1], s.width / 2, 0, Math.PI * 2);
    ctx.fill();
  } else {
    ctx.beginPath();
    ctx.moveTo(pts[0][0], pts[0][1]);
    for (let i = 1; i < pts.length; i++) ctx.lineTo(pts[i][0], pts[i][1]);
    ctx.stroke();
  }
  ctx.restore();
}

// The view: screen = (board - origin) * scale. The board is zoomed out just enough to show
// every stroke (a board drawn on a desktop fits on a phone); never zoomed in past 1. It is not
// changed while a stroke or an erase is in progress, so the pen stays under the pointer.
let view = { s: 1, ox: 0, oy: 0 };

function fitView() {
  const r = canvas.getBoundingClientRect();
  let [minX, minY, maxX, maxY] = [0, 0, r.width, r.height];
  for (const p of pictures.bounds()) {
    minX = Math.min(minX, p.x - 12);
    minY = Math.min(minY, p.y - 12);
    maxX = Math.max(maxX, p.x + p.w + 12);
    maxY = Math.max(maxY, p.y + p.h + 12);
  }
  for (const st of strokes) {
    const pad = (Number(st.width) || 1) / 2 + 12;
    for (const [x, y] of st.points) {
      if (x - pad < minX) minX = x - pad;
      if (y - pad < minY) minY = y - pad;
      if (x + pad > maxX) maxX = x + pad;
      if (y + pad > maxY) maxY = y + pad;
    }
  }
  const scale = Math.min(1, r.width / Math.max(1, maxX - minX), r.height / Math.max(1, maxY - minY));
  view = { s: scale, ox: minX, oy: minY };
}

function redraw() {
  if (!ctx) return;
  const r = canvas.getBoundingClientRect();
  ctx.save();
  ctx.fillStyle = background();
  ctx.fillRect(0, 0, r.width, r.height);
  ctx.restore();
  if (!drawing && !erasing && !pictures.dragging) fitView();
  ctx.save();
  ctx.scale(view.s, view.s);
  ctx.translate(-view.ox, -view.oy);
  pictures.draw(ctx);
  for (const s of strokes) drawStroke(s, erasing && erasing.has(s.id));
  const now = Date.now();
  for (const [id, o] of others) {
    if (now - o.seen > LIVE_FORGET) others.delete(id);
  }
  for (const o of others.values()) {
    if (o.stroke && !o.stroke.erasing) {
      ctx.save();
      ctx.globalAlpha = 0.7;
      drawStroke(o.stroke);
      ctx.restore();
    }
  }
  if (drawing) drawStroke(drawing);
  ctx.restore();
  pictures.drawSelection(ctx);
  for (const o of others.values()) if (o.cursor) drawCursor(o);
  canvas.dataset.live = String(others.size);
  canvas.dataset.view = JSON.stringify(view);
}

/** A point in the window (CSS pixels) on the board. */
function toBoard(clientX, clientY) {
  const r = canvas.getBoundingClientRect();
  return [(clientX - r.left) / view.s + view.ox, (clientY - r.top) / view.s + view.oy];
}

function pointOf(e) {
  const [x, y] = toBoard(e.clientX, e.clientY);
  return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
}

function distToSegment(p, a, b) {
  const [px, py] = p;
  const [ax, ay] = a;
  const [bx, by] = b;
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function hit(p) {
  const found = [];
  for (const s of strokes) {
    const reach = s.width / 2 + 8 / view.s;
    const pts = s.points;
    if (pts.length === 1 && Math.hypot(p[0] - pts[0][0], p[1] - pts[0][1]) <= reach) found.push(s.id);
    for (let i = 1; i < pts.length; i++) {
      if (distToSegment(p, pts[i - 1], pts[i]) <= reach) {
        found.push(s.id);
        break;
      }
    }
  }
  return found;
}

function down(e) {
  if (!space || e.button > 0) return;
  canvas.setPointerCapture(e.pointerId);
  canvas.dataset.pointer = e.pointerType; // for the tests: mouse, pen or touch
  const p = pointOf(e);
  if (tool === 'move') {
    pictures.down(toBoard(e.clientX, e.clientY), e.pointerType);
    return;
  }
  if (tool === 'pen') {
    drawing = { points: [p], color: $('pen-color').value, width: Number($('pen-width').value) };
  } else {
    erasing = new Set(hit(p));
  }
  redraw();
}

function move(e) {
  sendLive(pointOf(e));
  if (tool === 'move') {
    const pt = toBoard(e.clientX, e.clientY);
    if (pictures.dragging) pictures.move(pt);
    else if (e.pointerType === 'mouse') {
      const over = pictures.handleAt(pt, 'mouse');
      canvas.style.cursor = over ? (over === 'nw' || over === 'se' ? 'nwse-resize' : 'nesw-resize') : pictures.at(pt) ? 'move' : 'default';
    }
    return;
  }
  if (!drawing && !erasing) return;
  const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
  for (const ev of events.length ? events : [e]) {
    const p = pointOf(ev);
    if (drawing) {
      const last = drawing.points[drawing.points.length - 1];
      if (drawing.points.length < MAX_POINTS && Math.hypot(p[0] - last[0], p[1] - last[1]) >= 0.75) drawing.points.push(p);
    } else {
      for (const id of hit(p)) erasing.add(id);
    }
  }
  redraw();
}

async function up(e) {
  if (pictures.dragging) {
    await pictures.up();
  } else if (drawing) {
    const s = drawing;
    drawing = null;
    sendLive(e && e.type === 'pointerup' ? pointOf(e) : null);
    try {
      const { id } = await call('board_stroke', { space: space.id, points: s.points, color: s.color, width: s.width });
      if (!strokes.some((x) => x.id === id)) strokes.push({ id, points: s.points, color: s.color, width: s.width, me: true, ts: Date.now() });
    } catch (err) {
      toast(err.message, true);
    }
    redraw();
  } else if (erasing) {
    const ids = [...erasing];
    erasing = null;
    if (ids.length) {
      try {
        await call('board_erase', { space: space.id, strokes: ids });
        strokes = strokes.filter((s) => !ids.includes(s.id));
      } catch (err) {
        toast(err.message, true);
      }
    }
    redraw();
  }
}

async function undo() {
  const mine = [...strokes, ...pictures.list].filter((s) => s.me);
  const last = mine.reduce((a, s) => (!a || s.ts >= a.ts ? s : a), null);
  if (!last) {
    toast('Nothing of yours to undo.');
    return;
  }
  try {
    await call('board_erase', { space: space.id, strokes: [last.id] });
    strokes = strokes.filter((s) => s.id !== last.id);
    if (pictures.list.some((p) => p.id === last.id)) await pictures.load();
    redraw();
  } catch (err) {
    toast(err.message, true);
  }
}

function utf8Base64(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

async function svgOf() {
  const r = canvas.getBoundingClientRect();
  const w = Math.round(r.width / view.s);
  const h = Math.round(r.height / view.s);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="${Math.round(view.ox)} ${Math.round(view.oy)} ${w} ${h}">`,
    `<rect x="${Math.round(view.ox)}" y="${Math.round(view.oy)}" width="100%" height="100%" fill="${background()}"/>`,
    ...(await pictures.svgImages())];
  for (const s of strokes) {
    const color = /^#[0-9a-f]{6}$/i.test(s.color) ? s.color : '#000000';
    const w = Number(s.width) || 1;
    if (s.points.length === 1) {
      const [x, y] = s.points[0];
      parts.push(`<circle cx="${Number(x)}" cy="${Number(y)}" r="${w / 2}" fill="${color}"/>`);
    } else {
      const pts = s.points.map(([x, y]) => `${Number(x)},${Number(y)}`).join(' ');
      parts.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="${w}" stroke-linecap="round" stroke-linejoin="round"/>`);
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

async function exportAs(kind) {
  if (!space) return;
  const base = (space.name || 'board').replace(/[^\p{L}\p{N}_-]+/gu, '-');
  try {
    let data;
    if (kind === 'png') {
      // Without the selection's handles.
      pictures.deselect();
      redraw();
      data = canvas.toDataURL('image/png').split(',')[1];
    } else {
      data = utf8Base64(await svgOf());
    }
    const path = await call('save_export', { name: `${base}.${kind}`, base64: data });
    $('board-note').textContent = `Saved ${path}`;
  } catch (err) {
    toast(err.message, true);
  }
}

function setTool(t) {
  tool = t;
  $('tool-pen').setAttribute('aria-pressed', String(t === 'pen'));
  $('tool-eraser').setAttribute('aria-pressed', String(t === 'eraser'));
  $('tool-move').setAttribute('aria-pressed', String(t === 'move'));
  canvas.style.cursor = { pen: 'crosshair', eraser: 'cell', move: 'default' }[t];
  if (t !== 'move') {
    pictures.deselect();
    redraw();
  }
}

export const board = {
  bind() {
    canvas = $('board-canvas');
    ctx = canvas.getContext('2d');
    canvas.addEventListener('pointerdown', down);
    canvas.addEventListener('pointermove', move);
    canvas.addEventListener('pointerup', up);
    canvas.addEventListener('pointercancel', up);
    canvas.addEventListener('pointerleave', () => { if (!drawing) sendLive(null); });
    // Forget members who went quiet (closed the board, lost the connection).
    setInterval(() => {
      const now = Date.now();
      if ([...others.values()].some((o) => now - o.seen > LIVE_FORGET)) redraw();
    }, 1000);
    new ResizeObserver(resize).observe(canvas);
    $('tool-pen').addEventListener('click', () => setTool('pen'));
    $('tool-eraser').addEventListener('click', () => setTool('eraser'));
    $('tool-move').addEventListener('click', () => setTool('move'));
    pictures.bind({ space: () => space, view: () => view, toBoard, redraw, useMoveTool: () => setTool('move') });
    $('undo').addEventListener('click', undo);
    $('export-png').addEventListener('click', () => exportAs('png'));
    $('export-svg').addEventListener('click', () => exportAs('svg'));
  },

  async show(s) {
    if (!space || space.id !== s.id) {
      others.clear();
      pictures.clear();
    }
    space = s;
    $('board-note').textContent = '';
    strokes = await call('board_list', { space: s.id });
    await pictures.load();
    resize();
  },

  async onRecords(s, ev) {
    if (!space || s.id !== space.id) return;
    // Pictures are few: any news of them reads them again (a late move must not win).
    const some = ev.count > ev.records.length || ev.records.some((r) => ['erase', 'picture', 'move'].includes(r.kind));
    if (some) await pictures.load();
    if (ev.count > ev.records.length || ev.records.some((r) => r.kind === 'erase')) {
      strokes = await call('board_list', { space: s.id });
    } else {
      for (const r of ev.records) {
        if (r.kind === 'stroke' && !strokes.some((x) => x.id === r.id)) strokes.push(r);
        // The finished stroke replaces its author's stroke in progress.
        const o = r.kind === 'stroke' && others.get(r.author);
        if (o) o.stroke = null;
      }
    }
    redraw();
  },

  /** Another member's pointer or stroke in progress. */
  onLive(ev, me) {
    if (!space || ev.space !== space.id || (me && ev.author === me.peer_id)) return;
    others.set(ev.author, {
      id: ev.author,
      short: ev.author_short,
      cursor: ev.cursor,
      stroke: ev.stroke,
      seen: Date.now(),
    });
    redraw();
  },

  /** The whole picture of a blob is here (`file_held`). */
  onHeld(ev) {
    if (space && ev.space === space.id) pictures.onHeld(ev.blob);
  },

  /** How many members are shown live now (for tests and the status line). */
  liveCount() {
    return others.size;
  },

  redraw,
};
