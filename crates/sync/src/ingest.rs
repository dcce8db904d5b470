//! The one way records from outside reach the store: decode and verify on a blocking thread
//! (spread over the cores for large batches), then hand the valid ones to the store thread,
//! which checks each against its space's rules. Gossip, fetched batches and pushes all come
//! through here; local writes are sealed (signed here) and go to the same insert.

use std::collections::HashSet;

use confab_core::{RecordId, SpaceId, SyncKey, Verified};
use confab_store::{check, split_checked, InsertReport, Origin, Refusal, Store, StoreError};

/// One result per encoding: the verified record, or why it was refused.
pub type Checked = Vec<Result<Verified, (Option<RecordId>, Refusal)>>;

/// Runs CPU-bound work off the async executor: on tokio's blocking pool inside a tokio
/// runtime, inline otherwise (single-threaded tests and benchmarks with their own executor).
pub async fn off_executor<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => match h.spawn_blocking(f).await {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        },
        Err(_) => f(),
    }
}

/// Decodes and verifies encodings that must belong to `space` and, if given, have one of the
/// `wanted` keys: one result per encoding, in order.
pub async fn verify(
    encodings: Vec<Vec<u8>>,
    space: Option<SpaceId>,
    wanted: Option<HashSet<SyncKey>>,
) -> Checked {
    off_executor(move || check(encodings, space, wanted.as_ref())).await
}

/// [`verify`], then stores what passed; refusals of either step are in the report.
pub async fn admit(
    store: &Store,
    encodings: Vec<Vec<u8>>,
    space: Option<SpaceId>,
    wanted: Option<HashSet<SyncKey>>,
    origin: Origin,
) -> Result<InsertReport, StoreError> {
    let (ok, refused) = split_checked(verify(encodings, space, wanted).await);
    let mut report = store.insert(ok, origin).await?;
    report.refused.extend(refused);
    Ok(report)
}
