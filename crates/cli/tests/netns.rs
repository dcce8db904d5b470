//! Peers on real (virtual) networks: each test builds its own network namespaces, veth links
//! and bridges, runs `confab run` inside them, and removes everything when it ends, also when
//! it fails. mDNS runs only inside these namespaces. Needs root (CI runs as root).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/net.rs"]
mod net;

use net::Net;
use support_cli::wait;

#[path = "support/cli.rs"]
mod support_cli;

#[path = "support/peer.rs"]
mod peer;

use peer::{cli, create, peer_id, texts, Peer, BIN};

#[test]
fn lan_peers_find_each_other_by_mdns_alone() {
    let mut net = Net::new("lan");
    let sw = net.switch("sw");
    let (h0, h1) = (net.ns("h0"), net.ns("h1"));
    net.plug(&h0, &sw, "10.213.1.1/24");
    net.plug(&h1, &sw, "10.213.1.2/24");
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    // The ticket is made before any node ran, so it carries no address: discovery is mDNS only.
    let (space, ticket) = create(&a, "chat", "lan room");
    cli(&b, &["space", "join", &ticket]);
    let pa = Peer::start("a", &h0, &a, &["--listen", "/ip4/0.0.0.0/tcp/0"]);
    let pb = Peer::start("b", &h1, &b, &["--listen", "/ip4/0.0.0.0/tcp/0"]);
    let a_id = peer_id(&a);
    // mDNS queries go out at 0.5, 1, 2, 4, 8 and 15 s, then every 15 s: a minute covers
    // several rounds even on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cli(&b, &["peers"])
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["peer_id"] == a_id.as_str() && p["how"] == "lan")
    {
        assert!(
            Instant::now() < deadline,
            "b did not see a on the LAN in 60 s; b's peers: {}\n{}",
            cli(&b, &["peers"]),
            net.describe()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    cli(&a, &["chat", "send", &space, "hello from a"]);
    cli(&b, &["chat", "send", &space, "hello from b"]);
    for dir in [&a, &b] {
        wait(10, "both messages on both peers", || {
            (texts(dir, &space).len() == 2).then_some(())
        });
    }
    assert!(texts(&a, &space).contains(&"hello from b".to_string()));
    drop((pa, pb));
}

#[test]
fn relay_joins_peers_that_cannot_route_to_each_other() {
    let mut net = Net::new("rly");
    let (r, a_ns, b_ns) = (net.ns("r"), net.ns("a"), net.ns("b"));
    net.link(&a_ns, "10.213.2.2/24", &r, "10.213.2.1/24");
    net.link(&b_ns, "10.213.3.2/24", &r, "10.213.3.1/24");
    let route = Command::new("ip")
        .args(["-n", &a_ns, "route", "get", "10.213.3.2"])
        .output()
        .unwrap();
    assert!(!route.status.success(), "a must not be able to route to b");

    let d = tempfile::tempdir().unwrap();
    let (rd, a, b) = (d.path().join("r"), d.path().join("a"), d.path().join("b"));
    let relay = Peer::start(
        "relay",
        &r,
        &rd,
        &[
            "--relay-server",
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/0.0.0.0/tcp/4001",
        ],
    );
    relay.listen_addr(|s| s.contains("10.213.2.1"), "its a-side address");
    let r_id = peer_id(&rd);
    let pa = Peer::start(
        "a",
        &a_ns,
        &a,
        &[
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/0.0.0.0/tcp/0",
            "--relay",
            &format!("/ip4/10.213.2.1/tcp/4001/p2p/{r_id}"),
        ],
    );
    let circuit = pa.listen_addr(|s| s.contains("p2p-circuit"), "a relay circuit");
    let a_id = peer_id(&a);
    assert!(
        circuit.ends_with(&format!("/p2p-circuit/p2p/{a_id}")),
        "{circuit}"
    );

    let (chat, chat_ticket) = create(&a, "chat", "relayed room");
    let (board, board_ticket) = create(&a, "board", "relayed board");
    cli(&b, &["space", "join", &chat_ticket]);
    cli(&b, &["space", "join", &board_ticket]);
    cli(&a, &["chat", "send", &chat, "through the relay"]);
    cli(
        &a,
        &[
            "board",
            "stroke",
            &board,
            "--points",
            "1,1 50,50",
            "--color",
            "#112233",
        ],
    );
    // b reaches a at the circuit address through the relay's b-side interface.
    let via_b_side = format!("/ip4/10.213.3.1/tcp/4001/p2p/{r_id}/p2p-circuit/p2p/{a_id}");
    let pb = Peer::start(
        "b",
        &b_ns,
        &b,
        &[
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/0.0.0.0/tcp/0",
            "--dial",
            &via_b_side,
        ],
    );
    wait(30, "b connected to a through the relay", || {
        cli(&b, &["peers"])
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["peer_id"] == a_id.as_str() && p["how"] == "relay")
            .then_some(())
    });
    wait(20, "b has a's chat and stroke", || {
        (texts(&b, &chat) == ["through the relay"]
            && cli(&b, &["board", "list", &board]).as_array().unwrap().len() == 1)
            .then_some(())
    });
    cli(&b, &["chat", "send", &chat, "and back"]);
    cli(&b, &["board", "stroke", &board, "--points", "5,5 6,6"]);
    wait(10, "a has b's chat and stroke", || {
        (texts(&a, &chat).len() == 2 && cli(&a, &["board", "list", &board]).as_array().unwrap().len() == 2)
            .then_some(())
    });
    let strokes = cli(&b, &["board", "list", &board]);
    assert!(strokes
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["color"] == "#112233" && s["author"] == a_id.as_str()));
    drop((pa, pb, relay));
}

#[test]
fn newsletter_reaches_a_subscriber_while_the_publisher_is_offline() {
    let mut net = Net::new("news");
    let (p_ns, s1_ns, s2_ns) = (net.ns("p"), net.ns("s1"), net.ns("s2"));
    net.link(&p_ns, "10.213.4.1/24", &s1_ns, "10.213.4.2/24");
    net.link(&s2_ns, "10.213.5.2/24", &s1_ns, "10.213.5.1/24");
    let d = tempfile::tempdir().unwrap();
    let (p, s1, s2) = (d.path().join("p"), d.path().join("s1"), d.path().join("s2"));
    let (space, ticket) = create(&p, "news", "The Weekly");
    cli(&s1, &["space", "join", &ticket]);
    cli(&s2, &["space", "join", &ticket]);
    for i in 1..=3 {
        cli(
            &p,
            &[
                "news",
                "publish",
                &space,
                "--title",
                &format!("Issue {i}"),
                "--body",
                &format!("Body of issue {i}"),
            ],
        );
    }
    let p_id = peer_id(&p);
    let mut pp = Peer::start(
        "publisher",
        &p_ns,
        &p,
        &[
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/10.213.4.1/tcp/4101",
        ],
    );
    let ps1 = Peer::start(
        "s1",
        &s1_ns,
        &s1,
        &[
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/0.0.0.0/tcp/4102",
            "--dial",
            &format!("/ip4/10.213.4.1/tcp/4101/p2p/{p_id}"),
        ],
    );
    let issues = |dir: &Path| cli(dir, &["news", "list", &space]).as_array().unwrap().clone();
    wait(20, "s1 has the three issues", || {
        (issues(&s1).len() == 3).then_some(())
    });
    pp.stop();

    // s1 turns bad: it stores an issue it signed itself in p's newsletter, bypassing its own
    // checks (written into its stopped node's database), and serves it from then on.
    let mut ps1 = ps1;
    ps1.stop();
    inject_forged_issue(&s1, &ticket);
    let s1_args = [
        "--no-mdns",
        "--no-dht",
        "--no-upnp",
        "--listen",
        "/ip4/0.0.0.0/tcp/4102",
    ];
    let ps1 = Peer::start("s1", &s1_ns, &s1, &s1_args);
    let s1_id = peer_id(&s1);
    let ps2 = Peer::start(
        "s2",
        &s2_ns,
        &s2,
        &[
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/0.0.0.0/tcp/0",
            "--dial",
            &format!("/ip4/10.213.5.1/tcp/4102/p2p/{s1_id}"),
        ],
    );
    wait(30, "s2 has the three issues from s1", || {
        (issues(&s2).len() >= 3).then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    let got = issues(&s2);
    let titles: Vec<&str> = got.iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        ["Issue 1", "Issue 2", "Issue 3"],
        "s2 accepted something it should not have"
    );
    assert!(
        got.iter().all(|i| i["author"] == p_id.as_str()),
        "issues must be signed by the publisher"
    );
    // s1 really holds (and serves) the forged issue; s2 refused it.
    assert_eq!(issues(&s1).len(), 4, "the forged issue should sit in s1's store");
    drop((ps1, ps2));
}

/// Writes an issue signed by `dir`'s own key into its (stopped) node's database, as a
/// compromised peer would.
fn inject_forged_issue(dir: &Path, ticket: &str) {
    use confab_core::{Body, NewsBody};
    inject_signed(
        dir,
        ticket,
        Body::News(NewsBody {
            files: Vec::new(),
            title: "Injected by s1".into(),
            body: "not from the owner".into(),
        }),
    );
}

/// Stores a record signed by `dir`'s own key and sealed with the key `ticket` carries, dated
/// now, straight into its database, bypassing every check. The node must be stopped: when it
/// starts again, sync offers the record to its peers.
fn inject_signed(dir: &Path, ticket: &str, body: confab_core::Body) {
    inject_signed_at(dir, ticket, body, confab_core::now_ms());
}

/// [`inject_signed`] with a chosen date (ms).
fn inject_signed_at(dir: &Path, ticket: &str, body: confab_core::Body, ms: u64) {
    use confab_core::{Hlc, Identity, Ticket};
    let me = Identity::load_or_create(dir).unwrap();
    let space = Ticket::parse(ticket).unwrap().space;
    let rec = space
        .seal(me.signing_key(), &body, Hlc::new(ms, 0), None, vec![])
        .unwrap();
    let db = rusqlite::Connection::open(dir.join("confab.sqlite")).unwrap();
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    db.execute(
        "INSERT INTO records (space, ts, id, kind, author, expires, raw) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
        rusqlite::params![space.id.0, rec.ts.0 as i64, rec.id.0, rec.kind.code(), rec.author.0, rec.encoded()],
    )
    .unwrap();
}

#[test]
fn catch_up_of_ten_thousand_records_with_progress() {
    let mut net = Net::new("cu");
    let sw = net.switch("sw");
    let (x_ns, y_ns) = (net.ns("x"), net.ns("y"));
    net.plug(&x_ns, &sw, "10.213.7.1/24");
    net.plug(&y_ns, &sw, "10.213.7.2/24");
    let d = tempfile::tempdir().unwrap();
    let (x, y) = (d.path().join("x"), d.path().join("y"));
    let (space, ticket) = create(&x, "chat", "busy room");
    cli(&y, &["space", "join", &ticket]);
    let px = Peer::start(
        "x",
        &x_ns,
        &x,
        &[
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/10.213.7.1/tcp/4201",
        ],
    );
    // y is offline while x's room fills up.
    let written = cli(&x, &["chat", "send", &space, "busy", "--count", "10000"]);
    assert_eq!(written["written"], 10000);
    let x_id = peer_id(&x);
    let py = Peer::start(
        "y",
        &y_ns,
        &y,
        &[
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/0.0.0.0/tcp/0",
            "--dial",
            &format!("/ip4/10.213.7.1/tcp/4201/p2p/{x_id}"),
        ],
    );
    wait(60, "y has all 10,000 messages", || {
        (cli(&y, &["chat", "list", &space]).as_array().unwrap().len() == 10_000).then_some(())
    });
    let progress: Vec<String> = py
        .err
        .lock()
        .unwrap()
        .iter()
        .chain(px.err.lock().unwrap().iter())
        .filter(|l| l.starts_with("sync ") && l.contains("/10000"))
        .cloned()
        .collect();
    assert!(
        progress.len() >= 3,
        "expected several progress events, got {progress:?}"
    );
    assert!(
        progress.iter().any(|l| l.ends_with("10000/10000")),
        "{progress:?}"
    );
    drop((px, py));
}

/// Runs `confab --data DIR ARGS…`, expecting it to fail; returns its error output.
fn cli_fails(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(!out.status.success(), "confab {args:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn roles(dir: &Path, space: &str) -> Vec<(String, String)> {
    cli(dir, &["space", "members", space])
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["peer"].as_str().unwrap().to_string(),
                m["role"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What a removed member with a patched client would try: a chat message sealed with the key
/// of the old ticket, dated now, forced into its own store.
fn inject_message_with_old_key(dir: &Path, old_ticket: &str, text: &str) {
    use confab_core::{Body, ChatBody};
    inject_signed(
        dir,
        old_ticket,
        Body::Chat(ChatBody {
            files: Vec::new(),
            mentions: vec![],
            text: text.into(),
        }),
    );
}

#[test]
fn a_removed_member_online_with_the_old_ticket_gets_nothing_new_and_is_not_heard() {
    let mut net = Net::new("rm");
    let sw = net.switch("sw");
    let (o_ns, b_ns, m_ns, x_ns) = (net.ns("o"), net.ns("b"), net.ns("m"), net.ns("x"));
    net.plug(&o_ns, &sw, "10.213.10.1/24");
    net.plug(&b_ns, &sw, "10.213.10.2/24");
    net.plug(&m_ns, &sw, "10.213.10.3/24");
    net.plug(&x_ns, &sw, "10.213.10.4/24");
    let d = tempfile::tempdir().unwrap();
    let (o, b, m, x) = (
        d.path().join("o"),
        d.path().join("b"),
        d.path().join("m"),
        d.path().join("x"),
    );
    let (space, old_ticket) = create(&o, "chat", "team room");
    cli(&b, &["space", "join", &old_ticket]);
    cli(&m, &["space", "join", &old_ticket]);
    let (o_id, b_id, m_id) = (peer_id(&o), peer_id(&b), peer_id(&m));
    let at = |ip: &str, port: u16, id: &str| format!("/ip4/{ip}/tcp/{port}/p2p/{id}");
    let _po = Peer::start_at("owner", &o_ns, &o, "/ip4/10.213.10.1/tcp/4201", &[]);
    let _pb = Peer::start_at(
        "b",
        &b_ns,
        &b,
        "/ip4/10.213.10.2/tcp/4202",
        &[at("10.213.10.1", 4201, &o_id)],
    );
    // The member to be removed stays online throughout, connected to both others.
    let pm = Peer::start_at(
        "m",
        &m_ns,
        &m,
        "/ip4/10.213.10.3/tcp/4203",
        &[at("10.213.10.1", 4201, &o_id), at("10.213.10.2", 4202, &b_id)],
    );
    cli(&o, &["chat", "send", &space, "before the removal"]);
    for dir in [&b, &m] {
        wait(30, "the first message on b and m", || {
            (texts(dir, &space) == ["before the removal"]).then_some(())
        });
    }
    // The owner knows both members from their join records.
    wait(60, "the owner lists b and m as members", || {
        (roles(&o, &space).len() == 3).then_some(())
    });

    // The owner removes m with the CLI while its node runs.
    let out = cli(&o, &["space", "remove", &space, &m_id]);
    assert_eq!(out["epoch"], 1, "{out}");
    assert!(roles(&o, &space).contains(&(m_id.clone(), "removed".into())));
    let err = cli_fails(&b, &["space", "remove", &space, &o_id]);
    assert!(err.contains("only the owner"), "{err}");
    // b gets the new key (from the rotation record, sealed to it).
    wait(60, "b learns of the removal", || {
        roles(&b, &space)
            .contains(&(m_id.clone(), "removed".into()))
            .then_some(())
    });
    let new_ticket = cli(&o, &["space", "ticket", &space])["ticket"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(new_ticket.starts_with("CONFAB2"), "{new_ticket}");
    assert!(cli(&b, &["space", "ticket", &space])["ticket"]
        .as_str()
        .unwrap()
        .starts_with("CONFAB2"));
    cli(&o, &["chat", "send", &space, "after, from the owner"]);
    cli(&b, &["chat", "send", &space, "after, from b"]);
    for dir in [&o, &b] {
        wait(30, "both new messages on the owner and b", || {
            (texts(dir, &space).len() == 3).then_some(())
        });
    }

    // m, still online and holding the old ticket, learns it was removed and cannot write…
    wait(60, "m learns it was removed", || {
        roles(&m, &space)
            .contains(&(m_id.clone(), "removed".into()))
            .then_some(())
    });
    let err = cli_fails(&m, &["chat", "send", &space, "am I still here?"]);
    assert!(err.contains("you were removed"), "{err}");
    let err = cli_fails(&m, &["space", "ticket", &space]);
    assert!(err.contains("you were removed"), "{err}");
    // …and a message it forces in with the old key (into its store while its node is
    // stopped), served on sync once it is back, is refused by the others.
    let mut pm = pm;
    pm.stop();
    inject_message_with_old_key(&m, &old_ticket, "forged after the removal");
    // …and one it backdates by an hour, to before the removal.
    inject_signed_at(
        &m,
        &old_ticket,
        confab_core::Body::Chat(confab_core::ChatBody {
            files: Vec::new(),
            mentions: vec![],
            text: "backdated by the removed member".into(),
        }),
        confab_core::now_ms() - 3_600_000,
    );
    let pm = Peer::start_at(
        "m",
        &m_ns,
        &m,
        "/ip4/10.213.10.3/tcp/4203",
        &[at("10.213.10.1", 4201, &o_id), at("10.213.10.2", 4202, &b_id)],
    );

    // Someone else holding the old ticket joins now and comes online.
    cli(&x, &["space", "join", &old_ticket]);
    let px = Peer::start_at(
        "x",
        &x_ns,
        &x,
        "/ip4/10.213.10.4/tcp/4204",
        &[at("10.213.10.1", 4201, &o_id), at("10.213.10.2", 4202, &b_id)],
    );
    wait(30, "x gets the history from before the removal", || {
        (texts(&x, &space) == ["before the removal"]).then_some(())
    });
    let err = cli_fails(&x, &["chat", "send", &space, "x was never given the key"]);
    assert!(err.contains("you were removed"), "{err}");
    // Both stay connected and keep asking (each re-syncs every 30 s) for a while longer.
    std::thread::sleep(Duration::from_secs(35));
    // (m's own view also shows the backdated message it forced into its store.)
    for (dir, expect) in [
        (&m, &["backdated by the removed member", "before the removal"][..]),
        (&x, &["before the removal"][..]),
    ] {
        assert_eq!(
            texts(dir, &space),
            expect,
            "a removed member or an old ticket received something written after the removal"
        );
    }
    for dir in [&o, &b] {
        let t = texts(dir, &space);
        assert_eq!(
            t,
            ["before the removal", "after, from the owner", "after, from b"],
            "{} accepted a record it should not have",
            dir.display()
        );
    }
    // Not even the sealed bytes of later messages reached m or x; m holds its forged ones (not
    // shown: m holds no key for the epoch it is dated in).
    let messages = |dir: &Path| -> i64 {
        rusqlite::Connection::open(dir.join("confab.sqlite"))
            .unwrap()
            .query_row("SELECT count(*) FROM records WHERE kind = 1", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(
        messages(&m),
        3,
        "m holds the first message and its two forged ones"
    );
    assert_eq!(messages(&x), 1, "x holds the first message only");
    assert!(
        !pm.log().contains("panicked") && !px.log().contains("panicked"),
        "{}",
        pm.log()
    );
}

#[test]
fn catch_up_resumes_across_a_stingy_relays_short_circuits() {
    // A relay with rust-libp2p's default limits (128 KiB and 2 minutes per relayed
    // connection), as a relay run by someone else may have. 1,500 messages are about 0.3 MB:
    // the catch-up needs several circuits, each cut by the relay, each resumed.
    let mut net = Net::new("stingy");
    let (r, a_ns, b_ns) = (net.ns("r"), net.ns("a"), net.ns("b"));
    net.link(&a_ns, "10.213.8.2/24", &r, "10.213.8.1/24");
    net.link(&b_ns, "10.213.9.2/24", &r, "10.213.9.1/24");
    let d = tempfile::tempdir().unwrap();
    let (rd, a, b) = (d.path().join("r"), d.path().join("a"), d.path().join("b"));
    let relay = Peer::start(
        "relay",
        &r,
        &rd,
        &[
            "--relay-server",
            "--circuit-bytes",
            "131072",
            "--circuit-secs",
            "120",
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/0.0.0.0/tcp/4011",
        ],
    );
    relay.listen_addr(|s| s.contains("10.213.8.1"), "its a-side address");
    let r_id = peer_id(&rd);
    const N: usize = 1500;
    let (chat, ticket) = create(&a, "chat", "far room");
    cli(&a, &["chat", "send", &chat, "message", "--count", &N.to_string()]);
    cli(&b, &["space", "join", &ticket]);
    let pa = Peer::start(
        "a",
        &a_ns,
        &a,
        &[
            "--no-mdns",
            "--no-dht",
            "--no-upnp",
            "--listen",
            "/ip4/0.0.0.0/tcp/0",
            "--relay",
            &format!("/ip4/10.213.8.1/tcp/4011/p2p/{r_id}"),
        ],
    );
    pa.listen_addr(|s| s.contains("p2p-circuit"), "a relay circuit");
    let a_id = peer_id(&a);
    let pb = Peer::start_at(
        "b",
        &b_ns,
        &b,
        "/ip4/0.0.0.0/tcp/0",
        &[format!(
            "/ip4/10.213.9.1/tcp/4011/p2p/{r_id}/p2p-circuit/p2p/{a_id}"
        )],
    );
    let count = || -> usize {
        rusqlite::Connection::open_with_flags(
            b.join("confab.sqlite"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .and_then(|db| {
            db.query_row("SELECT count(*) FROM records WHERE kind = 1", [], |r| {
                r.get::<_, i64>(0)
            })
        })
        .unwrap_or(0) as usize
    };
    wait(240, "b caught up with all messages through the relay", || {
        (count() == N).then_some(())
    });
    let log = pb.log();
    let cuts = log.lines().filter(|l| l.contains("disconnected")).count();
    assert!(
        cuts >= 2,
        "the relay should have cut the circuit several times; b's log:\n{log}"
    );
    // The messages alone are several times what one circuit may carry: each circuit's session
    // stored its part and the next went on from there.
    let bytes: i64 = rusqlite::Connection::open(b.join("confab.sqlite"))
        .unwrap()
        .query_row("SELECT sum(length(raw)) FROM records WHERE kind = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        bytes > 2 * 131_072,
        "only {bytes} bytes: a single circuit could have carried it"
    );
    let sessions = log.lines().filter(|l| l.contains(" receiving ")).count();
    eprintln!(
        "stingy relay: {bytes} bytes of messages over {cuts} cut circuits; {sessions} progress reports"
    );
    drop((pa, pb, relay));
}
