// The Newsletter tab: the owner publishes (Markdown, pictures attached by name: attach.js),
// saves drafts, schedules and corrects issues (news/compose.js); subscribers read the issue as
// HTML rendered and sanitised in Rust, its pictures through the blob protocol and its links in
// the system's browser, its earlier versions, and its replies (news/replies.js). Any member
// exports the newsletter's Atom feed.
import { call } from './api.js';
import { $, el, toast, timeOf } from './util.js';
import { renderFiles, showIssuePictures } from './files.js';
import { composer } from './news/compose.js';
import { readerReplies } from './news/replies.js';

let space = null;
let issues = [];
let open = null;
/** Issues are loaded a page at a time, newest first; older pages on request. */
const PAGE = 50;
let more = false;
/** The open issue's versions, oldest first, while its Versions list is shown. */
let versions = null;
/** What the reader shows instead of the open issue's newest version:
 * `{ version: n }` (an earlier version, 1-based) or `{ draft }` (a preview). */
let instead = null;

/** A date as "Updated on …" says it. */
const dayOf = (ms) => new Date(ms).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });

/** The page of issues before `before` (the newest without it), oldest first, of the open
 * newsletter or of `id`. */
async function page(before, id) {
  return call('news_list', { space: id || space.id, limit: PAGE, before: before || null });
}

/** Bumped by every `show`, so a newsletter left while its issues loaded is not drawn. */
let turn = 0;

async function older() {
  if (!space || !issues.length) return;
  const got = await page(issues[0].id);
  more = got.length === PAGE;
  issues = [...got, ...issues];
  render();
}

function render() {
  const list = $('issues');
  list.replaceChildren();
  for (const i of [...issues].reverse()) {
    list.append(el('li', {
      'data-testid': 'news-issue',
      'data-id': i.id,
      'data-versions': String(i.versions || 1),
      'aria-current': String(i.id === open && !(instead && instead.draft)),
      tabindex: 0,
      onclick: () => { instead = null; read(i.id); },
      onkeydown: (e) => { if (e.key === 'Enter') { instead = null; read(i.id); } },
    }, el('span', { class: 'title' }, i.title),
    i.versions > 1 ? el('span', { class: 'updated muted' }, 'updated') : null,
    held(i), el('time', { class: 'muted' }, timeOf(i.ts))));
  }
  if (!issues.length) list.append(el('li', { class: 'muted' }, 'No issues yet.'));
  if (more) {
    list.append(el('li', { class: 'more' },
      el('button', { type: 'button', 'data-testid': 'news-older', onclick: () => older().catch((e) => toast(e.message, true)) },
        'Older issues')));
  }
}

// "held by N peers" on the owner's own issues: how many subscribers are known (by a completed
// sync) to store it and so can pass it on while the publisher is offline.
function held(i) {
  if (i.held_by === null || i.held_by === undefined) return '';
  const n = i.held_by;
  return el('span', { class: 'held muted', 'data-testid': 'news-held' },
    n === 0 ? 'only here so far' : `held by ${n} peer${n === 1 ? '' : 's'}`);
}

/** The reader's bar above an earlier version or a preview, with its way back. */
function note(text, button, onClose) {
  const bar = $('reader-note');
  bar.hidden = !text;
  $('reader-note-text').textContent = text || '';
  $('reader-note-close').textContent = button || '';
  $('reader-note-close').onclick = onClose || null;
}

/** Puts a body (sanitised HTML from Rust) and its files in the reader. */
function showBody(html, files) {
  const body = $('reader-body');
  // The one place HTML from a peer enters the page: the issue's Markdown rendered and
  // sanitised in Rust (ammonia: no script, no handler, no style, pictures only the
  // issue's own files through the blob protocol).
  body.innerHTML = html;
  const rest = showIssuePictures(body, files);
  const list = renderFiles(rest);
  if (list) body.append(list);
}

function renderVersions(i) {
  const button = $('news-versions');
  const n = i.versions || 1;
  button.hidden = n < 2 || !!(instead && instead.draft);
  button.textContent = `Versions (${n})`;
  button.setAttribute('aria-expanded', String(!!versions));
  const list = $('news-version-list');
  list.hidden = !versions;
  list.replaceChildren();
  if (!versions) return;
  const shown = instead && instead.version ? instead.version : versions.length;
  versions.forEach((v, k) => {
    const newest = k === versions.length - 1;
    list.append(el('li', {
      'data-testid': 'news-version',
      'aria-current': String(k + 1 === shown),
      tabindex: 0,
      onclick: () => { instead = newest ? null : { version: k + 1 }; read(open); },
      onkeydown: (e) => { if (e.key === 'Enter') e.target.click(); },
    }, el('span', { class: 'v' }, `Version ${k + 1}${newest ? ' (newest)' : k === 0 ? ' (as published)' : ''}`),
    el('span', { class: 'title' }, v.title),
    el('time', { class: 'muted' }, dayOf(k === 0 ? v.ts : v.updated_ms))));
  });
}

function read(id) {
  if (id !== open) {
    versions = null;
    if (!(instead && instead.draft)) instead = null;
  }
  open = id;
  const i = issues.find((x) => x.id === id);
  const preview = instead && instead.draft;
  $('reader').hidden = !i && !preview;
  if (preview) {
    const d = instead.draft;
    note(`Preview of your ${d.scheduled ? 'scheduled issue' : 'draft'}: readers will see it like this.`, 'Close preview', () => {
      instead = null;
      read(open);
    });
    $('reader-title').textContent = d.title;
    $('reader-meta').textContent = d.scheduled ? `To be published ${dayOf(d.at)} · by you` : `Draft · saved ${timeOf(d.saved_ms)} · by you`;
    $('news-edit').hidden = true;
    $('news-versions').hidden = true;
    $('news-version-list').hidden = true;
    showBody(d.html, d.files);
    readerReplies.show(space, null);
  } else if (i) {
    const old = instead && instead.version && versions ? versions[instead.version - 1] : null;
    const v = old || i;
    if (old) {
      note(`Version ${instead.version} of ${versions.length}, an earlier one: from ${dayOf(instead.version === 1 ? old.ts : old.updated_ms)}.`, 'Show the newest', () => {
        instead = null;
        read(open);
      });
    } else {
      note(null);
    }
    $('reader-title').textContent = v.title;
    const h = i.held_by == null ? '' : ` · ${held(i).textContent}`;
    const meta = $('reader-meta');
    meta.replaceChildren(`${timeOf(i.ts)} · by ${i.me ? 'you' : i.author_short}${h}`);
    if (i.versions > 1 && !old) {
      meta.append(' · ', el('span', { class: 'updated', 'data-testid': 'news-updated' }, `Updated on ${dayOf(i.updated_ms)}`));
    }
    $('news-edit').hidden = !space.mine || !!old;
    renderVersions(i);
    showBody(v.html, v.files);
    readerReplies.show(space, old ? null : i).catch((e) => toast(e.message, true));
  } else {
    note(null);
    readerReplies.show(space, null);
  }
  render();
}

/** Loads the open issue's versions again while its list is shown (a correction arrived). */
async function loadVersions() {
  if (!space || !open) return;
  const at = open;
  const got = await call('news_versions', { space: space.id, issue: at });
  if (open !== at) return;
  versions = got;
  if (instead && instead.version && instead.version > versions.length) instead = null;
}

async function exportFeed() {
  const b = $('news-feed');
  b.disabled = true;
  try {
    // The file is asked for in the native save dialog; null if the person cancelled.
    const r = await call('news_feed_export', { space: space.id });
    if (r) {
      const what = `${r.issues} issue${r.issues === 1 ? '' : 's'}${r.corrections ? ` and ${r.corrections} correction${r.corrections === 1 ? '' : 's'}` : ''}`;
      $('news-feed-note').textContent = `Feed saved: ${r.file}`;
      $('news-feed-note').title = `${what}, ${r.bytes} bytes; each entry signed by the publisher`;
      toast(`Feed of ${what} saved to ${r.file}`);
    }
  } finally {
    b.disabled = false;
  }
}

export const news = {
  bind() {
    // Links open in the system's browser; the window itself never navigates.
    const link = (e) => {
      const a = e.target.closest && e.target.closest('a[href]');
      if (!a) return;
      e.preventDefault();
      if (e.type === 'click' || e.button === 1) {
        call('open_link', { url: a.getAttribute('href') }).catch((err) => toast(err.message, true));
      }
    };
    $('reader-body').addEventListener('click', link);
    $('reader-body').addEventListener('auxclick', link);
    // Holder counts change as subscribers sync; refresh them while an own newsletter is open.
    setInterval(async () => {
      if (!space || !space.mine || document.hidden || $('news-form').hidden) return;
      try {
        const fresh = await page(null);
        const shown = issues.slice(-fresh.length);
        if (JSON.stringify(fresh) !== JSON.stringify(shown)) {
          issues = [...issues.slice(0, issues.length - shown.length).filter((i) => !fresh.some((f) => f.id === i.id)), ...fresh];
          read(open);
        }
      } catch (_) { /* the next tick tries again */ }
    }, 5000);
    composer.bind({
      preview: (d) => {
        instead = { draft: d };
        read(open);
        $('reader').scrollIntoView({ block: 'start' });
      },
      corrected: () => {},
    });
    readerReplies.bind();
    $('news-edit').addEventListener('click', () => {
      const i = issues.find((x) => x.id === open);
      if (i && space && space.mine) composer.edit(i);
    });
    $('news-versions').addEventListener('click', async () => {
      try {
        if (versions) {
          versions = null;
          instead = null;
        } else {
          await loadVersions();
        }
        read(open);
      } catch (err) {
        toast(err.message, true);
      }
    });
    $('news-feed').addEventListener('click', () => {
      if (space) exportFeed().catch((err) => toast(err.message, true));
    });
  },

  async show(s) {
    const t = ++turn;
    // The newsletter's issues are loaded before anything of it is shown: until then the page
    // (and the holder counts' timer) still has the last one's space, issues and open issue
    // together, never one newsletter's space with another's issues.
    let list = await page(null, s.id);
    let further = list.length === PAGE;
    // An issue picked by search may be further back: load pages until it is in (bounded).
    for (let n = 0; open && further && !list.some((i) => i.id === open) && n < 40; n++) {
      const got = await page(list[0].id, s.id);
      further = got.length === PAGE;
      list = [...got, ...list];
    }
    if (t !== turn) return;
    if (!space || space.id !== s.id) {
      versions = null;
      instead = null;
      $('news-feed-note').textContent = '';
    }
    space = s;
    issues = list;
    more = further;
    $('news-form').hidden = !s.mine;
    $('news-subscriber').hidden = s.mine;
    if (!issues.some((i) => i.id === open)) open = issues.length ? issues[issues.length - 1].id : null;
    await Promise.all([
      composer.show(s),
      readerReplies.settings(s),
      versions ? loadVersions() : null,
    ].map((p) => Promise.resolve(p).catch((e) => toast(e.message, true))));
    if (t !== turn) return;
    read(open);
  },

  /** Opens this issue when the newsletter next shows (a search hit). */
  pick(id) {
    open = id;
  },

  async onRecords(s) {
    if (space && s.id === space.id) await this.show(s);
  },
};
