//! Linking a device to a person's account on real (virtual) networks: a laptop, its phone and
//! two other members, each in its own namespace; what the devices share, custody of the
//! account secret, and revocation. Needs root (CI runs as root).

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
use peer::{cli, create, peer_id, BIN};
use support_cli::wait;

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
