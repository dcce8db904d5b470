//! A person's account across devices, on real (virtual) networks: backup and restore onto a
//! new device in another namespace, recovery from the phrase, and the refusals that leave
//! everything as it was. Needs root (CI runs as root).

use std::path::Path;
use std::process::Command;

#[path = "support/net.rs"]
mod net;

#[path = "support/cli.rs"]
mod support_cli;

#[path = "support/peer.rs"]
mod peer;

#[path = "support/accounts.rs"]
mod accounts;

use accounts::*;
use net::Net;
use peer::{cli, create, peer_id, texts, BIN};
use support_cli::wait;

#[test]
fn a_restored_account_gets_its_history_back_and_publishes_to_its_subscribers() {
    let mut net = Net::new("acct");
    let (old_ns, sub_ns, new_ns) = (net.ns("old"), net.ns("sub"), net.ns("new"));
    net.link(&old_ns, "10.216.1.1/24", &sub_ns, "10.216.1.2/24");
    net.link(&new_ns, "10.216.2.1/24", &sub_ns, "10.216.2.2/24");
    let d = tempfile::tempdir().unwrap();
    let (old, sub, new) = (d.path().join("old"), d.path().join("sub"), d.path().join("new"));

    // The owner's three spaces, with history, and a subscriber in each.
    let (room, room_t) = create(&old, "chat", "Room");
    let (board, board_t) = create(&old, "board", "Board");
    let (news, news_t) = create(&old, "news", "Letters");
    cli(&old, &["profile", "set", "--name", "Olga"]);
    cli(&old, &["chat", "send", &room, "before the disk died"]);
    cli(&old, &["board", "stroke", &board, "--points", "1,1 5,5 9,2"]);
    cli(
        &old,
        &["news", "publish", &news, "--title", "Issue 1", "--body", "one"],
    );
    for t in [&room_t, &board_t, &news_t] {
        cli(&sub, &["space", "join", t]);
    }
    let account = cli(&old, &["id"])["account"].as_str().unwrap().to_string();
    let old_device = peer_id(&old);
    assert_eq!(account, old_device, "made here: the device is the account");
    let sub_id = peer_id(&sub);

    let sub_node = start("sub", &sub_ns, &sub, &node_args("/ip4/0.0.0.0/tcp/4302", None));
    let mut old_node = start(
        "old",
        &old_ns,
        &old,
        &node_args(
            "/ip4/0.0.0.0/tcp/4301",
            Some(format!("/ip4/10.216.1.2/tcp/4302/p2p/{sub_id}")),
        ),
    );
    wait(30, "the subscriber has the owner's history", || {
        let issues = cli(&sub, &["news", "list", &news]);
        let strokes = cli(&sub, &["board", "list", &board]);
        (texts(&sub, &room) == ["before the disk died"]
            && issues.as_array().unwrap().len() == 1
            && strokes.as_array().unwrap().len() == 1)
            .then_some(())
    });

    // The backup, made through the running node (the file named from here).
    let file = d.path().join("olga.backup");
    let made = ok_json(
        with_pass(
            &old,
            Some(PASS),
            &["backup", "create", "--out", file.to_str().unwrap(), "--json"],
        ),
        "backup create",
    );
    assert_eq!(made["spaces"], 3);
    assert_eq!(made["account"], account.as_str());
    let bytes = std::fs::read(&file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup is readable by its owner only");
    }
    old_node.stop();
    std::fs::remove_dir_all(&old).unwrap();

    // Refusals, each leaving the new data dir without an identity.
    let e = refused(with_pass(
        &new,
        Some("not the passphrase"),
        &["backup", "restore", file.to_str().unwrap()],
    ));
    assert!(e.contains("wrong passphrase"), "{e}");
    let altered = d.path().join("altered.backup");
    for i in [0, 14, 20, 40, 70, 85, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[i] ^= 0x20;
        std::fs::write(&altered, &b).unwrap();
        let e = refused(with_pass(
            &new,
            Some(PASS),
            &["backup", "restore", altered.to_str().unwrap()],
        ));
        assert!(
            [
                "not a Confab backup",
                "version",
                "wrong passphrase",
                "altered",
                "truncated",
                "Argon2"
            ]
            .iter()
            .any(|w| e.contains(w)),
            "byte {i}: {e}"
        );
    }
    std::fs::write(&altered, &bytes[..bytes.len() - 7]).unwrap();
    let e = refused(with_pass(
        &new,
        Some(PASS),
        &["backup", "restore", altered.to_str().unwrap()],
    ));
    assert!(e.contains("truncated"), "{e}");
    assert!(
        !new.join(confab_core::identity::IDENTITY_FILE).exists(),
        "a refused restore wrote an identity"
    );

    // Restored on another host: the same account, a new device.
    let r = ok_json(
        with_pass(
            &new,
            Some(PASS),
            &["backup", "restore", file.to_str().unwrap(), "--json"],
        ),
        "backup restore",
    );
    assert_eq!(r["account"], account.as_str());
    assert_eq!(r["previous_device"], old_device.as_str());
    assert_eq!(r["spaces"], 3);
    let me = cli(&new, &["id"]);
    assert_eq!(me["account"], account.as_str());
    assert_ne!(
        me["peer_id"],
        old_device.as_str(),
        "a restored account runs as a new device"
    );
    let e = refused(with_pass(
        &new,
        Some(PASS),
        &["backup", "restore", file.to_str().unwrap()],
    ));
    assert!(e.contains("already holds an identity"), "{e}");
    let mine: Vec<bool> = cli(&new, &["space", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["mine"].as_bool().unwrap())
        .collect();
    assert_eq!(mine, [true, true, true], "the person owns the spaces they made");

    let new_node = start(
        "new",
        &new_ns,
        &new,
        &node_args(
            "/ip4/0.0.0.0/tcp/4303",
            Some(format!("/ip4/10.216.2.2/tcp/4302/p2p/{sub_id}")),
        ),
    );
    wait(30, "the history comes back from the subscriber", || {
        let issues = cli(&new, &["news", "list", &news]);
        let strokes = cli(&new, &["board", "list", &board]);
        (texts(&new, &room) == ["before the disk died"]
            && issues.as_array().unwrap().len() == 1
            && strokes.as_array().unwrap().len() == 1)
            .then_some(())
    });
    let issues = cli(&new, &["news", "list", &news]);
    assert_eq!(
        issues[0]["me"], true,
        "the person's own issue, from their old device"
    );

    // The owner publishes from the new device; the subscriber accepts it as the owner's.
    cli(
        &new,
        &[
            "news",
            "publish",
            &news,
            "--title",
            "Issue 2",
            "--body",
            "from the new device",
        ],
    );
    cli(&new, &["chat", "send", &room, "back again"]);
    let got = wait(30, "the subscriber accepts the new issue", || {
        let v = cli(&sub, &["news", "list", &news]);
        (v.as_array().unwrap().len() == 2).then_some(v)
    });
    let second = &got[1];
    assert_eq!(second["title"], "Issue 2");
    assert_eq!(second["account"], account.as_str(), "attributed to the person");
    assert_eq!(second["author"], me["peer_id"], "signed by the new device");
    wait(30, "the subscriber has the new message", || {
        (texts(&sub, &room) == ["before the disk died", "back again"]).then_some(())
    });
    let msgs = cli(&sub, &["chat", "list", &room]);
    assert_eq!(msgs[1]["label"], msgs[0]["label"], "one person, one name: {msgs}");
    assert_eq!(msgs[1]["name"], "Olga");
    drop((sub_node, new_node));
}

#[test]
fn recovery_from_the_phrase_is_the_same_account_and_wrong_words_are_named() {
    let d = tempfile::tempdir().unwrap();
    let (a, b, c) = (d.path().join("a"), d.path().join("b"), d.path().join("c"));
    let account = cli(&a, &["id"])["account"].as_str().unwrap().to_string();
    let words = cli(&a, &["identity", "phrase", "--yes"])["words"]
        .as_str()
        .unwrap()
        .to_string();
    let recover = |dir: &Path, words: &str| {
        let mut child = Command::new(BIN)
            .arg("--data")
            .arg(dir)
            .args(["identity", "recover", "--json"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(words.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let r = ok_json(recover(&b, &words), "recover");
    assert_eq!(r["account"], account.as_str());
    assert_ne!(r["device"], account.as_str());
    // A recovered device holds the account secret: it shows the same phrase.
    assert_eq!(cli(&b, &["identity", "phrase", "--yes"])["words"], words.as_str());
    let mut w: Vec<&str> = words.split(' ').collect();
    w[3] = "zzzz";
    let e = refused(recover(&c, &w.join(" ")));
    assert!(e.contains("word 4") && e.contains("zzzz"), "{e}");
    assert!(!c.join(confab_core::identity::IDENTITY_FILE).exists());
    let e = refused(recover(&b, &words));
    assert!(e.contains("already holds an identity"), "{e}");
}
