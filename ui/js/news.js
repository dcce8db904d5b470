// The Newsletter tab: the owner publishes (Markdown, pictures attached by name: attach.js);
// subscribers read the issue as HTML rendered and sanitised in Rust, its pictures through the
// blob protocol and its links in the system's browser.
import { call } from './api.js';
import { $, el, toast, timeOf } from './util.js';
import { renderFiles, showIssuePictures } from './files.js';
import { publishIssue } from './attach.js';

let space = null;
let issues = [];
let open = null;
/** Issues are loaded a page at a time, newest first; older pages on request. */
const PAGE = 50;
let more = false;

/** The page of issues before `before` (the newest without it), oldest first. */
async function page(before) {
  const got = await call('news_list', { space: space.id, limit: PAGE, before: before || null });
  return got;
}

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
      'aria-current': String(i.id === open),
      tabindex: 0,
      onclick: () => read(i.id),
      onkeydown: (e) => { if (e.key === 'Enter') read(i.id); },
    }, el('span', { class: 'title' }, i.title), held(i), el('time', { class: 'muted' }, timeOf(i.ts))));
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

function read(id) {
  open = id;
  const i = issues.find((x) => x.id === id);
  $('reader').hidden = !i;
  if (i) {
    $('reader-title').textContent = i.title;
    const h = i.held_by == null ? '' : ` · ${held(i).textContent}`;
    $('reader-meta').textContent = `${timeOf(i.ts)} · by ${i.me ? 'you' : i.author_short}${h}`;
    const body = $('reader-body');
    // The one place HTML from a peer enters the page: the issue's Markdown rendered and
    // sanitised in Rust (ammonia: no script, no handler, no style, pictures only the
    // issue's own files through the blob protocol).
    body.innerHTML = i.html;
    const rest = showIssuePictures(body, i.files);
    const list = renderFiles(rest);
    if (list) body.append(list);
  }
  render();
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
    $('news-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!space) return;
      const title = $('news-title').value.trim();
      const body = $('news-body').value;
      if (!title) return;
      try {
        await publishIssue(space.id, title, body);
        $('news-title').value = '';
        $('news-body').value = '';
        toast('Published. Subscribers receive it now, or from each other later.');
      } catch (err) {
        toast(err.message, true);
      }
    });
  },

  async show(s) {
    space = s;
    $('news-form').hidden = !s.mine;
    $('news-subscriber').hidden = s.mine;
    issues = await page(null);
    more = issues.length === PAGE;
    // An issue picked by search may be further back: load pages until it is in (bounded).
    for (let n = 0; open && more && !issues.some((i) => i.id === open) && n < 40; n++) {
      const got = await page(issues[0].id);
      more = got.length === PAGE;
      issues = [...got, ...issues];
    }
    if (!issues.some((i) => i.id === open)) open = issues.length ? issues[issues.length - 1].id : null;
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
