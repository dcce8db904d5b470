// Search (Ctrl+K, or the search button): messages and issues of every space, or of one space
// or one author. A hit shows its space, author, date and a snippet whose matched words are
// marked; choosing it opens the space at that message.
import { call } from './api.js';
import { $, el, timeOf, debounce } from './util.js';
import { people } from './profile.js';

const LIMIT = 50;

let spaces = () => [];
let openHit = async () => {};
let returnFocus = null;
let asked = 0; // the newest query sent; older answers are dropped

/** The snippet as text runs and <mark>s; `ranges` are [start, end) in code points. */
function marked(snippet, ranges) {
  const cps = Array.from(snippet);
  const out = [];
  let pos = 0;
  const sorted = [...(ranges || [])]
    .map(([a, b]) => [Math.max(0, Math.min(a, cps.length)), Math.max(0, Math.min(b, cps.length))])
    .sort((x, y) => x[0] - y[0]);
  for (const [a, b] of sorted) {
    if (b <= a || a < pos) continue;
    if (a > pos) out.push(cps.slice(pos, a).join(''));
    out.push(el('mark', {}, cps.slice(a, b).join('')));
    pos = b;
  }
  if (pos < cps.length) out.push(cps.slice(pos).join(''));
  return out;
}

function hit(h) {
  return el('li', {
    class: 'hit',
    'data-testid': 'search-hit',
    'data-space': h.space,
    'data-id': h.id,
    'data-kind': h.kind,
    tabindex: 0,
    role: 'option',
  },
  el('div', { class: 'hit-meta' },
    el('span', { class: 'hit-space' }, h.kind === 'news' ? `${h.space_name} · issue` : h.space_name),
    el('span', { class: 'hit-who', title: h.author }, h.label),
    el('time', { class: 'muted', datetime: new Date(h.ts).toISOString() }, timeOf(h.ts))),
  el('div', { class: 'hit-snippet' }, ...marked(h.snippet, h.highlights)));
}

async function run() {
  const query = $('search-input').value.trim();
  const results = $('search-results');
  const note = $('search-note');
  const n = ++asked;
  if (!query) {
    results.replaceChildren();
    note.textContent = '';
    return;
  }
  try {
    const hits = await call('search', {
      query,
      space: $('search-space').value || null,
      author: $('search-author').value || null,
      limit: LIMIT,
    });
    if (n !== asked) return;
    results.replaceChildren(...hits.map(hit));
    note.textContent = hits.length ? (hits.length === LIMIT ? `The first ${LIMIT} results` : '') : 'Nothing found.';
  } catch (e) {
    if (n !== asked) return;
    results.replaceChildren();
    note.textContent = e.message;
  }
}

const runSoon = debounce(run, 200);

function fillFilters() {
  const sel = $('search-space');
  const keep = sel.value;
  sel.replaceChildren(el('option', { value: '' }, 'All spaces'),
    ...spaces().filter((s) => s.kind !== 'board').map((s) => el('option', { value: s.id }, s.name)));
  sel.value = [...sel.options].some((o) => o.value === keep) ? keep : '';
  const who = $('search-author');
  const keepWho = who.value;
  who.replaceChildren(el('option', { value: '' }, 'Anyone'),
    ...people.all().map((p) => el('option', { value: p.peer_id, title: p.peer_id }, p.label)));
  who.value = [...who.options].some((o) => o.value === keepWho) ? keepWho : '';
}

async function choose(li) {
  close();
  await openHit({ space: li.dataset.space, id: li.dataset.id, kind: li.dataset.kind });
}

function open() {
  returnFocus = document.activeElement;
  fillFilters();
  $('search').hidden = false;
  $('search-open').setAttribute('aria-expanded', 'true');
  const input = $('search-input');
  input.focus();
  input.select();
  if (input.value.trim()) runSoon();
}

function close() {
  if ($('search').hidden) return;
  $('search').hidden = true;
  $('search-open').setAttribute('aria-expanded', 'false');
  if (returnFocus && returnFocus.isConnected) returnFocus.focus();
}

export const search = {
  /** `allSpaces()` lists the spaces; `onOpen({space, id, kind})` shows a chosen hit. */
  bind(allSpaces, onOpen) {
    spaces = allSpaces;
    openHit = onOpen;
    $('search-open').addEventListener('click', () => ($('search').hidden ? open() : close()));
    $('search-close').addEventListener('click', close);
    $('search').addEventListener('mousedown', (e) => {
      if (e.target === $('search')) close(); // the backdrop
    });
    document.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        if ($('search').hidden) open();
        else $('search-input').focus();
      } else if (e.key === 'Escape' && !$('search').hidden) {
        e.preventDefault();
        close();
      }
    });
    $('search-input').addEventListener('input', runSoon);
    $('search-input').addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown' || e.key === 'Enter') {
        const first = $('search-results').querySelector('.hit');
        if (!first) return;
        e.preventDefault();
        if (e.key === 'Enter') choose(first);
        else first.focus();
      }
    });
    $('search-space').addEventListener('change', run);
    $('search-author').addEventListener('change', run);
    const results = $('search-results');
    results.addEventListener('click', (e) => {
      const li = e.target.closest('.hit');
      if (li) choose(li);
    });
    results.addEventListener('keydown', (e) => {
      const li = e.target.closest('.hit');
      if (!li) return;
      if (e.key === 'Enter') {
        e.preventDefault();
        choose(li);
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const next = e.key === 'ArrowDown' ? li.nextElementSibling : li.previousElementSibling;
        if (next) next.focus();
        else if (e.key === 'ArrowUp') $('search-input').focus();
      }
    });
  },

  open,
  close,
};
