// Export of the whole board (what the window shows: the board now, or as it was in history
// mode): PNG drawn with the same code as the window on a canvas of its own, SVG with every
// object kind (pictures inside as `data:` URLs, so the file stands alone). Where the PNG's
// pixels lie on the board is left on the canvas (`data-export`) for the tests.
import { call } from '../api.js';
import { $, toast } from '../util.js';
import { B, shown, hex } from './state.js';
import { headLength, isSegment } from './scene.js';
import { backgroundColor, drawObject, fontOf, linesOf, textBox, LINE } from './render.js';
import { svgImage } from './pictures.js';

const PAD = 24;
/** The PNG's longest side and most pixels. */
const MAX_SIDE = 8192;
const MAX_PIXELS = 40e6;

function area() {
  const e = shown().extent();
  if (!e) return [B.view.ox, B.view.oy, B.view.ox + B.width / B.view.s, B.view.oy + B.height / B.view.s];
  return [Math.floor(e[0] - PAD), Math.floor(e[1] - PAD), Math.ceil(e[2] + PAD), Math.ceil(e[3] + PAD)];
}

function utf8Base64(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function pngData() {
  const [x0, y0, x1, y1] = area();
  const w = x1 - x0;
  const h = y1 - y0;
  const k = Math.min(window.devicePixelRatio || 1, MAX_SIDE / w, MAX_SIDE / h, Math.sqrt(MAX_PIXELS / (w * h)));
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.round(w * k));
  c.height = Math.max(1, Math.round(h * k));
  const ctx = c.getContext('2d');
  ctx.fillStyle = backgroundColor();
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.setTransform(k, 0, 0, k, -x0 * k, -y0 * k);
  for (const o of shown().order) drawObject(ctx, o, k);
  B.canvas.dataset.export = JSON.stringify({ x: x0, y: y0, s: k });
  return c.toDataURL('image/png').split(',')[1];
}

const esc = (t) => String(t).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]);
const n = (v) => Number(Number(v).toFixed(2));

function svgText(ctx, o) {
  if (!o.text) return '';
  const lines = linesOf(ctx, o);
  const [x, y, align] = textBox(o, lines);
  const lh = o.font * LINE;
  const anchor = align === 'center' ? 'middle' : 'start';
  const tspans = lines.map((l, i) => `<tspan x="${n(x)}" y="${n(y + i * lh + o.font * 0.1)}">${esc(l)}</tspan>`).join('');
  const clip = o.kind === 'text' ? '' : ` clip-path="url(#c-${o.id.slice(0, 16)})"`;
  const def = o.kind === 'text' ? '' : `<clipPath id="c-${o.id.slice(0, 16)}"><rect x="${n(o.x)}" y="${n(o.y)}" width="${n(o.w)}" height="${n(o.h)}"/></clipPath>`;
  return `${def}<text font-family="system-ui, sans-serif" font-size="${n(o.font)}" fill="${hex(o.color)}" text-anchor="${anchor}" dominant-baseline="text-before-edge" xml:space="preserve"${clip}>${tspans}</text>`;
}

async function svgOf() {
  const [x0, y0, x1, y1] = area();
  const ctx = document.createElement('canvas').getContext('2d');
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${x1 - x0}" height="${y1 - y0}" viewBox="${x0} ${y0} ${x1 - x0} ${y1 - y0}">`,
    `<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="${hex(backgroundColor(), '#ffffff')}"/>`];
  for (const o of shown().order) {
    const color = hex(o.color);
    const w = Number(o.width) || 0;
    const fill = o.fill ? hex(o.fill) : 'none';
    const line = `stroke="${color}" stroke-width="${n(w)}" stroke-linecap="round" stroke-linejoin="round"`;
    ctx.font = fontOf(o.font);
    switch (o.kind) {
      case 'rect':
        parts.push(`<rect x="${n(o.x)}" y="${n(o.y)}" width="${n(o.w)}" height="${n(o.h)}" fill="${fill}" ${w > 0 ? line : 'stroke="none"'}/>${svgText(ctx, o)}`);
        break;
      case 'ellipse':
        parts.push(`<ellipse cx="${n(o.x + o.w / 2)}" cy="${n(o.y + o.h / 2)}" rx="${n(o.w / 2)}" ry="${n(o.h / 2)}" fill="${fill}" ${w > 0 ? line : 'stroke="none"'}/>${svgText(ctx, o)}`);
        break;
      case 'line':
      case 'arrow': {
        const [ax, ay, bx, by] = [o.x, o.y, o.x + o.w, o.y + o.h];
        let head = '';
        if (o.kind === 'arrow') {
          const len = headLength(w);
          const a = Math.atan2(by - ay, bx - ax);
          head = `<polyline points="${n(bx - len * Math.cos(a - 0.45))},${n(by - len * Math.sin(a - 0.45))} ${n(bx)},${n(by)} ${n(bx - len * Math.cos(a + 0.45))},${n(by - len * Math.sin(a + 0.45))}" fill="none" ${line}/>`;
        }
        parts.push(`<g data-kind="${o.kind}"><line x1="${n(ax)}" y1="${n(ay)}" x2="${n(bx)}" y2="${n(by)}" ${line}/>${head}</g>`);
        if (o.text && isSegment(o)) {
          parts.push(svgText(ctx, { ...o, x: Math.min(ax, bx), y: Math.min(ay, by), w: Math.abs(o.w), h: Math.abs(o.h), kind: 'label' }));
        }
        break;
      }
      case 'note':
        parts.push(`<g data-kind="note"><rect x="${n(o.x)}" y="${n(o.y)}" width="${n(o.w)}" height="${n(o.h)}" fill="${hex(o.fill, '#fff176')}" stroke="rgba(0,0,0,0.18)" stroke-width="1"/>${svgText(ctx, o)}</g>`);
        break;
      case 'text':
        parts.push(svgText(ctx, o));
        break;
      case 'stroke': {
        const pts = o.points || [];
        if (pts.length === 1) {
          parts.push(`<circle cx="${Number(pts[0][0])}" cy="${Number(pts[0][1])}" r="${w / 2}" fill="${color}"/>`);
        } else if (pts.length) {
          parts.push(`<polyline points="${pts.map(([x, y]) => `${Number(x)},${Number(y)}`).join(' ')}" fill="none" ${line}/>`);
        }
        break;
      }
      case 'picture': {
        const img = await svgImage(o);
        if (img) parts.push(img);
        break;
      }
      default:
        break;
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

export async function exportAs(kind) {
  if (!B.space) return;
  const base = (B.space.name || 'board').replace(/[^\p{L}\p{N}_-]+/gu, '-');
  try {
    const data = kind === 'png' ? pngData() : utf8Base64(await svgOf());
    // Saved where the person says in the save dialog; null if they cancelled it.
    const path = await call('save_export', { name: `${base}.${kind}`, base64: data });
    if (path) $('board-note').textContent = `Saved ${path}`;
  } catch (err) {
    toast(err.message, true);
  }
}
