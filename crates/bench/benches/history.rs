//! Long histories: a room of 1,000,000 messages (`CONFAB_BENCH_SCALE` scales it). Prints how
//! long the newest page and a page further back take from the store, what search costs (in the
//! store, and as a `confab search` process), and what keeping conversations and the search
//! index costs on the ingest path.
//!
//! `cargo build --release --bin confab && cargo bench -p confab-bench --bench history`

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use confab_bench::{n, timed};
use confab_core::{now_ms, Body, ChatBody, Hlc, Identity, Record, Space, SpaceKind, Verified};
use confab_store::{Origin, Page, SearchQuery, Store};

/// Words messages are made of: a few thousand, so some are rare and some common.
fn word(k: u64) -> String {
    let syll = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "po"];
    let mut w = String::new();
    let mut x = k;
    for _ in 0..3 {
        w.push_str(syll[(x % 10) as usize]);
        x /= 10;
    }
    w.push_str(syll[(k % 7) as usize]);
    w
}

fn text(i: u64) -> String {
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!(
        "message {i} about {} and {} with {}",
        word(h % 5000),
        word((h >> 20) % 5000),
        word((h >> 40) % 300)
    )
}

fn seal(space: &Space, who: &Identity, range: std::ops::Range<u64>, t0: u64) -> Vec<Record> {
    let threads = confab_bench::cores() as u64;
    let len = range.end - range.start;
    let chunk = len.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let from = range.start + t * chunk;
                let to = (from + chunk).min(range.end);
                s.spawn(move || {
                    (from..to)
                        .map(|i| {
                            let body = Body::Chat(ChatBody {
                                files: Vec::new(),
                                text: text(i),
                                mentions: vec![],
                            });
                            space
                                .seal(who.signing_key(), &body, Hlc::new(t0 + i * 10, 0), None, vec![])
                                .expect("seal")
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().expect("signer")).collect()
    })
}

fn verified(recs: Vec<Record>) -> Vec<Verified> {
    recs.into_iter().map(|r| r.verify().expect("verifies")).collect()
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

/// What keeping conversations and the index costs on ingest: the same records through the
/// node's ingest path (check, then insert), with and without.
fn index_cost(space: &Space, who: &Identity) {
    let count = n(100_000) as u64;
    let t0 = now_ms() - 10 * count - 60_000;
    let recs = seal(space, who, 0..count, t0);
    let encodings: Vec<Vec<u8>> = recs.iter().map(|r| r.encoded().to_vec()).collect();
    let mut rows = Vec::new();
    for on in [false, true, false, true] {
        let (_dir, store) = confab_bench::fresh_store(space);
        store
            .call(move |db| {
                db.set_conversations(on);
                Ok(())
            })
            .wait()
            .unwrap();
        let batches: Vec<Vec<Vec<u8>>> = encodings.chunks(2000).map(|c| c.to_vec()).collect();
        let (_, ingest) = timed(|| {
            for b in batches {
                store.ingest(b, Origin::Sync).wait().unwrap();
            }
        });
        let (_dir2, store2) = confab_bench::fresh_store(space);
        store2
            .call(move |db| {
                db.set_conversations(on);
                Ok(())
            })
            .wait()
            .unwrap();
        let v = verified(recs.clone());
        let chunks: Vec<Vec<Verified>> = v.chunks(2000).map(|c| c.to_vec()).collect();
        let (_, insert) = timed(|| {
            for c in chunks {
                store2.insert(c, Origin::Sync).wait().unwrap();
            }
        });
        rows.push((on, ingest, insert));
    }
    let best = |on: bool, f: fn(&(bool, Duration, Duration)) -> Duration| {
        rows.iter().filter(|r| r.0 == on).map(f).min().unwrap()
    };
    let (ing_off, ing_on) = (best(false, |r| r.1), best(true, |r| r.1));
    let (ins_off, ins_on) = (best(false, |r| r.2), best(true, |r| r.2));
    println!(
        "index cost: {count} records through check + insert: {:.0} ms without, {:.0} ms with conversations and search: {:+.1} % (target <= 20 %)",
        ing_off.as_secs_f64() * 1000.0,
        ing_on.as_secs_f64() * 1000.0,
        (ing_on.as_secs_f64() / ing_off.as_secs_f64() - 1.0) * 100.0
    );
    println!(
        "index cost: the insert step alone (signatures already checked): {:.0} ms without, {:.0} ms with: {:+.1} %",
        ins_off.as_secs_f64() * 1000.0,
        ins_on.as_secs_f64() * 1000.0,
        (ins_on.as_secs_f64() / ins_off.as_secs_f64() - 1.0) * 100.0
    );
}

fn main() {
    // `-- cost` measures the index's cost only; `-- room` the room only.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let part = |p: &str| only.is_empty() || only.iter().any(|o| o == p);
    let who = Identity::generate();
    let space = Space::create(SpaceKind::Chat, "history", who.author()).unwrap();
    if part("cost") {
        index_cost(&space, &who);
    }
    if !part("room") {
        return;
    }

    let count = n(1_000_000) as u64;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path()).unwrap();
    store.add_space(space.clone()).wait().unwrap();
    let t0 = now_ms() - 10 * count - 60_000;
    let start = Instant::now();
    let mut step = 0;
    while step < count {
        let to = (step + 50_000).min(count);
        let recs = verified(seal(&space, &who, step..to, t0));
        for c in recs.chunks(5000) {
            store.insert(c.to_vec(), Origin::Sync).wait().unwrap();
        }
        step = to;
    }
    println!(
        "history: {count} messages sealed and stored in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    // The newest page, as a room opens.
    let newest = Page {
        limit: Some(50),
        ..Default::default()
    };
    let mut times: Vec<Duration> = (0..50)
        .map(|_| timed(|| store.chat_page(space.id, newest).wait().unwrap()).1)
        .collect();
    println!(
        "history: newest page of 50: p50 {:.2} ms, p95 {:.2} ms",
        pct(&mut times, 0.5),
        pct(&mut times, 0.95)
    );
    // A page further back, from anywhere in the room.
    let mut times = Vec::new();
    for k in 0..200u64 {
        let i = (k.wrapping_mul(7919) * 104_729) % count;
        let rec = seal(&space, &who, i..i + 1, t0).remove(0);
        let page = Page {
            limit: Some(50),
            before: Some((rec.ts, rec.id)),
            after: None,
        };
        let (got, d) = timed(|| store.chat_page(space.id, page).wait().unwrap());
        assert!(got.len() == 50 || i < 50);
        times.push(d);
    }
    println!(
        "history: a page of 50 further back: p50 {:.2} ms, p95 {:.2} ms",
        pct(&mut times, 0.5),
        pct(&mut times, 0.95)
    );

    // Search in the store.
    let queries = [
        (word(1234), "a rare word"),
        (format!("{} {}", word(77), word(4100)), "two words"),
        (word(42), "a common word"),
        ("about".to_string(), "a word in every message"),
    ];
    for (q, what) in &queries {
        let sq = SearchQuery {
            text: q.clone(),
            limit: 20,
            ..Default::default()
        };
        let hits = store.search(sq.clone()).wait().unwrap().unwrap().len();
        let mut times: Vec<Duration> = (0..30)
            .map(|_| timed(|| store.search(sq.clone()).wait().unwrap()).1)
            .collect();
        println!(
            "search: {what} ({q:?}, {hits} shown): p50 {:.1} ms, p95 {:.1} ms (target p50 <= 50 ms)",
            pct(&mut times, 0.5),
            pct(&mut times, 0.95)
        );
    }
    // The maintenance after a delete for everyone: the index rewritten so that no trace of
    // the deleted words is left in its pages.
    let (_, d) = timed(|| {
        store
            .call(|db| {
                db.conn()
                    .execute("INSERT INTO kv (key, value) VALUES ('search_dirty', 1) ON CONFLICT (key) DO UPDATE SET value = 1", [])?;
                db.tidy_search()
            })
            .wait()
            .unwrap()
    });
    println!(
        "search: rewriting the index after a delete (periodic maintenance): {:.0} ms",
        d.as_secs_f64() * 1000.0
    );
    drop(store);

    // `confab search` as a person runs it: a process that opens the data dir and searches.
    match confab_bench::confab_bin() {
        None => {
            println!("search: no `confab` binary (cargo build --release --bin confab) to time as a process")
        }
        Some(bin) => {
            for (q, what) in &queries {
                let mut times = Vec::new();
                for _ in 0..15 {
                    times.push(run(&bin, dir.path(), q));
                }
                println!(
                    "search: `confab search` process, {what}: p50 {:.1} ms, p95 {:.1} ms",
                    pct(&mut times, 0.5),
                    pct(&mut times, 0.95)
                );
            }
        }
    }
}

fn run(bin: &Path, dir: &Path, q: &str) -> Duration {
    let t = Instant::now();
    let out = Command::new(bin)
        .arg("--data")
        .arg(dir)
        .args(["search", q, "--limit", "20", "--json"])
        .env("CONFAB_DHT", "0")
        .output()
        .expect("running confab");
    let d = t.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    d
}
