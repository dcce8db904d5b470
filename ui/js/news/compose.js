// The newsletter owner's composer: Publish, Save draft, Schedule… and Preview of a new issue,
// Edit of a published one (a correction), and the Drafts list (drafts and scheduled issues,
// from any of the owner's devices) with Open, Preview, Publish now and Discard. Drafts are
// kept in the owner's own space, so they reach the owner's other devices and no one else.
import { call, onEvent } from '../api.js';
import { $, el, toast, timeOf } from '../util.js';
import { newsTray, publishIssue } from '../attach.js';

let space = null;
/** The issue being corrected, while the composer edits one. */
let editing = null;
/** The draft the composer holds (opened or saved by Preview): saving again replaces it. */
let fromDraft = null;
let drafts = [];
/** What the rest of the tab is told: a draft to preview, an issue corrected. */
let hooks = { preview: () => {}, corrected: () => {} };

/** A moment, with the date and seconds: when a scheduled issue goes out. */
export function whenOf(ms) {
  return new Date(ms).toLocaleString([], { dateStyle: 'medium', timeStyle: 'medium' });
}

/** A button that acts on its second click within 4 s (its label asks first). */
export function twice(button, ask, fn) {
  const label = button.textContent;
  let armed = null;
  button.addEventListener('click', (e) => {
    e.stopPropagation();
    if (!armed) {
      button.textContent = ask;
      button.classList.add('danger');
      armed = setTimeout(() => {
        armed = null;
        button.textContent = label;
        button.classList.remove('danger');
      }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    fn();
  });
  return button;
}

const fail = (err) => toast(err.message, true);

/** The title and body written, or null (and a word why) when there is no title. */
function written() {
  const title = $('news-title').value.trim();
  if (!title) {
    toast('Give the issue a title first.', true);
    $('news-title').focus();
    return null;
  }
  return { title, body: $('news-body').value };
}

/** The pictures and files waiting in the tray: their paths, and a way to let them go. */
function tray() {
  const sent = newsTray.items.slice();
  return { paths: sent.map((i) => i.path), done: () => newsTray.drop(sent) };
}

/** Empties the composer and leaves editing. */
function clear() {
  $('news-title').value = '';
  $('news-body').value = '';
  editing = null;
  fromDraft = null;
  $('news-schedule').hidden = true;
  mode();
}

/** Shows what the composer is doing: a new issue, a draft opened, or a correction. */
function mode() {
  const bar = $('news-editing');
  const draft = fromDraft && drafts.find((d) => d.id === fromDraft);
  if (editing) {
    $('news-editing-what').textContent = `Editing “${editing.title}”: saving writes a correction readers see as updated`;
  } else if (draft) {
    $('news-editing-what').textContent = draft.scheduled
      ? `Scheduled for ${whenOf(draft.at)}: save or schedule it again to change it`
      : `Draft “${draft.title}”: saving again replaces it`;
  }
  bar.hidden = !(editing || draft);
  $('news-publish').textContent = editing ? 'Save correction' : 'Publish';
  for (const id of ['news-preview', 'news-save-draft', 'news-schedule-open']) $(id).hidden = !!editing;
}

/** After the composer's text went out as something new: the draft it came from goes. */
async function dropOld() {
  const old = fromDraft;
  fromDraft = null;
  if (old) await call('news_discard', { space: space.id, draft: old }).catch(fail);
}

async function saveDraft() {
  const w = written();
  if (!w) return null;
  const old = fromDraft;
  const t = tray();
  const r = await call('news_compose', { space: space.id, title: w.title, body: w.body, draft: true, files: t.paths });
  t.done();
  if (old) await call('news_discard', { space: space.id, draft: old }).catch(fail);
  fromDraft = r.id;
  await refresh();
  return r.id;
}

async function publish() {
  const w = written();
  if (!w) return;
  if (editing) {
    const issue = editing;
    const t = tray();
    const title = w.title === issue.title ? null : w.title;
    // New pictures go with a new body (the issue's own pictures it still links stay).
    const body = w.body === issue.body && !t.paths.length ? null : w.body;
    if (title === null && body === null) {
      toast('Nothing changed.');
      return;
    }
    await call('news_edit', { space: space.id, issue: issue.id, title, body, files: t.paths });
    t.done();
    clear();
    toast('Corrected. Readers see the new version, marked updated.');
    hooks.corrected(issue.id);
    return;
  }
  await publishIssue(space.id, w.title, w.body);
  await dropOld();
  clear();
  toast('Published. Subscribers receive it now, or from each other later.');
}

/** The local time in the form a datetime-local input takes (to the second). */
function localInput(ms) {
  const d = new Date(ms);
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

async function schedule() {
  const w = written();
  if (!w) return;
  const v = $('news-at').value;
  // A datetime-local value has no zone: it is read as this device's local time.
  const at = v ? new Date(v).getTime() : NaN;
  if (!Number.isFinite(at)) {
    toast('Choose when to publish it.', true);
    return;
  }
  if (at <= Date.now()) {
    toast('That time has passed: choose a later one, or Publish now.', true);
    return;
  }
  const t = tray();
  await call('news_compose', { space: space.id, title: w.title, body: w.body, at, files: t.paths });
  t.done();
  await dropOld();
  clear();
  await refresh();
  showDrafts(true);
  toast(`Scheduled for ${whenOf(at)}.`);
}

function showDrafts(on) {
  $('news-drafts').hidden = !on;
  $('news-drafts-toggle').setAttribute('aria-expanded', String(on));
}

function openDraft(d) {
  editing = null;
  fromDraft = d.id;
  $('news-title').value = d.title;
  $('news-body').value = d.body;
  mode();
  if (d.files.length) toast('Its pictures go with it when it is published from the Drafts list; saved again here, it keeps only the text.', true);
  $('news-title').focus();
}

function render() {
  const list = $('news-draft-list');
  list.replaceChildren();
  const count = $('news-drafts-count');
  count.textContent = drafts.length ? `(${drafts.length})` : '';
  for (const d of drafts) {
    const act = (label, testid, fn) => el('button', {
      type: 'button',
      'data-testid': testid,
      onclick: (e) => { e.stopPropagation(); fn().catch(fail); },
    }, label);
    const discard = twice(el('button', { type: 'button', 'data-testid': 'news-draft-discard' }, d.scheduled ? 'Cancel' : 'Discard'),
      d.scheduled ? 'Cancel it?' : 'Discard?',
      () => call('news_discard', { space: space.id, draft: d.id })
        .then(() => { if (fromDraft === d.id) clear(); return refresh(); })
        .then(() => toast(d.scheduled ? 'Schedule cancelled.' : 'Draft discarded.'))
        .catch(fail));
    list.append(el('li', { 'data-testid': 'news-draft', 'data-id': d.id, 'data-scheduled': String(d.scheduled), 'aria-current': String(d.id === fromDraft) },
      el('div', { class: 'draft-what' },
        el('span', { class: 'title' }, d.title),
        el('span', { class: d.scheduled ? 'when scheduled' : 'when muted', 'data-testid': 'news-draft-when' },
          d.scheduled ? `Scheduled for ${whenOf(d.at)}` : `Draft · saved ${timeOf(d.saved_ms)}`)),
      el('div', { class: 'row draft-actions' },
        act('Open', 'news-draft-open', async () => openDraft(d)),
        act('Preview', 'news-draft-preview', async () => hooks.preview(d)),
        act('Publish now', 'news-draft-publish', async () => {
          await call('news_publish_draft', { space: space.id, draft: d.id });
          if (fromDraft === d.id) clear();
          await refresh();
          toast('Published. Subscribers receive it now, or from each other later.');
        }),
        discard)));
  }
  if (!drafts.length) list.append(el('li', { class: 'muted' }, 'No drafts. Save draft or Schedule… keeps an issue here, on your devices only.'));
  mode();
}

/** Loads the drafts again (the owner's newsletter only). */
async function refresh() {
  if (!space || !space.mine) return;
  const at = space.id;
  const got = await call('news_drafts', { space: at });
  if (!space || space.id !== at) return;
  drafts = got.sort((a, b) => a.at - b.at);
  if (fromDraft && !drafts.some((d) => d.id === fromDraft)) fromDraft = null;
  render();
}

export const composer = {
  bind(h) {
    hooks = h;
    $('news-form').addEventListener('submit', (e) => {
      e.preventDefault();
      if (space) publish().catch(fail);
    });
    $('news-save-draft').addEventListener('click', () => {
      if (!space) return;
      saveDraft().then((id) => {
        if (!id) return;
        clear();
        showDrafts(true);
        toast('Draft saved, on your own devices only.');
      }).catch(fail);
    });
    $('news-preview').addEventListener('click', () => {
      if (!space) return;
      saveDraft().then((id) => {
        const d = id && drafts.find((x) => x.id === id);
        if (d) hooks.preview(d);
      }).catch(fail);
    });
    $('news-schedule-open').addEventListener('click', () => {
      const box = $('news-schedule');
      box.hidden = !box.hidden;
      if (!box.hidden) {
        if (!$('news-at').value) $('news-at').value = localInput(Math.ceil((Date.now() + 3600e3) / 900e3) * 900e3);
        $('news-at').focus();
      }
    });
    $('news-schedule-cancel').addEventListener('click', () => { $('news-schedule').hidden = true; });
    $('news-schedule-confirm').addEventListener('click', () => { if (space) schedule().catch(fail); });
    $('news-edit-cancel').addEventListener('click', () => clear());
    $('news-drafts-toggle').addEventListener('click', () => showDrafts($('news-drafts').hidden));
    // Drafts are records of the owner's own space: saved, scheduled, published or thrown
    // away here or on another of their devices.
    onEvent((ev) => {
      if (ev.type !== 'records' || !space) return;
      if (ev.records.some((r) => r.kind === 'draft' && r.news === space.id)) refresh().catch(() => {});
    });
  },

  async show(s) {
    const changed = !space || space.id !== s.id;
    space = s;
    $('news-drafts-toggle').hidden = !s.mine;
    if (changed) {
      clear();
      drafts = [];
      showDrafts(false);
      $('news-drafts-count').textContent = '';
    }
    if (s.mine) await refresh();
  },

  /** Opens a published issue in the composer to correct it. */
  edit(issue) {
    fromDraft = null;
    editing = issue;
    $('news-title').value = issue.title;
    $('news-body').value = issue.body;
    $('news-schedule').hidden = true;
    mode();
    $('news-form').scrollIntoView({ block: 'start' });
    $('news-title').focus();
  },
};
