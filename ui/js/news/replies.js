// Readers' replies under an issue, and the owner's setting of who may reply (Off, To me only,
// Everyone). A reply to the owner only is sealed to the owner: the owner's devices read it,
// other readers see that one was written and nothing of it. The owner, and a reply's author,
// remove a reply.
import { call } from '../api.js';
import { $, el, toast, timeOf } from '../util.js';
import { people } from '../profile.js';
import { twice } from './compose.js';

const LABELS = { off: 'Off', owner: 'To me only', all: 'Everyone' };

let space = null;
let issue = null;
let replies = 'off';
/** Bumped on every load, so an answer for an issue left meanwhile is dropped. */
let turn = 0;

const fail = (err) => toast(err.message, true);

function render(list) {
  const mine = space.mine;
  $('news-replies-title').textContent = list.length ? `Replies (${list.length})` : 'Replies';
  const ol = $('news-reply-list');
  ol.replaceChildren();
  for (const r of list) {
    const who = r.me ? 'you' : people.label(r.account || r.author);
    const text = r.text === null || r.text === undefined
      ? el('p', { class: 'reply-text muted' }, r.me
        ? 'Your reply to the publisher: sealed, only they can read it.'
        : 'A reply to the publisher only.')
      : el('p', { class: 'reply-text' }, r.text);
    const remove = (mine || r.me) && twice(
      el('button', { type: 'button', class: 'small', 'data-testid': 'news-reply-remove' }, 'Remove'),
      'Remove it?',
      () => call('news_remove_reply', { space: space.id, issue: issue.id, reply: r.id })
        .then(() => { toast('Reply removed.'); return load(); })
        .catch(fail),
    );
    ol.append(el('li', { class: 'reply', 'data-testid': 'news-reply', 'data-id': r.id, 'data-sealed': String(r.sealed) },
      el('div', { class: 'reply-head' },
        el('span', { class: 'who' }, who),
        r.sealed && mine ? el('span', { class: 'tag', 'data-testid': 'news-reply-private' }, 'to you only') : null,
        el('time', { class: 'muted' }, timeOf(r.ts)),
        remove || null),
      text));
  }
  const open = !mine && replies !== 'off';
  if (!list.length) {
    ol.append(el('li', { class: 'muted' }, mine ? (replies === 'off' ? 'Replies are off.' : 'No replies yet.') : 'No replies yet.'));
  }
  $('news-reply-form').hidden = !open;
  $('news-reply-text').placeholder = replies === 'owner'
    ? 'Reply to the publisher (only they can read it)'
    : 'Reply (every reader sees it)';
  // Nothing to show a reader where replies are off and none were written.
  $('news-replies').hidden = !mine && replies === 'off' && !list.length;
}

async function load() {
  if (!space || !issue) return;
  const mine = ++turn;
  const got = await call('news_replies', { space: space.id, issue: issue.id });
  if (mine !== turn) return;
  render(got);
}

export const readerReplies = {
  bind() {
    $('news-replies-mode').addEventListener('change', async (e) => {
      if (!space) return;
      const want = e.target.value;
      try {
        const s = await call('news_settings', { space: space.id, replies: want });
        replies = s.replies;
        toast(`Replies: ${LABELS[replies] || replies}.`);
        await load();
      } catch (err) {
        e.target.value = replies;
        fail(err);
      }
    });
    $('news-reply-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const text = $('news-reply-text').value.trim();
      if (!space || !issue || !text) return;
      try {
        await call('news_reply', { space: space.id, issue: issue.id, text });
        $('news-reply-text').value = '';
        toast(replies === 'owner' ? 'Sent to the publisher.' : 'Reply sent.');
        await load();
      } catch (err) {
        fail(err);
      }
    });
  },

  /** The newsletter's settings, read again (they arrive as a record like any other). */
  async settings(s) {
    space = s;
    const got = await call('news_settings', { space: s.id, replies: null });
    if (space.id !== s.id) return;
    replies = got.replies;
    $('news-replies-setting').hidden = !s.mine;
    $('news-replies-mode').value = replies;
  },

  /** Shows the replies of `i` (null: none, as for a preview or an earlier version). */
  async show(s, i) {
    space = s;
    const changed = !issue || !i || issue.id !== i.id;
    issue = i;
    if (!i) {
      turn++;
      $('news-replies').hidden = true;
      return;
    }
    if (changed) {
      $('news-reply-list').replaceChildren();
      $('news-reply-text').value = '';
    }
    await load();
  },
};
