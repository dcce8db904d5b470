//! The open data dir: identity, store, sync engine and clock, and the actions on them that need
//! no network (creating and joining spaces, writing records, removing members). Crate-private:
//! the app and the CLI reach it only through [`crate::Client`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use confab_core::{
    AuthorKey, Body, Clock, Hlc, Identity, MemberBody, ProfileBody, RecordId, Role, Space, SpaceKind, Ticket,
};
use confab_store::{Origin, Store};
use confab_sync::ingest::off_executor;
use confab_sync::Syncer;

use crate::NodeError;

/// Setting that holds this node's reachable addresses (JSON list), written by a running node
/// and carried by the tickets it makes.
pub(crate) const SELF_ADDRS_SETTING: &str = "self_addrs";
/// Store setting: the DHT bootstrap list the node last ran with, when given explicitly (a
/// group's own network), for the tickets it makes.
pub(crate) const BOOTSTRAP_SETTING: &str = "bootstrap";
/// Store setting: bootstrap peers learnt from tickets joined (a group's own network).
pub(crate) const TICKET_BOOTSTRAP_SETTING: &str = "ticket_bootstrap";
/// This person's name and colour (JSON `[name, "#rrggbb"]`), written to each space joined.
pub(crate) const PROFILE_SETTING: &str = "profile";

/// An open data dir.
#[derive(Clone, Debug)]
pub(crate) struct Engine {
    dir: PathBuf,
    blobs: confab_blobs::BlobStore,
    identity: Identity,
    syncer: Syncer,
    clock: Arc<Clock>,
    /// When this device last told its person's other devices how far it read in each space.
    pub(crate) read_notes: Arc<std::sync::Mutex<crate::personal::ReadNotes>>,
}

/// A record to write: its body and the records it refers to.
pub(crate) type Draft = (Body, Vec<RecordId>);

impl Engine {
    /// Opens a data dir, creating the identity and database on first use.
    pub async fn open(dir: &Path) -> Result<Engine, NodeError> {
        create_private_dir(dir)?;
        let identity = Identity::load_or_create(dir)?;
        let store = Store::open_dir(dir)?;
        store.set_me(identity.clone()).await?;
        let floor = store.clock_floor().await?;
        let blobs = confab_blobs::BlobStore::open(&dir.join("blobs"))?;
        let engine = Engine {
            dir: dir.to_path_buf(),
            blobs,
            identity,
            syncer: Syncer::new(store),
            clock: Arc::new(Clock::with_floor(floor)),
            read_notes: Arc::default(),
        };
        engine.ensure_personal().await?;
        Ok(engine)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The blob files of this data dir.
    pub fn blobs(&self) -> &confab_blobs::BlobStore {
        &self.blobs
    }

    /// The file limits saved in this data dir's settings (the defaults if none).
    pub fn file_limits(&self) -> Result<crate::config::FileLimits, NodeError> {
        Ok(crate::config::NodeConfig::load(&self.dir)?.files)
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// This person: the account, which owns what they create and names them in views.
    pub fn me(&self) -> AuthorKey {
        self.identity.account()
    }

    /// This device: its key signs records, and it is this node's peer id.
    pub fn device(&self) -> AuthorKey {
        self.identity.author()
    }

    pub fn store(&self) -> &Store {
        self.syncer.store()
    }

    pub fn syncer(&self) -> &Syncer {
        &self.syncer
    }

    /// The joined space with this id or unique id prefix.
    pub async fn space(&self, id_or_prefix: &str) -> Result<Space, NodeError> {
        Ok(self.store().resolve_space(id_or_prefix.trim()).await?)
    }

    /// Addresses a running node last reported for this identity.
    pub async fn self_addrs(&self) -> Result<Vec<String>, NodeError> {
        Ok(match self.store().get_setting(SELF_ADDRS_SETTING).await? {
            Some(json) => serde_json::from_str(&json).unwrap_or_default(),
            None => Vec::new(),
        })
    }

    /// A list of strings kept as JSON in a store setting (empty if unset or unreadable).
    pub(crate) async fn list_setting(&self, key: &str) -> Result<Vec<String>, NodeError> {
        Ok(match self.store().get_setting(key).await? {
            Some(json) => serde_json::from_str(&json).unwrap_or_default(),
            None => Vec::new(),
        })
    }

    /// A ticket for a joined space, carrying this node's known addresses and, when the node
    /// runs on its group's own DHT bootstrap nodes, their list.
    pub async fn ticket(&self, space: &Space) -> Result<String, NodeError> {
        if space.kind == SpaceKind::Personal {
            return Err(NodeError::Refused(
                "a person's own space has no ticket: link a device to share it (`confab device link-ticket`)"
                    .into(),
            ));
        }
        let space = &self.current(space).await?;
        let addrs = self.self_addrs().await?;
        let bootstrap = self.list_setting(BOOTSTRAP_SETTING).await?;
        Ok(Ticket::encode_with(
            space,
            &addrs,
            &bootstrap,
            self.identity.signing_key(),
        ))
    }

    /// Creates a space owned by this identity and returns it with its ticket.
    pub async fn create_space(&self, kind: SpaceKind, name: &str) -> Result<(Space, String), NodeError> {
        if kind == SpaceKind::Personal {
            return Err(NodeError::Invalid(
                "a person's own space is made with their account, not by hand".into(),
            ));
        }
        let space = Space::create(kind, name, self.me()).map_err(NodeError::Invalid)?;
        self.store().add_space(space.clone()).await?;
        if let Some(p) = self.profile().await? {
            self.write(&space, vec![(Body::Profile(p), vec![])]).await?;
        }
        self.note_joined(&space).await?;
        let ticket = self.ticket(&space).await?;
        Ok((space, ticket))
    }

    /// Joins the space a ticket invites into. A new member announces itself with a join
    /// record, so that the owner gives it the new key if the key is ever rotated.
    pub async fn join(&self, ticket: &str) -> Result<Ticket, NodeError> {
        let t = Ticket::parse(ticket)?;
        let new = self.store().add_space(t.space.clone()).await?;
        if new && t.space.owner != self.me() {
            let mut drafts = vec![(Body::Member(MemberBody {}), vec![])];
            if let Some(p) = self.profile().await? {
                drafts.push((Body::Profile(p), vec![]));
            }
            self.write(&t.space, drafts).await?;
        }
        if new {
            self.note_joined(&t.space).await?;
        }
        if t.inviter != self.device() && !t.addrs.is_empty() {
            self.store()
                .add_peer_addrs(t.inviter.peer_id(), t.addrs.clone())
                .await?;
        }
        if !t.bootstrap.is_empty() {
            let mut known = self.list_setting(TICKET_BOOTSTRAP_SETTING).await?;
            for a in &t.bootstrap {
                if !known.contains(a) {
                    known.insert(0, a.clone());
                }
            }
            known.truncate(confab_core::ticket::MAX_TICKET_ADDRS);
            let json = serde_json::to_string(&known).expect("strings serialise");
            self.store().set_setting(TICKET_BOOTSTRAP_SETTING, &json).await?;
        }
        Ok(t)
    }

    /// A fresh timestamp from this node's clock.
    pub fn now(&self) -> Hlc {
        self.clock.now()
    }

    /// This person's profile as last set here, if any.
    pub async fn profile(&self) -> Result<Option<ProfileBody>, NodeError> {
        let Some(json) = self.store().get_setting(PROFILE_SETTING).await? else {
            return Ok(None);
        };
        /// As saved: name and colour, and since pictures the picture too.
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Saved {
            Picture(String, String, Option<confab_core::FileRef>),
            Plain(String, String),
        }
        let (name, color, picture) = match serde_json::from_str(&json)
            .map_err(|e| NodeError::Invalid(format!("the saved profile is unreadable: {e}")))?
        {
            Saved::Picture(n, c, p) => (n, c, p),
            Saved::Plain(n, c) => (n, c, None),
        };
        let color = color
            .parse()
            .map_err(|e: confab_core::color::ColorError| NodeError::Invalid(e.to_string()))?;
        Ok(Some(ProfileBody { name, color, picture }))
    }

    /// Sets this person's name and colour and writes a profile record into every space they
    /// are a member of (newest wins everywhere).
    pub async fn set_profile(&self, p: ProfileBody) -> Result<(), NodeError> {
        self.save_profile(&p).await?;
        for s in self.store().spaces().await? {
            if s.is_current_member() {
                self.write(&s, vec![(Body::Profile(p.clone()), vec![])]).await?;
            }
        }
        Ok(())
    }

    /// Keeps this person's profile as this device's own (for the spaces it joins).
    pub(crate) async fn save_profile(&self, p: &ProfileBody) -> Result<(), NodeError> {
        let json =
            serde_json::to_string(&(&p.name, p.color.to_string(), &p.picture)).expect("a profile serialises");
        self.store().set_setting(PROFILE_SETTING, &json).await?;
        Ok(())
    }

    /// The space as the store knows it now (its key may have been rotated since `space` was
    /// read). Refused if this member was removed from it.
    pub async fn current(&self, space: &Space) -> Result<Space, NodeError> {
        let s = self
            .store()
            .space(space.id)
            .await?
            .unwrap_or_else(|| space.clone());
        if !s.is_current_member() {
            return Err(NodeError::Removed { space: s.name });
        }
        Ok(s)
    }

    /// Signs, encrypts and stores records in one transaction; the store checks each against
    /// the space's rules like any other, and a refusal is an error naming why. The store's
    /// change feed tells the running node, which announces them. Sealing runs off the async
    /// executor.
    pub async fn write(&self, space: &Space, drafts: Vec<Draft>) -> Result<Vec<RecordId>, NodeError> {
        for (body, _) in &drafts {
            check_body(space, body)?;
        }
        let space = self.current(space).await?;
        // What is written now is dated in the current epoch, under its key.
        if let Some(e) = space.epochs.last() {
            self.clock.observe(Hlc(e.since));
        }
        let stamped: Vec<(Body, Vec<RecordId>, Hlc)> = drafts
            .into_iter()
            .map(|(body, refs)| (body, refs, self.clock.now()))
            .collect();
        let me = self.identity.clone();
        let sealed = off_executor(move || {
            stamped
                .into_iter()
                .map(|(body, refs, ts)| space.seal_verified(&me, &body, ts, None, refs))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
        let ids: Vec<RecordId> = sealed.iter().map(|v| v.id).collect();
        let report = self.store().insert(sealed, Origin::Local).await?;
        if let Some((_, why)) = report.refused.into_iter().next() {
            return Err(NodeError::Refused(why.to_string()));
        }
        Ok(ids)
    }

    /// Removes a member from a space this identity owns: writes a rotation record that seals
    /// a new key to every other member the store knows of (anyone who joined or wrote), and
    /// marks `peer` removed. Records dated after it must use the new key; peers refuse the
    /// removed member's later records and stop serving it. Returns the rotation record's id
    /// and the space as it now is.
    pub async fn remove_member(&self, space: &Space, peer: &str) -> Result<(RecordId, Space), NodeError> {
        let space = self.current(space).await?;
        let me = self.me();
        if space.owner != me {
            return Err(NodeError::Refused(format!(
                "only the owner of {:?} ({}) can remove members",
                space.name,
                space.owner.peer_id()
            )));
        }
        let peer = peer.trim();
        let named = AuthorKey::from_peer_id(peer)
            .ok_or_else(|| NodeError::Invalid(format!("{peer:?} is not a peer id")))?;
        // A person is removed with all their devices, whichever of their ids is named.
        let target = self.store().account_of(named).await?.unwrap_or(named);
        if target == me {
            return Err(NodeError::Refused("the owner cannot remove itself".into()));
        }
        let members = self.store().members(space.id).await?;
        match members.iter().find(|m| m.author == target) {
            None => {
                return Err(NodeError::NotFound(format!(
                    "{peer} is not a member of {:?} (see `confab space members`)",
                    space.name
                )))
            }
            Some(m) if m.role == Role::Removed => {
                return Err(NodeError::Refused(format!(
                    "{peer} was already removed from {:?}",
                    space.name
                )))
            }
            Some(_) => {}
        }
        // The removal names the person and every device of theirs seen here, so that peers
        // that know a device but not its certificate refuse it too.
        let mut removed = vec![target];
        removed.extend(self.store().devices_of(target).await?);
        // The removed member's records held here are listed as kept: nothing else of theirs,
        // backdated or not, is accepted afterwards.
        let kept = self.store().author_record_ids(space.id, target).await?;
        self.rotate(&space, &removed, &kept).await
    }

    /// Writes a rotation removing `removed` (people or devices): the new key goes to every
    /// device of everyone who stays and is not revoked (this one too, which may not have
    /// written here yet). `kept` are the removed ones' records held here.
    pub(crate) async fn rotate(
        &self,
        space: &Space,
        removed: &[AuthorKey],
        kept: &[RecordId],
    ) -> Result<(RecordId, Space), NodeError> {
        let space = self.current(space).await?;
        let members = self.store().members(space.id).await?;
        let gone = |k: &AuthorKey| removed.contains(k) || space.revoked.contains_key(k);
        let mut remaining: Vec<AuthorKey> = vec![self.device()];
        for m in members
            .iter()
            .filter(|m| m.role != Role::Removed && !removed.contains(&m.author))
        {
            remaining.push(m.author);
            remaining.extend(m.devices.iter().copied());
        }
        remaining.retain(|k| !gone(k) || *k == self.device());
        remaining.sort_unstable_by_key(|a| a.0);
        remaining.dedup();
        let (body, _key) = space
            .make_rekey(removed, &remaining, kept)
            .map_err(NodeError::Refused)?;
        let rec = self
            .write(&space, vec![(Body::Rekey(body), vec![])])
            .await?
            .remove(0);
        let updated = self.store().space(space.id).await?.unwrap_or(space);
        Ok((rec, updated))
    }
}

/// Checks a body before anything is signed: its limits, and that the space takes its kind.
pub(crate) fn check_body(space: &Space, body: &Body) -> Result<(), NodeError> {
    body.validate()?;
    if !space.kind.accepts(body.kind()) {
        return Err(NodeError::Invalid(format!(
            "a {} space does not take {:?} records",
            space.kind,
            body.kind()
        )));
    }
    Ok(())
}

/// Creates the data dir readable by its owner only: it holds space keys and the identity.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), NodeError> {
    if dir.exists() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| NodeError::io(dir, e))
}
