//! What the app's lifecycle asks of the node. A phone puts the app in the background (the
//! system takes its sockets and may freeze it), brings it back, or moves it to another
//! network; a desktop can say the same (sleep, resume, a new Wi-Fi). While suspended the node
//! neither dials nor looks anyone up; on resume, and on a network change while running, it
//! listens again and dials every known peer at once (back-off forgotten), and the first
//! session with each catches up what was missed.

use std::time::Instant;

use serde::{Deserialize, Serialize};

/// A lifecycle event from the app (or `confab node lifecycle`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lifecycle {
    /// The app went to the background: let go of the network.
    Suspended,
    /// The app is in the foreground again.
    Resumed,
    /// The device's network changed (another Wi-Fi, mobile data, back online).
    NetworkChanged,
}

impl std::str::FromStr for Lifecycle {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "suspended" => Ok(Self::Suspended),
            "resumed" => Ok(Self::Resumed),
            "network-changed" => Ok(Self::NetworkChanged),
            other => Err(format!(
                "{other:?} is not a lifecycle event (suspended, resumed or network-changed)"
            )),
        }
    }
}

/// What to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Close listeners and connections; no dials.
    SuspendNetwork,
    /// Listen again where nothing listens, reserve relays, rejoin the DHT.
    ResumeNetwork,
    /// Forget every back-off and dial every known peer now.
    RedialAll,
}

/// Whether the node is suspended, and since when.
#[derive(Debug, Default)]
pub struct State {
    suspended_at: Option<Instant>,
}

impl State {
    /// The event `ev` arrived at `now`.
    pub fn on(&mut self, ev: Lifecycle, now: Instant) -> Vec<Action> {
        match (ev, self.suspended_at) {
            (Lifecycle::Suspended, Some(_)) => vec![],
            (Lifecycle::Suspended, None) => {
                self.suspended_at = Some(now);
                vec![Action::SuspendNetwork]
            }
            // Another network while in the background: the resume will listen and dial anyway.
            (Lifecycle::NetworkChanged, Some(_)) => vec![],
            // A resume never told of a suspend (the system took the sockets without a word) is
            // handled as one: whatever closed is opened again, everyone is dialled.
            (Lifecycle::Resumed | Lifecycle::NetworkChanged, _) => {
                self.suspended_at = None;
                vec![Action::ResumeNetwork, Action::RedialAll]
            }
        }
    }

    /// True while suspended: redials, lookups and re-syncs are not due.
    pub fn suspended(&self) -> bool {
        self.suspended_at.is_some()
    }

    /// Since when, if suspended.
    pub fn suspended_since(&self) -> Option<Instant> {
        self.suspended_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspend_resume_and_network_changes() {
        let t = Instant::now();
        let mut s = State::default();
        assert!(!s.suspended());
        assert_eq!(s.on(Lifecycle::Suspended, t), [Action::SuspendNetwork]);
        assert!(s.suspended());
        assert_eq!(s.suspended_since(), Some(t));
        // Told twice, or of a new network while away: nothing more.
        assert!(s.on(Lifecycle::Suspended, t).is_empty());
        assert!(s.on(Lifecycle::NetworkChanged, t).is_empty());
        assert!(s.suspended());
        assert_eq!(
            s.on(Lifecycle::Resumed, t),
            [Action::ResumeNetwork, Action::RedialAll]
        );
        assert!(!s.suspended());
        // Running: a new network, or a resume with no suspend before it, listens and dials.
        assert_eq!(
            s.on(Lifecycle::NetworkChanged, t),
            [Action::ResumeNetwork, Action::RedialAll]
        );
        assert_eq!(
            s.on(Lifecycle::Resumed, t),
            [Action::ResumeNetwork, Action::RedialAll]
        );
    }

    #[test]
    fn events_by_name() {
        for (name, ev) in [
            ("suspended", Lifecycle::Suspended),
            ("resumed", Lifecycle::Resumed),
            ("network-changed", Lifecycle::NetworkChanged),
        ] {
            assert_eq!(name.parse::<Lifecycle>(), Ok(ev));
            assert_eq!(serde_json::to_value(ev).unwrap(), name);
        }
        let e = "paused".parse::<Lifecycle>().unwrap_err();
        assert!(e.contains("\"paused\"") && e.contains("network-changed"), "{e}");
    }
}
