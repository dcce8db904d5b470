//! End to end: the real app binary in a real window (Xvfb), driven over WebDriver
//! (tauri-driver + WebKitWebDriver), with a real notification daemon (dunst on a private D-Bus
//! session bus), next to a headless `confab run` peer on 127.0.0.1 with mDNS off.
//!
//! Needs what `scripts/setup.sh` installs (xvfb, dbus, dunst, webkit2gtk-driver, tauri-driver)
//! and the `confab` binary built beside the app (`cargo build --workspace`, as the test script
//! does). Set `CONFAB_SCREENSHOTS=DIR` to keep screenshots of every tab at desktop and phone
//! size (the README's come from `docs/screenshots`).

mod support;
#[path = "support/web.rs"]
mod web;

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::{Client, Locator};
use support::Desktop;
use web::{
    bin_dir, bounded, click, driver_log, eventually, find_text, join, open_app, peer_log, run_peer, shoot,
    type_into, Peer,
};

/// Runs the scenario in a fresh PID namespace (`unshare --pid --kill-child`): every process it
/// starts — Xvfb, the bus, dunst, tauri-driver, WebKitWebDriver, the app, the peer — dies with
/// it, even when the test runner kills the test on a timeout, and no signal sent by one of them
/// can reach anything outside.
#[test]
fn the_app_with_a_headless_peer() -> Result<()> {
    support::in_pid_namespace(INNER, "the_app_with_a_headless_peer", scenario)
}

const INNER: &str = "CONFAB_E2E_INNER";

async fn scenario() -> Result<()> {
    let confab = bin_dir().join("confab");
    if !confab.exists() {
        bail!(
            "{} is missing: build the workspace first (cargo build --workspace)",
            confab.display()
        );
    }
    let mut desk = Desktop::start()?;
    eprintln!("e2e: desktop up");

    // The headless peer: owns a chat room, a board and a newsletter.
    let mut peer = Peer::new(confab.clone(), desk.tmp.path().join("peer"));
    let (room, room_ticket) = peer.create("chat", "Lobby")?;
    let (board, board_ticket) = peer.create("board", "Sketches")?;
    let (letter, letter_ticket) = peer.create("news", "Weekly")?;
    run_peer(&mut desk, &mut peer, &[])?;
    eprintln!("e2e: peer up: {}", peer.addr);

    // The app, started by WebKitWebDriver under tauri-driver, dialling the peer.
    let app_dir = desk.tmp.path().join("app");
    let dial = peer.addr.clone();
    let c = open_app(
        &mut desk,
        &app_dir,
        &[
            ("CONFAB_DIAL", &dial),
            ("RUST_LOG", "info,confab_node=debug,confab_sync=debug"),
        ],
    )
    .await?;
    eprintln!("e2e: WebDriver session open");
    // Every step below has its own bound; this one stops a hung WebDriver call.
    let all = steps(
        &c,
        &desk,
        &peer,
        (&room, &room_ticket),
        (&board, &board_ticket),
        (&letter, &letter_ticket),
    );
    let result = match tokio::time::timeout(Duration::from_secs(240), all).await {
        Ok(r) => r,
        Err(_) => Err(anyhow!("the end-to-end steps took over 240 s")),
    };
    if let Err(e) = &result {
        eprintln!("e2e: failed: {e:#}");
        let _ = tokio::time::timeout(Duration::from_secs(10), shoot(&c, "failure")).await;
        eprintln!("e2e: tauri-driver and app said:\n{}", driver_log(&desk));
        eprintln!("e2e: the peer said:\n{}", peer_log(&peer));
    }
    eprintln!("e2e: closing the session");
    let _ = tokio::time::timeout(Duration::from_secs(10), c.close()).await;
    eprintln!("e2e: session closed; stopping processes");
    result
}

/// The app owns a room, the peer joins it by the app's ticket, and the app's owner removes the
/// peer from the Members panel: the peer learns it was removed and can no longer write.
async fn members_step(c: &Client, peer: &Peer) -> Result<()> {
    click(c, "tab-chat").await?;
    type_into(c, "space-create-name", "Team").await?;
    click(c, "space-create").await?;
    find_text(c, "space-item", "Team", 10).await?;
    // The invite panel's ticket, once it is the new room's (it showed the newsletter's before).
    let mut ticket = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !confab_core::Ticket::parse(&ticket).is_ok_and(|t| t.space.name == "Team") {
        ticket = c
            .find(Locator::Css("[data-testid=\"space-ticket\"]"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        if Instant::now() > deadline {
            bail!("no ticket for the new room");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let joined = peer.cmd(&["space", "join", &ticket, "--json"])?;
    let team = serde_json::from_str::<serde_json::Value>(&joined)?["space"]
        .as_str()
        .ok_or_else(|| anyhow!("space join printed {joined}"))?
        .to_string();
    let peer_id = serde_json::from_str::<serde_json::Value>(&peer.cmd(&["id", "--json"])?)?["peer_id"]
        .as_str()
        .ok_or_else(|| anyhow!("no peer id"))?
        .to_string();
    click(c, "members-button").await?;
    // The peer's join record reaches the app (live, or at the next sync).
    let row = format!("[data-testid=\"member\"][data-peer=\"{peer_id}\"][data-role=\"member\"]");
    let deadline = Instant::now() + Duration::from_secs(45);
    while c.find_all(Locator::Css(&row)).await?.is_empty() {
        if Instant::now() > deadline {
            bail!("the peer never showed as a member of the app's room");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shoot(c, "members-desktop").await?;
    let remove = format!("[data-testid=\"member-remove\"][data-peer=\"{peer_id}\"]");
    // Two clicks: the first arms the button, the second removes.
    c.find(Locator::Css(&remove)).await?.click().await?;
    c.find(Locator::Css(&remove)).await?.click().await?;
    let gone = format!("[data-testid=\"member\"][data-peer=\"{peer_id}\"][data-role=\"removed\"]");
    let deadline = Instant::now() + Duration::from_secs(15);
    while c.find_all(Locator::Css(&gone)).await?.is_empty() {
        if Instant::now() > deadline {
            bail!("the member list never showed the peer as removed");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eventually("the peer learns it was removed", 45, || {
        let v: serde_json::Value = serde_json::from_str(&peer.cmd(&["space", "members", &team, "--json"])?)?;
        Ok(v.as_array().is_some_and(|l| {
            l.iter()
                .any(|m| m["peer"] == peer_id.as_str() && m["role"] == "removed")
        }))
    })
    .await?;
    if peer.cmd(&["chat", "send", &team, "still here?"]).is_ok() {
        bail!("the removed peer could still write in the room");
    }
    type_into(c, "chat-input", "only for those who stay").await?;
    click(c, "chat-send").await?;
    find_text(c, "chat-message", "only for those who stay", 10).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    if peer
        .cmd(&["chat", "list", &team])?
        .contains("only for those who stay")
    {
        bail!("the removed peer received a message written after its removal");
    }
    shoot(c, "members-removed-desktop").await?;
    Ok(())
}

/// A node in this process that joined the board by ticket; returns it and the board's id.
async fn third_member(desk: &Desktop, peer: &str, ticket: &str) -> Result<(confab_node::Client, String)> {
    let dir = desk.tmp.path().join("third");
    let board = confab_node::Client::open(&dir).await?.join(ticket).await?.space;
    let cfg = confab_node::NodeConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse()?],
        dial: vec![peer.parse()?],
        mdns: false,
        dht: false,
        upnp: false,
        ..Default::default()
    };
    Ok((confab_node::Client::start(&dir, cfg).await?, board))
}

/// Sends live frames (a pointer and a stroke in progress) until the app's board shows them.
async fn live_until_shown(c: &Client, node: &confab_node::Client, board: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut i = 0.0f32;
    loop {
        let stroke = confab_node::view::LiveStrokeView {
            points: (0..20)
                .map(|k| (300.0 + 6.0 * k as f32, 300.0 + (k as f32).sin() * 20.0))
                .collect(),
            color: "#dc285a".into(),
            width: 5.0,
            erasing: false,
        };
        node.board_live(board, Some((420.0 + i, 260.0)), Some(stroke))
            .await?;
        i += 1.0;
        let canvas = c.find(Locator::Css("[data-testid=\"board-canvas\"]")).await?;
        if canvas.attr("data-live").await?.as_deref().unwrap_or("0") != "0" {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the app never showed the third member's live pointer");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn steps(
    c: &Client,
    desk: &Desktop,
    peer: &Peer,
    (room, room_ticket): (&str, &str),
    (board, board_ticket): (&str, &str),
    (letter, letter_ticket): (&str, &str),
) -> Result<()> {
    c.set_window_size(1280, 800).await.ok();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("body[data-ready=\"true\"]"))
        .await
        .context("the UI never became ready")?;

    eprintln!("e2e: ui ready");
    // The app reaches the peer it was told to dial.
    click(c, "tab-peers").await?;
    find_text(c, "peer-item", "Direct", 20).await?;
    // The node's place in the network, as the status says (the suite runs with the DHT off).
    find_text(c, "dht", "off", 10).await?;
    find_text(c, "reachability", "Not known yet", 10).await?;
    find_text(c, "reservations", "none", 10).await?;
    find_text(c, "external", "—", 10).await?;

    eprintln!("e2e: peer connected");
    // Chat: a message typed in the app reaches the peer.
    join(c, "tab-chat", room_ticket, "Lobby").await?;
    type_into(c, "chat-input", "hello from the app").await?;
    click(c, "chat-send").await?;
    let t = Instant::now();
    eventually("the app's message in the peer's chat list", 15, || {
        Ok(peer.cmd(&["chat", "list", room])?.contains("hello from the app"))
    })
    .await?;
    eprintln!("app → peer chat: {} ms", t.elapsed().as_millis());

    eprintln!("e2e: chat app→peer ok");
    // A message from the peer shows in the app and raises a notification.
    peer.cmd(&["chat", "send", room, "hello from the peer"])?;
    find_text(c, "chat-message", "hello from the peer", 15).await?;
    eventually("a notification for the peer's message", 15, || {
        Ok(desk
            .notifications()?
            .iter()
            .any(|(s, b)| s == "Lobby" && b.contains("hello from the peer")))
    })
    .await?;

    eprintln!("e2e: chat peer→app + notification ok");
    // Text from peers is text, never markup.
    let evil = "<img src=x onerror=alert(1)>";
    peer.cmd(&["chat", "send", room, evil])?;
    find_text(c, "chat-message", evil, 15).await?;
    let imgs = c.find_all(Locator::Css("#messages img")).await?;
    if !imgs.is_empty() {
        bail!("a peer's text became an <img> element");
    }
    if c.get_alert_text().await.is_ok() {
        bail!("a peer's text ran script (an alert is open)");
    }
    shoot(c, "chat-desktop").await?;

    eprintln!("e2e: literal text ok");
    // Whiteboard: a stroke drawn with pointer actions reaches the peer.
    join(c, "tab-board", board_ticket, "Sketches").await?;
    let canvas = c.find(Locator::Css("[data-testid=\"board-canvas\"]")).await?;
    let stroke = MouseActions::new("pen".into())
        .then(PointerAction::MoveToElement {
            element: canvas.clone(),
            duration: None,
            x: -120.0,
            y: -40.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(100)),
            x: 80.0,
            y: 60.0,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(100)),
            x: 120.0,
            y: -30.0,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    c.perform_actions(stroke).await?;
    eventually("the app's stroke in the peer's board list", 15, || {
        Ok(!peer.cmd(&["board", "list", board])?.trim().is_empty())
    })
    .await?;
    // While the pointer moved with the button down, the stroke in progress went out live.
    eventually(
        "the app's stroke in progress at the peer (live frames)",
        15,
        || {
            let printed = peer.printed.lock().unwrap_or_else(|e| e.into_inner());
            Ok(printed
                .iter()
                .any(|l| l.starts_with("live ") && !l.ends_with("stroke 0")))
        },
    )
    .await?;
    eprintln!("e2e: live frames app → peer ok");
    // A third member (a node in this process) joins the board through the peer's ticket and
    // moves its pointer: the app shows its cursor and stroke in progress.
    let third = third_member(desk, &peer.addr, board_ticket).await?;
    let shown = live_until_shown(c, &third.0, &third.1).await;
    third.0.shutdown().await;
    shown?;
    eprintln!("e2e: live cursor peer → app ok");
    shoot(c, "board-desktop").await?;

    eprintln!("e2e: stroke ok");
    // Newsletter: an issue the peer publishes shows in the app and notifies.
    join(c, "tab-news", letter_ticket, "Weekly").await?;
    peer.cmd(&[
        "news",
        "publish",
        letter,
        "--title",
        "Issue one",
        "--body",
        "First words.",
    ])?;
    find_text(c, "news-issue", "Issue one", 15).await?;
    eventually("a notification for the issue", 15, || {
        Ok(desk
            .notifications()?
            .iter()
            .any(|(s, b)| s == "Weekly" && b.contains("Issue one")))
    })
    .await?;
    shoot(c, "news-desktop").await?;
    click(c, "tab-peers").await?;
    shoot(c, "peers-desktop").await?;

    eprintln!("e2e: news ok");
    members_step(c, peer).await?;
    eprintln!("e2e: members ok");
    // The same at phone size.
    bounded("resizing to phone size", c.set_window_size(390, 844)).await??;
    eprintln!("e2e: phone size");
    tokio::time::sleep(Duration::from_millis(500)).await;
    for tab in ["chat", "board", "news", "peers"] {
        bounded("clicking a tab", click(c, &format!("tab-{tab}"))).await??;
        tokio::time::sleep(Duration::from_millis(300)).await;
        bounded("a screenshot", shoot(c, &format!("{tab}-phone"))).await??;
        eprintln!("e2e: {tab} at phone size");
    }
    Ok(())
}
