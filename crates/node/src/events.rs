//! What a running node tells the processes it runs in (the app, `confab run`, tests): the
//! engine's own types; [`NodeEvent::views`] turns them into the shapes the UI receives.

use std::sync::Arc;

use confab_core::{AuthorKey, Live, SpaceId};
use confab_store::Inserted;
use confab_sync::{Progress, SyncStats};

use crate::view::{EventView, LiveView, Names, PeerView, RecordView, MAX_EVENT_RECORDS};

/// Something the node did that a UI or a log wants to know.
#[derive(Clone, Debug)]
pub enum NodeEvent {
    /// Listening on an address.
    Listening(String),
    /// A peer connected, or is now reached a better way.
    PeerConnected(PeerView),
    /// A peer's last connection closed.
    PeerDisconnected(String),
    /// A space's key was rotated (the owner removed someone), or this member was removed.
    Rotated {
        /// The space.
        space: SpaceId,
        /// Its new epoch.
        epoch: u32,
        /// False if this member was removed.
        member: bool,
    },
    /// Records were stored: written here, live from gossip, or by sync.
    Inserted {
        /// The records.
        records: Arc<Vec<Inserted>>,
        /// True if written on this machine.
        local: bool,
    },
    /// Progress of a sync session with a peer.
    SyncProgress {
        /// The peer.
        peer: String,
        /// Where it stands.
        progress: Progress,
    },
    /// A sync session with a peer over a space moved records.
    SyncDone {
        /// The peer.
        peer: String,
        /// The space.
        space: SpaceId,
        /// What moved.
        stats: SyncStats,
    },
    /// A member's pointer or stroke in progress on a board (never stored).
    Live {
        /// The board.
        space: SpaceId,
        /// Who.
        author: AuthorKey,
        /// What they are doing.
        live: Live,
    },
    /// This node's reachability, relay reservations or DHT state changed (ask for the status).
    NetworkChanged,
    /// A new device asks to be linked to this person's account with a ticket made here.
    LinkAsked {
        /// Its peer id.
        device: String,
        /// The code of the ticket it asked with.
        code: String,
    },
    /// A peer misbehaved and was dropped.
    PeerDropped {
        /// The peer.
        peer: String,
        /// Why.
        reason: String,
    },
    /// A file's download moved on.
    BlobProgress {
        /// The blob.
        blob: confab_blobs::BlobId,
        /// The space whose record names it.
        space: SpaceId,
        /// Bytes here, verified.
        have: u64,
        /// Its size.
        size: u64,
        /// Bytes that were here already when this download began (resumed).
        resumed: u64,
        /// Bytes fetched since it began.
        fetched: u64,
    },
    /// A file is here whole and verified.
    BlobHeld {
        /// The blob.
        blob: confab_blobs::BlobId,
        /// The space whose record names it.
        space: SpaceId,
        /// Who served it, and how many bytes each (empty if it was here already).
        sources: Vec<(String, u64)>,
    },
}

impl NodeEvent {
    /// Whether the event brings a profile (names shown elsewhere may change).
    pub fn changes_names(&self) -> bool {
        matches!(self, NodeEvent::Inserted { records, .. } if records.iter().any(|r| matches!(r.body, confab_core::Body::Profile(_))))
    }

    /// The event as the UI receives it, seen by `me` (one per space for record batches);
    /// `peers` gives the connected peers when the set changed.
    pub fn views(
        &self,
        me: &AuthorKey,
        names: &Names,
        peers: impl FnOnce() -> Vec<PeerView>,
    ) -> Vec<EventView> {
        match self {
            NodeEvent::Inserted { records, local } => {
                let mut by_space: Vec<(SpaceId, Vec<&Inserted>)> = Vec::new();
                for r in records.iter() {
                    match by_space.iter_mut().find(|(k, _)| *k == r.space) {
                        Some((_, v)) => v.push(r),
                        None => by_space.push((r.space, vec![r])),
                    }
                }
                by_space
                    .into_iter()
                    .map(|(space, rs)| {
                        let count = rs.len();
                        let skip = count.saturating_sub(MAX_EVENT_RECORDS);
                        EventView::Records {
                            space: space.to_string(),
                            local: *local,
                            records: rs[skip..].iter().map(|r| RecordView::of(r, me, names)).collect(),
                            count,
                        }
                    })
                    .collect()
            }
            NodeEvent::PeerConnected(_) | NodeEvent::PeerDisconnected(_) => {
                vec![EventView::Peers { peers: peers() }]
            }
            NodeEvent::SyncProgress { peer, progress } => vec![EventView::Sync {
                peer: peer.clone(),
                space: progress.space.to_string(),
                phase: progress.phase.as_str().to_string(),
                done: progress.done,
                total: progress.total,
            }],
            NodeEvent::SyncDone { .. } => vec![],
            NodeEvent::Listening(a) => vec![EventView::Listening { addr: a.clone() }],
            NodeEvent::Live { space, author, live } if live.typing => vec![EventView::Typing {
                space: space.to_string(),
                author: author.peer_id(),
                label: names.label(author),
            }],
            NodeEvent::Live { space, author, live } => vec![EventView::Live {
                space: space.to_string(),
                author: author.peer_id(),
                author_short: author.short(),
                live: LiveView::of(live),
            }],
            NodeEvent::Rotated { space, epoch, member } => vec![EventView::Rotated {
                space: space.to_string(),
                epoch: *epoch,
                member: *member,
            }],
            NodeEvent::NetworkChanged => vec![EventView::Network],
            NodeEvent::LinkAsked { device, code } => vec![EventView::LinkAsked {
                device: device.clone(),
                code: code.clone(),
            }],
            NodeEvent::PeerDropped { peer, reason } => vec![EventView::Dropped {
                peer: peer.clone(),
                reason: reason.clone(),
            }],
            NodeEvent::BlobProgress {
                blob,
                space,
                have,
                size,
                resumed,
                fetched,
            } => vec![EventView::FileProgress {
                space: space.to_string(),
                blob: blob.to_string(),
                have: *have,
                size: *size,
                resumed: *resumed,
                fetched: *fetched,
            }],
            NodeEvent::BlobHeld { blob, space, .. } => vec![EventView::FileHeld {
                space: space.to_string(),
                blob: blob.to_string(),
            }],
        }
    }
}
