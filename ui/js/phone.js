// The phone layout's behaviour (phone.css draws it, in windows up to 700 px wide): the space
// list as a drawer over the content, opened by the menu button of the top bar and closed by
// choosing a space, its ✕, the scrim, Escape or a swipe to the left (a dialog while it is
// open: the rest of the page is inert, the focus goes in and comes back); the top bar's title
// (the space shown) and its ⋮ menu of the space's actions; the on-screen keyboard
// (keyboard.js). Nothing here changes a wider window.
import { $, el } from './util.js';
import { bindKeyboard } from './keyboard.js';

const phoneQuery = window.matchMedia('(max-width: 700px)');

/** True while the window has the phone layout. */
export const isPhone = () => phoneQuery.matches;

/**
 * Makes everything in the page inert but `keep` (and the toast, whose messages are still
 * read out); returns what undoes it. For the drawer and the sheets, which are modal.
 */
export function inertOutside(keep) {
  const made = [];
  const walk = (parent) => {
    for (const c of parent.children) {
      if (keep.includes(c)) continue;
      if (keep.some((k) => c.contains(k))) {
        walk(c);
        continue;
      }
      if (c.inert || c.id === 'toast' || c.tagName === 'SCRIPT') continue;
      c.inert = true;
      made.push(c);
    }
  };
  walk(document.body);
  return () => {
    for (const c of made) c.inert = false;
  };
}

const drawer = {
  restore: null, // undoes the inert of the rest of the page
  opener: null, // where the focus goes back to
  scrim: null,
  dragged: false, // a swipe just ended: the click it makes is not a choice
};

const isOpen = () => document.body.classList.contains('drawer-open');

function openDrawer() {
  const d = $('spaces');
  if (!isPhone() || isOpen() || d.hidden) return;
  drawer.opener = document.activeElement;
  document.body.classList.add('drawer-open');
  d.setAttribute('role', 'dialog');
  d.setAttribute('aria-modal', 'true');
  $('drawer-open').setAttribute('aria-expanded', 'true');
  // A list folded on a wider window unfolds in the drawer.
  $('spaces-body').hidden = false;
  void d.offsetWidth; // shown now (visible), so that what is in it takes the focus
  const first = d.querySelector('[aria-current="true"]') || d.querySelector('li, input, button');
  if (first) first.focus();
  drawer.restore = inertOutside([d, drawer.scrim]);
}

/** Closes the drawer; the focus goes back to what opened it unless `focus` is false. */
function closeDrawer(focus = true) {
  if (!isOpen()) return;
  const d = $('spaces');
  document.body.classList.remove('drawer-open');
  d.classList.remove('dragging');
  d.style.transform = '';
  d.removeAttribute('role');
  d.removeAttribute('aria-modal');
  $('drawer-open').setAttribute('aria-expanded', 'false');
  if (drawer.restore) drawer.restore();
  drawer.restore = null;
  if (!focus) return;
  const back = drawer.opener && drawer.opener.isConnected && drawer.opener.offsetParent !== null
    ? drawer.opener : $('drawer-open');
  back.focus();
}

/** A drag to the left on the open drawer takes it along and, far enough, closes it. */
function bindSwipe(d) {
  let s = null;
  d.addEventListener('pointerdown', (e) => {
    drawer.dragged = false;
    if (!isOpen() || e.button > 0 || e.target.closest('input, textarea, select')) return;
    s = { id: e.pointerId, x: e.clientX, y: e.clientY, dx: 0, moving: false };
  });
  d.addEventListener('pointermove', (e) => {
    if (!s || e.pointerId !== s.id) return;
    const dx = e.clientX - s.x;
    const dy = e.clientY - s.y;
    if (!s.moving) {
      if (Math.abs(dy) > 10 && Math.abs(dy) > Math.abs(dx)) s = null; // scrolling the list
      if (!s || Math.abs(dx) < 10) return;
      s.moving = true;
      d.classList.add('dragging');
      try {
        d.setPointerCapture(e.pointerId);
      } catch (_) { /* a pointer the page does not track: no capture */ }
    }
    s.dx = Math.min(0, dx);
    d.style.transform = `translateX(${s.dx}px)`;
  });
  const end = (e) => {
    if (!s || e.pointerId !== s.id) return;
    const { moving, dx } = s;
    s = null;
    if (!moving) return;
    drawer.dragged = true;
    d.classList.remove('dragging');
    d.style.transform = '';
    if (e.type === 'pointerup' && dx < -Math.min(80, d.offsetWidth / 3)) closeDrawer();
  };
  d.addEventListener('pointerup', end);
  d.addEventListener('pointercancel', end);
  d.addEventListener('click', (e) => {
    if (!drawer.dragged) return;
    drawer.dragged = false;
    e.preventDefault();
    e.stopPropagation();
  }, true);
}

// ---- the ⋮ menu: the space's actions (Mute, Members, Invite, Export, jump to a date) ----

const moreOpen = () => document.body.classList.contains('more-open');

function setMore(open) {
  if (open === moreOpen()) return;
  document.body.classList.toggle('more-open', open);
  $('space-more').setAttribute('aria-expanded', String(open));
  if (open) {
    const first = [...$('space-actions').querySelectorAll('button')].find((b) => !b.hidden);
    if (first) first.focus();
  }
}

function bindMore() {
  $('space-more').addEventListener('click', () => setMore(!moreOpen()));
  // An action chosen closes the menu (after the action's own handler ran).
  $('space-actions').addEventListener('click', (e) => {
    if (isPhone() && e.target.closest('button')) setMore(false);
  });
  $('jump-date').addEventListener('change', () => setMore(false));
  document.addEventListener('click', (e) => {
    if (moreOpen() && !e.target.closest('#space-actions, #space-more')) setMore(false);
  });
}

export const phone = {
  bind() {
    drawer.scrim = el('div', { class: 'drawer-scrim', 'data-testid': 'drawer-scrim', 'aria-hidden': 'true' });
    drawer.scrim.addEventListener('click', () => closeDrawer());
    $('spaces').after(drawer.scrim);
    $('drawer-open').addEventListener('click', () => openDrawer());
    $('spaces-toggle').addEventListener('click', () => closeDrawer());
    bindSwipe($('spaces'));
    bindMore();
    document.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      if (isOpen()) {
        e.preventDefault();
        closeDrawer();
      } else if (moreOpen()) {
        e.preventDefault();
        setMore(false);
        $('space-more').focus();
      }
    });
    // Wider again: the list is beside the content, nothing is over it.
    phoneQuery.addEventListener('change', () => {
      if (isPhone()) return;
      closeDrawer(false);
      setMore(false);
    });
    bindKeyboard(isPhone);
  },

  /**
   * What the top bar shows: `title` (the space, or the tab's name), the menu button when the
   * tab has a list of spaces (`list` names it), ⋮ when a space is shown.
   */
  show({ title, list, spaces, space }) {
    $('top-title').textContent = title;
    const menu = $('drawer-open');
    menu.hidden = !spaces;
    menu.setAttribute('aria-label', list ? `${list}: show the list` : 'Show the list');
    menu.title = list || '';
    $('space-more').hidden = !space;
    if (!space) setMore(false);
    if (!spaces) closeDrawer(false);
  },

  /** A space was chosen (or made, or joined): the drawer closes. */
  chosen() {
    closeDrawer();
    setMore(false);
  },
};
