//! The unit Confab replicates: signed, encrypted, content-addressed records, the spaces they
//! live in, the tickets that invite people into a space, and the node identity that signs.
//!
//! Nothing here does I/O beyond reading and writing the identity file; the store, sync and
//! network crates build on these types.
#![deny(missing_docs)]

pub mod account;
pub mod archive;
pub mod backup;
mod batch;
pub mod board;
pub mod body;
pub mod color;
pub mod draft;
pub mod files;
pub mod hlc;
pub mod identity;
pub mod ids;
pub mod key;
pub mod keybox;
pub mod link;
pub mod live;
pub mod phase;
pub mod record;
pub mod rendezvous;
pub mod reply;
pub mod rotation;
pub mod rules;
pub mod shape;
pub mod space;
pub mod ticket;

pub use board::{Board, Content, Object, Stamp};
pub use body::{
    check_file_name, check_reaction, normalize_name, Body, ChatBody, DeleteBody, EditBody, EraseBody,
    FileRef, MemberBody, MoveBody, NewsBody, PictureBody, ProfileBody, ReactionBody, Rect, RekeyBody,
    StrokeBody, Thumb,
};
pub use color::Color;
pub use hlc::{Clock, Hlc};
pub use identity::{Identity, IdentityError, Signer};
pub use ids::{AuthorKey, RecordId, SpaceId, SyncKey};
pub use key::SpaceKey;
pub use live::{Live, LiveError, LiveStroke};
pub use phase::Phase;
#[doc(hidden)]
pub use record::resign_with_kind;
pub use record::{Record, RecordError, RecordKind, Verified};
pub use rendezvous::RendezvousKey;
pub use rotation::RotationPlan;
pub use shape::{ChangeBody, Prop, ShapeBody, ShapeKind};
pub use space::{AuthError, Role, Space, SpaceKind};
pub use ticket::{Ticket, TicketError};

/// Milliseconds since the Unix epoch by the local wall clock.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
