// The Peers tab: who is connected and how (LAN, relay, direct, hole-punched), whether this
// device is reachable, its relays, DHT and rendezvous, its addresses, and the network settings.
import { call } from './api.js';
import { $, el, toast } from './util.js';

const HOW = { lan: 'LAN', relay: 'Relay', direct: 'Direct', holepunched: 'Hole-punched' };
const REACH = {
  public: 'Yes: others dial it directly',
  private: 'No: behind a NAT, reached through relays and hole punching',
  unknown: 'Not known yet',
};
const listening = new Set();

function lines(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}

async function loadSettings() {
  const s = await call('settings_get');
  $('set-listen').value = s.saved.listen.join('\n');
  $('set-dial').value = s.saved.dial.join('\n');
  $('set-relays').value = s.saved.relays.join('\n');
  $('set-bootstrap').value = (s.saved.bootstrap || []).join('\n');
  $('set-mdns').checked = s.saved.mdns !== false;
  $('set-dht').checked = s.saved.dht !== false;
  $('set-upnp').checked = s.saved.upnp !== false;
  $('set-relay-server').checked = Boolean(s.saved.relay_server);
  $('settings-note').textContent = s.from_env.length
    ? `Set by the environment, which wins: ${s.from_env.join(', ')}`
    : '';
}

function renderAddrs() {
  const ul = $('my-addrs');
  ul.replaceChildren(...[...listening].map((a) => el('li', {}, el('code', {}, a))));
}

export const peers = {
  bind() {
    $('settings-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const settings = {
        listen: lines($('set-listen').value),
        dial: lines($('set-dial').value),
        relays: lines($('set-relays').value),
        mdns: $('set-mdns').checked,
        relay_server: $('set-relay-server').checked,
        bootstrap: lines($('set-bootstrap').value),
        dht: $('set-dht').checked,
        upnp: $('set-upnp').checked,
      };
      try {
        await call('settings_set', { settings });
        $('settings-note').textContent = 'Saved. Peers to dial are being dialled; the rest applies when Confab restarts.';
      } catch (err) {
        toast(err.message, true);
      }
    });
  },

  async show() {
    const me = await call('me');
    $('my-id').textContent = me.peer_id;
    for (const a of me.listening) listening.add(a);
    renderAddrs();
    this.update(await call('peers'));
    await this.refreshStatus();
    await loadSettings();
  },

  async refreshStatus() {
    const s = await call('status');
    $('reachability').textContent = REACH[s.reachability] || s.reachability;
    $('reachability').dataset.value = s.reachability;
    $('reservations').textContent = s.reservations.length
      ? s.reservations.map((r) => r.split('/p2p/')[0]).join(', ')
      : 'none';
    // Direct addresses first (a port the router mapped, one AutoNAT dialled back), then circuits.
    const ext = [...s.external].sort((a, b) => a.includes('/p2p-circuit') - b.includes('/p2p-circuit'));
    $('external').textContent = ext.length
      ? ext.map((a) => (a.includes('/p2p-circuit') ? `via relay ${a.split('/p2p/')[0]}` : a)).join(', ')
      : '—';
    $('dht').textContent = s.dht.mode === 'off'
      ? 'off'
      : `${s.dht.mode === 'server' ? 'serving' : 'asking (client)'}, ${s.dht.peers} peers known`;
    $('dht').dataset.mode = s.dht.mode;
    const announced = s.rendezvous.filter((r) => r.last_announce_ms).length;
    const found = s.rendezvous.reduce((n, r) => n + r.found, 0);
    $('rendezvous').textContent = s.rendezvous.length
      ? `announced in ${announced} of ${s.rendezvous.length} spaces, ${found} members found`
      : '—';
  },

  update(list) {
    const ul = $('peer-list');
    ul.replaceChildren(...list.map((p) => el('li', { 'data-testid': 'peer-item', 'data-peer': p.peer_id },
      el('span', { class: 'how' }, HOW[p.how] || p.how),
      el('code', { title: p.addr }, p.peer_id))));
    $('no-peers').hidden = list.length > 0;
  },

  addListening(addr) {
    listening.add(addr);
    renderAddrs();
  },
};
