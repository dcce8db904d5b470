// What the whiteboard's modules share: the board shown, its objects, the view, the selection,
// the tool, what the pointer is making, and one way to ask for a frame.
import { Scene } from './scene.js';

export const B = {
  /** The board open ({ id, name, … } as in the space list), or null. */
  space: null,
  /** The board now. */
  scene: new Scene(),
  /** In history mode: { asOf (ms), scene } — the board as it was, read only. */
  past: null,
  /** screen (CSS px, from the canvas's corner) = (board - origin) * s */
  view: { s: 1, ox: 0, oy: 0 },
  /** The canvas's size in CSS pixels. */
  width: 0,
  height: 0,
  /** Ids of the selected objects. */
  selection: new Set(),
  tool: 'pen',
  /** What the pointer is making now (a stroke, a shape, a selection box, an erase), drawn
   * over the board: { type, … } or null. */
  draft: null,
  /** The object whose text is being edited (drawn without its text meanwhile). */
  editing: null,
  canvas: null,
  ctx: null,
  /** Set by render.js: asks for one frame (many calls before it runs make one). */
  draw: () => {},
};

/** The scene the window shows: the past in history mode, else the board now. */
export function shown() {
  return B.past ? B.past.scene : B.scene;
}

/** A colour the page may use (`#rrggbb`), else `fallback`. */
export function hex(c, fallback = '#000000') {
  return typeof c === 'string' && /^#[0-9a-fA-F]{6}$/.test(c) ? c : fallback;
}
