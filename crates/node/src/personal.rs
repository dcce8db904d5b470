//! A person's own space, shared by their devices only: a device that joins or creates a space,
//! or mutes one, writes it there (with the space's keys), and their other devices take it in,
//! so every device of a person is in the same spaces with the same settings. Names travel as
//! profile records, which every space carries; the newest one of this person becomes this
//! device's profile too.

use confab_core::backup::SpaceEntry;
use confab_core::{Body, Space, SpaceKind};
use tracing::{info, warn};

use crate::engine::Engine;
use crate::NodeError;

impl Engine {
    /// Joins this person's own space, on a device that holds the account secret (every such
    /// device derives the same one; a linked device is given it when linked).
    pub(crate) async fn ensure_personal(&self) -> Result<(), NodeError> {
        if let Some(secret) = self.identity().account_secret() {
            self.store().add_space(Space::personal(secret)).await?;
        }
        Ok(())
    }

    /// This person's own space, if this device has it.
    pub(crate) async fn personal_space(&self) -> Result<Option<Space>, NodeError> {
        let me = self.me();
        Ok(self
            .store()
            .spaces()
            .await?
            .into_iter()
            .find(|s| s.kind == SpaceKind::Personal && s.owner == me && s.is_current_member()))
    }

    /// Tells this person's other devices that this device is in `space`, with its settings.
    pub(crate) async fn note_joined(&self, space: &Space) -> Result<(), NodeError> {
        if space.kind == SpaceKind::Personal {
            return Ok(());
        }
        let Some(personal) = self.personal_space().await? else {
            return Ok(());
        };
        let space = self.current(space).await?;
        let muted = self.store().muted_spaces().await?.contains(&space.id);
        let read = self.store().reading(space.id, self.me()).await?.read_ts;
        let entry = SpaceEntry::of(&space, muted, read);
        self.write(&personal, vec![(Body::Joined(entry), vec![])]).await?;
        Ok(())
    }

    /// Takes in a space another device of this person wrote into their own space: joins it if
    /// it is new here, learns keys of rotations it lacks, and takes its mute.
    pub(crate) async fn take_joined(&self, entry: &SpaceEntry) -> Result<(), NodeError> {
        let space = entry.space().map_err(|e| NodeError::Invalid(e.to_string()))?;
        let store = self.store();
        if store.add_space(space.clone()).await? {
            info!(
                "joined {} ({}) as another device of this person did",
                space.name, space.kind
            );
            if let Some(p) = self.profile().await? {
                self.write(&space, vec![(Body::Profile(p), vec![])]).await?;
            }
        }
        store.set_muted(space.id, entry.muted).await?;
        Ok(())
    }

    /// Makes a profile this person gave on another device, dated `ts`, this device's own if it
    /// is their newest.
    pub(crate) async fn adopt_profile(&self, p: &confab_core::ProfileBody, ts: u64) -> Result<(), NodeError> {
        let me = self.me();
        let newest = self
            .store()
            .profiles()
            .await?
            .into_iter()
            .find(|p| p.author == me)
            .map_or(0, |p| p.ts);
        if ts >= newest && self.profile().await?.as_ref() != Some(p) {
            self.save_profile(p).await?;
        }
        Ok(())
    }
}

/// What the actor does with a record another device of this person wrote, dated `ts`.
pub(crate) async fn from_other_device(engine: Engine, body: Body, ts: u64) {
    let done = match &body {
        Body::Joined(entry) => engine.take_joined(entry).await,
        Body::Profile(p) => engine.adopt_profile(p, ts).await,
        _ => Ok(()),
    };
    if let Err(e) = done {
        warn!("taking in what another device of this person wrote: {e}");
    }
}
