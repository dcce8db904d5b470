//! Confab's store: signed records in SQLite, reconciled and replicated by peers.
//!
//! One thread owns the SQLite connection; [`Store`] is a cloneable handle that sends it jobs.
//! Every call returns a [`Pending`] that a thread can [`wait`](Pending::wait) on and async
//! code can `.await`. Records reach the store only as [`Verified`](confab_core::Verified)
//! values, and the writer checks each against its space's rules before storing it, so a
//! refused record is named in the report and nothing of it is stored.
//!
//! The process that holds the data dir's lock is the only writer. Every committed
//! transaction is published as a [`Change`] to the subscribers (the sync index, the node),
//! on the store thread, before the caller's reply is sent.
#![deny(missing_docs)]

mod board;
mod chat;
mod conversation;
mod db;
mod feed;
mod files;
mod maintenance;
mod people;
mod reconcile;
mod schema;
mod search;
mod views;

use std::collections::HashSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};

use confab_core::record::verify_all;
use confab_core::{
    AuthError, AuthorKey, Body, Hlc, RecordError, RecordId, RecordKind, Space, SpaceId, SyncKey, Verified,
};

pub use board::Picture;
pub use chat::{ChatMessage, Quote, Removal};
pub use db::Db;
pub use feed::{Change, Origin};
pub use files::StoredFile;
pub use people::{Member, Profile, Reading, UNREAD_CAP};
pub use schema::{migrations, MIN_SQLITE_VERSION, SCHEMA_VERSION};
pub use search::{Hit, SearchQuery};
pub use views::{NewsIssue, Page, Stroke};

/// File name of the database inside a data dir.
pub const DB_FILE: &str = "confab.sqlite";

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// The SQLite library is too old to trust with a WAL database.
    #[error("SQLite {found} is too old: Confab needs {MIN_SQLITE_VERSION} or newer")]
    OldSqlite {
        /// The version found.
        found: String,
    },
    /// A file-system error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// No space has this id or id prefix.
    #[error("no space matches {0:?} (see `confab space list`)")]
    UnknownSpace(String),
    /// Several spaces share this id prefix.
    #[error("{prefix:?} matches several spaces ({matches}); give more of the id")]
    AmbiguousSpace {
        /// What was asked for.
        prefix: String,
        /// The candidates.
        matches: String,
    },
    /// A record was refused.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Stored bytes no longer decode: the file was damaged outside Confab.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// The store's thread has stopped.
    #[error("the store has shut down")]
    Closed,
}

/// Why one record was not stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// Failed to decode, verify or pass a time check.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Broke its space's rules.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Names a space this store has not joined.
    #[error("record {0} belongs to a space this node has not joined")]
    UnknownSpace(RecordId),
    /// Sent by a peer that was not asked for it (wrong space or key).
    #[error("record {0} was not asked for")]
    Unrequested(RecordId),
}

/// A record that was stored by an insert.
#[derive(Clone, Debug)]
pub struct Inserted {
    /// Its id.
    pub id: RecordId,
    /// Its space.
    pub space: SpaceId,
    /// Its kind.
    pub kind: RecordKind,
    /// Its author (the device that signed it).
    pub author: AuthorKey,
    /// The person: its author's account.
    pub person: AuthorKey,
    /// Its timestamp.
    pub ts: Hlc,
    /// Its reconciliation key.
    pub key: SyncKey,
    /// Its decrypted body.
    pub body: Body,
    /// The records it refers to.
    pub refs: Vec<RecordId>,
    /// Its signed encoding (what is announced to peers).
    pub encoded: Vec<u8>,
}

impl Inserted {
    /// Describes a stored record and its decrypted body; the record's bytes move in.
    pub fn new(rec: confab_core::Record, body: Body) -> Self {
        Inserted {
            id: rec.id,
            space: rec.space,
            kind: rec.kind,
            author: rec.author,
            person: rec.person(),
            ts: rec.ts,
            key: rec.sync_key(),
            refs: rec.refs.clone(),
            body,
            encoded: rec.into_encoded(),
        }
    }
}

/// What an insert did with each record.
#[derive(Debug, Default)]
pub struct InsertReport {
    /// Newly stored, in input order (then any a rotation sealed again). Shared with the
    /// change feed, not copied.
    pub inserted: Arc<Vec<Inserted>>,
    /// Already present.
    pub duplicates: usize,
    /// Refused, with the reason.
    pub refused: Vec<(Option<RecordId>, Refusal)>,
    /// Spaces whose key was rotated by a record in this batch.
    pub rekeyed: Vec<SpaceId>,
    /// Records deleted because a rotation in this batch made them invalid.
    pub purged: usize,
    /// Keys of records deleted for everyone by this batch (kept in the sync set, never served).
    pub gone: Vec<(SpaceId, SyncKey)>,
}

/// A reply from the store thread: `.wait()` blocks, `.await` suspends.
#[must_use = "a store call does nothing visible until its reply is waited for"]
pub struct Pending<T>(oneshot::Receiver<Result<T, StoreError>>);

impl<T> Pending<T> {
    /// Blocks the current thread until the reply arrives.
    pub fn wait(self) -> Result<T, StoreError> {
        self.0.recv().unwrap_or(Err(StoreError::Closed))
    }

    /// Lets the call run without waiting for its reply: the job is queued already, and its
    /// result (or failure) is dropped. For writes nobody needs to wait on (a cache of peer
    /// addresses, a holder note).
    pub fn detach(self) {}
}

impl<T> Future for Pending<T> {
    type Output = Result<T, StoreError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(StoreError::Closed)))
    }
}

type Job = Box<dyn FnOnce(&mut Db) + Send>;

/// Handle to the store thread. Cheap to clone; the thread stops when the last handle drops.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

// The refusals are collected, not propagated with `?`: their size costs nothing here.
#[allow(clippy::result_large_err)]
/// Decodes and verifies encodings that must belong to `space` (if given) and, if given, have
/// one of the `wanted` keys: one result per encoding, in order. This is the only check of
/// bytes from outside; it is CPU-bound (spread over the cores for large batches), so callers
/// on an async runtime run it on a blocking thread.
pub fn check(
    encodings: Vec<Vec<u8>>,
    space: Option<SpaceId>,
    wanted: Option<&HashSet<SyncKey>>,
) -> Vec<Result<Verified, (Option<RecordId>, Refusal)>> {
    verify_all(encodings)
        .into_iter()
        .map(|r| match r {
            Ok(v)
                if space.is_some_and(|s| s != v.space)
                    || wanted.is_some_and(|w| !w.contains(&v.sync_key())) =>
            {
                Err((Some(v.id), Refusal::Unrequested(v.id)))
            }
            Ok(v) => Ok(v),
            Err(e) => {
                let id = match &e {
                    RecordError::BadSignature(id) | RecordError::Expired(id) => Some(*id),
                    RecordError::FromTheFuture { id, .. } => Some(*id),
                    _ => None,
                };
                Err((id, Refusal::Record(e)))
            }
        })
        .collect()
}

/// Splits [`check`]'s results into the records to store and the refusals.
pub fn split_checked(
    checked: Vec<Result<Verified, (Option<RecordId>, Refusal)>>,
) -> (Vec<Verified>, Vec<(Option<RecordId>, Refusal)>) {
    let mut ok = Vec::with_capacity(checked.len());
    let mut refused = Vec::new();
    for c in checked {
        match c {
            Ok(v) => ok.push(v),
            Err(r) => refused.push(r),
        }
    }
    (ok, refused)
}

impl Store {
    /// Opens (creating if needed) the database in `dir` and starts its thread.
    pub fn open_dir(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Self::open(&dir.join(DB_FILE))
    }

    /// Opens (creating if needed) the database file and starts its thread.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Db::open(path)?;
        Ok(Self::spawn(db))
    }

    /// A private in-memory store, for tests and benchmarks.
    pub fn in_memory() -> Result<Store, StoreError> {
        Ok(Self::spawn(Db::open_in_memory()?))
    }

    fn spawn(mut db: Db) -> Store {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("confab-store".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut db);
                }
            })
            .expect("spawning the store thread");
        Store { jobs: tx }
    }

    /// Runs `f` on the store thread.
    pub fn call<T, F>(&self, f: F) -> Pending<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Db) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |db| {
            let _ = tx.send(f(db));
        });
        // If the thread is gone the reply sender is dropped and the caller sees `Closed`.
        let _ = self.jobs.send(job);
        Pending(rx)
    }

    /// Calls `f` with every change committed from now on, on the store thread, before the
    /// reply to the call that made it is sent. `f` must be quick (update a cache, send on a
    /// channel); it must not call the store.
    pub fn subscribe(&self, f: impl Fn(&Arc<Change>) + Send + 'static) -> Pending<()> {
        self.call(move |db| {
            db.subscribe(Box::new(f));
            Ok(())
        })
    }

    /// Joins a space, or learns epochs a ticket carries that it lacked. True if it was new.
    pub fn add_space(&self, space: Space) -> Pending<bool> {
        self.call(move |db| db.add_space(&space))
    }

    /// All joined spaces, oldest joined first.
    pub fn spaces(&self) -> Pending<Vec<Space>> {
        self.call(|db| db.spaces())
    }

    /// The space with this id, if joined.
    pub fn space(&self, id: SpaceId) -> Pending<Option<Space>> {
        self.call(move |db| Ok(db.space(&id).cloned()))
    }

    /// The one space whose hex id starts with `prefix`.
    pub fn resolve_space(&self, prefix: &str) -> Pending<Space> {
        let prefix = prefix.to_string();
        self.call(move |db| db.resolve_space(&prefix))
    }

    /// Stores records whose signatures were checked (or that were signed here), one
    /// transaction for the batch; each is checked against its space's rules first.
    pub fn insert(&self, records: Vec<Verified>, origin: Origin) -> Pending<InsertReport> {
        self.call(move |db| db.insert(records, origin, confab_core::now_ms()))
    }

    /// [`check`] on the calling thread, then [`Store::insert`]: for tests and benchmarks. The
    /// node runs the same two steps with the check on a blocking thread.
    pub fn ingest(&self, encodings: Vec<Vec<u8>>, origin: Origin) -> Pending<InsertReport> {
        let (ok, refused) = split_checked(check(encodings, None, None));
        self.call(move |db| {
            let mut report = db.insert(ok, origin, confab_core::now_ms())?;
            report.refused.extend(refused);
            Ok(report)
        })
    }

    /// Gives the store this member's signing key, which opens the key boxes of rotations.
    pub fn set_me(&self, me: confab_core::Identity) -> Pending<()> {
        self.call(move |db| db.set_me(me))
    }

    /// The devices of a person this store has seen (not the account's own key).
    pub fn devices_of(&self, account: AuthorKey) -> Pending<Vec<AuthorKey>> {
        self.call(move |db| db.devices_of(&account))
    }

    /// The account of a device, if this store has seen its certificate.
    pub fn account_of(&self, device: AuthorKey) -> Pending<Option<AuthorKey>> {
        self.call(move |db| db.account_of(&device))
    }

    /// Keeps a certificate this device issued.
    pub fn add_device(&self, cert: confab_core::account::DeviceCert) -> Pending<()> {
        self.call(move |db| db.add_device(&cert))
    }

    /// A person's devices: (device, certificate issued ms, revoked from ms).
    pub fn device_list(&self, account: AuthorKey) -> Pending<Vec<(AuthorKey, u64, Option<u64>)>> {
        self.call(move |db| db.device_list(&account))
    }

    /// Ids of the records one device signed in a space.
    pub fn device_record_ids(&self, space: SpaceId, device: AuthorKey) -> Pending<Vec<RecordId>> {
        self.call(move |db| db.device_record_ids(&space, &device))
    }

    /// The members of a space as this store knows them.
    pub fn members(&self, space: SpaceId) -> Pending<Vec<Member>> {
        self.call(move |db| db.members(&space))
    }

    /// Ids of the records `author` wrote in `space`.
    pub fn author_record_ids(&self, space: SpaceId, author: AuthorKey) -> Pending<Vec<RecordId>> {
        self.call(move |db| db.author_record_ids(&space, &author))
    }

    /// The space a sync id names and the newest timestamp a peer asking by it may be served.
    pub fn sync_view(&self, sync_id: SpaceId) -> Pending<Option<(Space, Option<u64>)>> {
        self.call(move |db| Ok(db.sync_view(&sync_id)))
    }

    /// Mutes or unmutes a space's notifications; false if the space is not joined.
    pub fn set_muted(&self, space: SpaceId, muted: bool) -> Pending<bool> {
        self.call(move |db| db.set_muted(&space, muted))
    }

    /// Notes that `peer` holds every record of `space` this store had at `upto` (ms).
    pub fn add_holder(&self, space: SpaceId, peer: String, upto: u64) -> Pending<()> {
        self.call(move |db| db.add_holder(&space, &peer, upto))
    }

    /// Peers known to hold records of `space`, with the time up to which they hold all.
    pub fn holders(&self, space: SpaceId) -> Pending<Vec<(String, u64)>> {
        self.call(move |db| db.holders(&space))
    }

    /// Ids of the muted spaces.
    pub fn muted_spaces(&self) -> Pending<Vec<SpaceId>> {
        self.call(|db| db.muted_spaces())
    }

    /// Remembers addresses a peer can be reached at.
    pub fn add_peer_addrs(&self, peer: String, addrs: Vec<String>) -> Pending<()> {
        self.call(move |db| db.add_peer_addrs(&peer, &addrs, confab_core::now_ms()))
    }

    /// Remembered peers and their addresses.
    pub fn peer_addrs(&self) -> Pending<Vec<(String, Vec<String>)>> {
        self.call(|db| db.peer_addrs())
    }

    /// Chat messages of a space in (ts, id) order.
    pub fn chat_messages(&self, space: SpaceId) -> Pending<Vec<ChatMessage>> {
        self.call(move |db| db.chat_messages(&space, confab_core::now_ms()))
    }

    /// A page of a room's messages, oldest first (see [`Page`]).
    pub fn chat_page(&self, space: SpaceId, page: Page) -> Pending<Vec<ChatMessage>> {
        self.call(move |db| db.chat_page(&space, confab_core::now_ms(), page))
    }

    /// One message as shown now (held, or the place of a deleted one).
    pub fn chat_message(&self, space: SpaceId, id: RecordId) -> Pending<Option<ChatMessage>> {
        self.call(move |db| db.chat_message(&space, &id, confab_core::now_ms()))
    }

    /// The timestamp of a record of `space`, held or deleted for everyone.
    pub fn message_ts(&self, space: SpaceId, id: RecordId) -> Pending<Option<Hlc>> {
        self.call(move |db| db.message_ts(&space, &id))
    }

    /// The files of a space, oldest first.
    pub fn files(&self, space: SpaceId) -> Pending<Vec<StoredFile>> {
        self.call(move |db| db.files(&space))
    }

    /// The files in blobs whose id (hex) starts with `prefix`.
    pub fn files_by_blob(&self, prefix: String) -> Pending<Vec<StoredFile>> {
        self.call(move |db| db.files_by_blob(&prefix))
    }

    /// The sender's preview of the picture in a blob, if a held record has one.
    pub fn file_thumb(&self, blob: [u8; 32]) -> Pending<Option<Vec<u8>>> {
        self.call(move |db| db.file_thumb(&blob))
    }

    /// Every blob a held record names, with its size and a space that names it.
    pub fn named_blobs(&self) -> Pending<Vec<([u8; 32], u64, SpaceId)>> {
        self.call(|db| db.named_blobs())
    }

    /// Full-text search; `None` if the query has no words.
    pub fn search(&self, q: SearchQuery) -> Pending<Option<Vec<Hit>>> {
        self.call(move |db| db.search(&q))
    }

    /// Every known profile.
    pub fn profiles(&self) -> Pending<Vec<Profile>> {
        self.call(|db| db.profiles())
    }

    /// Notes that this member read `space` up to `ts`.
    pub fn mark_read(&self, space: SpaceId, ts: u64) -> Pending<()> {
        self.call(move |db| db.mark_read(&space, ts))
    }

    /// Unread messages and mentions of `me` in `space`.
    pub fn reading(&self, space: SpaceId, me: AuthorKey) -> Pending<Reading> {
        self.call(move |db| db.reading(&space, &me))
    }

    /// A page of a newsletter's issues, oldest first.
    pub fn news_page(&self, space: SpaceId, page: Page) -> Pending<Vec<NewsIssue>> {
        self.call(move |db| db.news_page(&space, confab_core::now_ms(), page))
    }

    /// Up to two records of `kind` in `space` whose id starts with the hex `prefix`, with
    /// their timestamps.
    pub fn ids_with_prefix(
        &self,
        space: SpaceId,
        kind: RecordKind,
        prefix: String,
    ) -> Pending<Vec<(Hlc, RecordId)>> {
        self.call(move |db| db.ids_with_prefix(&space, kind.code(), &prefix))
    }

    /// A board merged from its live records; with `as_of` (ms), as it was then.
    pub fn board(&self, space: SpaceId, as_of: Option<u64>) -> Pending<confab_core::Board> {
        self.call(move |db| db.board(&space, confab_core::now_ms(), as_of))
    }

    /// One board object (deleted or not) as it is now, if its record is here.
    pub fn board_object(&self, space: SpaceId, id: RecordId) -> Pending<Option<confab_core::Object>> {
        self.call(move |db| db.board_object(&space, confab_core::now_ms(), &id))
    }

    /// Strokes of a board (not deleted), back to front, where they are now.
    pub fn board_strokes(&self, space: SpaceId) -> Pending<Vec<Stroke>> {
        self.call(move |db| db.board_strokes(&space, confab_core::now_ms()))
    }

    /// Pictures of a board (not deleted), back to front, each where it is now.
    pub fn board_pictures(&self, space: SpaceId) -> Pending<Vec<Picture>> {
        self.call(move |db| db.board_pictures(&space, confab_core::now_ms()))
    }

    /// A newsletter's settings, oldest first, with their times.
    pub fn news_settings(&self, space: SpaceId) -> Pending<Vec<(Hlc, confab_core::reply::NewsSettingsBody)>> {
        self.call(move |db| db.news_settings(&space, confab_core::now_ms()))
    }

    /// Readers' replies to an issue, oldest first: id, person, device, time, body.
    #[allow(clippy::type_complexity)]
    pub fn news_replies(
        &self,
        space: SpaceId,
        issue: RecordId,
    ) -> Pending<Vec<(RecordId, AuthorKey, AuthorKey, Hlc, confab_core::reply::ReplyBody)>> {
        self.call(move |db| db.news_replies(&space, confab_core::now_ms(), &issue))
    }

    /// Every save of the newsletter drafts in a person's own space, oldest first.
    #[allow(clippy::type_complexity)]
    pub fn drafts(
        &self,
        personal: SpaceId,
    ) -> Pending<Vec<(RecordId, Hlc, Option<RecordId>, confab_core::draft::DraftBody)>> {
        self.call(move |db| db.drafts(&personal, confab_core::now_ms()))
    }

    /// Every version of an issue, oldest first: as published, then each correction.
    pub fn news_versions(&self, space: SpaceId, issue: RecordId) -> Pending<Vec<NewsIssue>> {
        self.call(move |db| db.news_versions(&space, confab_core::now_ms(), &issue))
    }

    /// Newsletter issues, oldest first.
    pub fn news_issues(&self, space: SpaceId) -> Pending<Vec<NewsIssue>> {
        self.call(move |db| db.news_issues(&space, confab_core::now_ms()))
    }

    /// The reconciliation keys of a space's live records, ascending.
    pub fn sync_keys(&self, space: SpaceId) -> Pending<Vec<SyncKey>> {
        self.call(move |db| db.sync_keys(&space, confab_core::now_ms()))
    }

    /// Encodings of the records with these keys, in the order asked, up to `max_bytes`
    /// (missing ones skipped), and how many keys were handled.
    pub fn records_by_keys(
        &self,
        space: SpaceId,
        keys: Vec<SyncKey>,
        max_bytes: usize,
    ) -> Pending<(Vec<Vec<u8>>, usize)> {
        self.records_by_keys_upto(space, keys, max_bytes, None)
    }

    /// [`Store::records_by_keys`], treating keys dated after `upto` as unknown.
    pub fn records_by_keys_upto(
        &self,
        space: SpaceId,
        keys: Vec<SyncKey>,
        max_bytes: usize,
        upto: Option<u64>,
    ) -> Pending<(Vec<Vec<u8>>, usize)> {
        self.call(move |db| db.records_by_keys_upto(&space, &keys, max_bytes, confab_core::now_ms(), upto))
    }

    /// Deletes expired records. Returns the spaces that lost records.
    pub fn purge_expired(&self) -> Pending<Vec<SpaceId>> {
        self.call(|db| db.purge_expired(confab_core::now_ms()))
    }

    /// The highest timestamp this store has seen, for the clock's floor.
    pub fn clock_floor(&self) -> Pending<u64> {
        self.call(|db| db.clock_floor())
    }

    /// Reads a setting.
    pub fn get_setting(&self, key: &str) -> Pending<Option<String>> {
        let key = key.to_string();
        self.call(move |db| db.get_setting(&key))
    }

    /// Writes a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Pending<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.call(move |db| db.set_setting(&key, &value))
    }

    /// Number of content records (messages, strokes, erases, issues, pictures and their moves;
    /// not member or rotation records) stored in a space, expired ones included until purged.
    pub fn count(&self, space: SpaceId) -> Pending<u64> {
        self.call(move |db| db.count(&space))
    }
}
