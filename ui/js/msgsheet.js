// A message's actions as a sheet from the bottom of the screen: opened by a long press on the
// message (longpress.js: a finger, a pen or the mouse) or by the context-menu key (or
// Shift+F10) on a focused one. The same actions as the message's hover bar (message.js):
// react (the row of emoji), reply, edit and delete one's own (delete asks again; the owner of
// the room removes anyone's), and copy the text. A dialog: the rest of the page is inert
// while it shows; an action, Cancel, Escape, the scrim or a swipe down closes it.
import { el, toast } from './util.js';
import { EMOJI } from './message.js';
import { onLongPress } from './longpress.js';
import { inertOutside, isPhone } from './phone.js';

let open = null; // { sheet, scrim, restore, list, id }

/** Closes the sheet; the focus goes back to its message unless `refocus` is false. */
function close(refocus = true) {
  if (!open) return;
  const { sheet, scrim, restore, list, id } = open;
  open = null;
  restore();
  sheet.remove();
  scrim.remove();
  if (!refocus) return;
  const li = list.querySelector(`.msg[data-id="${CSS.escape(id)}"]`);
  if (li) li.focus({ preventScroll: true });
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = el('textarea', { 'aria-hidden': 'true' });
    area.style.position = 'fixed';
    area.style.opacity = '0';
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  toast('Copied');
}

/** The first line of a message, shortened, to say which one the sheet is for. */
function preview(m) {
  if (m.text) return m.text.split('\n')[0].slice(0, 80);
  return m.files && m.files.length ? 'files' : '';
}

/** A swipe down on the sheet closes it. */
function bindSwipe(sheet) {
  let s = null;
  sheet.addEventListener('pointerdown', (e) => {
    s = { id: e.pointerId, y: e.clientY, dy: 0 };
  });
  sheet.addEventListener('pointermove', (e) => {
    if (!s || e.pointerId !== s.id) return;
    s.dy = Math.max(0, e.clientY - s.y);
    if (s.dy > 10) {
      sheet.classList.add('dragging');
      sheet.style.transform = `translate(-50%, ${s.dy}px)`;
    }
  });
  const end = (e) => {
    if (!s || e.pointerId !== s.id) return;
    const { dy } = s;
    s = null;
    sheet.classList.remove('dragging');
    sheet.style.transform = '';
    if (e.type === 'pointerup' && dy > 60) close();
  };
  sheet.addEventListener('pointerup', end);
  sheet.addEventListener('pointercancel', end);
}

/**
 * Shows the sheet of the message element `li`. `h` is chat.js's handler of actions:
 * `message(id)`, `ctx()`, `reply(m)`, `edit(m)`, `remove(id)`, `react(id, emoji)`.
 */
function show(list, li, h) {
  close(false);
  const m = h.message(li.dataset.id);
  if (!m || m.deleted) return;
  const ctx = h.ctx();
  const who = m.me ? 'You' : (m.label || m.author_short || '');
  // Runs an action once the sheet is gone; reply and edit move the focus to the composer.
  const run = (fn, refocus = true) => {
    close(refocus);
    Promise.resolve().then(fn).catch((e) => toast(e.message, true));
  };
  const act = (testid, icon, label, onclick, cls = '') => el('button', {
    type: 'button', class: `sheet-act ${cls}`, 'data-testid': testid, onclick,
  }, el('span', { class: 'sheet-icon', 'aria-hidden': 'true' }, icon), el('span', { class: 'sheet-label' }, label));
  const reacted = (emoji) => ((m.reactions && m.reactions[emoji]) || []).includes(ctx.me);

  let armed = null;
  const remove = m.me || ctx.owner ? act('sheet-delete', '⌫', m.me ? 'Delete' : 'Remove (as the owner)', () => {
    if (armed) {
      clearTimeout(armed);
      run(() => h.remove(m.id));
      return;
    }
    remove.classList.add('armed');
    remove.querySelector('.sheet-label').textContent = 'Delete for everyone? Tap again';
    armed = setTimeout(() => {
      armed = null;
      remove.classList.remove('armed');
      remove.querySelector('.sheet-label').textContent = m.me ? 'Delete' : 'Remove (as the owner)';
    }, 4000);
  }, 'danger-text') : null;

  const reply = act('sheet-reply', '↩', 'Reply', () => run(() => h.reply(m), false));
  const sheet = el('div', {
    class: 'sheet', role: 'dialog', 'aria-modal': 'true', 'aria-label': `Actions on the message from ${who}`,
    'data-testid': 'msg-sheet', 'data-id': m.id,
  },
  el('div', { class: 'sheet-grip', 'aria-hidden': 'true' }),
  el('p', { class: 'sheet-what' }, el('strong', {}, who), preview(m) ? `: ${preview(m)}` : ''),
  el('div', { class: 'sheet-react', role: 'group', 'aria-label': 'React with' }, ...EMOJI.map((e) => el('button', {
    type: 'button', 'data-emoji': e, 'data-testid': 'sheet-react', 'aria-pressed': String(reacted(e)),
    'aria-label': `React ${e}`, onclick: () => run(() => h.react(m.id, e)),
  }, e))),
  reply,
  m.text ? act('sheet-copy', '❐', 'Copy text', () => run(() => copy(m.text))) : null,
  m.me ? act('sheet-edit', '✎', 'Edit', () => run(() => h.edit(m), false)) : null,
  remove,
  act('sheet-cancel', '✕', 'Cancel', () => close()));
  const scrim = el('div', { class: 'sheet-scrim', 'data-testid': 'sheet-scrim', 'aria-hidden': 'true', onclick: () => close() });
  sheet.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  });
  bindSwipe(sheet);
  document.body.append(scrim, sheet);
  open = { sheet, scrim, list, id: m.id, restore: inertOutside([sheet, scrim]) };
  reply.focus();
}

/**
 * A long press (or the context-menu key) on a message of `list` opens its sheet. With a
 * mouse, only in the phone layout: on a wider window a mouse held still before it drags
 * selects text, as it always did.
 */
export function bindMessageSheet(list, h) {
  onLongPress(list, '.msg', (li) => show(list, li, h), { accept: (e) => e.pointerType !== 'mouse' || isPhone() });
  list.addEventListener('keydown', (e) => {
    const menuKey = e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey);
    if (menuKey && e.target.classList.contains('msg')) {
      e.preventDefault();
      show(list, e.target, h);
    }
  });
}
