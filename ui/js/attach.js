// What the composers attach. Files are picked in the native open dialog, dropped on the
// window (Tauri hands over their paths) or, for pictures, pasted from the clipboard (their
// bytes, from the paste event or, where WebKitGTK leaves that empty, read by Rust from the
// system clipboard; Rust writes them to a private temporary file while it attaches them). They wait in
// a tray above the composer, where each can be taken off again, and go with the next message.
// The newsletter's composer takes pictures the same way and writes a Markdown link to each by
// its name, which is how the published issue shows it.
import { call, onWindowEvent } from './api.js';
import { $, el, toast } from './util.js';
import { humanSize } from './files.js';

/** Most files one message carries (the node refuses more). */
const MAX_FILES = 10;
const PICTURE_NAME = /\.(png|jpe?g|gif|webp)$/i;
const EXT = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' };

const baseName = (path) => path.split(/[\\/]/).pop() || path;

/** A name for a pasted picture of type `mime`: `pasted-2026-12-04-203112.png`. */
export function pastedName(mime, name) {
  const ext = EXT[mime];
  if (!ext) return name || 'pasted';
  const d = new Date();
  const two = (n) => String(n).padStart(2, '0');
  return `pasted-${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}-${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}.${ext}`;
}

/** A file's bytes as base64 (read by the browser, not byte by byte in script). */
export function base64Of(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).slice(String(r.result).indexOf(',') + 1));
    r.onerror = () => reject(new Error(`cannot read ${file.name || 'the pasted file'}`));
    r.readAsDataURL(file);
  });
}

/** Files waiting to be sent, shown as chips in `list`. */
class Tray {
  constructor(listId) {
    this.listId = listId;
    this.items = []; // { kind: 'path', path, name } | { kind: 'pasted', name, data, url, size }
    this.onRemove = () => {};
  }

  get count() {
    return this.items.length;
  }

  has(name) {
    return this.items.some((i) => i.name === name);
  }

  room(n) {
    if (this.items.length + n <= MAX_FILES) return true;
    toast(`At most ${MAX_FILES} files go with one message.`, true);
    return false;
  }

  addPaths(paths) {
    const fresh = paths.filter((p) => !this.items.some((i) => i.path === p));
    if (!fresh.length || !this.room(fresh.length)) return [];
    const added = fresh.map((path) => ({ kind: 'path', path, name: baseName(path) }));
    this.items.push(...added);
    this.render();
    return added;
  }

  addPasted(name, data, blob) {
    if (!this.room(1)) return;
    this.items.push({ kind: 'pasted', name, data, size: blob.size, url: URL.createObjectURL(blob) });
    this.render();
  }

  /** A picture Rust read from the system clipboard: its type and bytes in base64. */
  addClipboardPicture(p) {
    const bytes = Uint8Array.from(atob(p.data), (c) => c.charCodeAt(0));
    this.addPasted(pastedName(p.mime), p.data, new Blob([bytes], { type: p.mime }));
  }

  /** Takes off what was sent (what was added meanwhile stays). */
  drop(sent) {
    for (const i of sent) if (i.url) URL.revokeObjectURL(i.url);
    this.items = this.items.filter((i) => !sent.includes(i));
    this.render();
  }

  render() {
    const list = $(this.listId);
    list.replaceChildren(...this.items.map((i) => el('li', {
      class: 'chip',
      'data-testid': 'attached',
      title: i.path || i.name,
    },
    i.url ? el('img', { src: i.url, alt: '', width: 28, height: 28 }) : null,
    el('span', { class: 'chip-name' }, i.name),
    i.size ? el('span', { class: 'muted' }, humanSize(i.size)) : null,
    el('button', {
      type: 'button',
      class: 'icon chip-remove',
      title: `Take ${i.name} off`,
      'aria-label': `Take ${i.name} off`,
      onclick: () => {
        this.drop([i]);
        this.onRemove(i);
      },
    }, '✕'))));
    list.hidden = this.items.length === 0;
  }
}

export const chatTray = new Tray('attach-tray');
export const newsTray = new Tray('news-tray');

let sending = false;

/** The chat composer's part: sends the tray's files with the text, reply and mentions. */
export const attachments = {
  get count() {
    return chatTray.count;
  },
  get busy() {
    return sending;
  },

  async send({ space, text, replyTo, mentions }) {
    const sent = chatTray.items.slice();
    const paths = sent.filter((i) => i.kind === 'path').map((i) => i.path);
    const pasted = sent.filter((i) => i.kind === 'pasted').map(({ name, data }) => ({ name, data }));
    sending = true;
    $('chat-send').disabled = true;
    try {
      if (pasted.length) await call('chat_attach_bytes', { space, text, replyTo, mentions, paths, pasted });
      else await call('chat_attach', { space, text, replyTo, mentions, paths });
    } finally {
      sending = false;
      $('chat-send').disabled = false;
    }
    chatTray.drop(sent);
  },
};

async function pickForChat() {
  const paths = await call('file_open_dialog', { pictures: false });
  chatTray.addPaths(paths);
  $('chat-input').focus();
}

// ---- the newsletter's pictures: a Markdown link by name for each ----

/** `name` as a Markdown link destination (angle brackets when it has spaces or brackets). */
function destination(name) {
  return /[\s()<>]/.test(name) ? `<${name}>` : name;
}

function insertAtCaret(area, text) {
  const at = area.selectionStart ?? area.value.length;
  const before = area.value.slice(0, at);
  const gap = before && !before.endsWith('\n') ? '\n\n' : '';
  area.value = `${before}${gap}${text}\n${area.value.slice(at)}`;
  const caret = before.length + gap.length + text.length + 1;
  area.setSelectionRange(caret, caret);
}

function addToIssue(paths) {
  const twice = paths.map(baseName).find((n) => newsTray.has(n));
  if (twice) {
    toast(`A picture named ${twice} is attached already: the issue links pictures by name.`, true);
    return;
  }
  const added = newsTray.addPaths(paths);
  const area = $('news-body');
  for (const i of added) {
    if (!PICTURE_NAME.test(i.name)) continue;
    const alt = i.name.replace(/\.[^.]+$/, '').replace(/[[\]\\]/g, '');
    insertAtCaret(area, `![${alt}](${destination(i.name)})`);
  }
}

async function pickForIssue() {
  addToIssue(await call('file_open_dialog', { pictures: true }));
  $('news-body').focus();
}

let boardDrop = null;

/** Where files dropped on an open whiteboard go (`fn(paths, position)`). */
export function onBoardDrop(fn) {
  boardDrop = fn;
}

/** Where dropped files go: the open chat room's composer, the issue being written, or the open
 * whiteboard (where they fell: `position` is in the window's physical pixels). */
function dropped(paths, position) {
  if (!paths || !paths.length) return;
  if (!$('panel-chat').hidden) chatTray.addPaths(paths);
  else if (!$('panel-news').hidden && !$('news-form').hidden) addToIssue(paths);
  else if (!$('panel-board').hidden && boardDrop) boardDrop(paths, position);
  else toast('Open a chat room, a whiteboard or your newsletter to drop files there.', true);
}

export function bindAttach() {
  const fail = (e) => toast(e.message, true);
  $('chat-attach').addEventListener('click', () => pickForChat().catch(fail));
  $('news-attach').addEventListener('click', () => pickForIssue().catch(fail));
  $('chat-input').addEventListener('paste', (e) => {
    const dt = e.clipboardData;
    const pasted = [...((dt && dt.items) || [])]
      .filter((i) => i.kind === 'file').map((i) => i.getAsFile()).filter(Boolean);
    if (pasted.length) {
      e.preventDefault();
      for (const f of pasted) {
        const name = pastedName(f.type, f.name);
        base64Of(f).then((data) => chatTray.addPasted(name, data, f)).catch(fail);
      }
      return;
    }
    if (dt && dt.getData('text/plain')) return; // text pastes as text
    // WebKitGTK gives the page nothing for a picture on the clipboard: Rust reads it.
    call('clipboard_picture').then((p) => {
      if (p) chatTray.addClipboardPicture(p);
    }).catch(fail);
  });
  // Tauri takes drops of files on the window and hands over their paths.
  onWindowEvent('tauri://drag-enter', () => document.body.classList.add('dropping'));
  onWindowEvent('tauri://drag-leave', () => document.body.classList.remove('dropping'));
  onWindowEvent('tauri://drag-drop', (p) => {
    document.body.classList.remove('dropping');
    dropped(p && p.paths, p && p.position);
  });
}

/** The newsletter's composer: publishes with the tray's files, then empties it. */
export async function publishIssue(space, title, body) {
  const sent = newsTray.items.slice();
  if (sent.length) {
    await call('news_publish_files', { space, title, body, paths: sent.map((i) => i.path) });
  } else {
    await call('news_publish', { space, title, body });
  }
  newsTray.drop(sent);
}
