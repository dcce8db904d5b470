//! What the actor does with records that speak for people rather than spaces: another device
//! of this person joined a space, muted or read one, or renamed them; an account revoked one of
//! its devices in a space this person owns.

use confab_core::{Body, SpaceKind};
use confab_store::Inserted;

use super::Actor;

impl Actor {
    /// Records stored from peers (not written here).
    pub(super) fn written_elsewhere(&mut self, inserted: &[Inserted]) {
        let me = self.engine.me();
        let device = self.engine.device();
        for r in inserted {
            let Some(s) = self.spaces.get(&r.space) else {
                continue;
            };
            let personal = s.kind == SpaceKind::Personal && s.owner == me;
            let from_my_other_device = r.person == me && r.author != device;
            match &r.body {
                Body::Joined(_) if personal && from_my_other_device => {
                    tokio::spawn(crate::personal::from_other_device(
                        self.engine.clone(),
                        r.body.clone(),
                        r.ts.0,
                    ));
                }
                Body::Profile(_) if from_my_other_device => {
                    tokio::spawn(crate::personal::from_other_device(
                        self.engine.clone(),
                        r.body.clone(),
                        r.ts.0,
                    ));
                }
                // The owner's node that holds their account secret rotates the space without
                // the revoked device.
                Body::Revoke(rev) if s.owner == me => {
                    tokio::spawn(crate::devices::on_revocation(
                        self.engine.clone(),
                        s.clone(),
                        rev.device,
                    ));
                }
                _ => {}
            }
        }
    }
}
