// Pictures on the whiteboard: placed from the Image button (the native open dialog), a file
// dropped on the board, a picture dropped from another program or pasted (Ctrl+V); drawn from
// the `confab-blob` protocol (the sender's preview until the whole picture is here). Once
// placed, a picture is an object like the others: selected, moved and resized (its
// proportions kept) with the select tool.
import { call } from '../api.js';
import { $, toast } from '../util.js';
import { blobUrl, isHeld } from '../files.js';
import { base64Of, onBoardDrop, pastedName } from '../attach.js';
import { B } from './state.js';

/** Pictures placed together are set apart by this much (board units). */
const STAGGER = 32;

const images = new Map(); // 'thumb/<blob>' or '<blob>' -> { img, ok, failed }
let hooks = null; // { toBoard, placed(ids), corner() }

function image(path) {
  let e = images.get(path);
  if (!e) {
    const img = new Image();
    // Drawn on the board's canvas, which must stay exportable: the protocol answers CORS.
    img.crossOrigin = 'anonymous';
    e = { img, ok: false, failed: false };
    img.onload = () => { e.ok = true; B.draw(); };
    img.onerror = () => { e.failed = true; B.draw(); };
    img.src = blobUrl(path);
    images.set(path, e);
  }
  return e;
}

/** What to draw for a picture object now: the whole picture once here and loaded, else its
 * preview (`shown` says which, for the tests). */
export function bitmap(o) {
  const f = o.file;
  if (!f || !/^[0-9a-f]{64}$/.test(f.blob || '')) return { img: null, shown: 'none' };
  // `isHeld` also knows of a `file_held` that came before this picture was read (its read
  // raced the download and said "not held").
  if (isHeld(f)) {
    f.held = true;
    const whole = image(f.blob);
    if (whole.ok) return { img: whole.img, shown: 'whole' };
  }
  const thumb = image(`thumb/${f.blob}`);
  return thumb.ok ? { img: thumb.img, shown: 'preview' } : { img: null, shown: 'none' };
}

/** The whole picture of `blob` is here now: draw it instead of its preview. */
export function pictureHeld(scene, blob) {
  let any = false;
  for (const o of scene.order) {
    if (o.kind === 'picture' && o.file && o.file.blob === blob) {
      o.file.held = true;
      any = true;
    }
  }
  if (any) {
    images.delete(blob);
    B.draw();
  }
}

async function place(at, sources) {
  const space = B.space;
  if (!space) return;
  let [x, y] = at;
  const ids = [];
  for (const s of sources) {
    try {
      const args = { space: space.id, at: [x, y], size: null };
      const { id } = s.path
        ? await call('board_picture', { ...args, path: s.path })
        : await call('board_picture_bytes', { ...args, name: s.name, data: s.data });
      ids.push(id);
      x += STAGGER;
      y += STAGGER;
    } catch (err) {
      toast(err.message, true);
    }
  }
  // The pictures just placed are selected, ready to be moved or resized (and undone).
  if (ids.length) await hooks.placed(ids);
}

async function pick() {
  if (!B.space || B.past) return;
  const paths = await call('file_open_dialog', { pictures: true });
  if (paths.length) await place(hooks.corner(), paths.map((path) => ({ path })));
}

/** A picture on the clipboard (read by Rust: WebKitGTK gives the page none) goes on the
 * board; false if there is none. */
export async function pastePicture() {
  const p = await call('clipboard_picture');
  if (!p) return false;
  await place(hooks.corner(), [{ name: pastedName(p.mime), data: p.data }]);
  return true;
}

/** Files dropped from another program as data (a page, a picture viewer) rather than paths. */
async function droppedFiles(e) {
  const files = [...((e.dataTransfer && e.dataTransfer.files) || [])];
  if (!files.length) return;
  e.preventDefault();
  if (B.past) return;
  const at = hooks.toBoard(e.clientX, e.clientY).map(Math.round);
  const sources = [];
  for (const f of files) sources.push({ name: f.name || pastedName(f.type), data: await base64Of(f) });
  await place(at, sources);
}

/** Hooks up the ways pictures arrive. `h`: { toBoard, placed(ids), corner() }. */
export function bindPictures(h) {
  hooks = h;
  $('board-image').addEventListener('click', () => pick().catch((e) => toast(e.message, true)));
  const canvas = $('board-canvas');
  canvas.addEventListener('dragover', (e) => {
    if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) e.preventDefault();
  });
  canvas.addEventListener('drop', (e) => droppedFiles(e).catch((err) => toast(err.message, true)));
  // Files dropped on the window: Tauri hands over their paths and where they fell.
  onBoardDrop((paths, position) => {
    if (B.past) return;
    const dpr = window.devicePixelRatio || 1;
    const at = position ? h.toBoard(position.x / dpr, position.y / dpr).map(Math.round) : h.corner();
    place(at, paths.map((path) => ({ path }))).catch((e) => toast(e.message, true));
  });
}

/** `<image>` for an SVG export, carrying its picture (the file stands alone), or null. */
export async function svgImage(o) {
  const f = o.file;
  if (!f) return null;
  const got = await call('picture_data', { blob: f.blob, thumb: !f.held });
  if (!got || !/^image\/(png|jpeg|gif|webp)$/.test(got.mime) || !/^[A-Za-z0-9+/=]*$/.test(got.data)) return null;
  return `<image x="${Number(o.x)}" y="${Number(o.y)}" width="${Number(o.w)}" height="${Number(o.h)}" preserveAspectRatio="none" href="data:${got.mime};base64,${got.data}"/>`;
}

/** The picture's bytes in base64 and its name (to duplicate or paste a copy of it). */
export async function pictureBytes(o) {
  const f = o.file;
  if (!f) return null;
  const got = await call('picture_data', { blob: f.blob, thumb: !f.held });
  return got ? { name: f.name || pastedName(got.mime), data: got.data } : null;
}
