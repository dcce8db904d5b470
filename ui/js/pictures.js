// Pictures on the whiteboard: placed from the Image button (the native open dialog), a file
// dropped on the board, a picture dropped from another program or pasted (Ctrl+V); drawn
// under the strokes from the `confab-blob` protocol (the sender's preview until the whole
// picture is here); selected with the Move tool, dragged to move and by a corner to resize
// (its proportions kept), which writes one move record when the drag ends; exported with the
// board. The board's view (where board units land on screen) is board.js's, handed over in
// `bind`.
import { call } from './api.js';
import { $, toast } from './util.js';
import { blobUrl } from './files.js';
import { base64Of, onBoardDrop, pastedName } from './attach.js';

/** The smallest side a picture is resized to, in board units. */
const MIN_SIDE = 8;
/** Corner handles: drawn this big, grabbed within this reach (CSS pixels). */
const HANDLE = 10;
const REACH = { mouse: 10, pen: 12, touch: 24 };
/** Pictures placed together are set apart by this much (board units). */
const STAGGER = 32;

let board = null; // { space(), view(), toBoard(clientX, clientY), redraw(), useMoveTool() }
let list = []; // PictureViews, oldest placed first (drawn first, so under the newer)
let selected = null; // id of the selected picture
let drag = null; // { id, mode: 'move'|'resize', from, rect0, rect, corner }
const images = new Map(); // 'thumb/<blob>' or '<blob>' -> { img, ok, failed }

function image(path) {
  let e = images.get(path);
  if (!e) {
    const img = new Image();
    // Drawn on the board's canvas, which must stay exportable: the protocol answers CORS.
    img.crossOrigin = 'anonymous';
    e = { img, ok: false, failed: false };
    img.onload = () => { e.ok = true; board && board.redraw(); };
    img.onerror = () => { e.failed = true; board && board.redraw(); };
    img.src = blobUrl(path);
    images.set(path, e);
  }
  return e;
}

/** What to draw for a picture now: the whole picture once here and loaded, else its preview
 * (`shown` says which, for the tests). */
function bitmap(p) {
  if (p.held) {
    const whole = image(p.blob);
    if (whole.ok) return { img: whole.img, shown: 'whole' };
  }
  const thumb = image(`thumb/${p.blob}`);
  return thumb.ok ? { img: thumb.img, shown: 'preview' } : { img: null, shown: 'none' };
}

function rectOf(p) {
  return drag && drag.id === p.id ? drag.rect : p.rect;
}

function byId(id) {
  return list.find((p) => p.id === id) || null;
}

function placeholder(ctx, p, r) {
  ctx.save();
  ctx.fillStyle = 'rgba(128, 128, 128, 0.18)';
  ctx.strokeStyle = 'rgba(128, 128, 128, 0.6)';
  ctx.lineWidth = 1 / board.view().s;
  ctx.fillRect(r.x, r.y, r.w, r.h);
  ctx.strokeRect(r.x, r.y, r.w, r.h);
  ctx.restore();
}

function corners(r) {
  return { nw: [r.x, r.y], ne: [r.x + r.w, r.y], sw: [r.x, r.y + r.h], se: [r.x + r.w, r.y + r.h] };
}

const OPPOSITE = { nw: 'se', ne: 'sw', sw: 'ne', se: 'nw' };

async function place(at, sources) {
  const space = board.space();
  if (!space) return;
  let [x, y] = at;
  let placed = false;
  for (const s of sources) {
    try {
      const args = { space: space.id, at: [x, y], size: null };
      const { id } = s.path
        ? await call('board_picture', { ...args, path: s.path })
        : await call('board_picture_bytes', { ...args, name: s.name, data: s.data });
      selected = id;
      placed = true;
      x += STAGGER;
      y += STAGGER;
    } catch (err) {
      toast(err.message, true);
    }
  }
  // The picture just placed is selected, ready to be moved or resized.
  if (placed) board.useMoveTool();
  await pictures.load();
}

/** Top-left corner for a picture placed without a point: inside the visible board, past any
 * picture placed there before (so that one never hides another exactly). */
function corner() {
  const v = board.view();
  let [x, y] = [Math.round(v.ox + 24 / v.s), Math.round(v.oy + 24 / v.s)];
  while (list.some((p) => Math.abs(p.rect.x - x) < 1 && Math.abs(p.rect.y - y) < 1)) {
    x += STAGGER;
    y += STAGGER;
  }
  return [x, y];
}

async function pick() {
  if (!board.space()) return;
  const paths = await call('file_open_dialog', { pictures: true });
  if (paths.length) await place(corner(), paths.map((path) => ({ path })));
}

/** A picture on the clipboard (read by Rust: WebKitGTK gives the page none) goes on the board. */
async function paste() {
  const p = await call('clipboard_picture');
  if (!p) {
    toast('There is no picture on the clipboard.', true);
    return;
  }
  await place(corner(), [{ name: pastedName(p.mime), data: p.data }]);
}

/** Files dropped from another program as data (a page, a picture viewer) rather than paths. */
async function droppedFiles(e) {
  const files = [...((e.dataTransfer && e.dataTransfer.files) || [])];
  if (!files.length) return;
  e.preventDefault();
  const at = board.toBoard(e.clientX, e.clientY).map(Math.round);
  const sources = [];
  for (const f of files) sources.push({ name: f.name || pastedName(f.type), data: await base64Of(f) });
  await place(at, sources);
}

export const pictures = {
  /** Hooks up the board's view and the ways pictures arrive. */
  bind(b) {
    board = b;
    $('board-image').addEventListener('click', () => pick().catch((e) => toast(e.message, true)));
    $('board-remove').addEventListener('click', () => pictures.removeSelected());
    const canvas = $('board-canvas');
    canvas.addEventListener('dragover', (e) => {
      if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) e.preventDefault();
    });
    canvas.addEventListener('drop', (e) => droppedFiles(e).catch((err) => toast(err.message, true)));
    // Files dropped on the window: Tauri hands over their paths and where they fell.
    onBoardDrop((paths, position) => {
      const dpr = window.devicePixelRatio || 1;
      const at = position
        ? board.toBoard(position.x / dpr, position.y / dpr).map(Math.round)
        : corner();
      place(at, paths.map((path) => ({ path }))).catch((e) => toast(e.message, true));
    });
    document.addEventListener('keydown', (e) => {
      if ($('panel-board').hidden || e.target.closest('input, textarea, [contenteditable]')) return;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'v') {
        e.preventDefault();
        paste().catch((err) => toast(err.message, true));
      } else if ((e.key === 'Delete' || e.key === 'Backspace') && selected) {
        e.preventDefault();
        pictures.removeSelected();
      }
    });
  },

  /** Reads the board's pictures again (after anything about them arrived). */
  async load() {
    const space = board.space();
    list = space ? await call('board_pictures', { space: space.id }) : [];
    if (selected && !byId(selected)) selected = null;
    pictures.showSelection();
    board.redraw();
  },

  clear() {
    list = [];
    selected = null;
    drag = null;
    pictures.showSelection();
  },

  get list() {
    return list;
  },

  /** The whole picture of `blob` is here now: draw it instead of its preview. */
  onHeld(blob) {
    const p = list.find((x) => x.blob === blob);
    if (!p) return;
    p.held = true;
    images.delete(blob);
    board.redraw();
  },

  /** The pictures' extent, for fitting the view. */
  bounds() {
    return list.map((p) => rectOf(p));
  },

  /** Draws the pictures in board units (the canvas is already scaled and translated). */
  draw(ctx) {
    const drawn = [];
    for (const p of list) {
      const r = rectOf(p);
      const b = bitmap(p);
      if (b.img) ctx.drawImage(b.img, r.x, r.y, r.w, r.h);
      else placeholder(ctx, p, r);
      drawn.push({ id: p.id, shown: b.shown, ...r });
    }
    // What is on the board and where, for the tests (as `data-live` says who is shown live).
    $('board-canvas').dataset.pictures = JSON.stringify(drawn);
  },

  /** Draws the selected picture's outline and corner handles in screen pixels. */
  drawSelection(ctx) {
    const p = selected && byId(selected);
    if (!p) return;
    const v = board.view();
    const r = rectOf(p);
    const sx = (x) => (x - v.ox) * v.s;
    const sy = (y) => (y - v.oy) * v.s;
    const accent = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() || '#1f6feb';
    ctx.save();
    ctx.strokeStyle = accent;
    ctx.lineWidth = 2;
    ctx.setLineDash([6, 4]);
    ctx.strokeRect(sx(r.x), sy(r.y), r.w * v.s, r.h * v.s);
    ctx.setLineDash([]);
    ctx.fillStyle = '#ffffff';
    for (const [x, y] of Object.values(corners(r))) {
      ctx.fillRect(sx(x) - HANDLE / 2, sy(y) - HANDLE / 2, HANDLE, HANDLE);
      ctx.strokeRect(sx(x) - HANDLE / 2, sy(y) - HANDLE / 2, HANDLE, HANDLE);
    }
    ctx.restore();
  },

  /** The topmost picture under a board point. */
  at(pt) {
    for (let i = list.length - 1; i >= 0; i--) {
      const r = rectOf(list[i]);
      if (pt[0] >= r.x && pt[0] <= r.x + r.w && pt[1] >= r.y && pt[1] <= r.y + r.h) return list[i];
    }
    return null;
  },

  /** The selected picture's corner handle under a board point, if any. */
  handleAt(pt, pointerType) {
    const p = selected && byId(selected);
    if (!p) return null;
    const reach = (REACH[pointerType] || REACH.mouse) / board.view().s;
    for (const [name, [x, y]] of Object.entries(corners(rectOf(p)))) {
      if (Math.abs(pt[0] - x) <= reach && Math.abs(pt[1] - y) <= reach) return name;
    }
    return null;
  },

  get dragging() {
    return drag !== null;
  },

  /** Pointer down with the Move tool: grab a handle, or a picture, or let go of it. */
  down(pt, pointerType) {
    const handle = pictures.handleAt(pt, pointerType);
    const p = handle ? byId(selected) : pictures.at(pt);
    selected = p ? p.id : null;
    pictures.showSelection();
    if (p) drag = { id: p.id, mode: handle ? 'resize' : 'move', corner: handle, from: pt, rect0: { ...p.rect }, rect: { ...p.rect } };
    board.redraw();
    return Boolean(p);
  },

  move(pt) {
    if (!drag) return;
    const r0 = drag.rect0;
    if (drag.mode === 'move') {
      drag.rect = { ...r0, x: r0.x + pt[0] - drag.from[0], y: r0.y + pt[1] - drag.from[1] };
    } else {
      // The opposite corner stays put; the picture keeps its proportions.
      const [ax, ay] = corners(r0)[OPPOSITE[drag.corner]];
      const scale = Math.max(Math.abs(pt[0] - ax) / r0.w, Math.abs(pt[1] - ay) / r0.h, MIN_SIDE / Math.min(r0.w, r0.h));
      const w = r0.w * scale;
      const h = r0.h * scale;
      drag.rect = { x: drag.corner.includes('w') ? ax - w : ax, y: drag.corner.includes('n') ? ay - h : ay, w, h };
    }
    board.redraw();
  },

  /** Pointer up: one move record for the whole drag, if the picture went anywhere. */
  async up() {
    if (!drag) return;
    const d = drag;
    const round = (v) => Math.round(v * 10) / 10;
    const r = { x: round(d.rect.x), y: round(d.rect.y), w: round(d.rect.w), h: round(d.rect.h) };
    const p = byId(d.id);
    const same = ['x', 'y', 'w', 'h'].every((k) => r[k] === d.rect0[k]);
    if (!p || same) {
      drag = null;
      board.redraw();
      return;
    }
    p.rect = r;
    drag = null;
    board.redraw();
    try {
      await call('board_move', { space: board.space().id, picture: p.id, rect: r });
    } catch (err) {
      toast(err.message, true);
      await pictures.load();
    }
  },

  /** Erases the selected picture (an erase record, as for strokes). */
  async removeSelected() {
    const id = selected;
    if (!id || !board.space()) return;
    try {
      await call('board_erase', { space: board.space().id, strokes: [id] });
      list = list.filter((p) => p.id !== id);
      selected = null;
      pictures.showSelection();
      board.redraw();
    } catch (err) {
      toast(err.message, true);
    }
  },

  /** Forgets the selection (another tool was picked, or an export is drawn). */
  deselect() {
    selected = null;
    pictures.showSelection();
  },

  showSelection() {
    $('board-remove').hidden = !selected;
    $('board-canvas').dataset.selected = selected || '';
  },

  /** `<image>` elements for an SVG export, each carrying its picture (the file stands alone). */
  async svgImages() {
    const out = [];
    for (const p of list) {
      const got = await call('picture_data', { blob: p.blob, thumb: !p.held });
      if (!got || !/^image\/(png|jpeg|gif|webp)$/.test(got.mime) || !/^[A-Za-z0-9+/=]*$/.test(got.data)) continue;
      const r = p.rect;
      out.push(`<image x="${Number(r.x)}" y="${Number(r.y)}" width="${Number(r.w)}" height="${Number(r.h)}" preserveAspectRatio="none" href="data:${got.mime};base64,${got.data}"/>`);
    }
    return out;
  },
};
