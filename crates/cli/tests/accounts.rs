//! A person's account across devices, on real (virtual) networks: backup and restore onto a
//! new device in another namespace, and the refusals that leave everything as it was. Needs
//! root (CI runs as root).

use std::path::Path;
use std::process::{Command, Output};

#[path = "support/net.rs"]
mod net;

#[path = "support/cli.rs"]
mod support_cli;

#[path = "support/peer.rs"]
mod peer;

use net::Net;
use peer::{cli, create, peer_id, texts, Peer, BIN};
use support_cli::wait;

const PASS: &str = "a long passphrase";

/// `confab --data DIR ARGS…` with a passphrase in the environment (`None`: none).
fn with_pass(dir: &Path, pass: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(BIN);
    c.arg("--data").arg(dir).args(args).env_remove("CONFAB_DATA_DIR");
    match pass {
        Some(p) => c.env("CONFAB_PASSPHRASE", p),
        None => c.env_remove("CONFAB_PASSPHRASE"),
    };
    c.output().expect("confab runs")
}

fn ok_json(out: Output, what: &str) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn refused(out: Output) -> String {
    assert!(
        !out.status.success(),
        "expected a refusal, got {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn node_args(listen: &str, dial: Option<String>) -> Vec<String> {
    let mut a: Vec<String> = ["--no-mdns", "--no-dht", "--no-upnp", "--listen", listen]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if let Some(d) = dial {
        a.push("--dial".into());
        a.push(d);
    }
    a
}

fn start(name: &str, ns: &str, dir: &Path, args: &[String]) -> Peer {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    Peer::start(name, ns, dir, &a)
}

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

/// The chat texts `dir` holds in `space`.
fn chat_texts(dir: &Path, space: &str) -> Vec<String> {
    cli(dir, &["chat", "list", space])
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str().map(str::to_string))
        .collect()
}

/// Every file under `dir`, read whole.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                out.push((p, b));
            }
        }
    }
    out
}

#[test]
fn a_linked_phone_publishes_as_its_person_until_revoked() {
    let mut net = Net::new("link");
    let (l_ns, m1_ns, m2_ns, p_ns) = (net.ns("laptop"), net.ns("m1"), net.ns("m2"), net.ns("phone"));
    net.link(&l_ns, "10.216.5.1/24", &m1_ns, "10.216.5.2/24");
    net.link(&p_ns, "10.216.6.1/24", &m1_ns, "10.216.6.2/24");
    net.link(&p_ns, "10.216.7.2/24", &l_ns, "10.216.7.1/24");
    net.link(&m2_ns, "10.216.8.1/24", &m1_ns, "10.216.8.2/24");
    let d = tempfile::tempdir().unwrap();
    let [laptop, m1, m2, phone, other] = ["l", "m1", "m2", "p", "x"].map(|n| d.path().join(n));
    let (room, room_t) = create(&laptop, "chat", "Room");
    let (news, news_t) = create(&laptop, "news", "Letters");
    cli(&laptop, &["profile", "set", "--name", "Lena"]);
    for m in [&m1, &m2] {
        cli(m, &["space", "join", &room_t]);
        cli(m, &["space", "join", &news_t]);
    }
    let account = peer_id(&laptop);
    let m1_id = peer_id(&m1);
    let dial_m1 = |ip: &str| Some(format!("/ip4/{ip}/tcp/4322/p2p/{m1_id}"));
    let m1_node = start("m1", &m1_ns, &m1, &node_args("/ip4/0.0.0.0/tcp/4322", None));
    let m2_node = start(
        "m2",
        &m2_ns,
        &m2,
        &node_args("/ip4/0.0.0.0/tcp/4324", dial_m1("10.216.8.2")),
    );
    let l_node = start(
        "laptop",
        &l_ns,
        &laptop,
        &node_args("/ip4/0.0.0.0/tcp/4321", dial_m1("10.216.5.2")),
    );

    // An expired ticket is refused by name, and leaves the new data dir empty.
    let short = wait(30, "the laptop's node makes link tickets", || {
        let out = with_pass(&laptop, None, &["device", "link-ticket", "--ttl", "1", "--json"]);
        out.status
            .success()
            .then(|| serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap())
    });
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    let e = refused(with_pass(
        &other,
        None,
        &["device", "link", short["ticket"].as_str().unwrap()],
    ));
    assert!(e.contains("expired"), "{e}");
    assert!(!other.join(confab_core::identity::IDENTITY_FILE).exists());

    // The phone links with a ticket; the laptop approves it by its code.
    let t = cli(&laptop, &["device", "link-ticket", "--ttl", "120"]);
    let (ticket, code) = (
        t["ticket"].as_str().unwrap().to_string(),
        t["code"].as_str().unwrap().to_string(),
    );
    assert_eq!(code.len(), 6);
    let e = refused(with_pass(&laptop, None, &["device", "approve", &code]));
    assert!(e.contains("no device has asked"), "{e}");
    let linking = Command::new("ip")
        .args(["netns", "exec", &p_ns, BIN, "--data"])
        .arg(&phone)
        .args(["device", "link", &ticket, "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let approved = wait(30, "the phone asks and is approved", || {
        let out = with_pass(&laptop, None, &["device", "approve", &code, "--json"]);
        out.status
            .success()
            .then(|| serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap())
    });
    let out = linking.wait_with_output().unwrap();
    let linked = ok_json(out, "device link");
    let phone_id = linked["device"].as_str().unwrap().to_string();
    assert_eq!(approved["device"], phone_id.as_str());
    assert_eq!(linked["account"], account.as_str());
    assert_eq!(linked["spaces"], 2);
    // The ticket served once: another device is refused by name.
    let again = Command::new("ip")
        .args(["netns", "exec", &p_ns, BIN, "--data"])
        .arg(&other)
        .args(["device", "link", &ticket])
        .output()
        .unwrap();
    let e = refused(again);
    assert!(e.contains("already used"), "{e}");
    let e = refused(with_pass(&laptop, None, &["device", "approve", &code]));
    assert!(e.contains("already approved"), "{e}");

    // Both devices show the same spaces and the same person.
    let spaces = |dir: &Path| -> std::collections::BTreeSet<(String, String)> {
        cli(dir, &["space", "list"])
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["space"].as_str().unwrap().into(),
                    s["name"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    assert_eq!(spaces(&phone), spaces(&laptop));
    assert_eq!(cli(&phone, &["id"])["account"], account.as_str());
    assert_eq!(cli(&phone, &["profile", "show"])["name"], "Lena");
    let e = refused(with_pass(&phone, None, &["identity", "phrase", "--yes"]));
    assert!(e.contains("does not hold the secret"), "{e}");
    // The phone is told to dial m1 only; it dials its laptop by itself, at the addresses the
    // ticket gave (their own space is theirs alone: nobody else carries it).
    let p_args = node_args("/ip4/0.0.0.0/tcp/4323", dial_m1("10.216.6.2"));
    let mut p_node = start("phone", &p_ns, &phone, &p_args);

    // What one device joins, mutes or is named, the other follows.
    let (later, _) = create(&laptop, "board", "Later");
    wait(30, "the phone joins the space the laptop made", || {
        spaces(&phone).iter().any(|(id, _)| *id == later).then_some(())
    });
    cli(&phone, &["space", "mute", &room]);
    cli(&phone, &["profile", "set", "--name", "Lena K."]);
    wait(30, "the laptop follows the phone's mute and name", || {
        let muted = cli(&laptop, &["space", "list"])
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["space"] == room.as_str() && s["muted"] == true);
        (muted && cli(&laptop, &["profile", "show"])["name"] == "Lena K.").then_some(())
    });
    // Read on the phone, read on the laptop.
    cli(&m1, &["chat", "send", &room, "from m1"]);
    let unread = |dir: &Path| {
        cli(dir, &["space", "list"])
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["space"] == room.as_str())
            .map(|s| s["unread"].as_u64().unwrap_or(0))
            .unwrap_or(0)
    };
    wait(30, "both devices have m1's message unread", || {
        (unread(&laptop) == 1 && unread(&phone) == 1).then_some(())
    });
    cli(&phone, &["chat", "read", &room]);
    wait(30, "the laptop follows the phone's reading", || {
        (unread(&laptop) == 0).then_some(())
    });

    // A room another member owns, joined on the laptop: the phone joins it too.
    let (club, club_t) = create(&m1, "chat", "Club");
    cli(&laptop, &["space", "join", &club_t]);
    wait(30, "the phone joins the room the laptop joined", || {
        spaces(&phone).iter().any(|(id, _)| *id == club).then_some(())
    });
    let e = refused(with_pass(&laptop, None, &["space", "create", "personal", "Mine"]));
    assert!(e.contains("made with their account"), "{e}");

    // The owner publishes from the phone; both subscribers take it as the owner's.
    cli(
        &phone,
        &[
            "news",
            "publish",
            &news,
            "--title",
            "From the phone",
            "--body",
            "hello",
        ],
    );
    cli(&phone, &["chat", "send", &room, "from the phone"]);
    for m in [&m1, &m2] {
        let got = wait(30, "a subscriber accepts the phone's issue", || {
            let v = cli(m, &["news", "list", &news]);
            (v.as_array().unwrap().len() == 1).then_some(v)
        });
        assert_eq!(got[0]["account"], account.as_str());
        assert_eq!(got[0]["author"], phone_id.as_str());
        wait(30, "a member has the phone's message", || {
            (chat_texts(m, &room) == ["from m1", "from the phone"]).then_some(())
        });
        assert_eq!(cli(m, &["chat", "list", &room])[1]["name"], "Lena K.");
    }
    // An export holds the phone's issue as the person's, and verifies offline.
    let out = d.path().join("export");
    cli(&m2, &["space", "export", &news, "--out", out.to_str().unwrap()]);
    let v = cli(&m2, &["verify", out.to_str().unwrap()]);
    assert_eq!(v["records"].as_u64().map(|n| n >= 1), Some(true), "{v}");
    let content: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(confab_core::archive::CONTENT)).unwrap()).unwrap();
    let issue = content["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "news_issue")
        .cloned()
        .unwrap();
    assert_eq!(
        (issue["author"].as_str(), issue["account"].as_str()),
        (Some(phone_id.as_str()), Some(account.as_str()))
    );
    let members = cli(&m2, &["space", "members", &room]);
    assert_eq!(members[0]["peer"], account.as_str());
    assert_eq!(members[0]["devices"][0], phone_id.as_str(), "{members}");

    // Custody: nothing the phone keeps holds the account secret.
    let secret = confab_core::Identity::load_or_create(&laptop)
        .unwrap()
        .account_secret()
        .unwrap()
        .to_bytes();
    for (path, bytes) in files_under(&phone) {
        assert!(
            !bytes.windows(32).any(|w| w == secret),
            "{} holds the account secret",
            path.display()
        );
    }

    // Refusals by name: the phone cannot revoke (no account secret); the laptop revokes
    // neither itself nor strangers.
    let e = refused(with_pass(&phone, None, &["device", "revoke", &account]));
    assert!(e.contains("does not hold the secret"), "{e}");
    let e = refused(with_pass(&laptop, None, &["device", "revoke", &account]));
    assert!(
        e.contains("cannot revoke itself") || e.contains("cannot be revoked"),
        "{e}"
    );
    let e = refused(with_pass(&laptop, None, &["device", "revoke", &m1_id]));
    assert!(e.contains("not known as a device of this account"), "{e}");

    // The laptop revokes the phone: it tells all five spaces, and the four the person owns
    // rotate without it at once (the room, the letters, the board made later, their own).
    let r = cli(&laptop, &["device", "revoke", &phone_id]);
    assert_eq!(
        (r["spaces"].as_u64(), r["rotated"].as_u64()),
        (Some(5), Some(4)),
        "{r}"
    );
    let devices = cli(&laptop, &["device", "list"]);
    let entry = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device"] == phone_id.as_str())
        .cloned()
        .unwrap();
    assert!(entry["revoked"].is_u64(), "{devices}");
    cli(&laptop, &["chat", "send", &room, "after the revocation"]);
    for m in [&m1, &m2] {
        wait(30, "a member has the laptop's new message", || {
            (chat_texts(m, &room) == ["from m1", "from the phone", "after the revocation"]).then_some(())
        });
    }
    cli(
        &laptop,
        &["news", "publish", &news, "--title", "After", "--body", "new key"],
    );

    // The owner of the room the phone was in rotates it without the phone when the
    // revocation reaches it.
    wait(30, "m1 rotates its room without the revoked phone", || {
        m1_node
            .log()
            .contains("rotated the key of Club without the revoked device")
            .then_some(())
    });
    cli(&m1, &["chat", "send", &club, "club news"]);
    wait(30, "the laptop has the club's new message", || {
        (chat_texts(&laptop, &club) == ["club news"]).then_some(())
    });

    // The phone gets nothing new, and holds no key to write with.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(chat_texts(&phone, &club).is_empty());
    assert_eq!(chat_texts(&phone, &room), ["from m1", "from the phone"]);
    assert_eq!(cli(&phone, &["news", "list", &news]).as_array().unwrap().len(), 1);
    let e = refused(with_pass(&phone, None, &["chat", "send", &room, "still here"]));
    assert!(e.contains("removed") || e.contains("revoked"), "{e}");

    // A thief's build writes on with the old key; the members refuse it by name.
    p_node.stop();
    let raw = {
        let me = confab_core::Identity::load_or_create(&phone).unwrap();
        let space = confab_core::Ticket::parse(&room_t).unwrap().space;
        let body = confab_core::Body::Chat(confab_core::ChatBody {
            files: Vec::new(),
            mentions: vec![],
            text: "from the revoked phone".into(),
        });
        let ts = confab_core::Hlc::new(confab_core::now_ms(), 0);
        space
            .seal(&me, &body, ts, None, vec![])
            .unwrap()
            .encoded()
            .to_vec()
    };
    drop((m1_node, m2_node));
    for m in [&m1, &m2] {
        let store = confab_store::Store::open_dir(m).unwrap();
        let report = store
            .ingest(vec![raw.clone()], confab_store::Origin::Sync)
            .wait()
            .unwrap();
        let why = report
            .refused
            .first()
            .map(|(_, w)| w.to_string())
            .unwrap_or_default();
        assert!(
            why.contains("revoked") && why.contains(&phone_id),
            "a member should refuse the revoked device's record by name: {why:?}"
        );
    }
    drop(l_node);
}
