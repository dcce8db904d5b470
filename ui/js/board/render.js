// Drawing the board: at most one frame per requestAnimationFrame, whatever asked for it; only
// the objects whose boxes meet the view (the scene's grid finds them), tiny ones as a dot and
// text too small to read left out; then the selection, what the pointer is making and the
// other members over it. The object drawing is shared with the PNG export. Frame times and
// what was drawn are kept for the tests and the benchmark (`window.__board`).
import { colorFor } from '../util.js';
import { B, shown, hex } from './state.js';
import { isSegment, headLength } from './scene.js';
import { visibleRect } from './view.js';
import { bitmap } from './pictures.js';

/** Handles: drawn this big, grabbed within this reach (CSS pixels). */
export const HANDLE = 9;
const NOTE_PAD = 10;
const LINE = 1.25;

let pending = false;
let background = '#ffffff';
let accent = '#1f6feb';
let others = new Map();
let lastPictures = '';

/** Timings of recent frames, for the tests and the benchmark. */
export const stats = {
  frames: [], // { at, draw } (ms)
  visible: 0,
  total: 0,
  drawn: 0,
};

export function setOthers(m) {
  others = m;
}

/** Reads the theme's colours again (after a theme change). */
export function refreshTheme() {
  const css = getComputedStyle(document.documentElement);
  background = css.getPropertyValue('--board').trim() || '#ffffff';
  accent = css.getPropertyValue('--accent').trim() || '#1f6feb';
}

export function backgroundColor() {
  return background;
}

B.draw = () => {
  if (pending) return;
  pending = true;
  requestAnimationFrame(frame);
};

/** Lines of `text` at the context's font, broken to fit `width` (no limit if 0). */
export function wrap(ctx, text, width) {
  const out = [];
  for (const para of String(text).split('\n')) {
    if (!width || ctx.measureText(para).width <= width) {
      out.push(para);
      continue;
    }
    let line = '';
    for (const word of para.split(/(\s+)/)) {
      const next = line + word;
      if (line && ctx.measureText(next).width > width) {
        out.push(line.trimEnd());
        line = word.trimStart();
        // A word wider than the box is cut.
        while (ctx.measureText(line).width > width && line.length > 1) {
          let cut = line.length - 1;
          while (cut > 1 && ctx.measureText(line.slice(0, cut)).width > width) cut--;
          out.push(line.slice(0, cut));
          line = line.slice(cut);
        }
      } else {
        line = next;
      }
    }
    out.push(line);
  }
  return out;
}

export function fontOf(size) {
  return `${size}px system-ui, sans-serif`;
}

/** The lines an object's text is drawn in (kept until its text, font or width changes). */
export function linesOf(ctx, o) {
  const width = o.kind === 'text' ? Math.max(o.w, o.font) : o.kind === 'note' ? o.w - 2 * NOTE_PAD : o.w - 2 * NOTE_PAD;
  const k = `${o.text}\u0000${o.font}\u0000${width}`;
  if (o.linesKey !== k) {
    ctx.font = fontOf(o.font);
    o.lines = wrap(ctx, o.text, Math.max(o.font, width));
    o.linesKey = k;
  }
  return o.lines;
}

/** Where text sits in an object: [left, top, align, clip?]. */
function textBox(o, lines) {
  const h = lines.length * o.font * LINE;
  if (o.kind === 'text') return [o.x, o.y, 'left'];
  if (o.kind === 'note') return [o.x + NOTE_PAD, o.y + NOTE_PAD, 'left'];
  return [o.x + o.w / 2, o.y + (o.h - h) / 2, 'center'];
}

export { textBox, NOTE_PAD, LINE };

function drawText(ctx, o, s) {
  if (!o.text || B.editing === o.id) return;
  if (o.font * s < 3.5) return; // unreadable at this zoom: left out
  const lines = linesOf(ctx, o);
  const [x, y, align] = textBox(o, lines);
  ctx.font = fontOf(o.font);
  ctx.fillStyle = hex(o.color, '#1e1e1e');
  ctx.textAlign = align;
  ctx.textBaseline = 'top';
  const lh = o.font * LINE;
  const clip = o.kind !== 'text';
  if (clip) {
    ctx.save();
    ctx.beginPath();
    ctx.rect(o.x, o.y, o.w, o.h);
    ctx.clip();
  }
  for (let i = 0; i < lines.length; i++) ctx.fillText(lines[i], x, y + i * lh + o.font * 0.1);
  if (clip) ctx.restore();
  ctx.textAlign = 'left';
}

function strokePath(o) {
  if (!o.path) {
    const p = new Path2D();
    const pts = o.points || [];
    if (pts.length) {
      p.moveTo(pts[0][0], pts[0][1]);
      for (let i = 1; i < pts.length; i++) p.lineTo(pts[i][0], pts[i][1]);
    }
    o.path = p;
  }
  return o.path;
}

function arrowHead(ctx, x0, y0, x1, y1, width) {
  const len = headLength(width);
  const a = Math.atan2(y1 - y0, x1 - x0);
  ctx.beginPath();
  ctx.moveTo(x1 - len * Math.cos(a - 0.45), y1 - len * Math.sin(a - 0.45));
  ctx.lineTo(x1, y1);
  ctx.lineTo(x1 - len * Math.cos(a + 0.45), y1 - len * Math.sin(a + 0.45));
  ctx.stroke();
}

/** Draws one object in board units (the context is scaled by `s` and translated). */
export function drawObject(ctx, o, s) {
  const b = o.bbox;
  // A few pixels on screen (a board seen whole): a block of its colour, which is what can be
  // seen of it there, at a fraction of the cost of its outline, path or text.
  if ((b[2] - b[0]) * s < 6 && (b[3] - b[1]) * s < 6 && o.kind !== 'picture') {
    const c = hex(o.fill || o.color, '#888888');
    if (ctx.fillStyle !== c) ctx.fillStyle = c;
    const inset = o.fill || o.kind === 'note' ? 0 : (b[2] - b[0]) * 0.25;
    ctx.fillRect(b[0] + inset, b[1] + inset, Math.max(b[2] - b[0] - 2 * inset, 1 / s), Math.max(b[3] - b[1] - 2 * inset, 1 / s));
    return;
  }
  const color = hex(o.color, '#1e1e1e');
  const width = Number(o.width) || 0;
  ctx.lineWidth = width;
  ctx.strokeStyle = color;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  switch (o.kind) {
    case 'rect':
      if (o.fill) {
        ctx.fillStyle = hex(o.fill);
        ctx.fillRect(o.x, o.y, o.w, o.h);
      }
      if (width > 0) ctx.strokeRect(o.x, o.y, o.w, o.h);
      drawText(ctx, o, s);
      break;
    case 'ellipse':
      ctx.beginPath();
      ctx.ellipse(o.x + o.w / 2, o.y + o.h / 2, Math.max(0, o.w / 2), Math.max(0, o.h / 2), 0, 0, Math.PI * 2);
      if (o.fill) {
        ctx.fillStyle = hex(o.fill);
        ctx.fill();
      }
      if (width > 0) ctx.stroke();
      drawText(ctx, o, s);
      break;
    case 'line':
    case 'arrow':
      ctx.beginPath();
      ctx.moveTo(o.x, o.y);
      ctx.lineTo(o.x + o.w, o.y + o.h);
      ctx.stroke();
      if (o.kind === 'arrow') arrowHead(ctx, o.x, o.y, o.x + o.w, o.y + o.h, width);
      if (o.text) drawText(ctx, { ...o, x: Math.min(o.x, o.x + o.w), y: Math.min(o.y, o.y + o.h), w: Math.abs(o.w), h: Math.abs(o.h), kind: 'label' }, s);
      break;
    case 'note':
      ctx.fillStyle = hex(o.fill, '#fff176');
      ctx.fillRect(o.x, o.y, o.w, o.h);
      ctx.lineWidth = 1 / s;
      ctx.strokeStyle = 'rgba(0, 0, 0, 0.18)';
      ctx.strokeRect(o.x, o.y, o.w, o.h);
      drawText(ctx, o, s);
      break;
    case 'text':
      drawText(ctx, o, s);
      break;
    case 'stroke': {
      const pts = o.points || [];
      if (pts.length === 1) {
        ctx.fillStyle = color;
        ctx.beginPath();
        ctx.arc(pts[0][0], pts[0][1], width / 2, 0, Math.PI * 2);
        ctx.fill();
      } else if (pts.length) {
        ctx.stroke(strokePath(o));
      }
      break;
    }
    case 'picture': {
      const got = bitmap(o);
      if (got.img) {
        ctx.drawImage(got.img, o.x, o.y, o.w, o.h);
      } else {
        ctx.fillStyle = 'rgba(128, 128, 128, 0.18)';
        ctx.fillRect(o.x, o.y, o.w, o.h);
        ctx.lineWidth = 1 / s;
        ctx.strokeStyle = 'rgba(128, 128, 128, 0.6)';
        ctx.strokeRect(o.x, o.y, o.w, o.h);
      }
      break;
    }
    default:
      break;
  }
}

/** A stroke being drawn (own or another member's), in board units. */
function drawLiveStroke(ctx, st, alpha = 1) {
  const pts = st.points || [];
  if (!pts.length) return;
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.strokeStyle = hex(st.color);
  ctx.fillStyle = hex(st.color);
  ctx.lineWidth = Number(st.width) || 1;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  if (pts.length === 1) {
    ctx.arc(pts[0][0], pts[0][1], ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
  } else {
    ctx.moveTo(pts[0][0], pts[0][1]);
    for (let i = 1; i < pts.length; i++) ctx.lineTo(pts[i][0], pts[i][1]);
    ctx.stroke();
  }
  ctx.restore();
}

/** The handles of a selected object in board units: { name, x, y }. */
export function handlesOf(o) {
  if (isSegment(o)) return [{ name: 'start', x: o.x, y: o.y }, { name: 'end', x: o.x + o.w, y: o.y + o.h }];
  if (o.kind === 'stroke' && (o.w <= 0 || o.h <= 0)) return [];
  return [
    { name: 'nw', x: o.x, y: o.y },
    { name: 'ne', x: o.x + o.w, y: o.y },
    { name: 'sw', x: o.x, y: o.y + o.h },
    { name: 'se', x: o.x + o.w, y: o.y + o.h },
  ];
}

function screenOf(x, y) {
  return [(x - B.view.ox) * B.view.s, (y - B.view.oy) * B.view.s];
}

function outline(ctx, o, color, dash) {
  const [x0, y0] = screenOf(o.bbox[0], o.bbox[1]);
  const [x1, y1] = screenOf(o.bbox[2], o.bbox[3]);
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5;
  ctx.setLineDash(dash);
  ctx.strokeRect(x0 - 2, y0 - 2, x1 - x0 + 4, y1 - y0 + 4);
  ctx.setLineDash([]);
}

function drawSelection(ctx, scene) {
  const sel = [...B.selection].map((id) => scene.get(id)).filter(Boolean);
  for (const o of sel) outline(ctx, o, accent, [5, 4]);
  if (sel.length === 1 && !B.past) {
    ctx.fillStyle = '#ffffff';
    ctx.strokeStyle = accent;
    ctx.lineWidth = 1.5;
    for (const h of handlesOf(sel[0])) {
      const [x, y] = screenOf(h.x, h.y);
      ctx.fillRect(x - HANDLE / 2, y - HANDLE / 2, HANDLE, HANDLE);
      ctx.strokeRect(x - HANDLE / 2, y - HANDLE / 2, HANDLE, HANDLE);
    }
  }
}

function drawCursor(ctx, o) {
  const [x, y] = screenOf(o.cursor[0], o.cursor[1]);
  const c = colorFor(o.id);
  ctx.fillStyle = c;
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + 4, y + 14);
  ctx.lineTo(x + 8, y + 9);
  ctx.lineTo(x + 14, y + 5);
  ctx.closePath();
  ctx.fill();
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'alphabetic';
  const w = ctx.measureText(o.name).width + 8;
  ctx.fillRect(x + 12, y + 12, w, 17);
  ctx.fillStyle = '#ffffff';
  ctx.fillText(o.name, x + 16, y + 25);
}

function drawDraft(ctx) {
  const d = B.draft;
  if (!d) return;
  if (d.type === 'stroke') {
    drawLiveStroke(ctx, d);
  } else if (d.type === 'shape') {
    ctx.globalAlpha = 0.85;
    drawObject(ctx, d.object, B.view.s);
    ctx.globalAlpha = 1;
  }
}

function drawDraftScreen(ctx, scene) {
  const d = B.draft;
  if (!d) return;
  if (d.type === 'box') {
    const [x0, y0] = screenOf(Math.min(d.a[0], d.b[0]), Math.min(d.a[1], d.b[1]));
    const [x1, y1] = screenOf(Math.max(d.a[0], d.b[0]), Math.max(d.a[1], d.b[1]));
    ctx.fillStyle = 'rgba(31, 111, 235, 0.08)';
    ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    ctx.strokeStyle = accent;
    ctx.lineWidth = 1;
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  } else if (d.type === 'erase') {
    for (const id of d.ids) {
      const o = scene.get(id);
      if (o) outline(ctx, o, '#c62828', [3, 3]);
    }
  }
}

function frame(now) {
  pending = false;
  const { ctx } = B;
  if (!ctx || !B.width) return;
  const t0 = performance.now();
  const dpr = window.devicePixelRatio || 1;
  const { s, ox, oy } = B.view;
  const scene = shown();
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, B.width, B.height);
  const visible = scene.query(visibleRect());
  ctx.setTransform(dpr * s, 0, 0, dpr * s, -ox * s * dpr, -oy * s * dpr);
  for (const o of visible) drawObject(ctx, o, s);
  // Others' strokes in progress, then one's own draft, in board units.
  const time = Date.now();
  for (const o of others.values()) {
    if (o.stroke && !o.stroke.erasing && time - o.seen < 4000) drawLiveStroke(ctx, o.stroke, 0.7);
  }
  drawDraft(ctx);
  // Screen-space overlays: selections (others' in their colour), handles, pointers.
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  for (const o of others.values()) {
    for (const id of o.selection || []) {
      const obj = scene.get(id);
      if (obj) outline(ctx, obj, colorFor(o.id), [2, 3]);
    }
  }
  drawSelection(ctx, scene);
  drawDraftScreen(ctx, scene);
  for (const o of others.values()) if (o.cursor && time - o.seen < 4000) drawCursor(ctx, o);
  const t1 = performance.now();
  stats.visible = visible.length;
  stats.total = scene.size;
  stats.drawn += 1;
  stats.frames.push({ at: now || t0, draw: t1 - t0 });
  if (stats.frames.length > 1200) stats.frames.splice(0, 600);
  mark(scene);
}

/** What the tests read on the canvas: the view, who is shown live, the pictures and how. */
function mark(scene) {
  const c = B.canvas;
  const pics = [];
  for (const o of scene.order) {
    if (o.kind === 'picture') pics.push({ id: o.id, shown: bitmap(o).shown, x: o.x, y: o.y, w: o.w, h: o.h });
  }
  const p = JSON.stringify(pics);
  if (p !== lastPictures) {
    c.dataset.pictures = p;
    lastPictures = p;
  }
  c.dataset.visible = String(stats.visible);
}
