//! The responder: answers a peer's reconcile, fetch and push requests from this store.

use confab_core::AuthorKey;
use confab_store::Origin;
use negentropy::Negentropy;
use serde_bytes::ByteBuf;

use crate::engine::{neg_err, SyncError, Syncer};
use crate::ingest;
use crate::proto::{Request, Response, LIMITED_NEG_FRAME, MAX_BATCH_BYTES, NEG_FRAME_LIMIT};

impl Syncer {
    /// Answers one request frame from an unnamed peer (in-process tests).
    pub async fn respond(&self, frame: &[u8]) -> Result<Vec<u8>, SyncError> {
        self.respond_to(None, false, frame).await
    }

    /// Answers one request frame from `peer` (its public key, known from the authenticated
    /// connection). An `Err` means the peer sent something it should not have (a bad frame, a
    /// broken reconciliation message): the caller drops that peer.
    ///
    /// The request names the space by the sync id of an epoch; a member removed from the
    /// space is refused, and a peer asking by an older epoch's id is served only records dated
    /// up to the rotation that ended that epoch. On a `limited` connection (a relayed circuit)
    /// reconciliation replies are kept small, as the asker's own messages are.
    pub async fn respond_to(
        &self,
        peer: Option<AuthorKey>,
        limited: bool,
        frame: &[u8],
    ) -> Result<Vec<u8>, SyncError> {
        let req = Request::decode(frame)?;
        let wire = match &req {
            Request::Reconcile { space, .. }
            | Request::Fetch { space, .. }
            | Request::FetchSome { space, .. }
            | Request::Push { space, .. } => *space,
        };
        let refuse = |reason: &str| {
            Ok(Response::Refused {
                reason: reason.into(),
            }
            .encode())
        };
        let Some((known, upto)) = self.store.sync_view(wire).await? else {
            return refuse("unknown space");
        };
        if peer.is_some_and(|p| known.removed_since(&p).is_some()) {
            return refuse("you were removed from this space");
        }
        if peer.is_some_and(|p| known.revoked.contains_key(&p)) {
            return refuse("this device was revoked by its account");
        }
        if !known.is_current_member() {
            return refuse("this member was removed from the space");
        }
        let space = known.id;
        let resp = match req {
            Request::Reconcile { msg, .. } => {
                let mut snap = self.index.snapshot(&self.store, space).await?;
                if let Some(t) = upto {
                    snap = snap.upto(t);
                }
                let limit = if limited {
                    LIMITED_NEG_FRAME
                } else {
                    NEG_FRAME_LIMIT
                };
                let mut neg = Negentropy::borrowed(&snap, limit).map_err(neg_err)?;
                let out = neg.reconcile(&msg).map_err(neg_err)?;
                Response::Reconcile {
                    msg: ByteBuf::from(out),
                }
            }
            Request::Fetch { keys, .. } => {
                // Keys dated after an older epoch's end are answered as if unknown.
                let (records, consumed) = self
                    .store
                    .records_by_keys_upto(space, keys, MAX_BATCH_BYTES, upto)
                    .await?;
                Response::Records {
                    records: records.into_iter().map(ByteBuf::from).collect(),
                    consumed: consumed as u32,
                }
            }
            Request::FetchSome { keys, max_bytes, .. } => {
                let budget = (max_bytes as usize).min(MAX_BATCH_BYTES);
                let (records, consumed) = self.store.records_by_keys_upto(space, keys, budget, upto).await?;
                Response::Records {
                    records: records.into_iter().map(ByteBuf::from).collect(),
                    consumed: consumed as u32,
                }
            }
            Request::Push { records, .. } => {
                let encodings = records.into_iter().map(ByteBuf::into_vec).collect();
                let report = ingest::admit(&self.store, encodings, Some(space), None, Origin::Pushed).await?;
                Response::Pushed {
                    stored: report.inserted.len() as u32,
                    refused: report.refused.len() as u32,
                }
            }
        };
        Ok(resp.encode())
    }
}
