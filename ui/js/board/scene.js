// The objects of one board (now, or as it was at a past moment): a Map by id, the objects in
// stacking order (back to front, as the engine orders them: z, then when placed, then id), and
// a uniform grid over their bounding boxes so that a frame finds what is in view without
// looking at the rest. Geometry that rendering, hit testing and export share lives here too.

/** Side of a grid cell, in board units. */
const CELL = 256;
/** An object over more cells than this is kept apart and checked on every query. */
const MAX_CELLS = 256;
/** A query over more cells than this scans the stacking order instead (zoomed far out). */
const SCAN_CELLS = 2048;

const key = (cx, cy) => (cx + 32768) * 65536 + (cy + 32768);

/** Whether the object is a line or an arrow (its size is a vector, either sign). */
export function isSegment(o) {
  return o.kind === 'line' || o.kind === 'arrow';
}

/** The arrowhead's length for a line width. */
export function headLength(width) {
  return Math.max(10, width * 4);
}

/** An object's bounding box in board units, with room for its outline: [x0, y0, x1, y1]. */
export function boundsOf(o) {
  const pad = (Number(o.width) || 0) / 2 + 1;
  if (isSegment(o)) {
    const x1 = o.x + o.w;
    const y1 = o.y + o.h;
    const extra = o.kind === 'arrow' ? headLength(o.width) : 0;
    return [Math.min(o.x, x1) - pad - extra, Math.min(o.y, y1) - pad - extra,
      Math.max(o.x, x1) + pad + extra, Math.max(o.y, y1) + pad + extra];
  }
  return [o.x - pad, o.y - pad, o.x + Math.max(0, o.w) + pad, o.y + Math.max(0, o.h) + pad];
}

/** Stacking order: the engine's (z, then when placed, then id). */
export function before(a, b) {
  if (a.z !== b.z) return a.z - b.z;
  if (a.ts !== b.ts) return a.ts - b.ts;
  if ((a.tick || 0) !== (b.tick || 0)) return (a.tick || 0) - (b.tick || 0);
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export class Scene {
  /** `list`: ObjectViews back to front (as `board_objects` gives them). */
  constructor(list = []) {
    this.byId = new Map();
    this.order = [];
    this.cells = new Map();
    this.big = new Set();
    this.stamp = 0;
    for (const o of list) {
      this.prepare(o);
      this.byId.set(o.id, o);
      this.order.push(o);
      this.index(o);
    }
    // Already back to front; ranks follow.
    this.order.sort(before);
    this.rerank();
  }

  get size() {
    return this.order.length;
  }

  get(id) {
    return this.byId.get(id) || null;
  }

  prepare(o) {
    o.bbox = boundsOf(o);
    o.seen = 0;
  }

  rerank() {
    for (let i = 0; i < this.order.length; i++) this.order[i].rank = i;
  }

  cellRange(b) {
    return [Math.floor(b[0] / CELL), Math.floor(b[1] / CELL), Math.floor(b[2] / CELL), Math.floor(b[3] / CELL)];
  }

  index(o) {
    const [cx0, cy0, cx1, cy1] = this.cellRange(o.bbox);
    if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > MAX_CELLS) {
      this.big.add(o);
      return;
    }
    for (let cx = cx0; cx <= cx1; cx++) {
      for (let cy = cy0; cy <= cy1; cy++) {
        const k = key(cx, cy);
        let cell = this.cells.get(k);
        if (!cell) {
          cell = [];
          this.cells.set(k, cell);
        }
        cell.push(o);
      }
    }
  }

  unindex(o) {
    if (this.big.delete(o)) return;
    const [cx0, cy0, cx1, cy1] = this.cellRange(o.bbox);
    for (let cx = cx0; cx <= cx1; cx++) {
      for (let cy = cy0; cy <= cy1; cy++) {
        const k = key(cx, cy);
        const cell = this.cells.get(k);
        if (!cell) continue;
        const i = cell.indexOf(o);
        if (i >= 0) cell.splice(i, 1);
        if (!cell.length) this.cells.delete(k);
      }
    }
  }

  /** Puts an object in (new) or replaces it (changed); a deleted one is taken out. */
  set(o) {
    const old = this.byId.get(o.id);
    if (o.deleted) {
      if (old) this.remove(o.id);
      return;
    }
    this.prepare(o);
    if (old) {
      this.unindex(old);
      const i = old.rank;
      // Same place in the stack (only z moves an object there): replace it where it is.
      if (old.z === o.z) {
        this.order[i] = o;
        o.rank = i;
      } else {
        this.order.splice(i, 1);
        this.insert(o);
        this.rerank();
      }
    } else {
      this.insert(o);
    }
    this.byId.set(o.id, o);
    this.index(o);
  }

  insert(o) {
    // Usually at the end (placed last); a binary search otherwise.
    const n = this.order.length;
    if (!n || before(this.order[n - 1], o) <= 0) {
      this.order.push(o);
      o.rank = n;
      return;
    }
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.order[mid], o) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.order.splice(lo, 0, o);
    this.rerank();
  }

  remove(id) {
    const o = this.byId.get(id);
    if (!o) return;
    this.byId.delete(id);
    this.unindex(o);
    this.order.splice(o.rank, 1);
    this.rerank();
  }

  /** Objects whose boxes meet the rectangle [x0, y0, x1, y1], back to front. */
  query(r) {
    const [cx0, cy0, cx1, cy1] = this.cellRange(r);
    const cellCount = (cx1 - cx0 + 1) * (cy1 - cy0 + 1);
    const meets = (b) => b[0] <= r[2] && b[2] >= r[0] && b[1] <= r[3] && b[3] >= r[1];
    if (cellCount > SCAN_CELLS || cellCount > this.cells.size * 4) {
      const out = [];
      for (const o of this.order) if (meets(o.bbox)) out.push(o);
      return out;
    }
    const stamp = ++this.stamp;
    const out = [];
    for (let cx = cx0; cx <= cx1; cx++) {
      for (let cy = cy0; cy <= cy1; cy++) {
        const cell = this.cells.get(key(cx, cy));
        if (!cell) continue;
        for (const o of cell) {
          if (o.seen === stamp) continue;
          o.seen = stamp;
          if (meets(o.bbox)) out.push(o);
        }
      }
    }
    for (const o of this.big) if (meets(o.bbox)) out.push(o);
    out.sort((a, b) => a.rank - b.rank);
    return out;
  }

  /** The extent of everything: [x0, y0, x1, y1], or null for an empty board. */
  extent() {
    if (!this.order.length) return null;
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const o of this.order) {
      const b = o.bbox;
      if (b[0] < x0) x0 = b[0];
      if (b[1] < y0) y0 = b[1];
      if (b[2] > x1) x1 = b[2];
      if (b[3] > y1) y1 = b[3];
    }
    return [x0, y0, x1, y1];
  }

  /** The topmost object under a board point, within `reach` board units of its outline. */
  hit(p, reach) {
    const near = this.query([p[0] - reach, p[1] - reach, p[0] + reach, p[1] + reach]);
    for (let i = near.length - 1; i >= 0; i--) if (hits(near[i], p, reach)) return near[i];
    return null;
  }

  /** Every object the segment from `a` to `b` touches (the eraser's path). */
  touched(a, b, reach) {
    const box = [Math.min(a[0], b[0]) - reach, Math.min(a[1], b[1]) - reach,
      Math.max(a[0], b[0]) + reach, Math.max(a[1], b[1]) + reach];
    const out = [];
    for (const o of this.query(box)) {
      // Sample the segment: the eraser moves in small steps.
      const n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / Math.max(1, reach)));
      for (let i = 0; i <= n; i++) {
        const t = i / n;
        if (hits(o, [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t], reach)) {
          out.push(o);
          break;
        }
      }
    }
    return out;
  }

  /** Objects whose boxes lie wholly inside [x0, y0, x1, y1] (box selection). */
  inside(r) {
    return this.query(r).filter((o) => o.bbox[0] >= r[0] && o.bbox[1] >= r[1] && o.bbox[2] <= r[2] && o.bbox[3] <= r[3]);
  }
}

export function distToSegment(p, a, b) {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len)) : 0;
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** Whether a board point is on an object (filled shapes, text and pictures anywhere inside;
 * outlines, lines and strokes within `reach`). */
export function hits(o, p, reach) {
  const w = (Number(o.width) || 0) / 2 + reach;
  switch (o.kind) {
    case 'line':
    case 'arrow':
      return distToSegment(p, [o.x, o.y], [o.x + o.w, o.y + o.h]) <= w;
    case 'stroke': {
      const pts = o.points || [];
      if (pts.length === 1) return Math.hypot(p[0] - pts[0][0], p[1] - pts[0][1]) <= w;
      for (let i = 1; i < pts.length; i++) if (distToSegment(p, pts[i - 1], pts[i]) <= w) return true;
      return false;
    }
    case 'ellipse': {
      const rx = o.w / 2;
      const ry = o.h / 2;
      const nx = (p[0] - (o.x + rx)) / Math.max(1e-6, rx + w);
      const ny = (p[1] - (o.y + ry)) / Math.max(1e-6, ry + w);
      const outer = nx * nx + ny * ny <= 1;
      if (!outer) return false;
      if (o.fill || o.text) return true;
      const ix = (p[0] - (o.x + rx)) / Math.max(1e-6, rx - w);
      const iy = (p[1] - (o.y + ry)) / Math.max(1e-6, ry - w);
      return rx <= w || ry <= w || ix * ix + iy * iy >= 1;
    }
    case 'rect': {
      const inOuter = p[0] >= o.x - w && p[0] <= o.x + o.w + w && p[1] >= o.y - w && p[1] <= o.y + o.h + w;
      if (!inOuter) return false;
      if (o.fill || o.text) return true;
      const inInner = p[0] > o.x + w && p[0] < o.x + o.w - w && p[1] > o.y + w && p[1] < o.y + o.h - w;
      return !inInner;
    }
    default:
      return p[0] >= o.x - reach && p[0] <= o.x + o.w + reach && p[1] >= o.y - reach && p[1] <= o.y + o.h + reach;
  }
}
