//! A person's own space, shared by their devices only: a device that joins or creates a space,
//! or mutes one, writes it there (with the space's keys), and their other devices take it in,
//! so every device of a person is in the same spaces with the same settings. Names travel as
//! profile records, which every space carries; the newest one of this person becomes this
//! device's profile too.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use confab_core::backup::SpaceEntry;
use confab_core::{Body, Space, SpaceId, SpaceKind};
use tracing::{info, warn};

use crate::engine::Engine;
use crate::NodeError;

/// A read position is told to the person's other devices at most this often per space (the
/// last one of a burst is told when the time is up).
pub(crate) const READ_NOTE_EVERY: Duration = Duration::from_secs(30);

/// When each space's read position was last told, and whether a later one waits.
#[derive(Debug, Default)]
pub(crate) struct ReadNotes(HashMap<SpaceId, (Instant, bool)>);

impl ReadNotes {
    /// Whether to tell now: the first time, or once the last telling is old enough; otherwise
    /// `Some(wait)` says when to tell the latest position, `None` that a later telling is
    /// already due.
    pub(crate) fn read(&mut self, space: SpaceId, now: Instant) -> Result<(), Option<Duration>> {
        match self.0.get_mut(&space) {
            Some((last, pending)) if now.duration_since(*last) < READ_NOTE_EVERY => {
                if *pending {
                    return Err(None);
                }
                *pending = true;
                Err(Some(READ_NOTE_EVERY - now.duration_since(*last)))
            }
            _ => {
                self.0.insert(space, (now, false));
                Ok(())
            }
        }
    }

    /// The pending telling is being made.
    pub(crate) fn told(&mut self, space: SpaceId, now: Instant) {
        self.0.insert(space, (now, false));
    }
}

impl Engine {
    /// Tells this person's other devices how far this one has read in `space`: now, or at the
    /// end of the current [`READ_NOTE_EVERY`] when it told them lately.
    pub(crate) async fn note_read(&self, space: &Space) -> Result<(), NodeError> {
        let verdict = self
            .read_notes
            .lock()
            .expect("the read notes' lock is never poisoned")
            .read(space.id, Instant::now());
        match verdict {
            Ok(()) => self.note_joined(space).await,
            Err(None) => Ok(()),
            Err(Some(wait)) => {
                let (engine, space) = (self.clone(), space.clone());
                // Only where a runtime lives on (a running node); a one-off command exits.
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    rt.spawn(async move {
                        tokio::time::sleep(wait).await;
                        engine
                            .read_notes
                            .lock()
                            .expect("the read notes' lock is never poisoned")
                            .told(space.id, Instant::now());
                        if let Err(e) = engine.note_joined(&space).await {
                            warn!("telling the other devices how far {} was read: {e}", space.name);
                        }
                    });
                }
                Ok(())
            }
        }
    }

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
        store.mark_read(space.id, entry.read_ts).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_reads_is_told_once_now_and_once_when_the_time_is_up() {
        let mut n = ReadNotes::default();
        let (a, b) = (SpaceId([1; 32]), SpaceId([2; 32]));
        let t0 = Instant::now();
        assert_eq!(n.read(a, t0), Ok(()));
        assert_eq!(n.read(b, t0), Ok(()), "each space on its own");
        let t1 = t0 + Duration::from_secs(10);
        assert_eq!(n.read(a, t1), Err(Some(Duration::from_secs(20))));
        assert_eq!(n.read(a, t1 + Duration::from_secs(5)), Err(None), "already due");
        n.told(a, t0 + READ_NOTE_EVERY);
        assert_eq!(
            n.read(a, t0 + READ_NOTE_EVERY + Duration::from_secs(1)),
            Err(Some(Duration::from_secs(29)))
        );
        assert_eq!(n.read(b, t0 + READ_NOTE_EVERY), Ok(()));
    }
}
