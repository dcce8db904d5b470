//! The app's commands on Tauri's mock runtime (no display, no D-Bus): the real node on
//! 127.0.0.1 with mDNS off, the real ACL from the capabilities, and a second headless node
//! that talks to the app over libp2p.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::{Listener, WebviewWindow};

#[path = "support/mock.rs"]
mod mock;
use mock::{app, call, err, ok, App};

#[test]
fn spaces_chat_board_news_and_settings() {
    let App {
        app: _app,
        window: w,
        _dir,
    } = app();
    let me = ok(&w, "me", json!({}));
    assert!(me["peer_id"].as_str().unwrap().starts_with("12D3KooW"));

    // Chat: create, send, list; text is stored as given.
    let room = ok(&w, "create_space", json!({"kind": "chat", "name": "Room"}));
    let id = room["space"].as_str().unwrap().to_string();
    assert_eq!(room["name"], "Room");
    assert!(room["ticket"].as_str().unwrap().starts_with("CONFAB1"));
    ok(
        &w,
        "chat_send",
        json!({"space": id, "text": "<img src=x onerror=alert(1)>"}),
    );
    let msgs = ok(&w, "chat_list", json!({"space": id}));
    assert_eq!(msgs[0]["text"], "<img src=x onerror=alert(1)>");
    assert_eq!(msgs[0]["me"], true);
    assert_eq!(msgs[0]["author"], me["peer_id"]);
    let e = err(&w, "chat_send", json!({"space": id, "text": "   "}));
    assert_eq!(e["code"], "invalid");
    let e = err(&w, "chat_list", json!({"space": "ffff"}));
    assert_eq!(e["code"], "not_found", "{e}");

    // Ticket and QR code.
    let t = ok(&w, "space_ticket", json!({"space": id}));
    assert!(t["qr_svg"].as_str().unwrap().contains("<svg"));

    // Board: a stroke, then erase it.
    let board = ok(&w, "create_space", json!({"kind": "board", "name": "Board"}));
    let bid = board["space"].as_str().unwrap().to_string();
    let sid = ok(
        &w,
        "board_stroke",
        json!({"space": bid, "points": [[0,0],[10,5]], "color": "#ff0000", "width": 3.0}),
    );
    let strokes = ok(&w, "board_list", json!({"space": bid}));
    assert_eq!(strokes[0]["color"], "#ff0000");
    let e = err(
        &w,
        "board_stroke",
        json!({"space": bid, "points": [[0,0]], "color": "red", "width": 3.0}),
    );
    assert!(e["message"].as_str().unwrap().contains("colour"), "{e}");
    ok(&w, "board_erase", json!({"space": bid, "strokes": [sid["id"]]}));
    assert_eq!(ok(&w, "board_list", json!({"space": bid})), json!([]));
    // Live presence: accepted for a board (nobody else there yet), refused with a reason
    // when out of range or for another kind of space.
    ok(
        &w,
        "board_live",
        json!({"space": bid, "cursor": [5.0, 6.0], "stroke": {"points": [[0,0],[1,1]], "color": "#00ff00", "width": 2.0}}),
    );
    ok(
        &w,
        "board_live",
        json!({"space": bid, "cursor": null, "stroke": null}),
    );
    let e = err(&w, "board_live", json!({"space": bid, "cursor": [1e9, 0.0]}));
    assert!(e["message"].as_str().unwrap().contains("cursor"), "{e}");
    let e = err(&w, "board_live", json!({"space": id, "cursor": [1.0, 1.0]}));
    assert!(e["message"].as_str().unwrap().contains("whiteboards"), "{e}");
    // Nothing live is stored: the board is still empty.
    assert_eq!(ok(&w, "board_list", json!({"space": bid})), json!([]));
    // A chat space takes no strokes.
    let e = err(
        &w,
        "board_stroke",
        json!({"space": id, "points": [[0,0]], "color": "#000000", "width": 1.0}),
    );
    assert_eq!(e["code"], "invalid", "{e}");

    // Newsletter: the owner publishes.
    let news = ok(&w, "create_space", json!({"kind": "news", "name": "Letters"}));
    let nid = news["space"].as_str().unwrap().to_string();
    assert_eq!(news["mine"], true);
    ok(
        &w,
        "news_publish",
        json!({"space": nid, "title": "Issue 1", "body": "Hello"}),
    );
    let issues = ok(&w, "news_list", json!({"space": nid}));
    assert_eq!(issues[0]["title"], "Issue 1");
    // Nobody has synced it yet: held by no one else.
    assert_eq!(issues[0]["held_by"], 0);
    // The UI reads issues a page at a time, newest first.
    ok(
        &w,
        "news_publish",
        json!({"space": nid, "title": "Issue 2", "body": "More"}),
    );
    let newest = ok(&w, "news_list", json!({"space": nid, "limit": 1}));
    assert_eq!(newest.as_array().unwrap().len(), 1);
    assert_eq!(newest[0]["title"], "Issue 2");
    let older = ok(
        &w,
        "news_list",
        json!({"space": nid, "limit": 1, "before": newest[0]["id"]}),
    );
    assert_eq!(older[0]["title"], "Issue 1");

    // Lists per kind; muting persists.
    assert_eq!(
        ok(&w, "spaces", json!({"kind": "board"}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(ok(&w, "spaces", json!({})).as_array().unwrap().len(), 3);
    ok(&w, "set_muted", json!({"space": id, "muted": true}));
    let chats = ok(&w, "spaces", json!({"kind": "chat"}));
    assert_eq!(chats[0]["muted"], true);
    let e = err(&w, "spaces", json!({"kind": "forum"}));
    assert!(e["message"].as_str().unwrap().contains("forum"));

    // Settings: saved, read back, bad addresses refused by name.
    ok(
        &w,
        "settings_set",
        json!({"settings": {"dial": [], "relays": ["/ip4/10.9.9.9/tcp/4001"], "mdns": false}}),
    );
    let s = ok(&w, "settings_get", json!({}));
    assert_eq!(s["saved"]["relays"][0], "/ip4/10.9.9.9/tcp/4001");
    assert!(s["from_env"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v == "CONFAB_MDNS"));
    let e = err(
        &w,
        "settings_set",
        json!({"settings": {"dial": ["not an address"]}}),
    );
    assert!(e["message"].as_str().unwrap().contains("not an address"), "{e}");

    // Joining: a damaged ticket is refused.
    let e = err(&w, "join_space", json!({"ticket": "CONFAB1AAAA"}));
    assert_eq!(e["code"], "invalid");
    assert!(ok(&w, "peers", json!({})).as_array().unwrap().is_empty());
}

#[test]
fn only_granted_commands_can_be_called() {
    let App {
        app: _app,
        window: w,
        _dir,
    } = app();
    // A core command the capability does not grant, and the commands of the plugins the app
    // uses from Rust only (native dialogs, the system's opener).
    for cmd in [
        "plugin:window|close",
        "plugin:dialog|save",
        "plugin:dialog|open",
        "plugin:opener|open_url",
        "plugin:opener|open_path",
    ] {
        let e = call(
            &w,
            cmd,
            json!({"url": "https://example.org", "path": "/etc/passwd"}),
        )
        .unwrap_err();
        assert!(
            e.to_string().to_lowercase().contains("not allowed") || e.to_string().contains("denied"),
            "{cmd}: {e}"
        );
    }
}

#[test]
fn a_peer_message_reaches_the_app_and_its_events() {
    let App { app, window: w, _dir } = app();
    let room = ok(&w, "create_space", json!({"kind": "chat", "name": "Room"}));
    let id = room["space"].as_str().unwrap().to_string();
    let ticket = ok(&w, "space_ticket", json!({"space": id}))["ticket"]
        .as_str()
        .unwrap()
        .to_string();

    let events: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = events.clone();
    app.listen(confab_app_lib::EVENT, move |e| {
        sink.lock()
            .unwrap()
            .push(serde_json::from_str(e.payload()).unwrap());
    });

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let peer_dir = _dir.path().join("peer");
        let cfg = confab_node::NodeConfig {
            listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
            mdns: false,
            dht: false,
            upnp: false,
            ..Default::default()
        };
        let peer = confab_node::Client::start(&peer_dir, cfg).await.unwrap();
        // The ticket carries the app's address: joining dials it.
        let joined = peer.join(&ticket).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut sent = false;
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "message never reached the app"
            );
            if !sent && !peer.peers().await.unwrap().is_empty() {
                tokio::time::sleep(Duration::from_millis(1500)).await; // gossip mesh
                peer.chat_send(&joined.space, "hi from the peer").await.unwrap();
                sent = true;
            }
            let msgs = ok(&w, "chat_list", json!({"space": id}));
            if msgs
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["text"] == "hi from the peer")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let peers = ok(&w, "peers", json!({}));
        assert_eq!(peers[0]["peer_id"], peer.peer_id());
        assert_eq!(peers[0]["how"], "direct");

        // The owner (the app) sees the peer among the members and removes it.
        let pid = peer.peer_id().to_string();
        let members = ok(&w, "space_members", json!({"space": id}));
        assert_eq!(members[0]["role"], "owner");
        assert_eq!(members[0]["me"], true);
        assert!(
            members
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["peer"] == pid.as_str() && m["role"] == "member"),
            "{members}"
        );
        let after = ok(&w, "remove_member", json!({"space": id, "peer": pid}));
        assert!(
            after
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["peer"] == pid.as_str() && m["role"] == "removed"),
            "{after}"
        );
        let e = err(&w, "remove_member", json!({"space": id, "peer": pid}));
        assert!(e["message"].as_str().unwrap().contains("already removed"), "{e}");
        let spaces = ok(&w, "spaces", json!({}));
        assert_eq!(spaces[0]["removed"], false);
        // The peer learns it was removed: its space view says so and it cannot write.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let spaces = peer.spaces(None).await.unwrap();
            if spaces.iter().any(|s| s.space == joined.space && s.removed) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the peer never learnt of its removal"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let err = peer.chat_send(&joined.space, "still here?").await.unwrap_err();
        assert_eq!(err.code(), "removed", "{err}");
        peer.shutdown().await;
    });

    let evs = events.lock().unwrap();
    assert!(evs.iter().any(|e| e["type"] == "peers"), "{evs:?}");
    let rec = evs
        .iter()
        .find(|e| e["type"] == "records" && e["local"] == false && e["records"][0]["kind"] == "chat")
        .expect("a records event for the peer's message");
    assert_eq!(rec["space"], id.as_str());
    assert_eq!(rec["records"][0]["kind"], "chat");
    assert_eq!(rec["records"][0]["text"], "hi from the peer");
    assert_eq!(rec["records"][0]["me"], false);
}

#[test]
fn bad_arguments_from_the_ui_are_refused_by_name_and_change_nothing() {
    let App {
        app: _app,
        window: w,
        _dir,
    } = app();
    let room = ok(&w, "create_space", json!({"kind": "chat", "name": "Room"}));
    let rid = room["space"].as_str().unwrap().to_string();
    let board = ok(&w, "create_space", json!({"kind": "board", "name": "Board"}));
    let bid = board["space"].as_str().unwrap().to_string();
    let news = ok(&w, "create_space", json!({"kind": "news", "name": "News"}));
    let nid = news["space"].as_str().unwrap().to_string();
    ok(&w, "chat_send", json!({"space": rid, "text": "kept"}));
    let state = |w: &WebviewWindow<MockRuntime>| {
        json!([
            ok(w, "spaces", json!({})),
            ok(w, "chat_list", json!({"space": rid})),
            ok(w, "board_list", json!({"space": bid})),
            ok(w, "news_list", json!({"space": nid})),
            ok(w, "settings_get", json!({})),
        ])
    };
    let before = state(&w);
    let many_points: Vec<[f32; 2]> = (0..9000).map(|i| [i as f32, 0.0]).collect();
    let cases = [
        // Wrong types and missing fields are refused by the IPC layer before any command runs.
        ("chat_send", json!({"space": rid}), "text"),
        ("chat_send", json!({"space": 7, "text": "x"}), "space"),
        (
            "board_stroke",
            json!({"space": bid, "points": "0,0", "color": "#000000", "width": 1.0}),
            "points",
        ),
        // The commands' own checks.
        (
            "chat_send",
            json!({"space": rid, "text": "x".repeat(20_000)}),
            "limit",
        ),
        ("chat_send", json!({"space": "", "text": "x"}), "space"),
        (
            "board_stroke",
            json!({"space": bid, "points": many_points, "color": "#000000", "width": 1.0}),
            "8192",
        ),
        (
            "board_stroke",
            json!({"space": bid, "points": [[0, 0]], "color": "#000000", "width": -1.0}),
            "width",
        ),
        (
            "board_erase",
            json!({"space": bid, "strokes": ["not-an-id"]}),
            "not-an-id",
        ),
        (
            "news_publish",
            json!({"space": rid, "title": "t", "body": "b"}),
            "news",
        ),
        ("join_space", json!({"ticket": ""}), "ticket"),
        (
            "profile_set",
            json!({"name": "evil\u{202E}txt"}),
            "control or format",
        ),
        ("profile_set", json!({"name": "x".repeat(65)}), "at most 64"),
        ("chat_window", json!({"space": rid, "limit": 0}), "1 to 500"),
        (
            "chat_react",
            json!({"space": rid, "msg": "zz", "emoji": "👍"}),
            "not a message id",
        ),
        (
            "chat_write",
            json!({"space": rid, "text": "x", "replyTo": "0123abcd", "mentions": []}),
            "no message here",
        ),
        (
            "chat_write",
            json!({"space": rid, "text": "x", "mentions": ["nobody"]}),
            "not a Confab peer id",
        ),
        ("search", json!({"query": " * "}), "no words"),
        (
            "create_space",
            json!({"kind": "chat", "name": "n".repeat(500)}),
            "name",
        ),
        ("set_muted", json!({"space": "abcd", "muted": true}), "abcd"),
        ("settings_set", json!({"settings": {"listen": ["nope"]}}), "nope"),
        (
            "save_export",
            json!({"name": "../../etc/passwd", "base64": "AAAA"}),
            ".png or .svg",
        ),
        ("save_export", json!({"name": "b.png", "base64": "%%%"}), "base64"),
        (
            "remove_member",
            json!({"space": rid, "peer": "nobody"}),
            "not a peer id",
        ),
        (
            "remove_member",
            json!({"space": rid, "peer": "12D3KooWGRUVh6wmSZxwRsxZqJTyb2uMZiQ2B3LHBqr2Vrk3EZhs"}),
            "not a member",
        ),
        ("space_members", json!({"space": "zz"}), "zz"),
    ];
    for (cmd, args, needle) in cases {
        let e = err(&w, cmd, args.clone());
        let text = e.to_string();
        assert!(
            text.to_lowercase().contains(&needle.to_lowercase()),
            "{cmd}: error {text} does not name {needle:?}"
        );
        assert_eq!(state(&w), before, "{cmd} {args} changed the stored data");
    }
    // A good export opens the save dialog (the window tests answer it: board_pictures.rs);
    // the name it offers is checked in src/commands.rs's unit tests.
    // A lifecycle change is named, or refused by name.
    let e = err(&w, "app_lifecycle", json!({"kind": "paused"}));
    assert_eq!(e["code"], "invalid", "{e}");
    assert!(e["message"].as_str().unwrap().contains("\"paused\""), "{e}");
    ok(&w, "app_lifecycle", json!({"kind": "network-changed"}));
}

#[test]
fn the_app_exit_stops_the_node_and_releases_the_data_dir() {
    let App { app, window: w, _dir } = app();
    let data = _dir.path().join("app");
    ok(&w, "create_space", json!({"kind": "chat", "name": "Room"}));
    assert!(
        confab_node::socket_path(&data).exists(),
        "the running node serves its socket"
    );
    confab_app_lib::on_run_event(app.handle(), &tauri::RunEvent::Exit);
    assert!(
        !confab_node::socket_path(&data).exists(),
        "the node's socket is still there after the app exited"
    );
    // The lock is free at once: a command-line client opens the data dir itself, and finds
    // what the app wrote.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let t = std::time::Instant::now();
        let c = confab_node::Client::open(&data).await.unwrap();
        assert!(!c.is_running(), "no node should run on the data dir any more");
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "waited {:?} for the lock",
            t.elapsed()
        );
        assert_eq!(c.spaces(None).await.unwrap()[0].name, "Room");
    });
}
