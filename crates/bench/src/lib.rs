//! Shared helpers for Confab's benchmarks: making many signed records quickly and timing.
#![deny(missing_docs)]

use std::time::{Duration, Instant};

use confab_core::{Body, ChatBody, Hlc, Identity, Record, Space};
use confab_store::Store;

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
                                files: Vec::new(),
                                mentions: vec![],
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

/// Cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// A store in a new temporary dir, holding `space`.
pub fn fresh_store(space: &Space) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_dir(dir.path()).expect("store");
    store.add_space(space.clone()).wait().expect("space");
    (dir, store)
}

/// Raw SQL inserts through the store thread, skipping every record check: what SQLite alone
/// can take.
pub fn insert_raw(store: &Store, recs: Vec<Record>, per_commit: usize) {
    store
        .call(move |db| {
            for chunk in recs.chunks(per_commit) {
                let tx = db.conn().transaction()?;
                {
                    let mut st = tx.prepare_cached(
                        "INSERT INTO records (space, ts, id, kind, author, expires, raw) \
                         VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
                    )?;
                    for r in chunk {
                        st.execute(rusqlite::params![
                            r.space.0,
                            r.ts.0 as i64,
                            r.id.0,
                            1,
                            r.author.0,
                            r.encoded()
                        ])?;
                    }
                }
                tx.commit()?;
            }
            Ok(())
        })
        .wait()
        .expect("raw insert");
}

/// Records per second that strict Ed25519 verification (Confab's rule,
/// [`confab_core::record::verify_signature`]) plus id hashing reaches on `threads` threads.
pub fn verify_rate(recs: &[Record], threads: usize) -> f64 {
    // What a verifier has in hand per record, prepared outside the timed part.
    struct Signed {
        msg: Vec<u8>,
        sig: [u8; 64],
        key: [u8; 32],
        bytes: Vec<u8>,
    }
    let prepared: Vec<Signed> = recs
        .iter()
        .map(|r| Signed {
            msg: r.signed_message(),
            sig: r.signature(),
            key: r.author.0,
            bytes: r.encoded().to_vec(),
        })
        .collect();
    let per = prepared.len().div_ceil(threads).max(1);
    let (_, d) = timed(|| {
        std::thread::scope(|s| {
            for part in prepared.chunks(per) {
                s.spawn(move || {
                    for x in part {
                        assert!(confab_core::record::verify_signature(&x.key, &x.msg, &x.sig));
                        std::hint::black_box(blake3::hash(&x.bytes));
                    }
                });
            }
        })
    });
    rate(recs.len(), d)
}

/// The machine's ingest limit for these records: the slower of strict verification on all
/// cores (the writer thread is mostly idle: inserts are several times faster) and raw SQLite
/// inserts in 10k-row commits.
pub fn ingest_limit(space: &Space, recs: &[Record]) -> f64 {
    let verify = verify_rate(recs, cores());
    let (_dir, store) = fresh_store(space);
    let (_, d) = timed(|| insert_raw(&store, recs.to_vec(), 10_000));
    verify.min(rate(recs.len(), d))
}

/// The run's scale, from `CONFAB_BENCH_SCALE` (1.0 unless set; 0.1 for a quick run).
pub fn scale() -> f64 {
    std::env::var("CONFAB_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

/// `base` items at the run's scale, at least 10.
pub fn n(base: usize) -> usize {
    ((base as f64) * scale()).max(10.0) as usize
}

/// `CONFAB_BIN`, or `confab` in the build dir the running benchmark was built into
/// (`…/target/release/deps/<bench>-<hash>` → `…/target/release/confab`).
pub fn confab_bin() -> Option<std::path::PathBuf> {
    if let Some(b) = std::env::var_os("CONFAB_BIN") {
        return Some(std::path::PathBuf::from(b));
    }
    let exe = std::env::current_exe().ok()?;
    let b = exe.parent()?.parent()?.join("confab");
    b.exists().then_some(b)
}

/// Runs `confab --data DIR ARGS… --json` (`bin`, without `CONFAB_DATA_DIR` from the
/// environment) and returns its JSON; panics with its stderr if it fails.
pub fn confab_json(bin: &std::path::Path, dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = std::process::Command::new(bin)
        .arg("--data")
        .arg(dir)
        .args(args)
        .arg("--json")
        .env_remove("CONFAB_DATA_DIR")
        .output()
        .expect("confab runs");
    assert!(
        out.status.success(),
        "confab {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}
