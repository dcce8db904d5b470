// The on-screen keyboard on a phone. The viewport meta asks for `interactive-widget=
// resizes-content`, so where that is honoured (Chrome, Android's WebView) the window itself
// shrinks above the keyboard and the composer, the last thing in the page, stays above it.
// Where the keyboard is laid over the page instead (iOS), `visualViewport` says how much of
// the window it covers: that goes into --keyboard-inset, which phone.css keeps free below
// the content. Either way, while someone types into a field and the keyboard is up, the tab
// bar gives way (body.keyboard-open), the field is scrolled into view, and a chat that was at
// its newest message stays there.
import { $ } from './util.js';

const TEXT = 'textarea, [contenteditable="true"], input:not([type="checkbox"]):not([type="radio"])'
  + ':not([type="range"]):not([type="color"]):not([type="button"]):not([type="submit"])';

/** How much smaller than its full height the window must get to be a keyboard, in px. */
const SHRUNK = 120;
/** How much of the window the visual viewport must leave out to be a keyboard, in px. */
const COVERED = 80;

function typing() {
  const a = document.activeElement;
  return Boolean(a && a !== document.body && a.matches(TEXT));
}

function chatAtNewest() {
  const l = $('messages');
  return Boolean(l && l.offsetParent !== null && l.scrollHeight - l.scrollTop - l.clientHeight < 80);
}

/** Follows the keyboard while `isPhone()` says the window has the phone layout. */
export function bindKeyboard(isPhone) {
  const vv = window.visualViewport;
  // The window's height with no keyboard, at its present width.
  let full = { w: window.innerWidth, h: window.innerHeight };
  let followChat = false;
  let queued = false;

  function update() {
    queued = false;
    const w = window.innerWidth;
    const h = window.innerHeight;
    if (w !== full.w || !typing() || h > full.h) full = { w, h };
    const covered = vv ? Math.max(0, Math.round(h - vv.height - vv.offsetTop)) : 0;
    const open = isPhone() && typing() && (covered > COVERED || full.h - h > SHRUNK);
    const was = document.body.classList.contains('keyboard-open');
    document.documentElement.style.setProperty('--keyboard-inset', `${open ? covered : 0}px`);
    document.body.classList.toggle('keyboard-open', open);
    if (!open) return;
    const field = document.activeElement;
    requestAnimationFrame(() => {
      if (followChat && !was) {
        const l = $('messages');
        l.scrollTop = l.scrollHeight;
      }
      if (document.activeElement === field) field.scrollIntoView({ block: 'nearest' });
    });
  }

  function soon() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(update);
  }

  window.addEventListener('resize', soon);
  if (vv) {
    vv.addEventListener('resize', soon);
    vv.addEventListener('scroll', soon);
  }
  document.addEventListener('focusin', (e) => {
    // Before the keyboard comes up: whether the chat follows its newest message.
    if (e.target.matches && e.target.matches(TEXT)) followChat = chatAtNewest();
    soon();
  });
  document.addEventListener('focusout', () => setTimeout(soon, 0));
}
