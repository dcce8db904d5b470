//! `confab space export` and `confab verify`: a chat room, a board and a newsletter exported
//! to folders people can read, holding no key nor ticket, checked offline with no data dir;
//! then archives broken one way at a time, each refused with the problem named. Nodes (when
//! one runs) on 127.0.0.1 with mDNS, the DHT and UPnP off.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

#[path = "support/cli.rs"]
mod support_cli;

const BIN: &str = env!("CARGO_BIN_EXE_confab");

fn confab(dir: &Path, args: &[&str]) -> Output {
    support_cli::run(BIN, dir, args)
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    support_cli::cli(BIN, dir, args)
}

/// `confab verify DIR` with no data dir anywhere: a fresh HOME and no `CONFAB_DATA_DIR`.
fn verify(archive: &Path, json: bool) -> Output {
    verify_args(archive, json, &[])
}

fn verify_args(archive: &Path, json: bool, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("verify")
        .arg(archive)
        .args(args)
        .env_remove("CONFAB_DATA_DIR")
        .env("HOME", home.path());
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().expect("confab runs");
    let mut left = std::fs::read_dir(home.path()).unwrap();
    assert!(left.next().is_none(), "verify wrote into HOME");
    out
}

fn verified(archive: &Path) -> Value {
    let out = verify(archive, true);
    assert!(
        out.status.success(),
        "verify {}: {}",
        archive.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `confab verify` refuses the archive, naming each of `needles`.
fn refused(archive: &Path, needles: &[&str]) -> String {
    let out = verify(archive, false);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "verify should refuse {}",
        archive.display()
    );
    assert!(out.stdout.is_empty(), "printed on stdout when refusing");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    err
}

fn read(p: &Path) -> String {
    String::from_utf8(std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn copy(from: &Path, to: &Path) {
    for f in files_under(from) {
        let dest = to.join(f.strip_prefix(from).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, &dest).unwrap();
    }
}

/// No file of the archive holds the space's key (raw, hex, base64, base32) nor its ticket.
fn holds_no_key(archive: &Path, ticket: &str) {
    let key = confab_core::Ticket::parse(ticket).unwrap().space.key.0;
    let forms = [
        data_encoding::HEXLOWER.encode(&key),
        data_encoding::HEXUPPER.encode(&key),
        data_encoding::BASE64.encode(&key),
        data_encoding::BASE64_NOPAD.encode(&key),
        data_encoding::BASE64URL_NOPAD.encode(&key),
        data_encoding::BASE32_NOPAD.encode(&key),
        ticket.to_string(),
    ];
    for f in files_under(archive) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(32).any(|w| w == key),
            "{} holds the key",
            f.display()
        );
        let text = String::from_utf8_lossy(&bytes);
        for form in &forms {
            assert!(!text.contains(form.as_str()), "{} holds {form}", f.display());
        }
    }
}

fn export(data: &Path, space: &str, out: &Path) -> Value {
    let v = ok_json(data, &["space", "export", space, "--out", out.to_str().unwrap()]);
    assert_eq!(v["space"], space);
    assert_eq!(v["dir"], out.to_str().unwrap());
    v
}

fn png(path: &Path) {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
    img.save(path).unwrap();
}

#[test]
fn each_kind_of_space_exports_readably_and_verifies_offline() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    ok_json(&a, &["profile", "set", "--name", "Ann"]);
    let me = ok_json(&a, &["id"])["peer_id"].as_str().unwrap().to_string();

    // A chat room: a message that looks like markup, a reply, a reaction, an edit.
    let created = ok_json(&a, &["space", "create", "chat", "Team <room>"]);
    let room = created["space"].as_str().unwrap().to_string();
    let ticket = created["ticket"].as_str().unwrap().to_string();
    let first = ok_json(&a, &["chat", "send", &room, "<script>alert(1)</script> hello"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok_json(&a, &["chat", "reply", &room, &first, "a reply, with an ümlaut"]);
    ok_json(&a, &["chat", "react", &room, &first, "👍"]);
    let typo = ok_json(&a, &["chat", "send", &room, "helo"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok_json(&a, &["chat", "edit", &room, &typo, "hello again"]);

    let out = d.path().join("exports").join("room");
    let v = export(&a, &room, &out);
    assert_eq!(v["kind"], "chat");
    // The owner's profile (the name set before the room existed is written into it), three
    // messages, a reaction and an edit.
    let n = v["records"].as_u64().unwrap();
    assert!(n >= 6, "{v}");
    for f in [
        "index.html",
        "content.json",
        "records.jsonl",
        "manifest.json",
        "manifest.sig",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let index = read(&out.join("index.html"));
    assert!(
        index.contains("&lt;script&gt;alert(1)&lt;/script&gt; hello"),
        "{index}"
    );
    assert!(!index.contains("<script>"), "{index}");
    assert!(index.contains("a reply, with an ümlaut") && index.contains("hello again"));
    assert!(index.contains("(edited)") && index.contains("👍 1") && index.contains("Ann"));
    assert!(index.contains("Team &lt;room&gt;"));
    let content: Value = serde_json::from_str(&read(&out.join("content.json"))).unwrap();
    let texts: Vec<&str> = content["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"]["text"].as_str())
        .collect();
    assert!(texts.contains(&"<script>alert(1)</script> hello") && texts.contains(&"hello again"));
    assert_eq!(read(&out.join("records.jsonl")).lines().count() as u64, n);
    holds_no_key(&out, &ticket);
    let r = verified(&out);
    assert_eq!(r["records"].as_u64(), Some(n));
    assert_eq!(r["space"], room.as_str());
    assert_eq!(r["exporter"], me.as_str());
    assert_eq!(r["by_kind"]["chat_message"], 3);
    assert_eq!(r["authors"][0]["name"], "Ann");
    let human = verify(&out, false);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("every signature good") && text.contains("not proven"),
        "{text}"
    );

    assert_eq!(r["bodies"], false);
    // With a member's ticket, the bodies are checked too.
    let with_key = verify_args(&out, true, &["--ticket", &ticket]);
    assert!(
        with_key.status.success(),
        "{}",
        String::from_utf8_lossy(&with_key.stderr)
    );
    let r: Value = serde_json::from_slice(&with_key.stdout).unwrap();
    assert_eq!(r["bodies"], true);

    // Never over something: a folder that is not empty is refused by name.
    let again = confab(&a, &["space", "export", &room, "--out", out.to_str().unwrap()]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains(out.to_str().unwrap()) && err.contains("not empty"),
        "{err}"
    );

    // A board: a stroke, an erased stroke and a picture.
    let created = ok_json(&a, &["space", "create", "board", "Sketches"]);
    let board = created["space"].as_str().unwrap().to_string();
    ok_json(
        &a,
        &[
            "board",
            "stroke",
            &board,
            "--points",
            "0,0 100,50 200,10",
            "--color",
            "#ff8800",
            "--width",
            "4",
        ],
    );
    let gone = ok_json(
        &a,
        &[
            "board", "stroke", &board, "--points", "5,5 6,6", "--color", "#123456",
        ],
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok_json(&a, &["board", "erase", &board, &gone]);
    let pic = d.path().join("harbour.png");
    png(&pic);
    ok_json(
        &a,
        &[
            "board",
            "picture",
            &board,
            pic.to_str().unwrap(),
            "--at",
            "300,20",
        ],
    );
    // Shapes: a sticky note with text, an arrow, an ellipse moved and recoloured, a deleted
    // rectangle.
    ok_json(
        &a,
        &[
            "board",
            "add",
            &board,
            "--kind",
            "note",
            "--at",
            "0,200",
            "--text",
            "Plan <b>&",
        ],
    );
    ok_json(
        &a,
        &[
            "board", "add", &board, "--kind", "arrow", "--at", "0,400", "--size", "120,-40",
        ],
    );
    let oval = ok_json(
        &a,
        &["board", "add", &board, "--kind", "ellipse", "--at", "300,300"],
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok_json(&a, &["board", "move", &board, &oval, "--to", "310,320"]);
    ok_json(&a, &["board", "set", &board, &oval, "--color", "#aa00aa"]);
    let boxed = ok_json(
        &a,
        &[
            "board", "add", &board, "--kind", "rect", "--at", "0,0", "--color", "#0000ee",
        ],
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok_json(&a, &["board", "delete", &board, &boxed]);
    let out = d.path().join("board");
    export(&a, &board, &out);
    let svg = read(&out.join("board.svg"));
    assert!(
        svg.contains("fill=\"#fff176\"") && svg.contains("Plan &lt;b&gt;&amp;"),
        "the note: {svg}"
    );
    assert!(
        svg.contains("<line x1=\"0\" y1=\"400\" x2=\"120\" y2=\"360\""),
        "the arrow: {svg}"
    );
    assert!(
        svg.contains("<ellipse cx=\"390\" cy=\"370\"") && svg.contains("#aa00aa"),
        "the ellipse: {svg}"
    );
    assert!(!svg.contains("#0000ee"), "a deleted rectangle is drawn");
    assert!(svg.contains("<polyline") && svg.contains("#ff8800") && svg.contains("0,0 100,50 200,10"));
    assert!(!svg.contains("#123456"), "an erased stroke is drawn");
    assert!(
        svg.contains("<image href=\"data:image/"),
        "the picture's preview: {svg}"
    );
    assert!(read(&out.join("index.html")).contains("<svg"));
    holds_no_key(&out, created["ticket"].as_str().unwrap());
    let r = verified(&out);
    assert_eq!(r["by_kind"]["stroke"], 2);
    assert_eq!(r["by_kind"]["erase"], 1);
    assert_eq!(r["by_kind"]["picture"], 1);
    assert_eq!(r["by_kind"]["shape"], 4);
    assert_eq!(r["by_kind"]["change"], 3);

    // A newsletter: two issues, one with Markdown that tries to run something.
    let created = ok_json(&a, &["space", "create", "news", "Weekly"]);
    let news = created["space"].as_str().unwrap().to_string();
    ok_json(
        &a,
        &[
            "news",
            "publish",
            &news,
            "--title",
            "Issue one",
            "--body",
            "Hello *readers*",
        ],
    );
    ok_json(
        &a,
        &[
            "news",
            "publish",
            &news,
            "--title",
            "Issue <two>",
            "--body",
            "# Big\n\n<script>x()</script>\n\n[ok](https://example.org)",
        ],
    );
    let out = d.path().join("news");
    export(&a, &news, &out);
    let issues = files_under(&out.join("issues"));
    assert_eq!(issues.len(), 2, "{issues:?}");
    let pages: String = issues.iter().map(|p| read(p)).collect();
    assert!(pages.contains("<em>readers</em>") && pages.contains("Issue &lt;two&gt;"));
    assert!(pages.contains("href=\"https://example.org\"") && !pages.contains("<script>"));
    let feed = read(&out.join("feed.xml"));
    assert!(feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""));
    assert_eq!(feed.matches("<confab:signed>").count(), 2);
    assert!(feed.contains("<title>Issue one</title>"));
    holds_no_key(&out, created["ticket"].as_str().unwrap());
    let r = verified(&out);
    assert_eq!(r["by_kind"]["news_issue"], 2);
    assert_eq!(r["owner"], me.as_str());

    // Not a folder at all.
    refused(&d.path().join("nowhere"), &["nowhere", "is not a folder"]);
}

/// Rewrites one file of a copy of the archive.
fn tampered(good: &Path, at: &Path, file: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    copy(good, at);
    let p = at.join(file);
    std::fs::write(&p, edit(read(&p))).unwrap();
    at.to_path_buf()
}

#[test]
fn a_tampered_archive_is_refused_by_name() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let created = ok_json(&a, &["space", "create", "chat", "Room"]);
    let room = created["space"].as_str().unwrap().to_string();
    let ticket = created["ticket"].as_str().unwrap().to_string();
    for t in ["one", "two", "three"] {
        ok_json(&a, &["chat", "send", &room, t]);
    }
    let good = d.path().join("good");
    export(&a, &room, &good);
    verified(&good);
    let lines: Vec<String> = read(&good.join("records.jsonl"))
        .lines()
        .map(String::from)
        .collect();
    let entry: Value = serde_json::from_str(&lines[1]).unwrap();
    let id = entry["id"].as_str().unwrap().to_string();

    // A byte of a record's signed bytes flipped: its signature fails, by line and record.
    let t = tampered(&good, &d.path().join("t1"), "records.jsonl", |text| {
        let mut e: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
        let mut bytes = data_encoding::BASE64
            .decode(e["record"].as_str().unwrap().as_bytes())
            .unwrap();
        let at = bytes.len() - 70;
        bytes[at] ^= 0x10;
        e["record"] = data_encoding::BASE64.encode(&bytes).into();
        text.replacen(text.lines().nth(1).unwrap(), &e.to_string(), 1)
    });
    refused(
        &t,
        &[
            "records.jsonl line 2",
            &id,
            "bad signature",
            "records.jsonl was changed after the export",
        ],
    );

    // A readable entry dropped, and another's author changed.
    let t = tampered(&good, &d.path().join("t2"), "content.json", |text| {
        let mut c: Value = serde_json::from_str(&text).unwrap();
        let entries = c["entries"].as_array_mut().unwrap();
        let i = entries.iter().position(|e| e["id"] == id.as_str()).unwrap();
        entries.remove(i);
        serde_json::to_string_pretty(&c).unwrap()
    });
    refused(
        &t,
        &[
            &format!("content.json: it has no entry for record {id}"),
            "content.json was changed",
        ],
    );
    let stranger = "12D3KooWRBhwfeP2Y7TCx1Q5cFpvEWgRmRNBn2ZNMsWCuhX7HZkq";
    let t = tampered(&good, &d.path().join("t3"), "content.json", |text| {
        let mut c: Value = serde_json::from_str(&text).unwrap();
        for e in c["entries"].as_array_mut().unwrap() {
            if e["id"] == id.as_str() {
                e["author"] = stranger.into();
            }
        }
        serde_json::to_string_pretty(&c).unwrap()
    });
    refused(&t, &[&format!("record {id}'s author is written \"{stranger}\"")]);

    // A readable text changed: the manifest's hash shows it; with the ticket, the key
    // shows which record's body it misstates.
    let t = tampered(&good, &d.path().join("t9"), "content.json", |text| {
        text.replacen("\"two\"", "\"TWO\"", 1)
    });
    refused(&t, &["content.json was changed"]);
    let out = verify_args(&t, false, &["--ticket", &ticket]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("body does not say what content.json says"),
        "{err}"
    );

    // The readable page changed; a file added; the manifest removed; its signature removed.
    let t = tampered(&good, &d.path().join("t4"), "index.html", |h| {
        h.replace("two", "TWO")
    });
    refused(&t, &["index.html was changed after the export"]);
    let t = d.path().join("t5");
    copy(&good, &t);
    std::fs::write(t.join("notes.txt"), "hi").unwrap();
    refused(&t, &["notes.txt is not part of the archive"]);
    let t = d.path().join("t6");
    copy(&good, &t);
    std::fs::remove_file(t.join("manifest.json")).unwrap();
    refused(&t, &["manifest.json is missing"]);
    let t = d.path().join("t7");
    copy(&good, &t);
    std::fs::remove_file(t.join("manifest.sig")).unwrap();
    refused(&t, &["manifest.sig is missing"]);
    // The manifest edited: its signature no longer holds.
    let t = tampered(&good, &d.path().join("t8"), "manifest.json", |m| {
        m.replace("\"name\": \"Room\"", "\"name\": \"Other room\"")
    });
    refused(
        &t,
        &["manifest.sig: the signature of manifest.json by its exporter"],
    );
}

/// A node runs on the data dir: the export goes to it over the local socket, with the path
/// made absolute (the node has its own working directory).
#[test]
fn a_running_node_exports_where_the_command_says() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let room = ok_json(&a, &["space", "create", "chat", "Room"])["space"]
        .as_str()
        .unwrap()
        .to_string();
    let mut node: Child = Command::new(BIN)
        .arg("--data")
        .arg(&a)
        .args(support_cli::RUN_LOCAL)
        .env("CONFAB_DHT", "0")
        .env("CONFAB_UPNP", "0")
        .env("CONFAB_MDNS", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    support_cli::wait(20, "the node's socket", || {
        a.join("confab.sock").exists().then_some(())
    });
    assert_eq!(ok_json(&a, &["status"])["running"], true);
    ok_json(&a, &["chat", "send", &room, "sent to the node"]);
    let out = Command::new(BIN)
        .current_dir(d.path())
        .args([
            "--data",
            a.to_str().unwrap(),
            "space",
            "export",
            &room,
            "--out",
            "rel/room",
            "--json",
        ])
        .output()
        .unwrap();
    let _ = node.kill();
    let _ = node.wait();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let dir = d.path().join("rel/room");
    assert_eq!(v["dir"], dir.to_str().unwrap());
    assert!(read(&dir.join("index.html")).contains("sent to the node"));
    verified(&dir);
}
