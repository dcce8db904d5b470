//! Work the actor's file handling hands out: planning what to fetch (and collecting
//! garbage), asking a holder for a run of groups, and answering peers' blob requests. None of
//! it holds node state; results go back to the actor as reports.

use std::collections::{HashMap, HashSet};

use confab_blobs::fetch::{Ask, Fault};
use confab_blobs::proto::{self, Has, Request, Response};
use confab_blobs::{BlobError, BlobId, BlobStore};
use confab_core::SpaceId;
use confab_net::{NetHandle, PeerId};
use tokio::sync::mpsc::UnboundedSender;
use tracing::{debug, info, warn};

use super::blobs::BlobReport;
use super::Report;
use crate::config::FileLimits;

/// Sends `count` groups from `start` to a peer that asked (on a blocking thread: it reads
/// files), and tells the actor what went out.
#[allow(clippy::too_many_arguments)]
pub(super) fn give(
    net: &NetHandle,
    blobs: &BlobStore,
    reports: &UnboundedSender<Report>,
    peer: PeerId,
    id: u64,
    blob: BlobId,
    start: u64,
    count: u32,
) {
    let response = match blobs.encode(&blob, start, count) {
        Ok(Some(data)) => {
            let _ = reports.send(Report::Blob(BlobReport::Gave {
                peer,
                id: blob,
                start,
                count,
            }));
            Response::Data(data)
        }
        Ok(None) => Response::NotHeld,
        Err(e) => Response::Refused(e.to_string()),
    };
    let _ = net.blob_respond(id, proto::encode(&response));
}

/// Answers what this node holds of each blob asked about: `fetching` has what is here of
/// those being fetched; the others are here whole or not at all. True if some blob is
/// neither being fetched nor here.
pub(super) fn have(
    net: &NetHandle,
    blobs: &BlobStore,
    id: u64,
    asked: &[BlobId],
    fetching: Vec<Option<Has>>,
) -> bool {
    let answer: Vec<Has> = asked
        .iter()
        .zip(fetching)
        .map(|(b, f)| match f {
            Some(has) => has,
            None if blobs.is_complete(b) => Has::All,
            None => Has::Nothing,
        })
        .collect();
    let absent = answer.contains(&Has::Nothing);
    let _ = net.blob_respond(id, proto::encode(&Response::Have(answer)));
    absent
}

/// The blobs named by records that should be here and are not: each at most the automatic
/// size, while its space's files stay within the quota. With `gc` (a grace), garbage older than
/// the grace goes on the way.
pub(super) fn plan(
    blobs: &BlobStore,
    named: Vec<([u8; 32], u64, SpaceId)>,
    limits: FileLimits,
    gc: Option<std::time::Duration>,
) -> Vec<(BlobId, u64, SpaceId)> {
    if let Some(grace) = gc {
        let keep: HashSet<BlobId> = named.iter().map(|(b, _, _)| BlobId(*b)).collect();
        match blobs.collect_garbage(&keep, grace) {
            Ok(gone) if !gone.is_empty() => info!("deleted {} blobs no record names any more", gone.len()),
            Ok(_) => {}
            Err(e) => warn!("collecting blob garbage: {e}"),
        }
    }
    let mut used: HashMap<SpaceId, u64> = HashMap::new();
    let mut missing = Vec::new();
    for (b, size, space) in named {
        let id = BlobId(b);
        if blobs.is_complete(&id) {
            *used.entry(space).or_default() += size;
        } else if size <= limits.auto_fetch.min(limits.max_file) {
            missing.push((id, size, space));
        }
    }
    let mut wanted = Vec::new();
    for (id, size, space) in missing {
        let u = used.entry(space).or_default();
        if *u + size <= limits.space_quota {
            *u += size;
            wanted.push((id, size, space));
        } else {
            debug!(
                "blob {} would take space {} over its quota",
                id.short(),
                space.short()
            );
        }
    }
    wanted
}

/// Asks a holder for a run of groups and writes what verifies.
pub(super) async fn get(
    net: NetHandle,
    blobs: BlobStore,
    reports: UnboundedSender<Report>,
    id: BlobId,
    size: u64,
    ask: Ask<PeerId>,
) {
    let frame = proto::encode(&Request::Get {
        blob: id,
        start: ask.start,
        count: ask.count,
    });
    let expected = (confab_blobs::groups(size).max(1) - ask.start).min(ask.count as u64) as usize;
    let mut hints = Vec::new();
    let (delivered, fault, why) = match net.blob_request(ask.peer, frame).await {
        Err(e) => (Vec::new(), Fault::Failed, Some(e.to_string())),
        Ok(frame) if proto::data_of(&frame).is_some() => {
            let (start, count) = (ask.start, ask.count);
            let r = tokio::task::spawn_blocking(move || {
                let enc = proto::data_of(&frame).expect("checked");
                blobs.ingest(&id, size, start, count, enc)
            })
            .await;
            match r {
                Ok(Ok(got)) => {
                    let (fault, why) = match got.failure {
                        None if got.groups.len() >= expected => (Fault::None, None),
                        None => (Fault::NotHeld, Some("fewer groups than asked".into())),
                        Some(e @ BlobError::Corrupt { .. }) => (Fault::Corrupt, Some(e.to_string())),
                        Some(BlobError::Io { what, source }) => {
                            (Fault::Failed, Some(format!("{what}: {source}")))
                        }
                        Some(e) => (Fault::NotHeld, Some(e.to_string())),
                    };
                    (got.groups, fault, why)
                }
                Ok(Err(e)) => (Vec::new(), Fault::Failed, Some(e.to_string())),
                Err(e) => (Vec::new(), Fault::Failed, Some(e.to_string())),
            }
        }
        Ok(frame) => match proto::decode::<Response>(&frame) {
            Ok(Response::NotHeld) => (Vec::new(), Fault::NotHeld, None),
            Ok(Response::Busy(named)) => {
                hints = named.iter().filter_map(|b| PeerId::from_bytes(b).ok()).collect();
                (Vec::new(), Fault::Busy, None)
            }
            Ok(Response::Refused(why)) => (Vec::new(), Fault::NotHeld, Some(why)),
            Ok(_) => (
                Vec::new(),
                Fault::Corrupt,
                Some("answered a range request with something else".into()),
            ),
            Err(e) => (Vec::new(), Fault::Corrupt, Some(format!("blob protocol: {e}"))),
        },
    };
    let _ = reports.send(Report::Blob(BlobReport::Answer {
        id,
        ask,
        delivered,
        fault,
        why,
        hints,
    }));
}
