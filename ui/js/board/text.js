// Text edited in place: a textarea over the object (or over the point where new text goes), at
// the object's font size as it shows at this zoom; Ctrl+Enter or leaving it commits with
// `board_change` (or `board_add` for new text), Escape cancels.
import { $, toast } from '../util.js';
import { B, hex } from './state.js';
import { onViewChange, toScreen } from './view.js';
import { addShape, change } from './edit.js';
import { fontOf, NOTE_PAD, LINE } from './render.js';

let area = null;
/** What is being edited: { id } for an object, { at, font, color } for new text. */
let target = null;
let measureCtx = null;

function measure(text, font) {
  if (!measureCtx) measureCtx = document.createElement('canvas').getContext('2d');
  measureCtx.font = fontOf(font);
  const lines = String(text).split('\n');
  const w = Math.max(...lines.map((l) => measureCtx.measureText(l).width), font);
  return [Math.ceil(w + 4), Math.ceil(lines.length * font * LINE + 2)];
}

function place() {
  if (!target) return;
  const s = B.view.s;
  const o = target.id ? B.scene.get(target.id) : null;
  const font = o ? o.font : target.font;
  let x;
  let y;
  let w;
  let h;
  let align = 'left';
  if (!o) {
    [x, y] = target.at;
    [w, h] = measure(area.value || ' ', font);
    w = Math.max(w, 160);
  } else if (o.kind === 'text') {
    [x, y, w] = [o.x, o.y, Math.max(o.w, 160)];
    h = Math.max(o.h, measure(area.value || ' ', font)[1]);
  } else if (o.kind === 'note') {
    [x, y, w, h] = [o.x + NOTE_PAD, o.y + NOTE_PAD, o.w - 2 * NOTE_PAD, o.h - 2 * NOTE_PAD];
  } else {
    [x, y, w, h] = [Math.min(o.x, o.x + o.w), Math.min(o.y, o.y + o.h), Math.max(Math.abs(o.w), 120), Math.max(Math.abs(o.h), font * 2)];
    align = 'center';
  }
  const [sx, sy] = toScreen(x, y);
  Object.assign(area.style, {
    left: `${sx - 4}px`,
    top: `${sy - 2}px`,
    width: `${w * s + 10}px`,
    height: `${h * s + 6}px`,
    font: fontOf(font * s),
    lineHeight: String(LINE),
    color: hex(o ? o.color : target.color, '#1e1e1e'),
    textAlign: align,
  });
}

async function commit() {
  if (!target) return;
  const t = target;
  const text = area.value;
  close();
  try {
    if (t.id) {
      const o = B.scene.get(t.id);
      if (!o || o.text === text) return;
      const edit = { object: t.id, text };
      if (o.kind === 'text') edit.size = measure(text || ' ', o.font);
      await change([edit]);
    } else if (text.trim()) {
      await addShape({ kind: 'text', at: t.at, size: measure(text, t.font), text, color: t.color, font: t.font });
    }
  } catch (err) {
    toast(err.message, true);
  }
}

function close() {
  target = null;
  B.editing = null;
  area.hidden = true;
  area.value = '';
  B.draw();
}

/** Edits the text of object `id` in place. */
export function editText(id) {
  const o = B.scene.get(id);
  if (!o || B.past) return;
  target = { id };
  B.editing = id;
  area.value = o.text || '';
  area.hidden = false;
  place();
  area.focus();
  area.select();
  B.draw();
}

/** Starts new text at board point `at`. */
export function newText(at, font, color) {
  target = { at, font, color };
  area.value = '';
  area.hidden = false;
  place();
  area.focus();
}

export function isEditing() {
  return target !== null;
}

/** Ends editing (the board closes or changes): what was typed is kept. */
export function finishEditing() {
  if (target) commit();
}

export function bindText() {
  area = $('board-text');
  area.addEventListener('keydown', (e) => {
    e.stopPropagation();
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      commit();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });
  area.addEventListener('input', place);
  area.addEventListener('blur', () => commit());
  onViewChange(place);
}
