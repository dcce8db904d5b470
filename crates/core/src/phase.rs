//! What a sync session is doing, as progress reports and people name it.

use std::fmt;

/// The phase of a sync session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Finding the differences.
    Reconciling,
    /// Sending records the peer lacks.
    Sending,
    /// Receiving records this store lacks.
    Receiving,
    /// Finished.
    Done,
}

impl Phase {
    /// `reconciling`, `sending`, `receiving` or `done`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Reconciling => "reconciling",
            Phase::Sending => "sending",
            Phase::Receiving => "receiving",
            Phase::Done => "done",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
