// The first run: while the data dir has no identity, no node runs and this screen asks how to
// begin — a new account, a backup file, a link to the person's other device, or the recovery
// phrase. Each way is one command; once it succeeds the node runs and the app goes on.
import { call, onWindowEvent } from './api.js';
import { $ } from './util.js';

const WAYS = ['restore', 'link', 'recover'];

function showError(id, err) {
  const p = $(id);
  p.textContent = err ? err.message : '';
  p.hidden = !err;
}

/** Shows the choices, or the form of one way. */
function showWay(way) {
  $('welcome-choices').hidden = Boolean(way);
  for (const w of WAYS) $(`welcome-${w}-form`).hidden = w !== way;
  showError('welcome-error', null);
  const first = way && $(`welcome-${way}-form`).querySelector('input, textarea, button');
  if (first) first.focus();
}

/** Disables a form's controls while its way runs, with a note of what is happening. */
function busy(form, note) {
  for (const c of form.querySelectorAll('button, input, textarea')) {
    if (c.id !== 'link-stop') c.disabled = Boolean(note);
  }
  form.querySelector('.busy-note').textContent = note || '';
}

/**
 * Shows the first-run screen until the person has begun one way or another; resolves with
 * `{ way, view }` (the command's answer) once the node runs.
 */
export function welcome(dataDir) {
  document.body.classList.add('first-run');
  $('welcome').hidden = false;
  $('welcome-dir').textContent = dataDir;
  let backup = null;
  return new Promise((resolve) => {
    const done = (way, view) => {
      $('welcome').hidden = true;
      document.body.classList.remove('first-run');
      resolve({ way, view });
    };
    const bindWay = (way, run) => {
      const form = $(`welcome-${way}-form`);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        showError(`${way}-error`, null);
        try {
          const view = await run(form);
          if (view) done(way, view);
        } catch (err) {
          showError(`${way}-error`, err);
        } finally {
          busy(form, null);
        }
      });
    };

    for (const b of document.querySelectorAll('#welcome-choices .choice')) {
      b.addEventListener('click', async () => {
        if (b.dataset.choice !== 'new') {
          showWay(b.dataset.choice);
          return;
        }
        for (const c of document.querySelectorAll('#welcome-choices .choice')) c.disabled = true;
        try {
          done('new', await call('first_run_new'));
        } catch (err) {
          showError('welcome-error', err);
          for (const c of document.querySelectorAll('#welcome-choices .choice')) c.disabled = false;
        }
      });
    }
    for (const b of document.querySelectorAll('#welcome .way-back')) {
      b.addEventListener('click', () => showWay(null));
    }

    for (const [field, error] of [['restore-pass', 'restore-error'], ['link-input', 'link-error'], ['recover-words', 'recover-error']]) {
      $(field).addEventListener('input', () => showError(error, null));
    }
    $('restore-pick').addEventListener('click', async () => {
      try {
        const path = await call('backup_pick');
        if (!path) return;
        backup = path;
        $('restore-file').textContent = path.split(/[\\/]/).pop();
        $('restore-file').title = path;
        showError('restore-error', null);
        $('restore-pass').focus();
      } catch (err) {
        showError('restore-error', err);
      }
    });
    bindWay('restore', async (form) => {
      if (!backup) throw new Error('Choose the backup file first.');
      busy(form, 'Opening the backup…');
      const view = await call('first_run_restore', { path: backup, passphrase: $('restore-pass').value });
      $('restore-pass').value = '';
      return view;
    });

    bindWay('recover', async (form) => {
      busy(form, 'Recovering…');
      const view = await call('first_run_recover', { words: $('recover-words').value });
      $('recover-words').value = '';
      return view;
    });

    // Linking waits for the person to approve on the other device: the code to compare shows
    // here meanwhile, and Cancel stops it.
    onWindowEvent('confab://link-waiting', (w) => {
      $('link-waiting-code').textContent = w.code;
      $('link-waiting').hidden = false;
      $('welcome-link-form').querySelector('.busy-note').textContent = '';
    });
    $('link-stop').addEventListener('click', () => call('first_run_cancel').catch(() => {}));
    bindWay('link', async (form) => {
      const ticket = $('link-input').value.trim();
      if (!ticket) throw new Error('Paste the link ticket from your other device first.');
      busy(form, 'Reaching your other device…');
      $('link-stop').hidden = false;
      try {
        return await call('first_run_link', { ticket });
      } finally {
        $('link-stop').hidden = true;
        $('link-waiting').hidden = true;
      }
    });
  });
}
