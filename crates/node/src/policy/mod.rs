//! The node's policies as sans-IO state machines: each takes an input and the current time and
//! returns what to do, so each is tested at simulated time without sockets or sleeps. The
//! actor (`crate::actor`) owns one of each and carries out their answers.
//!
//! - [`flood`]: how many gossip records a peer may send into a space, and when to drop it;
//! - [`live`]: how many live frames an author may send on a board each second;
//! - [`redial`]: whom to dial and when, with back-off after failures;
//! - [`rendezvous`]: when to announce this node under a space's DHT key and when to look it up;
//! - [`schedule`]: the periodic re-sync and expiry purge;
//! - [`holders`]: when a peer holds everything a space had, and when to look again;
//! - [`sessions`]: one sync session per peer at a time, re-run once if asked meanwhile;
//! - [`link`]: the link tickets this device issued, who claimed them, what was approved;
//! - [`drafts`]: what each newsletter draft is now, and which scheduled issues are due;
//! - [`lifecycle`]: what the app's background, resume and network changes ask of the node;
//! - [`push`]: when a record gossip carried to nobody is pushed by sync instead.

pub mod drafts;
pub mod flood;
pub mod holders;
pub mod lifecycle;
pub mod link;
pub mod live;
pub mod push;
pub mod redial;
pub mod rendezvous;
pub mod schedule;
pub mod sessions;
