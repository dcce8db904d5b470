//! The app's lifecycle reaching the node: what `policy::lifecycle` says, carried out.

use std::time::Instant;

use tracing::info;

use super::Actor;
use crate::policy::lifecycle::{Action, Lifecycle};

impl Actor {
    pub(super) fn lifecycle(&mut self, ev: Lifecycle, now: Instant) {
        info!("lifecycle: {ev:?}");
        for action in self.lifecycle.on(ev, now) {
            match action {
                Action::SuspendNetwork => {
                    let _ = self.net.suspend();
                }
                Action::ResumeNetwork => {
                    let _ = self.net.resume();
                }
                Action::RedialAll => {
                    self.redial.reset();
                    self.redial(now);
                }
            }
        }
    }

    /// True while the app keeps the node in the background: no redials, lookups or re-syncs.
    pub(super) fn suspended(&self) -> bool {
        self.lifecycle.suspended()
    }
}
