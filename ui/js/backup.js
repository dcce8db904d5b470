// Back up… (Peers tab): a passphrase typed twice, messages included or not, then the native
// save dialog; the result (where, how big, how many spaces) or the node's refusal by name.
import { call } from './api.js';
import { $ } from './util.js';
import { humanSize } from './files.js';

function note(id, text) {
  $(id).textContent = text || '';
  $(id).hidden = !text;
}

function open() {
  $('backup-dialog').hidden = false;
  $('backup-pass').value = '';
  $('backup-again').value = '';
  $('backup-records').checked = false;
  note('backup-error', '');
  note('backup-result', '');
  $('backup-save').disabled = false;
  $('backup-cancel').textContent = 'Cancel';
  $('backup-pass').focus();
}

function close() {
  $('backup-dialog').hidden = true;
  $('backup-pass').value = '';
  $('backup-again').value = '';
}

async function save(e) {
  e.preventDefault();
  note('backup-error', '');
  note('backup-result', '');
  const b = $('backup-save');
  b.disabled = true;
  const was = b.textContent;
  b.textContent = 'Saving…';
  try {
    const r = await call('backup_create', {
      passphrase: $('backup-pass').value,
      again: $('backup-again').value,
      withRecords: $('backup-records').checked,
    });
    if (!r) return; // the save dialog was cancelled
    $('backup-pass').value = '';
    $('backup-again').value = '';
    const records = r.records ? `, ${r.records} records` : '';
    note('backup-result', `Saved ${r.path} (${humanSize(r.bytes)}): ${r.spaces} spaces${records}. Keep it apart from its passphrase.`);
    $('backup-cancel').textContent = 'Close';
  } catch (err) {
    note('backup-error', err.message);
  } finally {
    b.disabled = false;
    b.textContent = was;
  }
}

export const backup = {
  bind() {
    $('backup-open').addEventListener('click', open);
    $('backup-form').addEventListener('submit', save);
    // What was refused is refused no more once the person types again.
    for (const id of ['backup-pass', 'backup-again']) {
      $(id).addEventListener('input', () => note('backup-error', ''));
    }
    $('backup-cancel').addEventListener('click', close);
    $('backup-close').addEventListener('click', close);
    $('backup-dialog').addEventListener('mousedown', (e) => { if (e.target === $('backup-dialog')) close(); });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !$('backup-dialog').hidden) close();
    });
  },
};
