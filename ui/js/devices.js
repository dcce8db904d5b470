// The person's devices (Peers tab): the list (this device, the account's key, linked ones,
// revoked ones marked) with Revoke after a confirmation; Link a device, which shows a one-time
// ticket as text and QR code with its code and expiry; and the prompt to approve a device
// that asks with it (the node's `link_asked` event).
import { call } from './api.js';
import { $, el, toast, shortPeer } from './util.js';

const st = {
  me: null, // MeView
  confirming: null, // the device whose revocation is being confirmed
  ticket: null, // the link ticket shown (LinkTicketView)
  asked: new Map(), // device → 'asking' | 'set aside' | 'approved', for the prompt
  asking: null, // { device, code } shown in the prompt
  timer: null,
};

function dateOf(ms) {
  return new Date(ms).toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' });
}

function timeOf(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function what(d) {
  if (d.me && d.account) return 'This device · the account';
  if (d.me) return 'This device';
  if (d.account) return 'The account’s first device';
  return 'Linked device';
}

function row(d, refresh) {
  const state = d.revoked ? 'revoked' : d.me ? 'me' : d.account ? 'account' : 'linked';
  const facts = [];
  if (d.account) facts.push('made the account; cannot be revoked');
  if (d.linked_ms) facts.push(`linked ${dateOf(d.linked_ms)}`);
  const li = el('li', { 'data-testid': 'device', 'data-device': d.device, 'data-state': state },
    el('div', { class: 'device-main' },
      el('span', { class: 'who' }, what(d)),
      d.revoked ? el('span', { class: 'role removed', 'data-testid': 'device-revoked' }, `revoked ${dateOf(d.revoked)}`) : null,
      el('code', { class: 'peer-id', title: d.device }, shortPeer(d.device)),
      facts.length ? el('span', { class: 'muted' }, facts.join(' · ')) : null));
  if (d.me || d.account || d.revoked) return li;
  if (st.confirming !== d.device) {
    li.append(el('button', {
      type: 'button',
      class: 'device-revoke',
      'data-testid': 'device-revoke',
      title: 'Revoke this device: for a device lost or stolen',
      onclick: () => { st.confirming = d.device; refresh(); },
    }, 'Revoke…'));
    return li;
  }
  const go = el('button', {
    type: 'button',
    class: 'danger',
    'data-testid': 'device-revoke-confirm',
    onclick: async () => {
      go.disabled = true;
      try {
        const r = await call('device_revoke', { device: d.device });
        st.confirming = null;
        toast(`Revoked ${shortPeer(r.device)} in ${r.spaces} spaces; ${r.rotated} you own have a new key without it.`);
      } catch (err) {
        toast(err.message, true);
      }
      refresh();
    },
  }, 'Revoke it');
  li.append(el('div', { class: 'confirm', role: 'group', 'aria-label': 'Confirm revoking' },
    el('span', {}, 'Revoke this device? What it writes from now on is refused everywhere, and the spaces you own get a new key it does not have. It cannot be undone.'),
    el('div', { class: 'row' }, go,
      el('button', { type: 'button', 'data-testid': 'device-revoke-cancel', onclick: () => { st.confirming = null; refresh(); } }, 'Cancel'))));
  return li;
}

async function refreshList() {
  try {
    const list = await call('devices');
    const refresh = () => refreshList();
    $('device-list').replaceChildren(...list.map((d) => row(d, refresh)));
  } catch (err) {
    toast(err.message, true);
  }
}

// ---- Link a device ----

function renderExpiry() {
  const t = st.ticket;
  if (!t) return;
  const left = t.expires_ms - Date.now();
  if (left <= 0) {
    $('link-expiry').textContent = 'This ticket has expired. Close this and make a new one.';
    $('link-qr').classList.add('expired');
    clearInterval(st.timer);
    return;
  }
  const min = Math.ceil(left / 60000);
  $('link-expiry').textContent = `Valid until ${timeOf(t.expires_ms)} (${min} min), for one device.`;
}

async function openLink() {
  $('link-dialog').hidden = false;
  $('link-made').hidden = true;
  $('link-made-error').hidden = true;
  $('link-status').textContent = '';
  $('link-qr').classList.remove('expired');
  $('link-close').focus();
  try {
    const t = await call('link_ticket');
    st.ticket = t;
    $('link-ticket').value = t.ticket;
    $('link-code').textContent = t.code;
    $('link-qr').src = `data:image/svg+xml;base64,${btoa(t.qr_svg)}`;
    $('link-status').textContent = 'Waiting for the new device to ask…';
    $('link-made').hidden = false;
    renderExpiry();
    clearInterval(st.timer);
    st.timer = setInterval(renderExpiry, 15000);
  } catch (err) {
    // A linked device does not hold the account's secret: the node says so, by name.
    $('link-made-error').textContent = err.message;
    $('link-made-error').hidden = false;
  }
}

function closeLink() {
  $('link-dialog').hidden = true;
  clearInterval(st.timer);
  $('link-ticket').value = '';
  $('link-qr').removeAttribute('src');
}

// ---- the prompt to approve a device that asked ----

function ask(device, code) {
  st.asking = { device, code };
  st.asked.set(device, 'asking');
  $('link-ask-text').textContent = 'A device asks to join your account. Approve it only if it is yours and shows this same code.';
  $('link-ask-code').textContent = code || '(unknown)';
  $('link-ask-device').textContent = device;
  $('link-ask').hidden = false;
  $('link-approve').disabled = false;
  $('link-approve').focus();
  if (!$('link-dialog').hidden) $('link-status').textContent = `A device asks with the code ${code}.`;
}

async function approve() {
  const a = st.asking;
  if (!a) return;
  $('link-approve').disabled = true;
  try {
    const d = await call('device_approve', { code: a.code });
    st.asked.set(a.device, 'approved');
    $('link-ask').hidden = true;
    st.asking = null;
    if (!$('link-dialog').hidden) $('link-status').textContent = `Linked ${shortPeer(d.device)}. It is receiving your spaces.`;
    toast(`Linked a new device (${shortPeer(d.device)}).`);
    await refreshList();
  } catch (err) {
    $('link-approve').disabled = false;
    toast(err.message, true);
  }
}

function setAside() {
  if (st.asking) st.asked.set(st.asking.device, 'set aside');
  st.asking = null;
  $('link-ask').hidden = true;
  if (!$('link-dialog').hidden) $('link-status').textContent = 'Not approved. The other device waits until the ticket expires.';
}

export const devices = {
  bind() {
    $('link-open').addEventListener('click', () => openLink());
    $('link-close').addEventListener('click', closeLink);
    $('link-dialog').addEventListener('mousedown', (e) => { if (e.target === $('link-dialog')) closeLink(); });
    $('link-copy').addEventListener('click', async () => {
      const area = $('link-ticket');
      try {
        await navigator.clipboard.writeText(area.value);
      } catch {
        area.select();
        document.execCommand('copy');
      }
      $('link-copy-note').textContent = 'Copied';
      setTimeout(() => { $('link-copy-note').textContent = ''; }, 2000);
    });
    $('link-approve').addEventListener('click', approve);
    $('link-deny').addEventListener('click', setAside);
    document.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      if (!$('link-ask').hidden) setAside();
      else if (!$('link-dialog').hidden) closeLink();
    });
  },

  /** Fills the section (when the Peers tab opens), with what this device may do. */
  async show(me) {
    st.me = me;
    const note = $('devices-note');
    note.hidden = me.holds_account;
    note.textContent = me.holds_account
      ? ''
      : `This device is linked to your account and does not hold its secret: link and revoke devices, back up and show the recovery phrase on the device that does.`;
    await refreshList();
  },

  /** A new device asks with a ticket made here (the node asks again every second: one prompt). */
  onAsked(ev) {
    const seen = st.asked.get(ev.device);
    if (seen === 'set aside' || seen === 'approved') return;
    if (st.asking && st.asking.device === ev.device) return;
    if (st.asking) return; // one at a time; the other asks again
    ask(ev.device, ev.code);
  },
};
