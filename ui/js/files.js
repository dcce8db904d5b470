// Files as the page shows them. Pictures load through the app's `confab-blob` protocol, never
// as bytes in JavaScript: the sender's preview at once, sized from the picture's own
// proportions so nothing moves when it arrives, and the whole picture in a viewer once it is
// here. Other files show their name, size, a progress bar while they download and Save, which
// opens the native save dialog (where the file goes is always the person's choice). Names
// from peers only ever go into text nodes and attributes.
import { call } from './api.js';
import { $, el, toast } from './util.js';

/** Media types shown whole (the node serves no other; never SVG). */
const WHOLE = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
/** Files up to this size are fetched by every member without asking. */
const AUTO_FETCH = 25 * 1024 * 1024;
/** A preview's box in a message, in CSS pixels. */
const PREVIEW_BOX = 320;

// Windows and Android serve custom protocols as http://<scheme>.localhost.
const httpStyle = /Windows|Android/.test(navigator.userAgent);
const BLOB_PREFIX = 'confab-blob://localhost/';

/** The address of a picture: `blobUrl(hex)` whole, `blobUrl('thumb/' + hex)` its preview. */
export function blobUrl(path) {
  return httpStyle ? `http://confab-blob.localhost/${path}` : `${BLOB_PREFIX}${path}`;
}

/** A size for people: 512 B, 4.2 KB, 30 MB (powers of 1024). */
export function humanSize(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u += 1;
  } while (v >= 1024 && u < units.length - 1);
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

const st = {
  known: new Map(), // blob → FileView, of every file rendered
  progress: new Map(), // blob → { have, size } while it downloads
  held: new Set(), // blobs that became whole here since they were rendered
  saving: new Set(),
  saved: new Map(), // blob → the path it was saved at
  viewer: null, // the blob the viewer shows
  tries: 0,
};

/** Whether a file is here whole: as it was read, or since (a `file_held` event came). */
export const isHeld = (f) => f.held || st.held.has(f.blob);
const isPicture = (f) => Array.isArray(f.dims) && f.dims.length === 2 && f.mime.startsWith('image/');
const rows = (blob) => document.querySelectorAll(`.file[data-blob="${CSS.escape(blob)}"]`);

/** Width and height of a picture shown at most `box` pixels on its longer side. */
function fit([w, h], box) {
  const scale = Math.min(1, box / Math.max(w, h, 1));
  return [Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))];
}

function picture(f) {
  const [w, h] = fit(f.dims, PREVIEW_BOX);
  return el('button', {
    type: 'button',
    class: 'pic',
    'data-blob': f.blob,
    'data-testid': 'file-picture',
    title: `${f.name} · ${humanSize(f.size)}`,
    'aria-label': `Picture ${f.name}, ${humanSize(f.size)}: show it whole`,
  }, el('img', {
    src: blobUrl(`thumb/${f.blob}`),
    alt: f.name,
    width: w,
    height: h,
    loading: 'lazy',
    decoding: 'async',
    draggable: 'false',
  }));
}

function stateOf(f) {
  const path = st.saved.get(f.blob);
  if (st.saving.has(f.blob)) {
    const p = st.progress.get(f.blob);
    return p && !isHeld(f) ? `fetching ${Math.floor((100 * p.have) / Math.max(1, p.size))}%` : 'saving…';
  }
  if (path) return 'saved';
  const p = st.progress.get(f.blob);
  if (p && !isHeld(f)) return `${humanSize(p.have)} of ${humanSize(p.size)}`;
  if (!isHeld(f) && f.size > AUTO_FETCH) return 'fetched when saved';
  return '';
}

function fileRow(f) {
  const p = st.progress.get(f.blob);
  const path = st.saved.get(f.blob);
  return el('div', { class: 'file', 'data-blob': f.blob, 'data-testid': 'file', title: f.name },
    el('span', { class: 'file-name', 'data-testid': 'file-name' }, f.name),
    el('span', { class: 'file-size muted', 'data-testid': 'file-size' }, humanSize(f.size)),
    el('span', { class: 'file-state muted', 'data-testid': 'file-state', title: path }, stateOf(f)),
    el('button', {
      type: 'button',
      class: 'file-save',
      'data-blob': f.blob,
      'data-testid': 'file-save',
      disabled: st.saving.has(f.blob),
      'aria-label': `Save ${f.name}`,
    }, 'Save'),
    el('progress', {
      class: 'file-progress',
      'data-testid': 'file-progress',
      max: Math.max(1, f.size),
      value: p ? p.have : 0,
      hidden: !p || isHeld(f),
    }));
}

/**
 * The files of a message or issue: pictures first, then the others; null if none. `mine`:
 * this member sent them, so they are here (the event of one's own message does not say so).
 */
export function renderFiles(files, mine = false) {
  if (!files || !files.length) return null;
  for (const f of files) {
    st.known.set(f.blob, f);
    if (mine) st.held.add(f.blob);
  }
  const pics = files.filter(isPicture);
  const others = files.filter((f) => !isPicture(f));
  return el('div', { class: 'files' },
    pics.length ? el('div', { class: 'pics' }, ...pics.map(picture)) : null,
    ...others.map(fileRow));
}

/**
 * Points the pictures of an issue's HTML (inserted by the newsletter) at the protocol: the
 * whole picture when it is here, else the preview until it is. Returns the files the issue's
 * text does not show, for a list under it.
 */
export function showIssuePictures(root, files) {
  const byBlob = new Map((files || []).map((f) => [f.blob, f]));
  for (const f of byBlob.values()) st.known.set(f.blob, f);
  const shown = new Set();
  for (const img of root.querySelectorAll('img')) {
    const src = img.getAttribute('src') || '';
    const hex = src.startsWith(BLOB_PREFIX) ? src.slice(BLOB_PREFIX.length) : '';
    const f = byBlob.get(hex);
    if (!f) {
      img.remove(); // the sanitiser keeps no other source; nothing is loaded from elsewhere
      continue;
    }
    shown.add(hex);
    img.dataset.blob = hex;
    img.dataset.testid = 'news-picture';
    img.classList.add('pic-inline');
    if (Array.isArray(f.dims)) {
      img.width = f.dims[0];
      img.height = f.dims[1];
    }
    if (isHeld(f) || !Array.isArray(f.dims)) {
      img.src = blobUrl(hex);
    } else {
      img.src = blobUrl(`thumb/${hex}`);
    }
    if (!isHeld(f)) img.dataset.wait = hex;
  }
  return (files || []).filter((f) => !shown.has(f.blob));
}

function refreshRows(blob) {
  const f = st.known.get(blob);
  if (!f) return;
  for (const row of rows(blob)) row.replaceWith(fileRow(f));
}

async function save(blob) {
  const f = st.known.get(blob);
  if (!f || st.saving.has(blob)) return;
  st.saving.add(blob);
  refreshRows(blob);
  try {
    const saved = await call('file_save', { blob, name: f.name });
    if (saved) {
      st.saved.set(blob, saved.path);
      st.held.add(blob);
      toast(`Saved ${saved.name} (${humanSize(saved.size)}) to ${saved.path}`);
    }
  } catch (e) {
    toast(e.message, true);
  } finally {
    st.saving.delete(blob);
    refreshRows(blob);
  }
}

// ---- the viewer: one picture, whole once it is here ----

function showWhole(f) {
  const img = $('viewer-img');
  const note = $('viewer-note');
  img.alt = f.name;
  const preview = (why) => {
    img.dataset.whole = 'false';
    img.src = blobUrl(`thumb/${f.blob}`);
    note.textContent = why;
  };
  img.onerror = null;
  img.onload = null;
  if (!WHOLE.includes(f.mime)) {
    preview('A preview: save the file to see all of it.');
    return;
  }
  if (!isHeld(f) && f.size > AUTO_FETCH) {
    preview('A preview: the picture is fetched when you save it.');
    return;
  }
  note.textContent = '';
  st.tries += 1;
  img.onerror = () => {
    if (st.viewer !== f.blob) return;
    img.onerror = null;
    if (Array.isArray(f.dims)) preview('The whole picture is on its way; this is its preview.');
    else note.textContent = 'The picture is on its way.';
  };
  img.onload = () => {
    img.dataset.whole = String(!img.src.includes('/thumb/'));
  };
  // A new address each time: a picture asked for before it was here is asked for again.
  img.src = `${blobUrl(f.blob)}?v=${st.tries}`;
}

function openViewer(blob) {
  const f = st.known.get(blob);
  if (!f) return;
  st.viewer = blob;
  $('viewer-name').textContent = `${f.name} · ${humanSize(f.size)}`;
  showWhole(f);
  $('viewer').hidden = false;
  $('viewer-close').focus();
}

function closeViewer() {
  st.viewer = null;
  $('viewer').hidden = true;
  const img = $('viewer-img');
  img.onerror = null;
  img.onload = null;
  img.removeAttribute('src');
}

export const files = {
  bind() {
    document.addEventListener('click', (e) => {
      const t = e.target;
      if (!t.closest) return;
      const b = t.closest('.file-save');
      if (b) {
        save(b.dataset.blob);
        return;
      }
      const p = t.closest('.pic, .pic-inline');
      if (p) openViewer(p.dataset.blob);
    });
    $('viewer-close').addEventListener('click', closeViewer);
    $('viewer-save').addEventListener('click', () => {
      if (st.viewer) save(st.viewer);
    });
    $('viewer').addEventListener('click', (e) => {
      if (e.target === $('viewer')) closeViewer();
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && st.viewer) closeViewer();
    });
  },

  /** A `file_progress` event: the bar and the line of that file move on. */
  onProgress(ev) {
    st.progress.set(ev.blob, { have: ev.have, size: ev.size });
    for (const row of rows(ev.blob)) {
      const bar = row.querySelector('progress');
      bar.max = Math.max(1, ev.size);
      bar.value = ev.have;
      bar.hidden = ev.have >= ev.size;
      const f = st.known.get(ev.blob);
      if (f) row.querySelector('.file-state').textContent = stateOf(f);
    }
  },

  /** A `file_held` event: the file is here whole; pictures waiting for it are shown whole. */
  onHeld(ev) {
    st.held.add(ev.blob);
    st.progress.delete(ev.blob);
    refreshRows(ev.blob);
    for (const img of document.querySelectorAll(`img[data-wait="${CSS.escape(ev.blob)}"]`)) {
      delete img.dataset.wait;
      img.src = `${blobUrl(ev.blob)}?held`;
    }
    const f = st.known.get(ev.blob);
    if (st.viewer === ev.blob && f) showWhole(f);
  },
};
