//! Newsletter corrections and feeds by command: `news edit` (title, body, Markdown file),
//! `news list` items with `updated_ms` and `versions`, `news versions`, `news feed --out`,
//! `confab verify FEED [--publisher]`; refusals on stderr with nothing written.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

#[path = "support/cli.rs"]
mod support_cli;

const BIN: &str = env!("CARGO_BIN_EXE_confab");

fn confab(dir: &Path, args: &[&str]) -> Output {
    support_cli::run(BIN, dir, args)
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = confab(dir, &all);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?} printed non-JSON ({e})"))
}

fn fails(dir: &Path, args: &[&str], needle: &str) {
    let out = confab(dir, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout on failure");
    assert!(err.contains(needle), "{args:?}: stderr {err:?} lacks {needle:?}");
}

#[test]
fn issues_are_corrected_listed_with_versions_and_written_as_a_feed_that_verifies() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let news = ok_json(&a, &["space", "create", "news", "Weekly"])["space"]
        .as_str()
        .unwrap()
        .to_string();
    let n = news.as_str();
    let first = ok_json(&a, &["news", "publish", n, "--title", "One", "--body", "Helo"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok_json(&a, &["news", "publish", n, "--title", "Two", "--body", "Second"]);
    let list = ok_json(&a, &["news", "list", n]);
    assert_eq!(list[0]["versions"], 1);
    assert_eq!(list[0]["updated_ms"], list[0]["ts"]);

    ok_json(&a, &["news", "edit", n, &first[..8], "--body", "Hello"]);
    let md = d.path().join("fix.md");
    std::fs::write(&md, "# Hello\n\nwith *Markdown*").unwrap();
    ok_json(
        &a,
        &[
            "news",
            "edit",
            n,
            &first,
            "--title",
            "One (fixed)",
            "--markdown",
            md.to_str().unwrap(),
        ],
    );
    let list = ok_json(&a, &["news", "list", n]);
    let i = &list[0];
    assert_eq!((&i["title"], &i["versions"]), (&"One (fixed)".into(), &3.into()));
    assert!(i["body"].as_str().unwrap().contains("*Markdown*"));
    assert!(i["updated_ms"].as_u64() >= i["ts"].as_u64());
    let versions = ok_json(&a, &["news", "versions", n, &first]);
    let titles: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["One", "One", "One (fixed)"]);
    assert_eq!(versions[1]["body"], "Hello");

    let feed = d.path().join("weekly.xml");
    let f = ok_json(&a, &["news", "feed", n, "--out", feed.to_str().unwrap()]);
    assert_eq!((&f["issues"], &f["corrections"]), (&2.into(), &2.into()));
    let me = ok_json(&a, &["id"])["account"].as_str().unwrap().to_string();
    let r = ok_json(&a, &["verify", feed.to_str().unwrap(), "--publisher", &me]);
    assert_eq!(
        (&r["issues"], &r["corrections"], &r["publisher"]),
        (&2.into(), &2.into(), &me.as_str().into())
    );

    // Refusals by name, nothing written.
    fails(&a, &["news", "edit", n, &first], "nothing to correct");
    fails(&a, &["news", "edit", n, "beef", "--title", "x"], "no issue");
    fails(&a, &["news", "edit", n, &first, "--title", " "], "empty title");
    fails(
        &a,
        &["news", "feed", n, "--out", feed.to_str().unwrap()],
        "exists",
    );
    let board = ok_json(&a, &["space", "create", "board", "b"])["space"]
        .as_str()
        .unwrap()
        .to_string();
    fails(
        &a,
        &[
            "news",
            "feed",
            &board,
            "--out",
            d.path().join("x.xml").to_str().unwrap(),
        ],
        "feeds are of newsletters",
    );
    let stranger = confab_core::Identity::generate().author().peer_id();
    fails(
        &a,
        &["verify", feed.to_str().unwrap(), "--publisher", &stranger],
        "not by the publisher",
    );
    assert_eq!(ok_json(&a, &["news", "list", n])[0]["versions"], 3);
}
