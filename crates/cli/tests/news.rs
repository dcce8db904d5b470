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

#[test]
fn drafts_schedules_settings_and_replies_by_command() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let news = ok_json(&a, &["space", "create", "news", "Weekly"])["space"]
        .as_str()
        .unwrap()
        .to_string();
    let n = news.as_str();
    let draft = ok_json(
        &a,
        &[
            "news", "publish", n, "--title", "Later", "--body", "*soon*", "--draft",
        ],
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A schedule far ahead (no node runs here, so it waits).
    let at = "2099-01-01T00:00:00Z";
    let sched = ok_json(
        &a,
        &[
            "news", "publish", n, "--title", "Future", "--body", "x", "--at", at,
        ],
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let drafts = ok_json(&a, &["news", "drafts", n]);
    let all = drafts.as_array().unwrap();
    assert_eq!(all.len(), 2);
    for key in ["id", "title", "at"] {
        assert!(all[0].get(key).is_some(), "{key} missing from {}", all[0]);
    }
    assert_eq!(
        (&all[0]["id"], &all[0]["title"]),
        (&draft.as_str().into(), &"Later".into())
    );
    assert!(all[0]["html"].as_str().unwrap().contains("<em>soon</em>"));
    assert_eq!(
        (&all[1]["id"], &all[1]["scheduled"]),
        (&sched.as_str().into(), &true.into())
    );
    assert_eq!(all[1]["at"], 4_070_908_800_000u64);
    assert!(
        ok_json(&a, &["news", "list", n]).as_array().unwrap().is_empty(),
        "nothing published"
    );
    let issue = ok_json(&a, &["news", "publish-draft", n, &draft[..8]])["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(ok_json(&a, &["news", "list", n])[0]["id"], issue.as_str());
    assert_eq!(ok_json(&a, &["news", "drafts", n]).as_array().unwrap().len(), 1);
    let out = confab(&a, &["news", "discard", n, &sched]);
    assert!(out.status.success());
    assert!(ok_json(&a, &["news", "drafts", n]).as_array().unwrap().is_empty());
    fails(
        &a,
        &[
            "news", "publish", n, "--title", "t", "--body", "b", "--at", "soon",
        ],
        "neither RFC 3339",
    );
    fails(&a, &["news", "publish-draft", n, &draft], "no draft");

    // Settings and replies.
    assert_eq!(ok_json(&a, &["news", "settings", n])["replies"], "off");
    fails(&a, &["news", "reply", n, &issue, "hi"], "does not allow replies");
    fails(
        &a,
        &["news", "settings", n, "--replies", "some"],
        "expected off, owner or all",
    );
    assert_eq!(
        ok_json(&a, &["news", "settings", n, "--replies", "all"])["replies"],
        "all"
    );
    let reply = ok_json(&a, &["news", "reply", n, &issue, "A note"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let replies = ok_json(&a, &["news", "replies", n, &issue]);
    assert_eq!(
        (&replies[0]["id"], &replies[0]["text"]),
        (&reply.as_str().into(), &"A note".into())
    );
    ok_json(&a, &["news", "settings", n, "--replies", "owner"]);
    ok_json(&a, &["news", "reply", n, &issue, "Just for me"]);
    let replies = ok_json(&a, &["news", "replies", n, &issue]);
    assert_eq!(
        replies[1]["text"], "Just for me",
        "the owner opens replies sealed to it"
    );
    assert_eq!(replies[1]["sealed"], true);
    assert!(confab(&a, &["news", "remove-reply", n, &issue, &reply])
        .status
        .success());
    assert_eq!(
        ok_json(&a, &["news", "replies", n, &issue])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    fails(&a, &["news", "reply", n, &issue, "  "], "an empty reply");
}
