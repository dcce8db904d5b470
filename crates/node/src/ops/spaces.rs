//! Spaces: list, create, join, tickets, members, removal, mute.

use confab_core::SpaceKind;
use serde::{Deserialize, Serialize};

use super::{Op, Service};
use crate::view::{CreatedView, HolderView, MemberView, RemovedView, SpaceView, TicketView};
use crate::NodeError;

fn kind(k: &str) -> Result<SpaceKind, NodeError> {
    k.trim().parse().map_err(NodeError::Invalid)
}

/// Joined spaces, oldest joined first, of one kind if given.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpaceList {
    #[serde(default)]
    pub kind: Option<String>,
}

impl Op for SpaceList {
    const METHOD: &'static str = "space.list";
    type Output = Vec<SpaceView>;
    async fn run(self, svc: &Service) -> Result<Vec<SpaceView>, NodeError> {
        let want = self.kind.as_deref().map(kind).transpose()?;
        let store = svc.engine.store();
        let muted = store.muted_spaces().await?;
        let me = svc.engine.me();
        let mut out = Vec::new();
        for s in store
            .spaces()
            .await?
            .iter()
            .filter(|s| want.is_none_or(|k| s.kind == k))
            // A person's own space is theirs alone, not one they talk in.
            .filter(|s| s.kind != confab_core::SpaceKind::Personal)
        {
            let mut v = SpaceView::of(s, &me, muted.contains(&s.id));
            if s.kind == confab_core::SpaceKind::Chat {
                let r = store.reading(s.id, me).await?;
                (v.unread, v.mentions) = (r.unread, r.mentions);
            }
            out.push(v);
        }
        Ok(out)
    }
}

/// Creates a space owned by this identity.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpaceCreate {
    pub kind: String,
    pub name: String,
}

impl Op for SpaceCreate {
    const METHOD: &'static str = "space.create";
    type Output = CreatedView;
    async fn run(self, svc: &Service) -> Result<CreatedView, NodeError> {
        let (s, ticket) = svc.engine.create_space(kind(&self.kind)?, &self.name).await?;
        Ok(CreatedView {
            space: SpaceView::of(&s, &svc.engine.me(), false),
            ticket,
        })
    }
}

/// Joins the space a ticket invites into, and dials the inviter.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpaceJoin {
    pub ticket: String,
}

impl Op for SpaceJoin {
    const METHOD: &'static str = "space.join";
    type Output = SpaceView;
    async fn run(self, svc: &Service) -> Result<SpaceView, NodeError> {
        let t = svc.engine.join(self.ticket.trim()).await?;
        // The ticket carries the inviter's addresses: dial them (the engine also keeps them in
        // the address book, so they are redialled if this fails).
        if let (Some(node), Ok(inviter)) = (&svc.node, t.inviter.peer_id().parse()) {
            let addrs: Vec<_> = t.addrs.iter().filter_map(|a| a.parse().ok()).collect();
            if t.inviter != svc.engine.device() && !addrs.is_empty() {
                node.dial_peer(inviter, addrs)?;
            }
            // The group's own DHT, if the ticket names one.
            let boot: Vec<_> = t.bootstrap.iter().filter_map(|a| a.parse().ok()).collect();
            if !boot.is_empty() {
                node.add_bootstrap(boot)?;
            }
        }
        let muted = svc.engine.store().muted_spaces().await?;
        Ok(SpaceView::of(
            &t.space,
            &svc.engine.me(),
            muted.contains(&t.space.id),
        ))
    }
}

/// A joined space's ticket.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpaceTicket {
    pub space: String,
}

impl Op for SpaceTicket {
    const METHOD: &'static str = "space.ticket";
    type Output = TicketView;
    async fn run(self, svc: &Service) -> Result<TicketView, NodeError> {
        let s = svc.space(&self.space).await?;
        Ok(TicketView {
            space: s.id.to_string(),
            ticket: svc.engine.ticket(&s).await?,
        })
    }
}

/// A space's members: the owner, who joined or wrote, who was removed.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpaceMembers {
    pub space: String,
}

impl Op for SpaceMembers {
    const METHOD: &'static str = "space.members";
    type Output = Vec<MemberView>;
    async fn run(self, svc: &Service) -> Result<Vec<MemberView>, NodeError> {
        let s = svc.space(&self.space).await?;
        let me = svc.engine.me();
        Ok(svc
            .engine
            .store()
            .members(s.id)
            .await?
            .iter()
            .map(|m| MemberView::of(m, &me))
            .collect())
    }
}

/// Removes a member (owner only) and rotates the key.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpaceRemove {
    pub space: String,
    pub peer: String,
}

impl Op for SpaceRemove {
    const METHOD: &'static str = "space.remove";
    type Output = RemovedView;
    async fn run(self, svc: &Service) -> Result<RemovedView, NodeError> {
        let s = svc.space(&self.space).await?;
        let (rec, s) = svc.engine.remove_member(&s, &self.peer).await?;
        Ok(RemovedView {
            space: s.id.to_string(),
            removed: self.peer.trim().to_string(),
            epoch: s.epoch(),
            record: rec.to_string(),
        })
    }
}

/// Mutes or unmutes a space's notifications.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpaceMute {
    pub space: String,
    pub muted: bool,
}

impl Op for SpaceMute {
    const METHOD: &'static str = "space.mute";
    type Output = SpaceView;
    async fn run(self, svc: &Service) -> Result<SpaceView, NodeError> {
        let s = svc.space(&self.space).await?;
        svc.engine.store().set_muted(s.id, self.muted).await?;
        svc.engine.note_joined(&s).await?;
        Ok(SpaceView::of(&s, &svc.engine.me(), self.muted))
    }
}

/// The peers known to hold a space's records (confirmed by a completed sync with each).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpaceHolders {
    pub space: String,
}

impl Op for SpaceHolders {
    const METHOD: &'static str = "space.holders";
    type Output = Vec<HolderView>;
    async fn run(self, svc: &Service) -> Result<Vec<HolderView>, NodeError> {
        let s = svc.space(&self.space).await?;
        Ok(svc
            .engine
            .store()
            .holders(s.id)
            .await?
            .into_iter()
            .map(|(peer, upto_ms)| HolderView { peer, upto_ms })
            .collect())
    }
}
