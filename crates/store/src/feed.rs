//! The change feed: what each committed transaction changed, told to every subscriber on the
//! store thread right after the commit (and before the caller's reply), so a subscriber that
//! keeps a cache (the sync index) is current by the time the caller goes on.

use std::sync::Arc;

use confab_core::{Space, SpaceId, SyncKey};

use crate::Inserted;

/// Where a batch of records came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Written on this machine (the app, the CLI, a script).
    Local,
    /// Live from a peer, by gossip.
    Gossip,
    /// From a peer by sync, fetched by this node.
    Sync,
    /// From a peer by sync, pushed to this node in a session the peer started (it writes
    /// there, or just joined, and gossip did not carry it).
    Pushed,
}

impl Origin {
    /// True for records written here.
    pub fn is_local(self) -> bool {
        self == Origin::Local
    }
}

/// What one committed transaction changed.
#[derive(Clone, Debug)]
pub enum Change {
    /// Records were stored. A rotation among them may have deleted records that its rules no
    /// longer accept, and sealed this member's own among them again (those are in `inserted`).
    Stored {
        /// Where the batch came from.
        origin: Origin,
        /// Newly stored records, in input order, then any sealed again after a rotation.
        inserted: Arc<Vec<Inserted>>,
        /// Spaces whose key a record of the batch rotated, as they are now.
        rotated: Vec<Space>,
        /// How many records a rotation deleted.
        deleted: usize,
        /// Keys of records deleted for everyone (their keys stay in the sync set).
        gone: Vec<(SpaceId, SyncKey)>,
    },
    /// Expired records were deleted from these spaces.
    Expired(Vec<SpaceId>),
    /// A space was created or joined, or a ticket brought epochs of it that were not known.
    Joined(Space),
    /// A space was muted or unmuted.
    Muted {
        /// The space.
        space: SpaceId,
        /// Muted now.
        muted: bool,
    },
}

/// A subscriber's callback.
pub(crate) type Subscriber = Box<dyn Fn(&Arc<Change>) + Send>;

/// The subscribers of one store.
#[derive(Default)]
pub(crate) struct Feed(Vec<Subscriber>);

impl Feed {
    pub(crate) fn add(&mut self, f: Subscriber) {
        self.0.push(f);
    }

    /// Tells every subscriber of a committed change.
    pub(crate) fn publish(&self, change: Change) {
        if self.0.is_empty() {
            return;
        }
        let c = Arc::new(change);
        for f in &self.0 {
            f(&c);
        }
    }
}
