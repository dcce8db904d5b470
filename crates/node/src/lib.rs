//! The node facade: one data dir's identity, store, clock and sync engine, and the actions a
//! person takes (create or join a space, write a message, a stroke, an issue). The `confab`
//! command and the app both drive Confab through this crate.
#![deny(missing_docs)]

pub mod config;
mod node;

pub use config::{FloodLimits, NodeConfig, SavedSettings, SETTINGS_FILE};
pub use node::{
    node_running, read_peers, Node, NodeEvent, PeerStatus, LIVE_PER_SECOND, LOCK_FILE, PEERS_FILE,
};

use std::path::{Path, PathBuf};

use confab_core::record::RecordError;
use confab_core::{
    AuthorKey, Body, Clock, Identity, IdentityError, MemberBody, RecordId, Space, SpaceKind, Ticket,
    TicketError,
};
use confab_store::{Member, Store, StoreError};
use confab_sync::Syncer;

/// Environment variable naming the data dir.
pub const DATA_DIR_ENV: &str = "CONFAB_DATA_DIR";
/// Setting that holds this node's reachable addresses (JSON list), written by a running node.
pub const SELF_ADDRS_SETTING: &str = "self_addrs";

/// Why a node action failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The identity could not be loaded.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ticket is bad.
    #[error(transparent)]
    Ticket(#[from] TicketError),
    /// A record could not be made.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The input is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// No default data dir on this platform.
    #[error("no home directory to keep data in; pass --data DIR or set {DATA_DIR_ENV}")]
    NoDataDir,
}

/// The platform's default data dir (`~/.local/share/confab` on Linux).
pub fn default_data_dir() -> Result<PathBuf, NodeError> {
    directories::ProjectDirs::from("org", "Confab", "confab")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or(NodeError::NoDataDir)
}

/// An open data dir.
#[derive(Clone, Debug)]
pub struct Local {
    dir: PathBuf,
    identity: Identity,
    syncer: Syncer,
    clock: std::sync::Arc<Clock>,
    outbox: bool,
}

impl Local {
    /// Opens a data dir, creating the identity and database on first use.
    pub async fn open(dir: &Path) -> Result<Local, NodeError> {
        create_private_dir(dir)?;
        let identity = Identity::load_or_create(dir)?;
        let store = Store::open_dir(dir)?;
        store.set_me(identity.signing_key().clone()).await?;
        let floor = store.clock_floor().await?;
        Ok(Local {
            dir: dir.to_path_buf(),
            identity,
            syncer: Syncer::new(store),
            clock: std::sync::Arc::new(Clock::with_floor(floor)),
            outbox: true,
        })
    }

    /// The data dir.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// This node's identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The store.
    pub fn store(&self) -> &Store {
        self.syncer.store()
    }

    /// The sync engine.
    pub fn syncer(&self) -> &Syncer {
        &self.syncer
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Addresses a running node last reported for this identity.
    pub async fn self_addrs(&self) -> Result<Vec<String>, NodeError> {
        Ok(match self.store().get_setting(SELF_ADDRS_SETTING).await? {
            Some(json) => serde_json::from_str(&json).unwrap_or_default(),
            None => Vec::new(),
        })
    }

    /// A ticket for a joined space, carrying this node's known addresses.
    pub async fn ticket(&self, space: &Space) -> Result<String, NodeError> {
        let space = &self.fresh(space).await?;
        let addrs = self.self_addrs().await?;
        Ok(Ticket::encode(space, &addrs, self.identity.signing_key()))
    }

    /// Creates a space owned by this node and returns it with its ticket.
    pub async fn create_space(&self, kind: SpaceKind, name: &str) -> Result<(Space, String), NodeError> {
        let space = Space::create(kind, name, self.identity.author()).map_err(NodeError::Invalid)?;
        self.store().add_space(space.clone()).await?;
        let ticket = self.ticket(&space).await?;
        Ok((space, ticket))
    }

    /// Joins the space a ticket invites into. Returns the space and the addresses it carried.
    /// A new member announces itself with a member record, so that the owner gives it the new
    /// key if the key is ever rotated.
    pub async fn join(&self, ticket: &str) -> Result<Ticket, NodeError> {
        let t = Ticket::parse(ticket)?;
        let new = self.store().add_space(t.space.clone()).await?;
        if new && t.space.owner != self.identity.author() {
            self.write(&t.space, Body::Member(MemberBody {}), vec![], None)
                .await?;
        }
        Ok(t)
    }

    /// The space as the store has it now, ready to write in: refused if this member was
    /// removed, and the clock moved past the newest rotation so that what is written now is
    /// dated in the current epoch (under its key).
    async fn writable(&self, space: &Space) -> Result<Space, NodeError> {
        let s = self.fresh(space).await?;
        if let Some(e) = s.epochs.last() {
            self.clock.observe(confab_core::Hlc(e.since));
        }
        Ok(s)
    }

    /// The space as the store knows it now (its key may have been rotated since `space` was
    /// read). Refused if this member was removed from it.
    async fn fresh(&self, space: &Space) -> Result<Space, NodeError> {
        let s = self
            .store()
            .space(space.id)
            .await?
            .unwrap_or_else(|| space.clone());
        if !s.is_current_member() {
            return Err(NodeError::Invalid(format!(
                "you were removed from {:?}: its owner rotated the key and did not give it to you",
                s.name
            )));
        }
        Ok(s)
    }

    /// The members of a space: owner, members, and who was removed.
    pub async fn members(&self, space: &Space) -> Result<Vec<Member>, NodeError> {
        Ok(self.store().members(space.id).await?)
    }

    /// Removes a member from a space this identity owns: writes a rotation record that seals
    /// a new key to every other member the store knows of (anyone who joined or wrote), and
    /// marks `peer` removed. Records dated after it must use the new key; peers refuse the
    /// removed member's later records and stop serving it. Returns the rotation record and
    /// the space as it now is.
    pub async fn remove_member(
        &self,
        space: &Space,
        peer: &str,
    ) -> Result<(confab_core::Record, Space), NodeError> {
        let space = self.fresh(space).await?;
        let me = self.identity.author();
        if space.owner != me {
            return Err(NodeError::Invalid(format!(
                "only the owner of {:?} ({}) can remove members",
                space.name,
                space.owner.peer_id()
            )));
        }
        let target = AuthorKey::from_peer_id(peer.trim())
            .ok_or_else(|| NodeError::Invalid(format!("{peer:?} is not a peer id")))?;
        if target == me {
            return Err(NodeError::Invalid("the owner cannot remove itself".into()));
        }
        let members = self.members(&space).await?;
        match members.iter().find(|m| m.author == target) {
            None => {
                return Err(NodeError::Invalid(format!(
                    "{} is not a member of {:?} (see `confab space members`)",
                    peer.trim(),
                    space.name
                )))
            }
            Some(m) if m.role == "removed" => {
                return Err(NodeError::Invalid(format!(
                    "{} was already removed from {:?}",
                    peer.trim(),
                    space.name
                )))
            }
            Some(_) => {}
        }
        let remaining: Vec<AuthorKey> = members
            .iter()
            .filter(|m| m.role != "removed" && m.author != target)
            .map(|m| m.author)
            .collect();
        // The removed member's records held here are listed as kept: nothing else of theirs,
        // backdated or not, is accepted afterwards.
        let kept = self.store().author_record_ids(space.id, target).await?;
        let (body, _key) = space
            .make_rekey(&[target], &remaining, &kept)
            .map_err(NodeError::Invalid)?;
        let rec = self.write_record(&space, Body::Rekey(body), vec![], None).await?;
        let updated = self.fresh(&space).await?;
        Ok((rec, updated))
    }

    /// The joined space with this id or unique id prefix.
    pub async fn space(&self, id_or_prefix: &str) -> Result<Space, NodeError> {
        Ok(self.store().resolve_space(id_or_prefix).await?)
    }

    /// The same data dir, for the running node: its writes are announced directly rather than
    /// queued in the outbox for a node in another process.
    pub(crate) fn for_node(&self) -> Local {
        Local {
            outbox: false,
            // Its own engine, so the node's observer sees exactly what this node stores.
            syncer: Syncer::new(self.syncer.store().clone()),
            ..self.clone()
        }
    }

    /// Signs, encrypts and stores a new record in a space; a refusal is an error naming why.
    pub async fn write(
        &self,
        space: &Space,
        body: Body,
        refs: Vec<RecordId>,
        expires: Option<u64>,
    ) -> Result<RecordId, NodeError> {
        Ok(self.write_record(space, body, refs, expires).await?.id)
    }

    /// Like [`Local::write`], returning the stored record.
    pub async fn write_record(
        &self,
        space: &Space,
        body: Body,
        refs: Vec<RecordId>,
        expires: Option<u64>,
    ) -> Result<confab_core::Record, NodeError> {
        self.check_body(space, &body)?;
        let space = &self.writable(space).await?;
        let rec = space.seal_verified(
            self.identity.signing_key(),
            &body,
            self.clock.now(),
            expires,
            refs,
        )?;
        let report = self.syncer.insert_local(vec![rec.clone()], self.outbox).await?;
        if let Some((_, why)) = report.refused.into_iter().next() {
            return Err(NodeError::Store(StoreError::Refused(why)));
        }
        Ok(rec.into_inner())
    }

    fn check_body(&self, space: &Space, body: &Body) -> Result<(), NodeError> {
        body.validate().map_err(|e| NodeError::Invalid(e.to_string()))?;
        if !space.kind.accepts(body.kind()) {
            return Err(NodeError::Invalid(format!(
                "a {} space does not take {:?} records",
                space.kind,
                body.kind()
            )));
        }
        Ok(())
    }

    /// Writes many records in one transaction (scripting and load tests). Large batches are
    /// not queued for live announcement: peers get them by sync.
    pub async fn write_many(&self, space: &Space, bodies: Vec<Body>) -> Result<Vec<RecordId>, NodeError> {
        Ok(self
            .write_batch(space, bodies)
            .await?
            .iter()
            .map(|r| r.id)
            .collect())
    }

    /// Like [`Local::write_many`], returning the stored records.
    pub async fn write_batch(
        &self,
        space: &Space,
        bodies: Vec<Body>,
    ) -> Result<Vec<confab_core::Record>, NodeError> {
        let space = &self.writable(space).await?;
        let mut recs = Vec::with_capacity(bodies.len());
        let mut verified = Vec::with_capacity(bodies.len());
        for body in bodies {
            self.check_body(space, &body)?;
            let rec =
                space.seal_verified(self.identity.signing_key(), &body, self.clock.now(), None, vec![])?;
            recs.push(rec.clone().into_inner());
            verified.push(rec);
        }
        let n = recs.len();
        let report = self
            .syncer
            .insert_local(verified, self.outbox && n <= 1000)
            .await?;
        if let Some((_, why)) = report.refused.into_iter().next() {
            return Err(NodeError::Store(StoreError::Refused(why)));
        }
        Ok(recs)
    }
}

/// Creates the data dir readable by its owner only: it holds space keys and the identity.
fn create_private_dir(dir: &Path) -> Result<(), NodeError> {
    if dir.exists() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|source| {
        NodeError::Store(StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })
    })
}

/// The log filter used when `RUST_LOG` is not set.
pub const DEFAULT_LOG_FILTER: &str = "info,libp2p_gossipsub=warn,libp2p_mdns=warn,libp2p_swarm=warn";

/// Logs to stderr (coloured on a terminal), filtered by `RUST_LOG` or [`DEFAULT_LOG_FILTER`]:
/// the same for the `confab` binary and the app.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
