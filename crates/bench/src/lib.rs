//! Shared helpers for Confab's benchmarks: making many signed records quickly and timing.
#![deny(missing_docs)]

use std::time::{Duration, Instant};

use confab_core::{Body, ChatBody, Hlc, Identity, Record, Space};

/// Signs `n` chat records in `space` with timestamps from `ts(i)`, spread over all cores.
pub fn make_records(
    space: &Space,
    who: &Identity,
    n: usize,
    ts: impl Fn(usize) -> u64 + Sync,
) -> Vec<Record> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let chunk = n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                let ts = &ts;
                s.spawn(move || {
                    (start..(start + chunk).min(n))
                        .map(|i| {
                            let body = Body::Chat(ChatBody {
                                text: format!("benchmark message number {i} with a little text"),
                            });
                            space
                                .seal(who.signing_key(), &body, Hlc(ts(i)), None, vec![])
                                .expect("seal")
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().expect("signer")).collect()
    })
}

/// Runs `f` and returns its result and how long it took.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

/// Items per second.
pub fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}
