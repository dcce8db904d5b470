//! Verifying many records at once, spread over the machine's cores.

use crate::record::{Record, RecordError, Verified};

/// Records checked per thread at least, when a large input is spread over the cores.
const CHUNK: usize = 256;

fn verify_decoded(recs: Vec<Record>) -> Vec<Result<Verified, RecordError>> {
    recs.into_iter().map(Record::verify).collect()
}

/// Decodes and verifies many encodings, in batches spread over the machine's cores when the
/// input is large enough to pay for the threads. Order is preserved.
pub fn verify_all(encodings: Vec<Vec<u8>>) -> Vec<Result<Verified, RecordError>> {
    let decoded: Vec<Result<Record, RecordError>> = encodings.iter().map(|b| Record::decode(b)).collect();
    drop(encodings);
    let good: Vec<Record> = decoded.iter().filter_map(|r| r.as_ref().ok().cloned()).collect();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let verified: Vec<Result<Verified, RecordError>> = if good.len() < 2 * CHUNK || threads < 2 {
        verify_decoded(good)
    } else {
        let per = good.len().div_ceil(threads).div_ceil(CHUNK) * CHUNK;
        let mut parts: Vec<Vec<Record>> = Vec::new();
        let mut it = good.into_iter();
        loop {
            let c: Vec<Record> = it.by_ref().take(per).collect();
            if c.is_empty() {
                break;
            }
            parts.push(c);
        }
        std::thread::scope(|s| {
            let hs: Vec<_> = parts
                .into_iter()
                .map(|p| s.spawn(move || verify_decoded(p)))
                .collect();
            hs.into_iter()
                .flat_map(|h| h.join().expect("verifier thread panicked"))
                .collect()
        })
    };
    let mut v = verified.into_iter();
    decoded
        .into_iter()
        .map(|d| match d {
            Ok(_) => v.next().expect("one result per decoded record"),
            Err(e) => Err(e),
        })
        .collect()
}
