//! The `confab` command's contract, run as a person or a script would run it.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

#[path = "support/cli.rs"]
mod support_cli;

fn confab(dir: &Path, args: &[&str]) -> Output {
    support_cli::run(env!("CARGO_BIN_EXE_confab"), dir, args)
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let out = confab(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} printed non-JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Creates a space; returns its id.
fn create(dir: &Path, kind: &str, name: &str) -> String {
    ok_json(dir, &["space", "create", kind, name, "--json"])["space"]
        .as_str()
        .unwrap()
        .to_string()
}

fn fails(dir: &Path, args: &[&str], needle: &str) {
    let out = confab(dir, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout on failure");
    assert!(err.contains(needle), "{args:?}: stderr {err:?} lacks {needle:?}");
}

#[test]
fn id_spaces_and_tickets() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let id = ok_json(&a, &["id", "--json"]);
    let peer = id["peer_id"].as_str().unwrap().to_string();
    assert!(peer.starts_with("12D3KooW"), "{peer}");
    assert_eq!(id["account"], peer.as_str(), "a single device is its own account");
    assert_eq!(
        ok_json(&a, &["id", "--json"])["peer_id"],
        peer.as_str(),
        "identity is stable"
    );

    let created = ok_json(&a, &["space", "create", "chat", "Team room", "--json"]);
    let space = created["space"].as_str().unwrap();
    let ticket = created["ticket"].as_str().unwrap();
    assert_eq!(space.len(), 64);
    assert!(ticket.starts_with("CONFAB1"));
    let joined = ok_json(&b, &["space", "join", ticket, "--json"]);
    assert_eq!(joined["space"], space);
    let list = ok_json(&b, &["space", "list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    // The README's fields; the app's extra fields sit beside them.
    for (k, v) in [("space", space), ("kind", "chat"), ("name", "Team room")] {
        assert_eq!(list[0][k], v, "{list:?}");
    }
    assert_eq!(list[0]["mine"], false);

    fails(&a, &["space", "create", "forum", "x"], "unknown space kind");
    fails(&a, &["space", "create", "chat", "   "], "space name is empty");
    fails(&b, &["space", "join", "hello"], "not a Confab ticket");
    // A damaged ticket: one character changed in the middle.
    let mut damaged: Vec<char> = ticket.chars().collect();
    let mid = damaged.len() / 2;
    damaged[mid] = if damaged[mid] == 'Q' { 'R' } else { 'Q' };
    let damaged: String = damaged.into_iter().collect();
    let c = d.path().join("c");
    fails(&c, &["space", "join", &damaged], "ticket");
    assert_eq!(
        ok_json(&c, &["space", "list", "--json"]),
        serde_json::json!([]),
        "a bad ticket joined something"
    );
    fails(&c, &["space", "join", &ticket[..ticket.len() - 20]], "ticket");
}

#[test]
fn chat_board_news_round_trip() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let chat = create(&a, "chat", "c");
    let out = confab(&a, &["chat", "send", &chat[..10], "first <b>hello</b>"]);
    assert!(out.status.success());
    confab(&a, &["chat", "send", &chat, "second"]);
    let msgs = ok_json(&a, &["chat", "list", &chat, "--json"]);
    let msgs = msgs.as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["text"], "first <b>hello</b>");
    assert_eq!(msgs[1]["text"], "second");
    for m in msgs {
        for k in ["id", "author", "ts", "text"] {
            assert!(m.get(k).is_some(), "chat list lacks {k}");
        }
    }
    assert!(msgs[0]["ts"].as_u64().unwrap() <= msgs[1]["ts"].as_u64().unwrap());
    fails(&a, &["chat", "send", &chat, "  "], "empty");
    fails(&a, &["chat", "send", "ffff0000", "x"], "no space matches");

    let board = create(&a, "board", "b");
    let s1 = ok_json(
        &a,
        &[
            "board",
            "stroke",
            &board,
            "--points",
            "0,0 10,10 20,5",
            "--color",
            "#ff8800",
            "--width",
            "3",
            "--json",
        ],
    );
    ok_json(&a, &["board", "stroke", &board, "--points", "5,5", "--json"]);
    let strokes = ok_json(&a, &["board", "list", &board, "--json"]);
    assert_eq!(strokes.as_array().unwrap().len(), 2);
    let first = strokes
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == s1["id"])
        .unwrap();
    assert_eq!(
        first["points"],
        serde_json::json!([[0.0, 0.0], [10.0, 10.0], [20.0, 5.0]])
    );
    assert_eq!(first["color"], "#ff8800");
    assert_eq!(first["width"], 3.0);
    ok_json(
        &a,
        &[
            "board",
            "erase",
            &board,
            &s1["id"].as_str().unwrap()[..12],
            "--json",
        ],
    );
    assert_eq!(
        ok_json(&a, &["board", "list", &board, "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    fails(
        &a,
        &["board", "stroke", &board, "--points", "1,2 3"],
        "not of the form x,y",
    );
    fails(
        &a,
        &["board", "stroke", &board, "--points", "1,2", "--color", "blue"],
        "#rrggbb",
    );
    fails(&a, &["board", "erase", &board, "abcdef"], "no stroke");
    fails(&a, &["chat", "send", &board, "hi"], "does not take");

    let news = create(&a, "news", "n");
    confab(
        &a,
        &[
            "news",
            "publish",
            &news,
            "--title",
            "Issue 1",
            "--body",
            "Hello readers",
        ],
    );
    let issues = ok_json(&a, &["news", "list", &news, "--json"]);
    assert_eq!(issues[0]["title"], "Issue 1");
    assert_eq!(issues[0]["body"], "Hello readers");
    assert_eq!(issues[0]["author"], ok_json(&a, &["id", "--json"])["peer_id"]);
}

#[test]
fn only_the_owner_publishes_a_newsletter() {
    let d = tempfile::tempdir().unwrap();
    let (owner, member) = (d.path().join("owner"), d.path().join("member"));
    let created = ok_json(&owner, &["space", "create", "news", "Owner's weekly", "--json"]);
    let space = created["space"].as_str().unwrap();
    ok_json(
        &member,
        &["space", "join", created["ticket"].as_str().unwrap(), "--json"],
    );
    fails(
        &member,
        &["news", "publish", space, "--title", "Fake", "--body", "not mine"],
        "only the owner",
    );
    assert_eq!(
        ok_json(&member, &["news", "list", space, "--json"]),
        serde_json::json!([])
    );
}

#[test]
fn data_dir_from_the_environment_and_private_files() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("env-dir");
    let out = Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(["id", "--json"])
        .env("CONFAB_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(dir.join("identity.key").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(dir.join("identity.key"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
}

/// What a data dir holds, as rows: every record id, every space and its settings, every key of
/// the kv table, the holders, and the saved settings file.
fn fingerprint(dir: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open_with_flags(
        dir.join("confab.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut rows = Vec::new();
    for sql in [
        "SELECT hex(id) FROM records ORDER BY id",
        "SELECT hex(id) || kind || name || muted FROM spaces ORDER BY id",
        "SELECT key || quote(value) FROM kv ORDER BY key",
        "SELECT hex(space) || peer || upto FROM holders ORDER BY space, peer",
    ] {
        let mut stmt = db.prepare(sql).unwrap();
        let found = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.extend(found.map(|r| r.unwrap()));
    }
    rows.push(format!("{:?}", std::fs::read(dir.join("settings.json")).ok()));
    rows
}

#[test]
fn bad_input_at_every_door_is_named_and_changes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let room = create(&a, "chat", "room");
    let board = create(&a, "board", "board");
    ok_json(&a, &["chat", "send", &room, "kept", "--json"]);
    let before = fingerprint(&a);
    let long = "x".repeat(20_000);
    // Command-line arguments and tickets.
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["chat", "frobnicate"], "unrecognized subcommand"),
        (vec!["chat", "send", &room], "required"),
        (vec!["chat", "send", &room, &long], "limit"),
        (vec!["chat", "send", "zz-not-hex", "hi"], "no space matches"),
        (vec!["space", "join", ""], "not a Confab ticket"),
        (vec!["space", "join", "CONFAB1!!!!"], "ticket"),
        (vec!["space", "create", "chat", &long], "name"),
        (vec!["board", "stroke", &board, "--points", "0,0 x,1"], "point"),
        (
            vec!["board", "stroke", &board, "--points", "0,0", "--color", "#zz0000"],
            "colour",
        ),
        (
            vec!["board", "stroke", &board, "--points", "0,0", "--width=-3"],
            "width",
        ),
        (
            vec!["news", "publish", &room, "--title", "t", "--body", "b"],
            "does not take",
        ),
        (vec!["run", "--listen", "not-an-address"], "not-an-address"),
        (vec!["run", "--dial", "/ip4/1.2.3.4/tcp/banana"], "banana"),
    ];
    for (args, needle) in &cases {
        fails(&a, args, needle);
        assert_eq!(fingerprint(&a), before, "{args:?} changed the stored data");
    }
    // A settings file that is not JSON, and a bad address in the environment: `confab run`
    // refuses to start and names the file or the variable.
    std::fs::write(a.join("settings.json"), b"{ this is not json").unwrap();
    fails(
        &a,
        &["run", "--no-mdns", "--no-dht", "--no-upnp"],
        "settings.json",
    );
    std::fs::remove_file(a.join("settings.json")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_confab"))
        .arg("--data")
        .arg(&a)
        .args(["run", "--no-mdns", "--no-dht", "--no-upnp"])
        .env("CONFAB_DIAL", "garbage")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("CONFAB_DIAL") && err.contains("garbage"), "{err}");
    assert_eq!(fingerprint(&a), before, "bad settings changed the stored data");
    // What was there is still readable and whole.
    let msgs = ok_json(&a, &["chat", "list", &room, "--json"]);
    assert_eq!(msgs[0]["text"], "kept");
}

/// Long histories page by (ts, id): the newest N, then the N before the oldest shown, down to
/// the first; `--before` takes an id or a unique prefix; bad bounds are refused by name.
#[test]
fn chat_and_news_list_in_pages() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let chat = create(&a, "chat", "c");
    let out = confab(&a, &["chat", "send", &chat, "m", "--count", "25"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let all = ok_json(&a, &["chat", "list", &chat, "--json"]);
    let all: Vec<Value> = all.as_array().unwrap().clone();
    assert_eq!(all.len(), 25);
    // Pages of 10 from the newest: 10, 10, 5, then nothing; together, everything in order.
    let mut pages = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut args = vec!["chat", "list", &chat, "--limit", "10", "--json"];
        let prefix;
        if let Some(b) = &before {
            prefix = b[..12].to_string();
            args.extend(["--before", &prefix]);
        }
        let page = ok_json(&a, &args).as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        before = Some(page[0]["id"].as_str().unwrap().to_string());
        pages.push(page);
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
    let joined: Vec<Value> = pages.into_iter().rev().flatten().collect();
    assert_eq!(joined, all, "the pages are the whole history, oldest first");
    // Without a limit, everything before the message named.
    let tenth = all[10]["id"].as_str().unwrap();
    let head = ok_json(&a, &["chat", "list", &chat, "--before", tenth, "--json"]);
    assert_eq!(head.as_array().unwrap().as_slice(), &all[..10]);
    fails(&a, &["chat", "list", &chat, "--limit", "0"], "at least 1");
    fails(
        &a,
        &["chat", "list", &chat, "--before", "not-hex"],
        "is not a message id",
    );
    fails(
        &a,
        &["chat", "list", &chat, "--before", "", "--limit", "3"],
        "is not a message id",
    );
    let missing = if tenth.starts_with('0') {
        "ffffffffffff"
    } else {
        "000000000000"
    };
    fails(
        &a,
        &["chat", "list", &chat, "--before", missing],
        "no message here",
    );
    // One hex digit matches more than one of 25 ids (16 possible digits).
    let digit = (0..16)
        .map(|d| format!("{d:x}"))
        .find(|d| {
            all.iter()
                .filter(|m| m["id"].as_str().unwrap().starts_with(d.as_str()))
                .count()
                > 1
        })
        .unwrap();
    fails(
        &a,
        &["chat", "list", &chat, "--before", &digit],
        "more than one message",
    );

    // The same for a newsletter's issues.
    let news = create(&a, "news", "n");
    for i in 0..4 {
        let title = format!("issue {i}");
        let out = confab(
            &a,
            &["news", "publish", &news, "--title", &title, "--body", "body"],
        );
        assert!(out.status.success());
    }
    let issues = ok_json(&a, &["news", "list", &news, "--json"])
        .as_array()
        .unwrap()
        .clone();
    let last2 = ok_json(&a, &["news", "list", &news, "--limit", "2", "--json"]);
    assert_eq!(last2.as_array().unwrap().as_slice(), &issues[2..]);
    let id2 = issues[2]["id"].as_str().unwrap();
    let first2 = ok_json(
        &a,
        &["news", "list", &news, "--limit", "5", "--before", id2, "--json"],
    );
    assert_eq!(first2.as_array().unwrap().as_slice(), &issues[..2]);
    fails(
        &a,
        &["news", "list", &news, "--before", &chat[..12]],
        "no issue here",
    );
}

#[test]
fn profiles_replies_reactions_edits_deletes_and_search_by_command() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let me = ok_json(&a, &["id", "--json"])["peer_id"]
        .as_str()
        .unwrap()
        .to_string();
    let room = create(&a, "chat", "Lobby");
    let other = create(&a, "chat", "Elsewhere");

    // A name, normalised; refusals by name change nothing.
    let p = ok_json(
        &a,
        &[
            "profile",
            "set",
            "--name",
            "  Ame\u{301}lie ",
            "--color",
            "#112233",
            "--json",
        ],
    );
    assert_eq!(p["peer_id"], me.as_str());
    assert_eq!(p["name"], "Amélie");
    assert_eq!(p["color"], "#112233");
    fails(
        &a,
        &["profile", "set", "--name", "evil\u{202E}txt"],
        "control or format",
    );
    fails(
        &a,
        &["profile", "set", "--name", "tab\there"],
        "control or format",
    );
    fails(&a, &["profile", "set", "--name", &"x".repeat(65)], "at most 64");
    fails(
        &a,
        &["profile", "set", "--name", "ok", "--color", "red"],
        "colour",
    );
    let shown = ok_json(&a, &["profile", "show", "--json"]);
    assert_eq!(
        (shown["name"].as_str(), shown["color"].as_str()),
        (Some("Amélie"), Some("#112233"))
    );
    fails(&a, &["profile", "show", "nobody"], "not a Confab peer id");

    // A picture: cut square and made small; what is not a picture is refused by name.
    let pic = d.path().join("me.png");
    image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([x as u8, y as u8, 7]))
        .save(&pic)
        .unwrap();
    std::fs::write(d.path().join("fake.png"), b"not a png").unwrap();
    fails(
        &a,
        &["profile", "picture", d.path().join("fake.png").to_str().unwrap()],
        "not a picture",
    );
    let p = ok_json(&a, &["profile", "picture", pic.to_str().unwrap(), "--json"]);
    let blob = p["picture"].as_str().expect("a picture").to_string();
    assert_eq!(blob.len(), 64);
    let listed = ok_json(&a, &["blob", "list", &room, "--json"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["blob"] == blob.as_str() && f["mime"] == "image/jpeg" && f["held"] == true),
        "{listed}"
    );
    let shown = ok_json(&a, &["profile", "set", "--name", "Amélie", "--json"]);
    assert_eq!(shown["picture"], blob.as_str(), "a new name keeps the picture");
    assert!(ok_json(&a, &["profile", "picture", "--remove", "--json"])["picture"].is_null());
    fails(&a, &["profile", "picture"], "required");

    let first = ok_json(
        &a,
        &["chat", "send", &room, "hello wrold", "--mention", &me, "--json"],
    );
    let first = first["id"].as_str().unwrap().to_string();
    let short = &first[..10];
    let reply = ok_json(&a, &["chat", "reply", &room, short, "a reply", "--json"]);
    let reply = reply["id"].as_str().unwrap().to_string();
    assert_eq!(
        ok_json(&a, &["chat", "react", &room, short, "👍", "--json"])["on"],
        true
    );
    assert_eq!(
        ok_json(&a, &["chat", "react", &room, short, "🎉", "--json"])["on"],
        true
    );
    assert_eq!(
        ok_json(&a, &["chat", "react", &room, short, "🎉", "--json"])["on"],
        false,
        "again takes it back"
    );
    fails(&a, &["chat", "react", &room, short, "ab"], "single emoji");
    fails(&a, &["chat", "react", &room, short, "👍👍"], "single emoji");
    fails(
        &a,
        &["chat", "react", &room, short, &"👍".repeat(9)],
        "at most 32 bytes",
    );
    ok_json(&a, &["chat", "edit", &room, short, "hello world", "--json"]);
    fails(&a, &["chat", "edit", &room, "zz", "x"], "is not a message id");
    fails(&a, &["chat", "reply", &other, short, "x"], "no message here");

    let list = ok_json(&a, &["chat", "list", &room, "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let m = &list[0];
    assert_eq!(m["id"], first.as_str());
    assert_eq!(m["author"], me.as_str());
    assert_eq!(m["name"], "Amélie");
    assert_eq!(m["text"], "hello world");
    assert_eq!(m["edited"], true);
    assert_eq!(m["deleted"], false);
    assert_eq!(m["reply_to"], Value::Null);
    assert_eq!(m["reactions"], serde_json::json!({"👍": [me]}));
    assert_eq!(m["mentions_me"], true);
    assert_eq!(list[1]["reply_to"], first.as_str());
    assert_eq!(list[1]["quote"]["text"], "hello world");

    let hits = ok_json(&a, &["search", "wor", "--json"]);
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let h = &hits[0];
    assert_eq!(
        (h["space"].as_str(), h["id"].as_str(), h["kind"].as_str()),
        (Some(room.as_str()), Some(first.as_str()), Some("chat"))
    );
    assert_eq!(h["author"], me.as_str());
    let snippet: Vec<char> = h["snippet"].as_str().unwrap().chars().collect();
    let (s, e) = (
        h["highlights"][0][0].as_u64().unwrap() as usize,
        h["highlights"][0][1].as_u64().unwrap() as usize,
    );
    assert_eq!(snippet[s..e].iter().collect::<String>(), "world");
    assert!(ok_json(&a, &["search", "wor", "--space", &other, "--json"])
        .as_array()
        .unwrap()
        .is_empty());
    fails(&a, &["search", "  ", "--json"], "no words");

    ok_json(&a, &["chat", "delete", &room, short, "--json"]);
    let list = ok_json(&a, &["chat", "list", &room, "--json"]);
    assert_eq!(list[0]["deleted"], true);
    assert_eq!(list[0]["text"], Value::Null);
    assert_eq!(list[1]["quote"]["deleted"], true);
    assert!(ok_json(&a, &["search", "world", "--json"])
        .as_array()
        .unwrap()
        .is_empty());
    fails(&a, &["chat", "edit", &room, short, "again"], "was deleted");
    fails(&a, &["chat", "delete", &room, short], "deleted already");
    let read = ok_json(&a, &["chat", "read", &room, "--upto", &reply[..12], "--json"]);
    assert_eq!(read["unread"], 0);
    let text = confab(&a, &["chat", "list", &room]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("(message deleted)") && text.contains("Amélie: a reply"),
        "{text}"
    );
}

#[test]
fn the_recovery_phrase_is_shown_only_when_asked_and_gives_back_the_account() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let me = ok_json(&a, &["id", "--json"])["peer_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Not on a terminal and not told yes: not shown.
    fails(&a, &["identity", "phrase"], "say yes");
    let p = ok_json(&a, &["identity", "phrase", "--yes", "--json"]);
    assert_eq!(p["account"], me.as_str());
    let words = p["words"].as_str().unwrap();
    assert_eq!(words.split(' ').count(), 24);
    // The words are the account's secret: the key in the data dir.
    let secret = confab_core::account::secret_from_phrase(words).unwrap();
    let id = confab_core::Identity::load_or_create(&a).unwrap();
    assert_eq!(secret, id.signing_key().to_bytes());
    assert_eq!(
        ok_json(&a, &["identity", "phrase", "--yes", "--json"])["words"],
        words,
        "the same words every time"
    );
}
