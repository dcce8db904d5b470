//! Engine benchmarks: the machine's ingest limit and the store against it, reconciliation of
//! large stores next to the `negentropy` crate's own figures on the same sets, and listing.
//!
//! `cargo bench -p confab-bench` (set CONFAB_BENCH_SCALE=0.1 for a quick run).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use confab_bench::{cores, fresh_store, insert_raw, make_records, n, rate, scale, timed, verify_rate};
use confab_core::record::verify_all;
use confab_core::{now_ms, Hlc, Identity, Record, Space, SpaceKind, SyncKey};
use confab_store::{Origin, Store};
use confab_sync::{Loopback, Syncer};
use futures::executor::block_on;
use negentropy::{Id, Negentropy, NegentropyStorageVector};

const DAY_MS: u64 = 86_400_000;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probing
    }
    println!("# Confab engine benchmarks: {} cores, scale {}", cores(), scale());
    // `-- ingest` (or reconcile, listing) runs one part only.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let run = |name: &str| only.is_empty() || only.iter().any(|o| name.contains(o.as_str()));
    if run("ingest") {
        ingest();
    }
    if run("reconcile") {
        reconcile();
    }
    if run("listing") {
        listing();
    }
}

fn ingest() {
    let count = n(100_000);
    println!("\n## Ingest ({count} chat records)");
    let me = Identity::generate();
    let space = Space::create(SpaceKind::Chat, "ingest", me.author()).unwrap();
    let t0 = now_ms() - 10 * DAY_MS;
    let (recs, d) = timed(|| make_records(&space, &me, count, |i| Hlc::new(t0 + i as u64, 0).0));
    let size = recs.iter().map(|r| r.encoded().len()).sum::<usize>() / count;
    println!(
        "record size: {size} bytes; signing: {:.0}/s on {} cores",
        rate(count, d),
        cores()
    );
    let encs: Vec<Vec<u8>> = recs.iter().map(|r| r.encoded().to_vec()).collect();

    let (_, d) = timed(|| {
        encs.iter().for_each(|e| {
            std::hint::black_box(blake3::hash(e));
        })
    });
    let hash = rate(count, d);
    let (_, d) = timed(|| {
        encs.iter().for_each(|e| {
            std::hint::black_box(Record::decode(e).unwrap());
        })
    });
    let decode = rate(count, d);
    let (_, d) = timed(|| {
        encs.iter().for_each(|e| {
            std::hint::black_box(Record::decode(e).unwrap().verify().unwrap());
        })
    });
    let strict1 = rate(count, d);
    let (_, d) = timed(|| {
        for c in encs.chunks(10_000) {
            assert!(verify_all(c.to_vec()).iter().all(|r| r.is_ok()));
        }
    });
    let strict_all = rate(count, d);

    // Insert is several times faster than strict verification, so the writer thread is mostly
    // idle and verification can use every core.
    let verifiers = cores();
    let batch1 = verify_rate(&recs, 1);
    let batch_pipe = verify_rate(&recs, verifiers);

    let (_dir, raw_store) = fresh_store(&space);
    let (_, d) = timed(|| insert_raw(&raw_store, recs.clone(), 10_000));
    let raw_insert_10k = rate(count, d);
    let (_dir2, raw_store2) = fresh_store(&space);
    let (_, d) = timed(|| insert_raw(&raw_store2, recs.clone(), 1_000));
    let raw_insert_1k = rate(count, d);

    let limit = batch_pipe.min(raw_insert_10k);

    // The store's real path: verify on the caller's cores, insert on the writer thread; the
    // next batch is verified while the writer stores the previous one.
    let (_dir3, store) = fresh_store(&space);
    let (_, d) = timed(|| {
        let mut pending = Vec::new();
        for c in encs.chunks(10_000) {
            pending.push(store.ingest(c.to_vec(), Origin::Sync));
            if pending.len() > 2 {
                assert_eq!(pending.remove(0).wait().unwrap().refused.len(), 0);
            }
        }
        for p in pending {
            assert_eq!(p.wait().unwrap().refused.len(), 0);
        }
    });
    let store_ingest = rate(count, d);
    let verified: Vec<_> = verify_all(encs.clone()).into_iter().map(|r| r.unwrap()).collect();
    let (_dir4, store2) = fresh_store(&space);
    let (_, d) = timed(|| {
        for c in verified.chunks(10_000) {
            store2.insert(c.to_vec(), Origin::Sync).wait().unwrap();
        }
    });
    let store_insert = rate(count, d);

    println!("| stage | records/s |\n|---|---|");
    println!("| BLAKE3 id hashing, 1 core | {hash:.0} |");
    println!("| decode + canonical check, 1 core | {decode:.0} |");
    println!("| Record::verify one at a time (+decode), 1 core | {strict1:.0} |");
    println!("| verify_all (+decode) on {} cores | {strict_all:.0} |", cores());
    println!("| strict Ed25519 verify + hash, 1 core | {batch1:.0} |");
    println!("| strict Ed25519 verify + hash, {verifiers} cores | {batch_pipe:.0} |");
    println!("| raw SQLite insert, 10k-row commits | {raw_insert_10k:.0} |");
    println!("| raw SQLite insert, 1k-row commits | {raw_insert_1k:.0} |");
    println!("| **ingest limit** = min(verify + hash on all cores, raw insert) | {limit:.0} |");
    println!("| store insert of verified records (authorize + decrypt + insert), 10k batches | {store_insert:.0} |");
    println!(
        "| **store ingest** (decode + verify + authorize + insert, pipelined) | {store_ingest:.0} ({:.0}% of the limit) |",
        100.0 * store_ingest / limit
    );
}

fn keys_of(store: &Store, space: &Space) -> Vec<SyncKey> {
    store.sync_keys(space.id).wait().unwrap()
}

/// The negentropy crate on its own: vector storage built from scratch, messages passed in memory.
fn negentropy_alone(a: &[SyncKey], b: &[SyncKey]) -> (u32, usize, usize, Duration, Duration, usize, usize) {
    let build = |keys: &[SyncKey]| {
        let mut v = NegentropyStorageVector::with_capacity(keys.len());
        for k in keys {
            v.insert(k.ts(), Id::from_byte_array(k.0)).unwrap();
        }
        v.seal().unwrap();
        v
    };
    let (sa, build_time) = timed(|| build(a));
    let sb = build(b);
    let start = Instant::now();
    let mut ia = Negentropy::borrowed(&sa, 512 * 1024).unwrap();
    let mut rb = Negentropy::borrowed(&sb, 512 * 1024).unwrap();
    let (mut have, mut need) = (Vec::new(), Vec::new());
    let mut msg = ia.initiate().unwrap();
    let (mut up, mut down, mut rounds) = (0usize, 0usize, 0u32);
    loop {
        rounds += 1;
        up += msg.len();
        let reply = rb.reconcile(&msg).unwrap();
        down += reply.len();
        match ia.reconcile_with_ids(&reply, &mut have, &mut need).unwrap() {
            Some(m) => msg = m,
            None => break,
        }
    }
    (
        rounds,
        up,
        down,
        start.elapsed(),
        build_time,
        have.len(),
        need.len(),
    )
}

struct Pair {
    space: Space,
    a: Syncer,
    b: Syncer,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

fn pair(space: &Space, base: &[Record]) -> Pair {
    let (da, sa) = fresh_store(space);
    let (db, sb) = fresh_store(space);
    let verified: Vec<_> = verify_all(base.iter().map(|r| r.encoded().to_vec()).collect())
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    for c in verified.chunks(20_000) {
        sa.insert(c.to_vec(), Origin::Sync).wait().unwrap();
        sb.insert(c.to_vec(), Origin::Sync).wait().unwrap();
    }
    Pair {
        space: space.clone(),
        a: Syncer::new(sa),
        b: Syncer::new(sb),
        _dirs: (da, db),
    }
}

fn scenario(p: &Pair, label: &str, only_a: Vec<Record>, only_b: Vec<Record>) {
    let ids: HashSet<[u8; 32]> = only_a.iter().chain(&only_b).map(|r| r.id.0).collect();
    let ins = |s: &Syncer, rs: Vec<Record>| {
        let v: Vec<_> = rs.into_iter().map(|r| r.verify().unwrap()).collect();
        s.store().insert(v, Origin::Sync).wait().unwrap();
    };
    ins(&p.a, only_a);
    ins(&p.b, only_b);
    let (ka, kb) = (keys_of(p.a.store(), &p.space), keys_of(p.b.store(), &p.space));
    let (rounds, up, down, t, build, have, need) = negentropy_alone(&ka, &kb);
    // Warm both indexes as a running node would have them.
    block_on(p.a.index().snapshot(p.a.store(), p.space.id)).unwrap();
    block_on(p.b.index().snapshot(p.b.store(), p.space.id)).unwrap();
    let start = Instant::now();
    let st = block_on(p.a.sync_space(p.space.id, &mut Loopback { remote: &p.b }, &mut |_| {})).unwrap();
    let total = start.elapsed();
    assert_eq!((st.have as usize, st.need as usize), (have, need));
    assert_eq!(keys_of(p.a.store(), &p.space), keys_of(p.b.store(), &p.space));
    println!(
        "| {label} | negentropy crate | {rounds} | {:.1} KiB / {:.1} KiB | {:.1} ms (+{:.1} ms to build its storage) |",
        up as f64 / 1024.0,
        down as f64 / 1024.0,
        t.as_secs_f64() * 1e3,
        build.as_secs_f64() * 1e3
    );
    println!(
        "| {label} | Confab sync (reconcile + transfer {} records) | {} ({} round trips) | {:.1} KiB / {:.1} KiB | {:.1} ms |",
        st.have + st.need,
        st.rounds,
        st.round_trips,
        st.bytes_sent as f64 / 1024.0,
        st.bytes_received as f64 / 1024.0,
        total.as_secs_f64() * 1e3
    );
    // Remove the differences again so the next scenario starts from the shared base.
    for s in [&p.a, &p.b] {
        let ids = ids.clone();
        s.store()
            .call(move |db| {
                let tx = db.conn().transaction()?;
                for id in &ids {
                    tx.execute("DELETE FROM records WHERE id = ?1", [&id[..]])?;
                }
                tx.commit()?;
                Ok(())
            })
            .wait()
            .unwrap();
        s.index().invalidate(&p.space.id);
    }
}

fn reconcile() {
    let me = Identity::generate();
    let now = now_ms();
    let big = n(1_000_000);
    println!("\n## Reconciliation ({big} records per store)");
    let space = Space::create(SpaceKind::Chat, "reconcile", me.author()).unwrap();
    // The shared history: 30 days ending two days ago.
    let span = 30 * DAY_MS;
    let start = now - span - 2 * DAY_MS;
    let (base, d) = timed(|| {
        make_records(&space, &me, big, |i| {
            Hlc::new(start + (i as u64 * span) / big as u64, 1).0
        })
    });
    println!("signed {big} records in {:.1} s", d.as_secs_f64());
    let (p, d) = timed(|| pair(&space, &base));
    println!("built two stores of {big} in {:.1} s", d.as_secs_f64());
    drop(base);
    let (_, d) = timed(|| keys_of(p.a.store(), &space));
    println!(
        "loading {big} keys from SQLite (cold index): {:.0} ms",
        d.as_secs_f64() * 1e3
    );
    let (_, d) = timed(|| confab_sync::Snapshot::from_keys(&keys_of(p.a.store(), &space)));
    println!(
        "loading + sorting into a snapshot: {:.0} ms (kept between syncs)",
        d.as_secs_f64() * 1e3
    );

    println!("\n| sets | implementation | rounds | bytes up / down | time |\n|---|---|---|---|---|");
    let mut salt = 2u16;
    let mut diff = |count: usize, from: u64, width: u64| {
        salt += 1;
        let s = salt;
        make_records(&space, &me, count, move |i| {
            Hlc::new(from + (i as u64 * 7_919_993) % width, s).0
        })
    };
    let d100 = diff(100, start, span);
    let (a, b) = d100.split_at(50);
    scenario(
        &p,
        &format!("{big} vs {big}, 100 differ (scattered)"),
        a.to_vec(),
        b.to_vec(),
    );
    let d10k = diff(n(10_000), start, span);
    let (a, b) = d10k.split_at(d10k.len() / 2);
    scenario(
        &p,
        &format!("{big} vs {big}, {} differ (scattered)", d10k.len()),
        a.to_vec(),
        b.to_vec(),
    );
    let recent = diff(n(10_000), now - DAY_MS, DAY_MS - 1000);
    let (a, b) = recent.split_at(recent.len() / 2);
    scenario(
        &p,
        &format!("{big} vs {big}, {} differ (newest day)", recent.len()),
        a.to_vec(),
        b.to_vec(),
    );
    drop(p);

    let mid = n(100_000);
    let space2 = Space::create(SpaceKind::Chat, "reconcile-100k", me.author()).unwrap();
    let base2 = make_records(&space2, &me, mid, |i| {
        Hlc::new(start + (i as u64 * span) / mid as u64, 1).0
    });
    let p2 = pair(&space2, &base2);
    let d1k = make_records(&space2, &me, n(1_000), |i| {
        Hlc::new(start + (i as u64 * 3_331_333) % span, 9).0
    });
    let (a, b) = d1k.split_at(d1k.len() / 2);
    scenario(
        &p2,
        &format!("{mid} vs {mid}, {} differ (scattered)", d1k.len()),
        a.to_vec(),
        b.to_vec(),
    );
}

fn listing() {
    let me = Identity::generate();
    let space = Space::create(SpaceKind::Chat, "listing", me.author()).unwrap();
    let count = n(10_000);
    let t0 = now_ms() - DAY_MS;
    let recs = make_records(&space, &me, count, |i| Hlc::new(t0 + i as u64 * 3, 0).0);
    let (_dir, store) = fresh_store(&space);
    store
        .insert(
            recs.into_iter().map(|r| r.verify().unwrap()).collect(),
            Origin::Sync,
        )
        .wait()
        .unwrap();
    // Other spaces' records in the same table, so the query must really select by space.
    let other = Space::create(SpaceKind::Chat, "noise", me.author()).unwrap();
    store.add_space(other.clone()).wait().unwrap();
    let noise = make_records(&other, &me, count, |i| Hlc::new(t0 + i as u64 * 3 + 1, 0).0);
    store
        .insert(
            noise.into_iter().map(|r| r.verify().unwrap()).collect(),
            Origin::Sync,
        )
        .wait()
        .unwrap();
    let runs = 10;
    let (_, d) = timed(|| {
        for _ in 0..runs {
            assert_eq!(store.chat_messages(space.id).wait().unwrap().len(), count);
        }
    });
    println!("\n## Listing");
    println!(
        "listing a {count}-message chat space (decode + decrypt, in (ts, id) order): {:.1} ms per listing, {:.0} messages/s",
        d.as_secs_f64() * 1e3 / runs as f64,
        rate(count * runs, d)
    );
    let (_, d) = timed(|| {
        for _ in 0..runs {
            store.sync_keys(space.id).wait().unwrap();
        }
    });
    println!(
        "its sync keys: {:.2} ms per load",
        d.as_secs_f64() * 1e3 / runs as f64
    );
}
