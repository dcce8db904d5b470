// Changing the board: adding shapes and strokes, changing a selection's properties in one
// transaction, deleting, duplicating, copying and pasting, bringing to front and sending to
// back; and undo and redo of this person's own actions only. Each action keeps its inverse:
// an add is undone by a delete and redone by a restore, a delete by a restore, a change by
// setting back the previous values — only of the properties that still hold what this person
// set, so a later change by someone else is never undone.
import { call } from '../api.js';
import { toast } from '../util.js';
import { B } from './state.js';
import { pictureBytes } from './pictures.js';

const undoStack = [];
const redoStack = [];
const LIMIT = 200;
/** Who this is (the person's peer id), to tell own changes from others'. */
let me = null;
/** Objects copied with Ctrl+C (snapshots), and how many times they were pasted. */
let clip = { objects: [], pasted: 0, stale: false };
const changeListeners = [];

export function setMe(m) {
  me = m;
}

/** Calls `fn()` when the selection or the undo stacks change (the toolbar's buttons). */
export function onEdit(fn) {
  changeListeners.push(fn);
}

export function edited() {
  for (const fn of changeListeners) fn();
  B.draw();
}

export function canUndo() {
  return undoStack.length > 0;
}

export function canRedo() {
  return redoStack.length > 0;
}

/** Forgets the stacks (another board opened). */
export function forget() {
  undoStack.length = 0;
  redoStack.length = 0;
}

function push(entry) {
  undoStack.push(entry);
  if (undoStack.length > LIMIT) undoStack.shift();
  redoStack.length = 0;
  edited();
}

/** Reads objects again and puts them in the scene (they also come by event; whichever is
 * first, the scene ends the same). */
export async function refresh(ids) {
  const space = B.space;
  const got = await Promise.all(ids.map((id) => call('board_object', { space: space.id, id }).catch(() => null)));
  if (B.space !== space) return got;
  for (const o of got) if (o) B.scene.set(o);
  for (const id of ids) if (!B.scene.get(id)) B.selection.delete(id);
  edited();
  return got;
}

// Properties as `board_change` takes them, read from an object.
const PROPS = {
  pos: (o) => [o.x, o.y],
  size: (o) => [o.w, o.h],
  text: (o) => o.text,
  color: (o) => o.color,
  fill: (o) => o.fill || 'none',
  width: (o) => o.width,
  font: (o) => o.font,
};

function same(a, b) {
  if (Array.isArray(a)) return Array.isArray(b) && a.every((v, i) => same(v, b[i]));
  if (typeof a === 'number') return typeof b === 'number' && Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(a));
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

async function write(edits) {
  if (!edits.length) return;
  await call('board_change', { space: B.space.id, edits });
  await refresh(edits.map((e) => e.object));
}

// --- actions -------------------------------------------------------------------------------

/** Places a shape ({ kind, at, size, text, color, fill, width, font }); returns its id. */
export async function addShape(shape, select = true) {
  const { id } = await call('board_add', { space: B.space.id, shape });
  push({ type: 'add', ids: [id] });
  await refresh([id]);
  if (select) select1(id);
  return id;
}

/** Writes a finished stroke; returns its id. */
export async function addStroke(points, color, width) {
  const { id } = await call('board_stroke', { space: B.space.id, points, color, width });
  push({ type: 'add', ids: [id] });
  await refresh([id]);
  return id;
}

/** Objects placed some other way (pictures): remembered for undo and selected. */
export async function added(ids) {
  push({ type: 'add', ids });
  await refresh(ids);
  B.selection = new Set(ids);
  edited();
}

function select1(id) {
  B.selection = new Set([id]);
  edited();
}

/** Changes objects: `edits` as `board_change` takes them ({ object, pos, size, … }). The
 * values they had (in `prior`, a Map by id, when the scene already shows the change, as after
 * a drag) are kept for undo. */
export async function change(edits, prior = null) {
  const entry = { type: 'change', items: [] };
  for (const e of edits) {
    const o = (prior && prior.get(e.object)) || B.scene.get(e.object);
    if (!o) continue;
    const before = {};
    const after = {};
    for (const [k, v] of Object.entries(e)) {
      if (k === 'object') continue;
      if (k === 'z') {
        before.z = { z: o.z, at: o.updated_ms };
        after.z = v;
      } else if (PROPS[k]) {
        before[k] = PROPS[k](o);
        after[k] = v;
      }
    }
    entry.items.push({ id: o.id, before, after });
  }
  if (!entry.items.length) return;
  await write(edits);
  // What the change left (a z order is a number only the node knows).
  for (const it of entry.items) {
    const o = B.scene.get(it.id);
    if (o && it.after.z !== undefined) it.zAt = { z: o.z, at: o.updated_ms };
  }
  push(entry);
}

/** Deletes objects (restorable). */
export async function remove(ids) {
  const live = ids.filter((id) => B.scene.get(id));
  if (!live.length) return;
  await call('board_delete', { space: B.space.id, objects: live });
  for (const id of live) {
    B.scene.remove(id);
    B.selection.delete(id);
  }
  push({ type: 'delete', ids: live });
}

/** Copies the selection (inside the app). */
export function copy() {
  const objects = [...B.selection].map((id) => B.scene.get(id)).filter(Boolean);
  if (!objects.length) return false;
  clip = { objects: objects.map((o) => ({ ...o })), pasted: 0, stale: false };
  return true;
}

/** Whether there is something copied inside the app to paste (and the window kept the focus
 * since: otherwise the system's clipboard may hold something newer). */
export function copied() {
  return clip.objects.length > 0 && !clip.stale;
}

/** Whether anything was copied inside the app, however long ago. */
export function anyCopied() {
  return clip.objects.length > 0;
}

/** The window lost the focus: a paste looks at the system's clipboard first. */
export function markClipStale() {
  clip.stale = true;
}

/** Places copies of `objects` moved by (dx, dy); selects them; one undo step. */
async function copies(objects, dx, dy) {
  const space = B.space.id;
  const ids = [];
  for (const o of objects) {
    try {
      let id;
      if (o.kind === 'stroke') {
        const points = (o.points || []).map(([x, y]) => [x + dx, y + dy]);
        ({ id } = await call('board_stroke', { space, points, color: o.color, width: o.width }));
      } else if (o.kind === 'picture') {
        const bytes = await pictureBytes(o);
        if (!bytes) continue;
        ({ id } = await call('board_picture_bytes', { space, name: bytes.name, data: bytes.data, at: [o.x + dx, o.y + dy], size: [o.w, o.h] }));
      } else {
        const shape = { kind: o.kind, at: [o.x + dx, o.y + dy], size: [o.w, o.h], text: o.text, color: o.color, fill: o.fill || 'none', width: o.width, font: o.font };
        ({ id } = await call('board_add', { space, shape }));
      }
      ids.push(id);
    } catch (err) {
      toast(err.message, true);
    }
  }
  if (!ids.length) return;
  push({ type: 'add', ids });
  await refresh(ids);
  B.selection = new Set(ids);
  edited();
}

export async function duplicate() {
  const objects = [...B.selection].map((id) => B.scene.get(id)).filter(Boolean);
  if (objects.length) await copies(objects, 16, 16);
}

export async function paste() {
  clip.pasted += 1;
  const d = 24 * clip.pasted;
  await copies(clip.objects, d, d);
}

/** Brings the selection to the front or sends it to the back (`front` | `back`). */
export async function restack(where) {
  const edits = [...B.selection].filter((id) => B.scene.get(id)).map((id) => ({ object: id, z: where }));
  if (edits.length) await change(edits);
}

// --- undo and redo -------------------------------------------------------------------------

async function restore(ids) {
  const done = [];
  for (const id of ids) {
    try {
      await call('board_restore', { space: B.space.id, object: id });
      done.push(id);
    } catch (err) {
      // Restored by someone else meanwhile: nothing to do.
      if (!/not deleted/.test(err.message)) throw err;
    }
  }
  await refresh(ids);
}

async function del(ids) {
  const live = ids.filter((id) => B.scene.get(id));
  if (live.length) await call('board_delete', { space: B.space.id, objects: live });
  for (const id of live) {
    B.scene.remove(id);
    B.selection.delete(id);
  }
}

/** Sets back (`from` → `to`) the properties that still hold `from`'s values. */
async function revert(items, from, to) {
  const edits = [];
  const zs = [];
  for (const it of items) {
    const o = B.scene.get(it.id);
    if (!o) continue;
    const e = { object: it.id };
    for (const k of Object.keys(it[to])) {
      if (k === 'z') {
        zs.push({ it, o });
      } else if (same(PROPS[k](o), it[from][k])) {
        e[k] = it[to][k];
      }
    }
    if (Object.keys(e).length > 1) edits.push(e);
  }
  await write(edits);
  for (const { it, o } of zs) {
    if (to === 'before') {
      // Back where it was in the stack: as it was just before, if nobody changed it since;
      // else only to the other end.
      const untouched = it.zAt && o.updated_by === me && same(o.z, it.zAt.z) && o.updated_ms === it.zAt.at;
      if (untouched && it.before.z.at) {
        await call('board_restore', { space: B.space.id, object: it.id, asOf: it.before.z.at });
        await refresh([it.id]);
      } else if (same(o.z, it.zAt ? it.zAt.z : NaN)) {
        await write([{ object: it.id, z: it.after.z === 'front' ? 'back' : 'front' }]);
      }
    } else {
      await write([{ object: it.id, z: it.after.z }]);
    }
    const now = B.scene.get(it.id);
    if (now) it.zAt = { z: now.z, at: now.updated_ms };
  }
}

async function apply(entry, direction) {
  const back = direction === 'undo';
  switch (entry.type) {
    case 'add':
      if (back) await del(entry.ids);
      else await restore(entry.ids);
      break;
    case 'delete':
      if (back) await restore(entry.ids);
      else await del(entry.ids);
      break;
    case 'change':
      await revert(entry.items, back ? 'after' : 'before', back ? 'before' : 'after');
      break;
    default:
      break;
  }
}

export async function undo() {
  const entry = undoStack.pop();
  if (!entry) {
    toast('Nothing of yours to undo.');
    return;
  }
  try {
    await apply(entry, 'undo');
    redoStack.push(entry);
  } catch (err) {
    toast(err.message, true);
  }
  edited();
}

export async function redo() {
  const entry = redoStack.pop();
  if (!entry) return;
  try {
    await apply(entry, 'redo');
    undoStack.push(entry);
  } catch (err) {
    toast(err.message, true);
  }
  edited();
}
