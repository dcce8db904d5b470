// The app shell: tabs, the space list of the current tab, invites, unread counts, sync status.
import { call, onEvent } from './api.js';
import { $, el, toast, debounce } from './util.js';
import { chat } from './chat.js';
import { board } from './board.js';
import { news } from './news.js';
import { peers } from './peers.js';
import { members } from './members.js';
import { people } from './profile.js';
import { search } from './search.js';
import { files } from './files.js';
import { bindAttach } from './attach.js';
import { welcome } from './welcome.js';
import { devices } from './devices.js';
import { backup } from './backup.js';
import { phone } from './phone.js';

const views = { chat, board, news };
const titles = { chat: 'Chat rooms', board: 'Whiteboards', news: 'Newsletters' };
const state = {
  tab: 'chat',
  spaces: [],
  selected: { chat: null, board: null, news: null },
  me: null,
};

// A space as the node describes it (`space` is its id), with `id` for this UI's own use.
function spaceOf(v) {
  return { ...v, id: v.space };
}

function spaceById(id) {
  return state.spaces.find((s) => s.id === id);
}

function current() {
  return views[state.tab] ? spaceById(state.selected[state.tab]) : null;
}

// Unread messages and mentions of me per space, as the store counts them (they survive a
// restart; reading a room's newest message marks it read).
function renderUnread() {
  for (const kind of Object.keys(views)) {
    let n = 0;
    let at = 0;
    for (const s of state.spaces) {
      if (s.kind !== kind) continue;
      n += s.unread || 0;
      at += s.mentions || 0;
    }
    const b = document.querySelector(`[data-unread="${kind}"]`);
    b.textContent = at ? `@${at}` : String(n);
    b.classList.toggle('mentions', at > 0);
    b.hidden = n === 0 && at === 0;
  }
}

function badges(s) {
  const unread = s.unread || 0;
  const at = s.mentions || 0;
  return el('span', { class: 'badges' },
    at ? el('span', { class: 'badge mentions', 'data-testid': 'space-mentions', title: `${at} mentioning you` }, `@${at}`) : null,
    unread ? el('span', { class: 'badge unread', 'data-testid': 'space-unread', title: `${unread >= 1000 ? 'over 1000' : unread} unread` },
      unread >= 1000 ? '1000+' : String(unread)) : null);
}

function renderSpaces() {
  const list = $('space-list');
  // The list is drawn anew as records arrive: the item that had the focus keeps it.
  const focused = list.contains(document.activeElement) ? document.activeElement.dataset.space : null;
  list.replaceChildren();
  for (const s of state.spaces.filter((x) => x.kind === state.tab)) {
    list.append(el('li', {
      'data-testid': 'space-item',
      'data-space': s.id,
      'aria-current': String(s.id === state.selected[state.tab]),
      tabindex: 0,
      title: s.name,
      onclick: () => select(s.id),
      onkeydown: (e) => { if (e.key === 'Enter') select(s.id); },
    }, el('span', { class: 'name' }, s.name, s.muted ? el('span', { class: 'muted' }, ' · muted') : ''),
       badges(s)));
  }
  if (focused) list.querySelector(`[data-space="${CSS.escape(focused)}"]`)?.focus();
  renderUnread();
}

async function loadSpaces() {
  state.spaces = (await call('spaces')).map(spaceOf);
  for (const kind of Object.keys(views)) {
    if (!spaceById(state.selected[kind])) {
      const first = state.spaces.find((s) => s.kind === kind);
      state.selected[kind] = first ? first.id : null;
    }
  }
  renderSpaces();
}

const refreshSpaces = debounce(() => loadSpaces().catch((e) => console.error(e)), 400);

// Boards and newsletters are read by looking: the space shown is marked read.
const seen = debounce((id) => {
  call('mark_read', { space: id }).then(refreshSpaces, () => {});
}, 800);

/** Shows a search hit: its space, at the message or issue. */
async function openHit(h) {
  const s = spaceById(h.space);
  if (!s) {
    toast('That space is no longer here.', true);
    return;
  }
  if (s.kind === 'chat') chat.open(h.id);
  else if (s.kind === 'news') news.pick(h.id);
  state.selected[s.kind] = s.id;
  if (state.tab !== s.kind) await switchTab(s.kind);
  else await select(s.id);
}

async function select(id) {
  state.selected[state.tab] = id;
  phone.chosen();
  $('share-panel').hidden = true;
  // Never show another space's ticket while this one's loads.
  $('space-ticket').value = '';
  $('ticket-qr').removeAttribute('src');
  members.close();
  renderSpaces();
  await showContent();
  // The ticket is always there to read (tests and people copy it from the invite panel).
  const s = current();
  if (s) await fillTicket(s);
}

async function fillTicket(s) {
  if (s.removed) {
    $('space-ticket').value = '';
    return;
  }
  try {
    const t = await call('space_ticket', { space: s.id });
    $('space-ticket').value = t.ticket;
    $('ticket-qr').src = `data:image/svg+xml;base64,${btoa(t.qr_svg)}`;
  } catch (e) {
    toast(e.message, true);
  }
}

async function showContent() {
  const isSpaceTab = Boolean(views[state.tab]);
  $('spaces').hidden = !isSpaceTab;
  $('spaces-title').textContent = titles[state.tab] || '';
  for (const t of ['chat', 'board', 'news', 'peers']) $(`panel-${t}`).hidden = true;
  const s = current();
  $('space-head').hidden = !s;
  $('jump-date').hidden = state.tab !== 'chat' || !s;
  $('empty').hidden = !isSpaceTab || Boolean(s);
  if (!s) $('removed-note').hidden = true;
  phone.show({ title: isSpaceTab ? (s ? s.name : titles[state.tab]) : 'Peers', list: titles[state.tab], spaces: isSpaceTab, space: Boolean(s) });
  if (!isSpaceTab) {
    $('share-panel').hidden = true;
    members.close();
    $('panel-peers').hidden = false;
    people.fill();
    await peers.show();
    await devices.show(state.me);
    return;
  }
  if (!s) {
    $('share-panel').hidden = true;
    return;
  }
  $('space-name').textContent = s.name;
  $('removed-note').hidden = !s.removed;
  $('share').hidden = Boolean(s.removed);
  await members.show(s);
  $('mute').textContent = s.muted ? 'Unmute' : 'Mute';
  $('mute').setAttribute('aria-pressed', String(s.muted));
  $(`panel-${state.tab}`).hidden = false;
  await views[state.tab].show(s, state.me);
  if (state.tab !== 'chat') seen(s.id);
}

async function switchTab(tab) {
  if (state.tab === 'chat' && tab !== 'chat') chat.leave();
  state.tab = tab;
  for (const b of document.querySelectorAll('[role="tab"]')) {
    b.setAttribute('aria-selected', String(b.dataset.tab === tab));
    // One stop for Tab in the tab list: the selected tab; the arrows move between them.
    b.tabIndex = b.dataset.tab === tab ? 0 : -1;
  }
  renderSpaces();
  await showContent();
  const s = current();
  if (s) await fillTicket(s);
}

/** The WAI-ARIA tabs pattern: Left and Right (Up and Down too) go to the previous or next tab,
 * round the ends; Home and End to the first and last; the tab reached is shown at once. */
function tabKey(e, list) {
  const tabs = [...list.querySelectorAll('[role="tab"]')].filter((t) => t.offsetParent !== null);
  const at = tabs.indexOf(e.target);
  if (at < 0 || e.altKey || e.ctrlKey || e.metaKey) return;
  const to = {
    ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: tabs.length - 1,
  }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  const next = tabs[(to + tabs.length) % tabs.length];
  next.focus();
  switchTab(next.dataset.tab).catch((err) => toast(err.message, true));
}

function bindShell() {
  for (const b of document.querySelectorAll('[role="tab"]')) {
    b.addEventListener('click', () => switchTab(b.dataset.tab).catch((e) => toast(e.message, true)));
  }
  for (const list of document.querySelectorAll('[role="tablist"]')) {
    list.addEventListener('keydown', (e) => tabKey(e, list));
  }
  $('create-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = $('space-create-name').value.trim();
    if (!name) return;
    try {
      const r = await call('create_space', { kind: state.tab, name });
      $('space-create-name').value = '';
      await loadSpaces();
      await select(r.space);
      toast(`Created “${r.name}”. Invite others with its ticket.`);
    } catch (err) {
      toast(err.message, true);
    }
  });
  $('join-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const ticket = $('space-join-ticket').value.trim();
    if (!ticket) return;
    try {
      const s = spaceOf(await call('join_space', { ticket }));
      $('space-join-ticket').value = '';
      await loadSpaces();
      if (s.kind !== state.tab) await switchTab(s.kind);
      await select(s.id);
      toast(`Joined “${s.name}”.`);
    } catch (err) {
      toast(err.message, true);
    }
  });
  $('share').addEventListener('click', async () => {
    const s = current();
    if (!s) return;
    const panel = $('share-panel');
    panel.hidden = !panel.hidden;
    if (!panel.hidden) await fillTicket(s);
  });
  $('export').addEventListener('click', async () => {
    const s = current();
    if (!s) return;
    const b = $('export');
    b.disabled = true;
    try {
      // The folder is asked for in the native dialog; null if the person cancelled.
      const r = await call('space_export', { space: s.id });
      if (r) toast(`Exported ${r.records} records of “${r.name}” to ${r.dir}`);
    } catch (err) {
      toast(err.message, true);
    } finally {
      b.disabled = false;
    }
  });
  $('members').addEventListener('click', () => {
    const s = current();
    if (s) members.toggle(s).catch((err) => toast(err.message, true));
  });
  $('copy-ticket').addEventListener('click', async () => {
    const area = $('space-ticket');
    try {
      await navigator.clipboard.writeText(area.value);
    } catch {
      area.select();
      document.execCommand('copy');
    }
    $('copy-note').textContent = 'Copied';
    setTimeout(() => { $('copy-note').textContent = ''; }, 2000);
  });
  $('mute').addEventListener('click', async () => {
    const s = current();
    if (!s) return;
    try {
      await call('set_muted', { space: s.id, muted: !s.muted });
      s.muted = !s.muted;
      renderSpaces();
      await showContent();
    } catch (err) {
      toast(err.message, true);
    }
  });
  phone.bind();
  const saved = localStorage.getItem('confab-theme');
  const dark = saved ? saved === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  $('theme-toggle').addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    localStorage.setItem('confab-theme', next);
    board.redraw();
  });
}

// Catch-up in the top bar: records fetched of those found missing, per peer and space. (While
// reconciling, nothing is known to be missing yet: nothing to show.)
const syncState = new Map();
function renderSync() {
  const active = [...syncState.values()].filter((p) => p.phase === 'receiving' && p.total > 0);
  const s = $('sync-status');
  if (!active.length) {
    s.hidden = true;
    return;
  }
  const done = active.reduce((a, p) => a + p.done, 0);
  const total = active.reduce((a, p) => a + p.total, 0);
  s.textContent = `Catching up ${done}/${total}`;
  s.hidden = false;
}

async function onNodeEvent(ev) {
  switch (ev.type) {
    case 'records': {
      if (!spaceById(ev.space)) await loadSpaces();
      const s = spaceById(ev.space);
      if (!s) return;
      const visible = views[state.tab] && state.selected[state.tab] === ev.space;
      const renamed = ev.records.some((r) => r.kind === 'profile');
      if (renamed) await people.load();
      if (visible && (renamed || ev.records.some((r) => r.kind === 'member' || r.kind === 'rotation'))) {
        await members.show(s);
        if (s.kind === 'chat') chat.onMembers();
      }
      if (visible) {
        await views[s.kind].onRecords(s, ev);
        if (s.kind !== 'chat') seen(s.id);
      }
      // Names show in every room: the one open re-reads its labels.
      if (renamed && state.tab === 'chat' && current()) chat.relabel();
      refreshSpaces();
      break;
    }
    case 'typing': {
      if (state.tab === 'chat') chat.onTyping(ev);
      break;
    }
    case 'peers':
      $('peer-count').textContent = String(ev.peers.length);
      peers.update(ev.peers);
      break;
    case 'sync': {
      const key = `${ev.peer}/${ev.space}`;
      syncState.set(key, ev);
      // What a session stored arrived as `records` events: the end of one changes nothing on
      // screen but the progress line.
      if (ev.phase === 'done') setTimeout(() => { syncState.delete(key); renderSync(); }, 1500);
      renderSync();
      break;
    }
    case 'rotated': {
      await loadSpaces();
      const s = spaceById(ev.space);
      if (s && !ev.member) toast(`The owner removed you from “${s.name}”.`, true);
      await showContent();
      break;
    }
    case 'file_progress':
      files.onProgress(ev);
      break;
    case 'file_held':
      files.onHeld(ev);
      board.onHeld(ev);
      break;
    case 'live':
      if (state.tab === 'board') board.onLive(ev, state.me);
      break;
    case 'listening':
      peers.addListening(ev.addr);
      break;
    case 'network':
      if (state.tab === 'peers') await peers.refreshStatus();
      break;
    case 'link_asked':
      devices.onAsked(ev);
      break;
    case 'reload':
      await loadSpaces();
      await showContent();
      break;
    default:
      break;
  }
}

async function main() {
  bindShell();
  chat.bind(() => refreshSpaces());
  search.bind(() => state.spaces, (h) => openHit(h).catch((e) => toast(e.message, true)));
  people.changed = () => {
    if (state.tab === 'chat' && current()) chat.relabel();
    const s = current();
    if (s) members.show(s);
  };
  board.bind();
  news.bind();
  files.bind();
  bindAttach();
  peers.bind();
  devices.bind();
  backup.bind();
  // No identity yet: the person chooses how to begin before any node runs.
  const first = await call('first_run');
  const begun = first.needed ? await welcome(first.data_dir) : null;
  await onEvent((ev) => onNodeEvent(ev).catch((e) => console.error(e)));
  state.me = await call('me');
  await people.init();
  const list = await call('peers');
  $('peer-count').textContent = String(list.length);
  peers.update(list);
  await loadSpaces();
  await switchTab('chat');
  if (begun && begun.way !== 'new') toast(begunNote(begun));
  document.body.dataset.ready = 'true';
}

/** What the person is told once the app runs after the first-run choice. */
function begunNote({ way, view }) {
  const n = state.spaces.length;
  const spaces = n === 1 ? '1 space' : `${n} spaces`;
  switch (way) {
    case 'restore':
      return view.records
        ? `Restored your account on this device, with ${spaces} and their messages.`
        : `Restored your account on this device, with ${spaces}. Messages come back from the other members.`;
    case 'link':
      return `Linked to your account, with ${spaces}.`;
    default:
      return 'Recovered your account. Join your spaces again with their tickets.';
  }
}

main().catch((e) => toast(e.message, true));
