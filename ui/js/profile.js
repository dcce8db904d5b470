// Names: everyone's profile (name, colour, label) as this node knows it, this identity's own
// name and colour in Settings, and a one-time prompt for a name on the first run.
import { call } from './api.js';
import { $, toast, shortPeer, safeColor } from './util.js';
import { blobUrl } from './files.js';

const SKIPPED = 'confab-name-prompt-skipped';
const byPeer = new Map();
let mine = null;

function remember(p) {
  if (p && p.peer_id) byPeer.set(p.peer_id, p);
}

function fillForm() {
  if (!mine) return;
  $('profile-name').value = mine.name || '';
  $('profile-color').value = safeColor(mine.color) || '#1f6feb';
  const img = $('profile-picture');
  const pic = mine.picture && /^[0-9a-f]{64}$/.test(mine.picture) ? mine.picture : null;
  img.hidden = !pic;
  if (pic) img.src = blobUrl(pic);
  $('profile-picture-remove').hidden = !pic;
}

/** Sets this identity's picture from a file (path) or removes it (null). */
async function setPicture(path) {
  mine = await call('profile_picture', { path });
  remember(mine);
  fillForm();
  people.changed();
}

async function save(name, color) {
  mine = await call('profile_set', { name, color });
  remember(mine);
  fillForm();
  people.changed();
  return mine;
}

/** The recovery phrase: asked for, confirmed, shown, hidden again (never kept in the page). */
function wirePhrase() {
  const show = $('phrase-show');
  const ask = $('phrase-confirm');
  const box = $('phrase-box');
  const list = $('phrase-words');
  const hide = () => {
    list.replaceChildren();
    box.hidden = true;
    ask.hidden = true;
    show.hidden = false;
  };
  show.addEventListener('click', () => {
    show.hidden = true;
    ask.hidden = false;
  });
  $('phrase-no').addEventListener('click', hide);
  $('phrase-hide').addEventListener('click', hide);
  $('phrase-yes').addEventListener('click', async () => {
    try {
      const p = await call('identity_phrase', { confirmed: true });
      list.replaceChildren(...p.words.split(' ').map((w) => {
        const li = document.createElement('li');
        li.textContent = w;
        return li;
      }));
      ask.hidden = true;
      box.hidden = false;
    } catch (err) {
      hide();
      toast(err.message, true);
    }
  });
}

export const people = {
  /** Called after a profile changed (set by the app to re-render labels). */
  changed: () => {},

  /** This identity's profile. */
  get me() {
    return mine;
  },

  /** Reads every known profile (after a `profile` record, or at start). */
  async load() {
    try {
      const list = await call('profiles');
      byPeer.clear();
      for (const p of list) remember(p);
      if (mine) remember(byPeer.get(mine.peer_id) || mine);
    } catch (e) {
      console.error(e);
    }
  },

  /** What to call a peer: its label, or its short id while no profile is known. */
  label(peer) {
    const p = byPeer.get(peer);
    return p ? p.label : shortPeer(peer);
  },

  /** The profile of a peer, if known. */
  get(peer) {
    return byPeer.get(peer) || null;
  },

  /** Every known profile, by label. */
  all() {
    return [...byPeer.values()].sort((a, b) => a.label.localeCompare(b.label));
  },

  /** Loads profiles, wires the Settings form, and asks for a name once if there is none. */
  async init() {
    try {
      mine = await call('profile_get', {});
      remember(mine);
    } catch (e) {
      toast(e.message, true);
    }
    await this.load();
    fillForm();
    $('profile-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const name = $('profile-name').value.trim();
      if (!name) return;
      try {
        await save(name, $('profile-color').value);
        $('profile-note').textContent = 'Saved';
        setTimeout(() => { $('profile-note').textContent = ''; }, 2000);
      } catch (err) {
        toast(err.message, true);
      }
    });
    $('profile-picture-choose').addEventListener('click', async () => {
      try {
        const [path] = await call('file_open_dialog', { pictures: true });
        if (path) await setPicture(path);
      } catch (err) {
        toast(err.message, true);
      }
    });
    $('profile-picture-remove').addEventListener('click', async () => {
      try {
        await setPicture(null);
      } catch (err) {
        toast(err.message, true);
      }
    });
    wirePhrase();
    const prompt = $('name-prompt');
    prompt.addEventListener('submit', async (e) => {
      e.preventDefault();
      const name = $('name-prompt-input').value.trim();
      if (!name) return;
      try {
        await save(name, mine ? safeColor(mine.color) : null);
        prompt.hidden = true;
        toast(`Others now see you as “${mine.label}”.`);
      } catch (err) {
        toast(err.message, true);
      }
    });
    $('name-prompt-skip').addEventListener('click', () => {
      localStorage.setItem(SKIPPED, '1');
      prompt.hidden = true;
    });
    prompt.hidden = !(mine && !mine.name && !localStorage.getItem(SKIPPED));
  },

  /** Refreshes the Settings form (when the Peers tab opens). */
  fill: fillForm,
};
