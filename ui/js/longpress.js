// A long press: a pointer (finger, pen or mouse button) held still on an element for about
// half a second. Moving it more than a few pixels, lifting it, or the list scrolling
// cancels it. The click that ends a long press is not a tap, and a touch's own context menu
// does not open over what the long press shows.

const HOLD_MS = 500;
const SLOP_PX = 10;

let swallowNext = false; // a long press fired: the click that follows it is dropped

document.addEventListener('pointerdown', () => { swallowNext = false; }, true);
document.addEventListener('click', (e) => {
  // (A click from the keyboard or a script, detail 0, is never the end of a press.)
  if (!swallowNext || e.detail === 0) return;
  swallowNext = false;
  e.preventDefault();
  e.stopPropagation();
}, true);

/**
 * Calls `fire(target, press)` when a pointer is held on an element matching `selector` inside
 * `root` (not on a field). `press` has where it started (`x`, `y`) and `type` (the pointer's).
 * `accept(event)` may turn a pointer down: no long press from it.
 */
export function onLongPress(root, selector, fire, { ms = HOLD_MS, slop = SLOP_PX, accept = () => true } = {}) {
  let timer = null;
  let press = null;
  const cancel = () => {
    clearTimeout(timer);
    timer = null;
    press = null;
  };
  root.addEventListener('pointerdown', (e) => {
    cancel();
    if (e.button !== 0 || !e.isPrimary || !e.target.closest || !accept(e)) return;
    const target = e.target.closest(selector);
    if (!target || !root.contains(target)) return;
    if (e.target.closest('input, textarea, select, [contenteditable="true"]')) return;
    press = { id: e.pointerId, x: e.clientX, y: e.clientY, type: e.pointerType, target };
    timer = setTimeout(() => {
      const p = press;
      cancel();
      if (!p || !p.target.isConnected) return;
      swallowNext = true;
      if (navigator.vibrate) navigator.vibrate(12);
      fire(p.target, p);
    }, ms);
  });
  root.addEventListener('pointermove', (e) => {
    if (press && e.pointerId === press.id && Math.hypot(e.clientX - press.x, e.clientY - press.y) > slop) cancel();
  });
  for (const type of ['pointerup', 'pointercancel']) {
    root.addEventListener(type, (e) => {
      if (press && e.pointerId === press.id) cancel();
    });
  }
  root.addEventListener('scroll', cancel, { passive: true });
  root.addEventListener('contextmenu', (e) => {
    if (timer || swallowNext) e.preventDefault();
  });
}
