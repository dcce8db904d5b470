//! A person's devices as this node knows them, and revoking a lost one: a revocation signed by
//! the account goes into every space the person is in, and each space the person owns rotates
//! its key without the device, as for a removed member.

use confab_core::account::Revocation;
use confab_core::{now_ms, AuthorKey, Body, Space};
use tracing::{info, warn};

use crate::engine::Engine;
use crate::view::{DeviceRevokedView, DeviceView};
use crate::NodeError;

impl Engine {
    /// This person's devices: the account's own key first, then each device seen (by the
    /// certificates their records carry), with when it was linked and whether it is revoked.
    pub(crate) async fn devices(&self) -> Result<Vec<DeviceView>, NodeError> {
        let account = self.me();
        let me = self.device();
        let mut out = vec![DeviceView {
            device: account.peer_id(),
            me: me == account,
            account: true,
            linked_ms: None,
            revoked: None,
        }];
        let mut seen_me = me == account;
        for (d, issued, revoked) in self.store().device_list(account).await? {
            seen_me |= d == me;
            out.push(DeviceView {
                device: d.peer_id(),
                me: d == me,
                account: false,
                linked_ms: (issued > 0).then_some(issued),
                revoked,
            });
        }
        if !seen_me {
            // This device has not written anything yet: its certificate is in its own files.
            out.push(DeviceView {
                device: me.peer_id(),
                me: true,
                account: false,
                linked_ms: self.identity().cert().map(|c| c.issued_ms),
                revoked: None,
            });
        }
        Ok(out)
    }

    /// Revokes one of this person's devices (on a device that holds the account secret).
    pub(crate) async fn revoke_device(&self, peer: &str) -> Result<DeviceRevokedView, NodeError> {
        let id = self.identity();
        let Some(secret) = id.account_secret() else {
            return Err(NodeError::Refused(format!(
                "this device does not hold the secret of the account {}: revoke from the device that does",
                id.account().peer_id()
            )));
        };
        let peer = peer.trim();
        let device = AuthorKey::from_peer_id(peer)
            .ok_or_else(|| NodeError::Invalid(format!("{peer:?} is not a peer id")))?;
        if device == id.author() {
            return Err(NodeError::Refused(
                "this device cannot revoke itself; revoke it from another of your devices".into(),
            ));
        }
        if device == id.account() {
            return Err(NodeError::Refused(
                "the account's own key cannot be revoked: it is the account (if that device was stolen, make a new account)"
                    .into(),
            ));
        }
        match self.store().account_of(device).await? {
            Some(a) if a == id.account() => {}
            Some(other) => {
                return Err(NodeError::Refused(format!(
                    "{peer} is a device of {}, not of this account",
                    other.peer_id()
                )))
            }
            None => {
                return Err(NodeError::NotFound(format!(
                    "{peer} is not known as a device of this account (see `confab device list`)"
                )))
            }
        }
        let at_ms = now_ms();
        let rev = Revocation::issue(secret, device, at_ms);
        let (mut spaces, mut rotated) = (0u32, 0u32);
        for s in self.store().spaces().await? {
            if !s.is_current_member() {
                continue;
            }
            self.write(&s, vec![(Body::Revoke(rev.clone()), vec![])]).await?;
            spaces += 1;
            if s.owner == id.account() && self.rotate_out(&s, device).await? {
                rotated += 1;
            }
        }
        Ok(DeviceRevokedView {
            device: device.peer_id(),
            at_ms,
            spaces,
            rotated,
        })
    }

    /// In a space this person owns, rotates the key without a revoked device (keeping the
    /// records it wrote before, as for a removed member), unless a rotation already removed
    /// it. True if it rotated.
    pub(crate) async fn rotate_out(&self, space: &Space, device: AuthorKey) -> Result<bool, NodeError> {
        let space = self.current(space).await?;
        if space.owner != self.me() || !space.is_current_member() || space.removed_by(&device).is_some() {
            return Ok(false);
        }
        let kept = self.store().device_record_ids(space.id, device).await?;
        self.rotate(&space, &[device], &kept).await?;
        Ok(true)
    }
}

/// A revocation seen in a space this person owns, from another device: rotates the space's key
/// without the device, on the device that holds the account secret (a linked device leaves it
/// to that one).
pub(crate) async fn on_revocation(engine: Engine, space: Space, device: AuthorKey) {
    if engine.identity().account_secret().is_none() {
        return;
    }
    match engine.rotate_out(&space, device).await {
        Ok(true) => info!(
            "rotated the key of {} without the revoked device {}",
            space.name,
            device.short()
        ),
        Ok(false) => {}
        Err(e) => warn!(
            "could not rotate {} without the revoked device {}: {e}",
            space.name,
            device.short()
        ),
    }
}
