// The members of the selected space. The owner removes a member with two clicks: the key is
// rotated and sealed to everyone else, so the removed member receives nothing written after.
import { call } from './api.js';
import { $, el, toast } from './util.js';
import { people } from './profile.js';

const armed = new Map();

function row(space, m, canRemove, refresh) {
  const label = people.get(m.peer) ? people.label(m.peer) : m.short;
  const name = m.me ? `${label} (you)` : label;
  const role = el('span', { class: `role ${m.role}`, 'data-testid': 'member-role' }, m.role);
  const count = el('span', { class: 'muted' }, m.records === 1 ? '1 record' : `${m.records} records`);
  let action = null;
  if (canRemove && m.role === 'member') {
    action = el('button', {
      'data-testid': 'member-remove',
      'data-peer': m.peer,
      title: 'Remove this member and rotate the space key',
      onclick: async (e) => {
        const b = e.currentTarget;
        if (!armed.has(m.peer)) {
          b.textContent = 'Confirm removal';
          armed.set(m.peer, setTimeout(() => { armed.delete(m.peer); b.textContent = 'Remove'; }, 5000));
          return;
        }
        clearTimeout(armed.get(m.peer));
        armed.delete(m.peer);
        b.disabled = true;
        try {
          const list = await call('remove_member', { space: space.id, peer: m.peer });
          toast(`Removed ${label}. The key was rotated; the others have the new one.`);
          refresh(list);
        } catch (err) {
          b.disabled = false;
          toast(err.message, true);
        }
      },
    }, 'Remove');
  }
  // One person, however many devices they write from (linked or restored ones are listed).
  const devices = m.devices || [];
  const devs = devices.length
    ? el('span', { class: 'muted', 'data-testid': 'member-devices', title: devices.join('\n') },
      devices.length === 1 ? '+1 device' : `+${devices.length} devices`)
    : null;
  return el('li', { 'data-testid': 'member', 'data-peer': m.peer, 'data-role': m.role },
    el('span', { class: 'who', title: m.peer }, name),
    label === m.short ? null : el('code', { class: 'peer-id', title: m.peer }, m.short), role, count, devs, action);
}

export const members = {
  open: false,
  space: null,

  /** Shows or refreshes the member list of `space` if the panel is open. */
  async show(space) {
    this.space = space;
    if (!this.open || !space) return;
    try {
      this.render(space, await call('space_members', { space: space.id }));
    } catch (err) {
      toast(err.message, true);
    }
  },

  render(space, list) {
    const canRemove = space.mine && !space.removed;
    $('members-help').textContent = canRemove
      ? 'You own this space. Removing someone gives everyone else a new key; they keep what they had but receive nothing new.'
      : 'Members are everyone who joined or wrote here. Only the owner can remove someone.';
    $('member-list').replaceChildren(...list.map((m) => row(space, m, canRemove, (l) => this.render(space, l))));
  },

  async toggle(space) {
    this.open = !this.open;
    $('members-panel').hidden = !this.open;
    $('members').setAttribute('aria-expanded', String(this.open));
    if (this.open) await this.show(space);
  },

  close() {
    this.open = false;
    $('members-panel').hidden = true;
    $('members').setAttribute('aria-expanded', 'false');
  },
};
