//! Crash safety: a node catching up 100,000 records is killed with SIGKILL at random moments,
//! 50 times. After every kill its database passes `PRAGMA integrity_check`, holds every record
//! it held after the previous kill (nothing committed is lost), holds only whole records (each
//! row's columns agree with its signed bytes, which verify), and the next run fetches only what
//! is still missing (sync resumes where it stopped). On 127.0.0.1 with mDNS off.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use confab_core::Record;
use rusqlite::{Connection, OpenFlags};

#[path = "support/cli.rs"]
mod support_cli;

const BIN: &str = env!("CARGO_BIN_EXE_confab");
const RECORDS: usize = 100_000;
const KILLS: usize = 50;

fn cli(dir: &Path, args: &[&str]) -> serde_json::Value {
    support_cli::cli(BIN, dir, args)
}

/// `confab run` with its stdout and stderr lines collected.
fn run(dir: &Path, args: &[&str]) -> (Child, support_cli::Lines, support_cli::Lines) {
    let mut child = Command::new(BIN)
        .arg("--data")
        .arg(dir)
        .args(support_cli::RUN_LOCAL)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (out, err) = support_cli::collect(&mut child);
    (child, out, err)
}

/// A small deterministic generator for the kill moments (reproducible failures).
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Opens the store read-only, checks its integrity and returns the ids of the space's records,
/// checking every row not seen before: its bytes decode and verify, and its columns agree
/// with them.
fn check_store(dir: &Path, space: &[u8], seen: &HashSet<Vec<u8>>) -> HashSet<Vec<u8>> {
    let db = Connection::open(dir.join("confab.sqlite")).unwrap();
    let ok: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok", "integrity_check after a kill");
    let mut stmt = db
        // The catch-up is of x's 100k messages; y's own join announcement (kind 5) is not
        // part of it.
        .prepare("SELECT ts, id, kind, author, raw FROM records WHERE space = ?1 AND kind <> 5")
        .unwrap();
    let mut ids = HashSet::new();
    let rows = stmt
        .query_map([space], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, Vec<u8>>(4)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (ts, id, kind, author, raw) = row.unwrap();
        if !seen.contains(&id) {
            let rec = Record::decode(&raw).expect("a stored record decodes");
            assert_eq!(rec.id.0.as_slice(), id.as_slice(), "row id vs its bytes");
            assert_eq!(rec.space.0.as_slice(), space, "row space vs its bytes");
            assert_eq!(rec.ts.0 as i64, ts, "row ts vs its bytes");
            assert_eq!(rec.kind.code() as i64, kind, "row kind vs its bytes");
            assert_eq!(
                rec.author.0.as_slice(),
                author.as_slice(),
                "row author vs its bytes"
            );
            rec.verify().expect("a stored record's signature verifies");
        }
        ids.insert(id);
    }
    ids
}

/// The `total` of the first "receiving" progress line a run printed, if any.
fn first_total(err: &[String]) -> Option<usize> {
    err.iter()
        .filter(|l| l.starts_with("sync ") && l.contains(" receiving "))
        .find_map(|l| l.rsplit('/').next()?.parse().ok())
}

#[test]
fn sigkill_during_a_large_catch_up_loses_nothing_and_resumes() {
    let d = tempfile::tempdir().unwrap();
    let (x, y) = (d.path().join("x"), d.path().join("y"));
    let made = cli(&x, &["space", "create", "chat", "big room"]);
    let space = made["space"].as_str().unwrap().to_string();
    let ticket = made["ticket"].as_str().unwrap().to_string();
    cli(&y, &["space", "join", &ticket]);
    let written = cli(
        &x,
        &["chat", "send", &space, "load", "--count", &RECORDS.to_string()],
    );
    assert_eq!(written["written"], RECORDS as u64);
    let space_bytes: Vec<u8> = Connection::open(y.join("confab.sqlite"))
        .unwrap()
        .query_row("SELECT id FROM spaces WHERE kind = 'chat'", [], |r| r.get(0))
        .unwrap();

    let (mut px, x_out, _) = run(&x, &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let x_addr = loop {
        if let Some(a) = x_out
            .lock()
            .unwrap()
            .iter()
            .find_map(|l| l.strip_prefix("listening "))
        {
            break a.to_string();
        }
        assert!(Instant::now() < deadline, "x never listened");
        std::thread::sleep(Duration::from_millis(20));
    };

    let mut rng = XorShift(0x5eed_c0ff_ee00_0001);
    let mut held: HashSet<Vec<u8>> = HashSet::new();
    let mut resumed = 0;
    let mut catch_ups = 1;
    for kill in 0..KILLS {
        let before = held.len();
        let (mut py, _, y_err) = run(&y, &["--dial", &x_addr]);
        // Kill at a random moment: early ones hit start-up and reconciliation, later ones the
        // fetch pipeline and its transactions.
        std::thread::sleep(Duration::from_millis(100 + rng.below(1900)));
        py.kill().unwrap(); // SIGKILL
        py.wait().unwrap();
        let now = check_store(&y, &space_bytes, &held);
        let lost = held.difference(&now).count();
        assert_eq!(lost, 0, "kill {kill}: {lost} records committed before were lost");
        // A run that began fetching asked only for what was still missing.
        if let Some(total) = first_total(&y_err.lock().unwrap()) {
            // x also holds the join records of the earlier catch-ups' identities (one each,
            // learnt by its own pulls), which y fetches along with the messages.
            let missing = RECORDS - before;
            assert!(
                (missing..=missing + catch_ups).contains(&total),
                "kill {kill}: the fetch did not resume where it stopped: asked for {total}, \
                 {missing} messages were missing"
            );
            resumed += 1;
        }
        eprintln!("crash: kill {kill}: {} → {} records", before, now.len());
        held = now;
        if held.len() == RECORDS {
            // Finished before the kills ran out (a fast machine): begin another catch-up from
            // an empty node, so that all KILLS land during one.
            std::fs::remove_dir_all(&y).unwrap();
            cli(&y, &["space", "join", &ticket]);
            held.clear();
            catch_ups += 1;
        }
    }
    eprintln!("crash: {KILLS} kills over {catch_ups} catch-ups; {resumed} runs resumed a partial catch-up");

    // Left alone, it finishes.
    let before = held.len();
    let (mut py, _, y_err) = run(&y, &["--dial", &x_addr]);
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let n = Connection::open_with_flags(y.join("confab.sqlite"), OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|db| {
                db.query_row(
                    "SELECT count(*) FROM records WHERE space = ?1 AND kind <> 5",
                    [&space_bytes],
                    |r| r.get::<_, i64>(0),
                )
            })
            .unwrap_or(0) as usize;
        if n == RECORDS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the catch-up never finished ({n} of {RECORDS})"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &py.id().to_string()])
        .status();
    py.wait().unwrap();
    if before < RECORDS {
        let total = first_total(&y_err.lock().unwrap()).expect("the last run fetched");
        let missing = RECORDS - before;
        assert!(
            (missing..=missing + catch_ups).contains(&total),
            "the last run asked for {total}; {missing} messages were missing"
        );
    }
    let all = check_store(&y, &space_bytes, &held);
    assert_eq!(all.len(), RECORDS);
    let _ = px.kill();
    let _ = px.wait();
}
