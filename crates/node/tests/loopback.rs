//! Nodes on 127.0.0.1 with mDNS off, driven through the public API (`Client`): live delivery
//! both ways, and peers that misbehave.

use std::time::Duration;

use confab_core::{Body, ChatBody, Hlc, Identity, NewsBody};
use confab_net::{NetConfig, NetEvent};
use confab_node::{Client, NodeEvent};
use confab_sync::proto::Request;

mod common;

use common::{cfg, eventually, first_addr, start};

async fn texts(node: &Client, space: &str) -> Vec<String> {
    node.chat_list(space)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| m.text)
        .collect()
}

async fn connected(a: &Client, b: &Client) -> bool {
    !a.peers().await.unwrap().is_empty() && !b.peers().await.unwrap().is_empty()
}

/// A space's key as a `Space`, from its ticket (what a raw peer that holds the ticket knows).
fn space_of(ticket: &str) -> confab_core::Space {
    confab_core::Ticket::parse(ticket).unwrap().space
}

/// A bare libp2p peer on 127.0.0.1 (no Confab node behind it), for peers that misbehave or
/// run another version.
fn raw_peer(id: &Identity) -> (confab_net::NetHandle, tokio::sync::mpsc::Receiver<NetEvent>) {
    let mut c = NetConfig::new(id.keypair().clone());
    c.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    c.mdns = false;
    confab_net::spawn(c).unwrap()
}

/// A chat record `id` writes into `room` now.
fn chat_record(room: &confab_core::Space, id: &Identity, text: &str) -> Vec<u8> {
    room.seal(
        id.signing_key(),
        &Body::Chat(ChatBody {
            files: Vec::new(),
            mentions: vec![],
            text: text.into(),
        }),
        Hlc::new(confab_core::now_ms(), 0),
        None,
        vec![],
    )
    .unwrap()
    .into_encoded()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_chat_both_ways_and_offline_writes_on_reconnect() {
    let d = tempfile::tempdir().unwrap();
    let a = start(&d.path().join("a"), vec![]).await;
    let made = a.create_space("chat", "room").await.unwrap();
    let room = made.space.space.clone();
    // The ticket carries a's address: joining dials it, no --dial needed.
    assert!(made.ticket.len() > 100);
    let b = start(&d.path().join("b"), vec![]).await;
    let ticket = a.ticket(&room).await.unwrap().ticket;
    assert!(
        !confab_core::Ticket::parse(&ticket).unwrap().addrs.is_empty(),
        "ticket should carry a's listen address"
    );
    b.join(&ticket).await.unwrap();
    eventually(10, "a and b connected", || connected(&a, &b)).await;
    assert_eq!(b.peers().await.unwrap()[0].how, "direct");

    let mut b_events = b.events().unwrap();
    a.chat_send(&room, "from a").await.unwrap();
    b.chat_send(&room, "from b").await.unwrap();
    for n in [&a, &b] {
        eventually(5, "both messages on both nodes", || async {
            texts(n, &room).await.len() == 2
        })
        .await;
    }
    // b saw a's message as a live insert event, not only by sync.
    let mut live = false;
    while let Ok(ev) = b_events.try_recv() {
        if let NodeEvent::Inserted {
            records,
            local: false,
        } = ev
        {
            live |= records
                .iter()
                .any(|r| matches!(&r.body, Body::Chat(c) if c.text == "from a"));
        }
    }
    assert!(live, "a's message did not arrive live");

    // b goes away; a writes; b comes back and catches up by sync.
    b.shutdown().await;
    eventually(10, "a notices b left", || async {
        a.peers().await.unwrap().is_empty()
    })
    .await;
    a.chat_send(&room, "while b was away").await.unwrap();
    let b2 = start(&d.path().join("b"), vec![first_addr(&a).await]).await;
    eventually(10, "b catches up", || async {
        texts(&b2, &room).await.contains(&"while b was away".to_string())
    })
    .await;
    a.shutdown().await;
    b2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_on_one_data_dir_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let a = start(d.path(), vec![]).await;
    let err = Client::start(d.path(), cfg(vec![]))
        .await
        .expect_err("second node must be refused");
    assert!(err.to_string().contains("already running"), "{err}");
    assert_eq!(err.code(), "locked");
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_peers_are_dropped_and_the_node_serves_others() {
    let d = tempfile::tempdir().unwrap();
    let victim = start(&d.path().join("victim"), vec![]).await;
    let made = victim.create_space("news", "weekly").await.unwrap();
    let news_id = made.space.space.clone();
    let news = space_of(&made.ticket);
    victim.news_publish(&news_id, "one", "b").await.unwrap();
    let addr = first_addr(&victim).await;
    let mut events = victim.events().unwrap();

    // A rogue libp2p peer that can send frames larger than the victim accepts.
    let rogue_id = Identity::generate();
    let mut rc = NetConfig::new(rogue_id.keypair().clone());
    rc.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    rc.mdns = false;
    rc.max_frame = 16 * 1024 * 1024;
    rc.max_gossip = 1 << 20;
    let (rogue, mut rogue_events) = confab_net::spawn(rc).unwrap();
    let victim_id: confab_net::PeerId = victim.peer_id().parse().unwrap();
    let connect = |rogue: &confab_net::NetHandle| {
        rogue.dial(addr.clone()).unwrap();
    };
    connect(&rogue);
    wait_connected(&rogue, &addr, &mut rogue_events).await;

    // 1. An oversized frame: the victim's codec refuses it and drops the rogue.
    let r = rogue.request(victim_id, vec![0u8; 5 * 1024 * 1024]).await;
    assert!(r.is_err(), "oversized frame got an answer");
    expect_dropped(&mut events, "oversized").await;

    // 2. Garbage bytes: not a sync message; dropped again. (The rogue dials again once it has
    // seen the connection go: a dial while the old one is still closing dials nothing.)
    wait_disconnected(&mut rogue_events).await;
    connect(&rogue);
    wait_connected(&rogue, &addr, &mut rogue_events).await;
    let r = rogue.request(victim_id, b"\xff\xfe garbage".to_vec()).await;
    assert!(r.is_err());
    expect_dropped(&mut events, "garbage").await;

    // 3. A record with a bad signature, pushed and gossiped: refused, nothing stored.
    wait_disconnected(&mut rogue_events).await;
    connect(&rogue);
    wait_connected(&rogue, &addr, &mut rogue_events).await;
    let forged = {
        let other = Identity::generate();
        let rec = news
            .seal(
                other.signing_key(),
                &Body::News(NewsBody {
                    files: Vec::new(),
                    title: "forged".into(),
                    body: "x".into(),
                }),
                Hlc::new(confab_core::now_ms(), 0),
                None,
                vec![],
            )
            .unwrap();
        let mut b = rec.into_encoded();
        let n = b.len();
        b[n - 2] ^= 1;
        b
    };
    let push = Request::Push {
        space: news.id,
        records: vec![serde_bytes::ByteBuf::from(forged.clone())],
    }
    .encode();
    let reply = rogue
        .request(victim_id, push)
        .await
        .expect("a push gets an answer");
    let reply = confab_sync::proto::Response::decode(&reply).unwrap();
    assert!(
        matches!(
            reply,
            confab_sync::proto::Response::Pushed {
                stored: 0,
                refused: 1
            }
        ),
        "{reply:?}"
    );
    rogue.subscribe(news.topic()).unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    rogue.publish(news.topic(), forged).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let issues = victim.news_list(&news_id).await.unwrap();
    assert_eq!(
        issues.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(),
        vec!["one"]
    );

    // The victim still serves an honest subscriber.
    let sub = start(&d.path().join("sub"), vec![addr.clone()]).await;
    sub.join(&victim.ticket(&news_id).await.unwrap().ticket)
        .await
        .unwrap();
    eventually(10, "the honest subscriber syncs", || async {
        sub.news_list(&news_id).await.unwrap().len() == 1
    })
    .await;
    rogue.shutdown();
    victim.shutdown().await;
    sub.shutdown().await;
}

/// Waits until the rogue is connected, dialling again each second: under load, a dial made
/// while the victim still closes the last connection can come to nothing (seen in CI).
async fn wait_connected(
    rogue: &confab_net::NetHandle,
    addr: &confab_net::Multiaddr,
    ev: &mut tokio::sync::mpsc::Receiver<NetEvent>,
) {
    for _ in 0..10 {
        let connected = tokio::time::timeout(Duration::from_secs(1), async {
            while let Some(e) = ev.recv().await {
                if matches!(e, NetEvent::Connected(_)) {
                    return;
                }
            }
        })
        .await;
        if connected.is_ok() {
            return;
        }
        rogue.dial(addr.clone()).unwrap();
    }
    panic!("the rogue did not connect in 10 s");
}

async fn wait_disconnected(ev: &mut tokio::sync::mpsc::Receiver<NetEvent>) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(e) = ev.recv().await {
            if matches!(e, NetEvent::Disconnected(_)) {
                return;
            }
        }
    })
    .await
    .expect("the rogue sees the connection go");
}

async fn expect_dropped(ev: &mut tokio::sync::broadcast::Receiver<NodeEvent>, what: &str) {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ev.recv().await {
                Ok(NodeEvent::PeerDropped { .. }) => return,
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => panic!("events closed"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the {what} peer was not dropped"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_presence_reaches_board_members_unstored_and_rate_limited() {
    use confab_node::view::LiveStrokeView;
    let d = tempfile::tempdir().unwrap();
    let a = start(&d.path().join("a"), vec![]).await;
    let board = a.create_space("board", "sketch").await.unwrap().space.space;
    let b = start(&d.path().join("b"), vec![]).await;
    b.join(&a.ticket(&board).await.unwrap().ticket).await.unwrap();
    eventually(10, "a and b connected", || connected(&a, &b)).await;
    let me = a.peer_id().to_string();
    let frame = |i: usize| {
        (
            Some((i as f32, 2.0 * i as f32)),
            Some(LiveStrokeView {
                points: (0..=i).map(|k| (k as f32, 0.0)).collect(),
                color: "#c80a0a".into(),
                width: 3.0,
                erasing: false,
            }),
        )
    };
    let send = |i: usize| {
        let (a, board) = (a.clone(), board.clone());
        async move {
            let (cursor, stroke) = frame(i);
            a.board_live(&board, cursor, stroke).await
        }
    };
    // Until the gossip mesh forms a frame may find no one; keep moving the pointer.
    let mut ev = b.events().unwrap();
    let mut got = None;
    for i in 0..100 {
        send(i).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        while let Ok(e) = ev.try_recv() {
            if let NodeEvent::Live { space, author, live } = e {
                got = Some((space, author, live));
            }
        }
        if got.is_some() {
            break;
        }
    }
    let (space, author, live) = got.expect("no live frame reached b in 10 s");
    assert_eq!(space.to_string(), board);
    assert_eq!(author.peer_id(), me);
    assert_eq!(
        live.stroke.as_ref().unwrap().color,
        confab_core::Color([200, 10, 10])
    );
    assert!(live.cursor.is_some());

    // A burst far over the per-author rate: b passes on at most the limit per second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    while ev.try_recv().is_ok() {}
    for i in 0..300 {
        send(i % 50).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut n = 0;
    while let Ok(e) = ev.try_recv() {
        if matches!(e, NodeEvent::Live { .. }) {
            n += 1;
        }
    }
    assert!(n > 0, "the burst did not arrive at all");
    assert!(
        n <= 2 * confab_node::LIVE_PER_SECOND as usize,
        "{n} live frames passed in a burst (limit {} a second)",
        confab_node::LIVE_PER_SECOND
    );
    // Nothing of it was stored, on either side.
    for node in [&a, &b] {
        assert!(node.board_list(&board).await.unwrap().is_empty());
    }
    // Live presence is a whiteboard thing.
    let room = a.create_space("chat", "room").await.unwrap().space.space;
    let (cursor, stroke) = frame(1);
    let err = a.board_live(&room, cursor, stroke).await.unwrap_err();
    assert!(err.to_string().contains("whiteboards"), "{err}");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_learns_which_subscribers_hold_its_issues() {
    let d = tempfile::tempdir().unwrap();
    let a = start(&d.path().join("a"), vec![]).await;
    // The ticket carries a's address: wait until a listens (else b and c cannot find it).
    first_addr(&a).await;
    let letter = a.create_space("news", "weekly").await.unwrap().space.space;
    a.news_publish(&letter, "one", "first").await.unwrap();
    assert!(a.holders(&letter).await.unwrap().is_empty());
    assert_eq!(a.news_list(&letter).await.unwrap()[0].held_by, Some(0));
    let ticket = a.ticket(&letter).await.unwrap().ticket;
    let mut subs = Vec::new();
    for name in ["b", "c"] {
        let n = start(&d.path().join(name), vec![]).await;
        n.join(&ticket).await.unwrap();
        subs.push(n);
    }
    // Rechecks come 2 s apart, three times; on a loaded machine (a namespace test with five
    // nodes beside it) a 30 s re-sync may be what finds the second holder: allow two.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(75);
    while a.news_list(&letter).await.unwrap()[0].held_by != Some(2) {
        if tokio::time::Instant::now() >= deadline {
            // What a knows, for the next time this fails (it did once in CI, 2026-12-01).
            panic!(
                "timed out waiting for both subscribers recorded as holders: held by {:?}; \
                 holders {:?}; a's peers {:?}; members {:?}; b's and c's issues {:?}",
                a.news_list(&letter).await.unwrap()[0].held_by,
                a.holders(&letter).await.unwrap(),
                a.peers().await.unwrap(),
                a.members(&letter).await.unwrap(),
                [
                    subs[0].news_list(&letter).await.unwrap().len(),
                    subs[1].news_list(&letter).await.unwrap().len()
                ],
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let h = a.holders(&letter).await.unwrap();
    let mut ids: Vec<String> = subs.iter().map(|n| n.peer_id().to_string()).collect();
    ids.sort();
    assert_eq!(h.iter().map(|x| x.peer.clone()).collect::<Vec<_>>(), ids);
    for n in subs.iter().chain([&a]) {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_member_is_throttled_then_dropped_and_nothing_is_lost() {
    let d = tempfile::tempdir().unwrap();
    let mut strict = cfg(vec![]);
    strict.flood = confab_node::FloodLimits {
        per_second: 200,
        burst: 400,
        cool_off_secs: 3,
    };
    let a = Client::start(&d.path().join("a"), strict).await.unwrap();
    let room = a.create_space("chat", "room").await.unwrap().space.space;
    let b = start(&d.path().join("b"), vec![first_addr(&a).await]).await;
    b.join(&a.ticket(&room).await.unwrap().ticket).await.unwrap();
    eventually(10, "a and b connected", || connected(&a, &b)).await;
    let count = |n: &Client| {
        let (n, room) = (n.clone(), room.clone());
        async move { n.chat_list(&room).await.unwrap().len() }
    };
    // The flood must go out by gossip: wait until b's messages reach a within half a second,
    // three times in a row (sync would be slower), rather than sleeping a fixed time, which a
    // loaded machine can outrun.
    let mut quick = 0;
    for i in 0..60 {
        let before = count(&a).await;
        b.chat_send(&room, &format!("probe {i}")).await.unwrap();
        let t = tokio::time::Instant::now();
        while count(&a).await == before && t.elapsed() < Duration::from_millis(500) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        quick = if count(&a).await > before { quick + 1 } else { 0 };
        if quick == 3 {
            break;
        }
    }
    assert_eq!(quick, 3, "b's messages never reached a live");
    let probes = count(&b).await;
    let mut a_events = a.events().unwrap();
    const N: usize = 3000;
    b.chat_send_many(&room, "flood", N as u32).await.unwrap();
    // a throttles b and then drops it for flooding.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let reason = loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, a_events.recv()).await {
            Ok(Ok(NodeEvent::PeerDropped { reason, .. })) => break reason,
            Ok(_) => continue,
            Err(_) => panic!("a never dropped the flooding peer"),
        }
    };
    assert!(reason.contains("flooding"), "{reason}");
    // What a took in by gossip is bounded by its allowance, far below the flood.
    let taken = count(&a).await - probes;
    assert!(taken < N, "a stored all {taken} flooded records at once");
    eprintln!("flood: a stored {taken} of {N} records before dropping b: {reason}");
    // The records were valid: once b is let back in, a fetches the rest at its own pace.
    // (Looked at twice a second: listing thousands of messages is not free on a busy machine.)
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while count(&a).await != probes + N {
        if tokio::time::Instant::now() >= deadline {
            let (ta, tb) = (texts(&a, &room).await, texts(&b, &room).await);
            let missing: Vec<&String> = tb.iter().filter(|t| !ta.contains(t)).collect();
            panic!(
                "timed out waiting for a to catch up with b by sync after the cool-off ({} of {}); \
                 a lacks {missing:?}; a's peers {:?}; b's peers {:?}",
                ta.len(),
                probes + N,
                a.peers().await.unwrap(),
                b.peers().await.unwrap()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_gossips_invalid_records_loses_its_standing() {
    let d = tempfile::tempdir().unwrap();
    let victim = start(&d.path().join("victim"), vec![]).await;
    let made = victim.create_space("chat", "room").await.unwrap();
    let (room_id, room) = (made.space.space.clone(), space_of(&made.ticket));
    let addr = first_addr(&victim).await;

    // A raw libp2p peer that holds the room's key, so it can write valid records too.
    let rogue_id = Identity::generate();
    let (rogue, mut rogue_events) = raw_peer(&rogue_id);
    rogue.dial(addr.clone()).unwrap();
    wait_connected(&rogue, &addr, &mut rogue_events).await;
    rogue.subscribe(room.topic()).unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let valid = |text: &str| chat_record(&room, &rogue_id, text);

    // While in good standing, its valid record is taken live.
    rogue.publish(room.topic(), valid("before")).await.unwrap();
    eventually(10, "the rogue's valid record stored", || async {
        texts(&victim, &room_id).await == vec!["before".to_string()]
    })
    .await;

    // Invalid records (a flipped signature byte) are rejected and count against it…
    for i in 0..3 {
        let mut forged = valid(&format!("forged {i}"));
        let n = forged.len();
        forged[n - 1] ^= 1;
        rogue.publish(room.topic(), forged).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // …until the victim ignores it: a valid record it gossips now is not taken.
    rogue.publish(room.topic(), valid("after")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        texts(&victim, &room_id).await,
        vec!["before".to_string()],
        "a peer that sent invalid records was still heard"
    );
    rogue.shutdown();
    victim.shutdown().await;
}

/// A peer on a later version gossips records of a kind this version does not know: they are
/// ignored — not stored, not passed on to the node's other peers — and the sender keeps its
/// standing (the test above shows the same number of invalid records costing it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_of_a_later_versions_kind_are_ignored_without_penalty() {
    let d = tempfile::tempdir().unwrap();
    let victim = start(&d.path().join("victim"), vec![]).await;
    let made = victim.create_space("chat", "room").await.unwrap();
    let (room_id, room) = (made.space.space.clone(), space_of(&made.ticket));
    let addr = first_addr(&victim).await;
    // The newer peer, and an observer that hears the room only through the node.
    let newer_id = Identity::generate();
    let (newer, mut newer_events) = raw_peer(&newer_id);
    let (observer, mut observer_events) = raw_peer(&Identity::generate());
    for (p, ev) in [(&newer, &mut newer_events), (&observer, &mut observer_events)] {
        p.dial(addr.clone()).unwrap();
        wait_connected(p, &addr, ev).await;
        p.subscribe(room.topic()).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let valid = |text: &str| chat_record(&room, &newer_id, text);
    newer.publish(room.topic(), valid("before")).await.unwrap();
    let later: Vec<Vec<u8>> = (0..5)
        .map(|i| confab_core::resign_with_kind(&valid(&format!("later {i}")), 99, newer_id.signing_key()))
        .collect();
    for r in &later {
        newer.publish(room.topic(), r.clone()).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    newer.publish(room.topic(), valid("after")).await.unwrap();
    eventually(
        10,
        "the newer peer still heard after its unknown records",
        || async { texts(&victim, &room_id).await == vec!["before".to_string(), "after".to_string()] },
    )
    .await;
    // The observer got what the node passed on: the two chat records, none of the others.
    let mut heard = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while heard.len() < 2 && tokio::time::Instant::now() < deadline {
        if let Ok(Some(NetEvent::Gossip { data, .. })) =
            tokio::time::timeout(Duration::from_millis(200), observer_events.recv()).await
        {
            heard.push(data);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Ok(ev) = observer_events.try_recv() {
        if let NetEvent::Gossip { data, .. } = ev {
            heard.push(data);
        }
    }
    assert_eq!(
        heard.len(),
        2,
        "the observer should hear exactly the two chat records"
    );
    assert!(
        heard.iter().all(|h| !later.contains(h)),
        "a record of an unknown kind was passed on"
    );
    newer.shutdown();
    observer.shutdown();
    victim.shutdown().await;
}
