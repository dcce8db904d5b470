// The board's history: a time slider from the board's first record to now shows the board as
// it was then (`board_objects` with `asOf`), read only; an object selected there can be
// restored as it was then (`board_restore` with `asOf`).
import { call } from '../api.js';
import { $, toast } from '../util.js';
import { B } from './state.js';
import { Scene } from './scene.js';
import { edited, refresh } from './edit.js';

const STEPS = 1000;
let first = 0;
let last = 0;
let seq = 0;
let timer = null;
const listeners = [];

/** Calls `fn()` when history mode starts or ends. */
export function onHistory(fn) {
  listeners.push(fn);
}

function changed() {
  $('board-wrap').classList.toggle('history', Boolean(B.past));
  $('board-history').setAttribute('aria-pressed', String(Boolean(B.past)));
  $('history-bar').hidden = !B.past;
  B.canvas.dataset.history = B.past ? String(B.past.asOf) : '';
  for (const fn of listeners) fn();
  showRestore();
  B.draw();
}

function timeLabel(ms) {
  const d = new Date(ms);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString()}`;
}

/** Shows the board as it was at `ms`. */
export async function showAt(ms) {
  const mine = ++seq;
  const list = await call('board_objects', { space: B.space.id, asOf: Math.round(ms) });
  if (mine !== seq || !B.past) return;
  B.past = { asOf: Math.round(ms), scene: new Scene(list) };
  for (const id of [...B.selection]) if (!B.past.scene.get(id)) B.selection.delete(id);
  $('history-when').textContent = `${timeLabel(ms)} · ${list.length} object${list.length === 1 ? '' : 's'}`;
  B.canvas.dataset.history = String(B.past.asOf);
  B.canvas.dataset.historyCount = String(list.length);
  showRestore();
  edited();
}

function fromSlider() {
  const v = Number($('history-slider').value);
  return first + ((last - first) * v) / STEPS;
}

/** Opens history mode, at now. */
export async function openHistory() {
  if (!B.space) return;
  // The board's first record: the earliest object placed, deleted ones included.
  const all = await call('board_objects', { space: B.space.id, deleted: true });
  first = all.reduce((m, o) => Math.min(m, o.ts), Date.now());
  last = Date.now();
  B.past = { asOf: last, scene: B.scene };
  const slider = $('history-slider');
  slider.value = String(STEPS);
  // The slider's ends (ms), for the tests.
  slider.dataset.first = String(first);
  slider.dataset.last = String(last);
  changed();
  await showAt(last);
}

export function closeHistory() {
  if (!B.past) return;
  B.past = null;
  seq++;
  B.selection.clear();
  changed();
  edited();
}

function showRestore() {
  const b = $('history-restore');
  const one = B.past && B.selection.size === 1 ? [...B.selection][0] : null;
  b.hidden = !one;
  b.dataset.object = one || '';
}

/** The selection changed (in history mode, the restore button follows it). */
export function historySelection() {
  if (B.past) showRestore();
}

async function restoreSelected() {
  const id = $('history-restore').dataset.object;
  if (!id || !B.past) return;
  const asOf = B.past.asOf;
  try {
    await call('board_restore', { space: B.space.id, object: id, asOf });
    closeHistory();
    await refresh([id]);
    B.selection = new Set([id]);
    edited();
    toast('Restored as it was then.');
  } catch (err) {
    toast(err.message, true);
  }
}

export function bindHistory() {
  $('board-history').addEventListener('click', () => {
    if (B.past) closeHistory();
    else openHistory().catch((e) => toast(e.message, true));
  });
  $('history-exit').addEventListener('click', closeHistory);
  $('history-restore').addEventListener('click', restoreSelected);
  $('history-slider').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => showAt(fromSlider()).catch((e) => toast(e.message, true)), 80);
  });
}
