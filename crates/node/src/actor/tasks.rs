//! Work the actor hands out: the gossip ingest worker, sync sessions, and answers to peers'
//! sync requests. None of them holds node state; they report back to the actor.

use std::collections::HashSet;

use confab_core::{AuthorKey, RecordError, RecordId, SpaceId};
use confab_net::{MessageAcceptance, MessageId, NetHandle, PeerId};
use confab_store::{Origin, Refusal, Store};
use confab_sync::proto::Response;
use confab_sync::{ingest, Progress, SyncError, Syncer, Transport};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::Report;

/// Most gossip records verified and stored together.
const GOSSIP_BATCH: usize = 512;

/// A gossip record within its sender's allowance, waiting to be verified and stored.
pub(crate) struct GossipItem {
    pub source: PeerId,
    pub id: MessageId,
    /// The space whose topic it came on: a record of another space is rejected.
    pub space: SpaceId,
    pub data: Vec<u8>,
}

/// Where a gossip message came from, its id, and the space of its topic.
type Meta = (PeerId, MessageId, SpaceId);

/// Verifies and stores gossip in batches: whatever queued up while the last batch was being
/// stored goes into the next, so a lone message is stored at once and a flood in bulk. Tells
/// gossipsub what to forward (valid and stored), ignore, or hold against the sender.
pub(crate) async fn gossip_worker(store: Store, net: NetHandle, mut rx: mpsc::Receiver<GossipItem>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < GOSSIP_BATCH {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let (meta, datas): (Vec<Meta>, Vec<Vec<u8>>) = batch
            .into_iter()
            .map(|g| ((g.source, g.id, g.space), g.data))
            .unzip();
        let checked = ingest::verify(datas, None, None).await;
        let mut verdicts = Vec::with_capacity(meta.len());
        let mut ids: Vec<Option<RecordId>> = Vec::with_capacity(meta.len());
        let mut ok = Vec::new();
        for ((source, _, space), c) in meta.iter().zip(checked) {
            match c {
                Ok(v) if v.space == *space => {
                    ids.push(Some(v.id));
                    verdicts.push(MessageAcceptance::Accept);
                    ok.push(v);
                }
                Ok(v) => {
                    debug!("gossip from {source}: record {} of another space", v.id);
                    ids.push(None);
                    verdicts.push(MessageAcceptance::Reject);
                }
                Err((_, Refusal::Record(RecordError::UnknownKind(code)))) => {
                    // A later version's record: not for this node to judge, nor to pass on;
                    // whoever sent it keeps its standing (peers on different versions mix).
                    debug!("gossip from {source}: a record of kind {code}, unknown here, ignored");
                    ids.push(None);
                    verdicts.push(MessageAcceptance::Ignore);
                }
                Err((_, why)) => {
                    debug!("gossip from {source}: {why}");
                    ids.push(None);
                    verdicts.push(MessageAcceptance::Reject);
                }
            }
        }
        match store.insert(ok, Origin::Gossip).await {
            Ok(report) => {
                let refused: HashSet<RecordId> = report.refused.iter().filter_map(|(id, _)| *id).collect();
                for (v, id) in verdicts.iter_mut().zip(&ids) {
                    if id.is_some_and(|id| refused.contains(&id)) {
                        *v = MessageAcceptance::Reject;
                    }
                }
                for (_, why) in &report.refused {
                    debug!("gossip record refused: {why}");
                }
            }
            Err(e) => {
                warn!("storing gossip: {e}");
                verdicts.iter_mut().for_each(|v| *v = MessageAcceptance::Ignore);
            }
        }
        for ((source, id, _), v) in meta.into_iter().zip(verdicts) {
            let _ = net.report(id, source, v);
        }
    }
}

/// The sync transport to a peer over the network task.
struct NetTransport {
    net: NetHandle,
    peer: PeerId,
    /// Reached only through a relay circuit.
    limited: bool,
}

impl Transport for NetTransport {
    fn call(
        &mut self,
        frame: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, SyncError>> + Send {
        let reply = self.net.start_request(self.peer, frame);
        async move { reply.await.map_err(|e| SyncError::Transport(e.to_string())) }
    }

    fn limited(&self) -> bool {
        self.limited
    }
}

fn progress_reports(peer: PeerId, reports: &mpsc::UnboundedSender<Report>) -> impl FnMut(Progress) + Send {
    let reports = reports.clone();
    move |progress| {
        let _ = reports.send(Report::Progress { peer, progress });
    }
}

/// Fetches what this node lacks of `spaces` (every joined one if `None`) from `peer`, space
/// by space. Both sides of a connection run their own pull, so whoever is behind drives and
/// reports its catch-up. A space the peer declines is skipped; any other failure ends the
/// session.
pub(crate) async fn pull_session(
    syncer: Syncer,
    net: NetHandle,
    peer: PeerId,
    limited: bool,
    spaces: Option<Vec<SpaceId>>,
    reports: mpsc::UnboundedSender<Report>,
) {
    let spaces = match spaces {
        Some(v) => v,
        None => match syncer.store().spaces().await {
            Ok(all) => all.into_iter().map(|s| s.id).collect(),
            Err(e) => {
                warn!("listing spaces for a session with {peer}: {e}");
                Vec::new()
            }
        },
    };
    let mut t = NetTransport { net, peer, limited };
    for space in spaces {
        let started_ms = confab_core::now_ms();
        let mut progress = progress_reports(peer, &reports);
        let result = syncer.pull_space(space, &mut t, &mut progress).await;
        let go_on = !matches!(&result, Err(e) if !matches!(e, SyncError::Refused(_)));
        let _ = reports.send(Report::Synced {
            peer,
            space,
            started_ms,
            result,
        });
        if !go_on {
            break;
        }
    }
    let _ = reports.send(Report::SessionEnded(peer));
}

/// A first session in a newly joined space with an already connected peer: fetches what this
/// node lacks and pushes what the peer lacks (this node's join record).
pub(crate) async fn offer_session(
    syncer: Syncer,
    net: NetHandle,
    peer: PeerId,
    limited: bool,
    space: SpaceId,
    reports: mpsc::UnboundedSender<Report>,
) {
    let mut t = NetTransport { net, peer, limited };
    let mut progress = progress_reports(peer, &reports);
    match syncer.sync_space(space, &mut t, &mut progress).await {
        Ok(stats) => debug!(
            "first sync of {} with {peer}: sent {}, received {}",
            space.short(),
            stats.pushed,
            stats.received
        ),
        Err(e) => {
            debug!("first sync with {peer}: {e}");
            let _ = reports.send(Report::OfferFailed { peer, space });
        }
    }
}

/// Answers one sync request; a peer that sent something it should not have is dropped.
pub(crate) async fn answer(
    syncer: Syncer,
    net: NetHandle,
    peer: PeerId,
    limited: bool,
    id: u64,
    frame: Vec<u8>,
) {
    let author = AuthorKey::from_peer_id(&peer.to_string());
    match syncer.respond_to(author, limited, &frame).await {
        Ok(reply) => {
            let _ = net.respond(id, reply);
        }
        Err(e) if e.is_peer_fault() => {
            let _ = net.disconnect(peer, format!("sync request: {e}"));
        }
        Err(e) => {
            warn!("answering {peer}: {e}");
            let reply = Response::Refused {
                reason: "the peer could not answer".into(),
            }
            .encode();
            let _ = net.respond(id, reply);
        }
    }
}
