// The Newsletter tab: the owner publishes; subscribers read. Issues are plain text.
import { call } from './api.js';
import { $, el, toast, timeOf } from './util.js';

let space = null;
let issues = [];
let open = null;

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
    }, el('span', { class: 'title' }, i.title), el('time', { class: 'muted' }, timeOf(i.ts))));
  }
  if (!issues.length) list.append(el('li', { class: 'muted' }, 'No issues yet.'));
}

function read(id) {
  open = id;
  const i = issues.find((x) => x.id === id);
  $('reader').hidden = !i;
  if (i) {
    $('reader-title').textContent = i.title;
    $('reader-meta').textContent = `${timeOf(i.ts)} · by ${i.author.me ? 'you' : i.author.short}`;
    $('reader-body').textContent = i.body;
  }
  render();
}

export const news = {
  bind() {
    $('news-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!space) return;
      const title = $('news-title').value.trim();
      const body = $('news-body').value;
      if (!title) return;
      try {
        await call('news_publish', { space: space.id, title, body });
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
    issues = await call('news_list', { space: s.id });
    if (!issues.some((i) => i.id === open)) open = issues.length ? issues[issues.length - 1].id : null;
    read(open);
  },

  async onRecords(s) {
    if (space && s.id === space.id) await this.show(s);
  },
};
