//! The phone layout in the real window at 390×844 (as the other window tests: Xvfb,
//! WebDriver, a headless `confab run` peer on 127.0.0.1 holding two chat rooms, a whiteboard
//! and a newsletter). Spaces joined from the drawer; the drawer opened by the menu button (a
//! modal region: the rest inert, the focus inside) and closed by Escape, the scrim, a swipe
//! and by choosing a space, whose name the top bar then shows; a message sent and seen at the
//! peer; a long press on the peer's message opens its actions as a sheet (a short press or one
//! that moves does not), Reply from it answers that message at the peer, a touch long press
//! reacts; the window shrunk as a keyboard shrinks it keeps the composer in view and the tab
//! bar gives way; the ⋮ menu of the space's actions; on the board the canvas fills the space
//! between the bars, one finger draws (the stroke reaches the peer) and two pinch (the zoom
//! changes); every visible button, tab, field and list item is at least 44×44 px on every tab,
//! in the drawer and in the sheet; back at desktop size the layout is the desktop's.
//! Screenshots `phone-*` of every tab, the open drawer and the sheet.

#[path = "phone/board.rs"]
mod board;
#[path = "phone/drive.rs"]
mod drive;
mod support;
#[path = "support/web.rs"]
mod web;

use std::time::Duration;

use anyhow::{bail, Context, Result};
use drive::{
    choose, drag, drawer_closed, join_in_drawer, key, message_at, open_drawer, press, targets_ok, title_is,
    until_js, SHEET_OPEN,
};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use support::Desktop;
use web::{
    bin_dir, bounded, click, eventually, find_text, js, open_app, quiet_shot, run_peer, run_steps, shoot,
    type_into, Peer,
};

#[test]
fn the_phone_layout_in_the_window() -> Result<()> {
    support::in_pid_namespace(INNER, "the_phone_layout_in_the_window", scenario)
}

const INNER: &str = "CONFAB_PHONE_INNER";

/// The peer's spaces: (id, ticket).
struct Spaces {
    lobby: (String, String),
    harbour: (String, String),
    plans: (String, String),
    news: (String, String),
}

async fn scenario() -> Result<()> {
    let confab = bin_dir().join("confab");
    if !confab.exists() {
        bail!("{} is missing: build the workspace first", confab.display());
    }
    let mut desk = Desktop::start()?;
    let tmp = desk.tmp.path().to_path_buf();
    let mut peer = Peer::new(confab, tmp.join("peer"));
    peer.cmd(&["profile", "set", "--name", "Pat"])?;
    let sp = Spaces {
        lobby: peer.create("chat", "Lobby")?,
        harbour: peer.create("chat", "Harbour")?,
        plans: peer.create("board", "Plans")?,
        news: peer.create("news", "Harbour News")?,
    };
    peer.cmd(&["chat", "send", &sp.harbour.0, "Tide turns at six"])?;
    peer.cmd(&["chat", "send", &sp.lobby.0, "Welcome to the lobby"])?;
    peer.cmd(&[
        "board",
        "stroke",
        &sp.plans.0,
        "--points",
        "30,40 90,120 160,70 230,140",
        "--color",
        "#c62828",
        "--width",
        "5",
    ])?;
    peer.cmd(&[
        "news",
        "publish",
        &sp.news.0,
        "--title",
        "Spring regatta",
        "--body",
        "Boats leave the **north quay** at noon.\n\n- Bring a life jacket\n- [Tide tables](https://example.org/tides)",
    ])?;
    run_peer(&mut desk, &mut peer, &[])?;
    let home = tmp.join("home");
    std::fs::create_dir_all(&home)?;
    let home = home.display().to_string();
    let dial = peer.addr.clone();
    let c = open_app(
        &mut desk,
        &tmp.join("app"),
        &[
            ("CONFAB_DIAL", &dial),
            ("CONFAB_RESYNC_SECS", "3"),
            ("HOME", &home),
        ],
    )
    .await?;
    let all = steps(&c, &peer, &sp);
    run_steps(&c, &desk, &peer, "phone", 300, all).await
}

/// The peer's view of a room, by the CLI.
fn listing(peer: &Peer, room: &str) -> Result<Vec<Value>> {
    let out = peer.cmd(&["chat", "list", room, "--json"])?;
    let v: Value = serde_json::from_str(&out).with_context(|| format!("chat list printed {out}"))?;
    Ok(v.as_array().cloned().unwrap_or_default())
}

/// The message the peer has with `text`, once it has it.
async fn at_peer(peer: &Peer, room: &str, text: &str) -> Result<Value> {
    let mut found = Value::Null;
    eventually(&format!("{text:?} at the peer"), 20, || {
        if let Some(m) = listing(peer, room)?
            .into_iter()
            .find(|m| m["text"].as_str() == Some(text))
        {
            found = m;
        }
        Ok(!found.is_null())
    })
    .await?;
    Ok(found)
}

async fn steps(c: &Client, peer: &Peer, sp: &Spaces) -> Result<()> {
    bounded("resizing to phone size", c.set_window_size(390, 844)).await??;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("body[data-ready=\"true\"]"))
        .await?;
    let size = js(c, "return [innerWidth, innerHeight];", vec![]).await?;
    eprintln!("phone: the page is {size} CSS px");
    if size[0].as_f64().unwrap_or(1e9) > 700.0 {
        bail!("the window is {size} wide: not at phone size");
    }
    find_text(c, "name-prompt", "call you", 20).await?;
    type_into(c, "name-prompt-input", "Alex").await?;
    click(c, "name-prompt-save").await?;

    drawer_step(c, sp).await?;
    message_step(c, peer, sp).await?;
    keyboard_and_menu_step(c).await?;
    board::board_step(c, peer, &sp.plans.0).await?;
    tabs_and_desktop_step(c).await
}

async fn drawer_step(c: &Client, sp: &Spaces) -> Result<()> {
    // 1. Spaces joined from the drawer of each tab; the top bar names the one shown.
    join_in_drawer(c, "tab-chat", &sp.lobby.1, "Lobby").await?;
    join_in_drawer(c, "tab-chat", &sp.harbour.1, "Harbour").await?;
    join_in_drawer(c, "tab-board", &sp.plans.1, "Plans").await?;
    join_in_drawer(c, "tab-news", &sp.news.1, "Harbour News").await?;
    eprintln!("phone: four spaces joined from the drawer");

    // 2. The drawer: Escape, the scrim and a swipe close it; choosing a space switches to it.
    click(c, "tab-chat").await?;
    title_is(c, "Harbour").await?;
    open_drawer(c).await?;
    find_text(c, "space-item", "Lobby", 10).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    targets_ok(c, "the open drawer").await?;
    quiet_shot(c, "phone-drawer").await?;
    key(c, Key::Escape).await?;
    drawer_closed(c, "Escape", "drawer-open").await?;
    open_drawer(c).await?;
    press(c, (370.0, 600.0), None, Duration::from_millis(0)).await?;
    drawer_closed(c, "a tap on the scrim", "drawer-open").await?;
    open_drawer(c).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    drag(
        c,
        &[(260.0, 700.0), (220.0, 700.0), (150.0, 702.0), (60.0, 704.0)],
    )
    .await?;
    drawer_closed(c, "a swipe to the left", "drawer-open").await?;
    open_drawer(c).await?;
    choose(c, "Lobby").await?;
    title_is(c, "Lobby").await?;
    drawer_closed(c, "choosing Lobby", "drawer-open").await?;
    find_text(c, "chat-message", "Welcome to the lobby", 20).await?;
    open_drawer(c).await?;
    choose(c, "Harbour").await?;
    title_is(c, "Harbour").await?;
    drawer_closed(c, "choosing Harbour", "drawer-open").await?;
    find_text(c, "chat-message", "Tide turns at six", 20).await?;
    eprintln!("phone: the drawer closed by Escape, the scrim, a swipe and a choice; Lobby, then Harbour");
    Ok(())
}

async fn message_step(c: &Client, peer: &Peer, sp: &Spaces) -> Result<()> {
    // 3. A message sent reaches the peer.
    type_into(c, "chat-input", "Hello from a phone").await?;
    click(c, "chat-send").await?;
    at_peer(peer, &sp.harbour.0, "Hello from a phone").await?;
    eprintln!("phone: a message sent at phone size reached the peer");

    // 4. A long press on the peer's message: a short press or one that moves opens nothing;
    // held still 600 ms it opens the sheet, whose Reply answers that message.
    let tide = at_peer(peer, &sp.harbour.0, "Tide turns at six").await?;
    let tide_id = tide["id"].as_str().unwrap_or_default().to_string();
    let at = message_at(c, &tide_id).await?;
    press(c, at, None, Duration::from_millis(150)).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    if js(c, SHEET_OPEN, vec![]).await? != json!(false) {
        bail!("a short press opened the message's sheet");
    }
    let at = message_at(c, &tide_id).await?;
    press(c, at, Some((at.0 + 30.0, at.1)), Duration::from_millis(600)).await?;
    if js(c, SHEET_OPEN, vec![]).await? != json!(false) {
        bail!("a press that moved 30 px opened the message's sheet");
    }
    // (A tap shows the message's own bar of actions; the click that ends a long press does not.)
    js(
        c,
        "for (const m of document.querySelectorAll('.msg.active')) m.classList.remove('active'); return 1;",
        vec![],
    )
    .await?;
    let at = message_at(c, &tide_id).await?;
    press(c, at, None, Duration::from_millis(600)).await?;
    until_js(
        c,
        "the sheet of Pat's message, modal, the focus on Reply",
        5,
        "const s = document.querySelector('[data-testid=\"msg-sheet\"]');
         return s ? [s.dataset.id, s.getAttribute('role'), s.getAttribute('aria-modal'),
           document.activeElement && document.activeElement.dataset.testid,
           document.querySelector('main').inert, Boolean(document.querySelector('.msg.active'))] : null;",
        json!([tide_id, "dialog", "true", "sheet-reply", true, false]),
    )
    .await?;
    targets_ok(c, "the message's sheet").await?;
    quiet_shot(c, "phone-sheet").await?;
    click(c, "sheet-reply").await?;
    find_text(c, "compose-bar", "Pat", 5).await?;
    if js(c, SHEET_OPEN, vec![]).await? != json!(false) {
        bail!("the sheet stayed after Reply");
    }
    type_into(c, "chat-input", "Six it is").await?;
    click(c, "chat-send").await?;
    let reply = at_peer(peer, &sp.harbour.0, "Six it is").await?;
    if reply["reply_to"].as_str() != Some(tide_id.as_str()) {
        bail!("the reply sent from the sheet does not answer Pat's message: {reply}");
    }
    eprintln!("phone: a long press (mouse, 600 ms) opened the sheet; its Reply reached the peer as a reply");

    // The same with a finger: the sheet's 👍 reaches the peer; Escape closes a sheet.
    // (WebKitWebDriver hands a touch source's actions to the page as a mouse's, so the finger
    // is what a touch screen gives the page: pointer events of type touch, from a script.)
    let at = message_at(c, &tide_id).await?;
    let touch = "const [type, x, y] = arguments;
         const t = document.elementFromPoint(x, y);
         t.dispatchEvent(new PointerEvent(type, { pointerId: 41, pointerType: 'touch', isPrimary: true,
           clientX: x, clientY: y, button: 0, buttons: type === 'pointerup' ? 0 : 1,
           bubbles: true, cancelable: true }));
         return t.closest('.msg') ? t.closest('.msg').dataset.id : null;";
    let on = js(c, touch, vec![json!("pointerdown"), json!(at.0), json!(at.1)]).await?;
    if on != json!(tide_id) {
        bail!("the finger came down on {on}, not on Pat's message");
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    js(c, touch, vec![json!("pointerup"), json!(at.0), json!(at.1)]).await?;
    until_js(c, "the sheet after a long touch", 5, SHEET_OPEN, json!(true)).await?;
    js(
        c,
        "document.querySelector('[data-testid=\"sheet-react\"][data-emoji=\"👍\"]').click(); return 1;",
        vec![],
    )
    .await?;
    eventually("the 👍 from the sheet at the peer", 20, || {
        let m = listing(peer, &sp.harbour.0)?
            .into_iter()
            .find(|m| m["id"].as_str() == Some(tide_id.as_str()))
            .unwrap_or_default();
        Ok(m["reactions"]["👍"].as_array().is_some_and(|w| !w.is_empty()))
    })
    .await?;
    let at = message_at(c, &tide_id).await?;
    press(c, at, None, Duration::from_millis(600)).await?;
    until_js(c, "the sheet again", 5, SHEET_OPEN, json!(true)).await?;
    key(c, Key::Escape).await?;
    until_js(
        c,
        "the sheet closed by Escape, the focus back on the message",
        5,
        "return [Boolean(document.querySelector('[data-testid=\"msg-sheet\"]')),
           document.activeElement && document.activeElement.dataset.id, document.querySelector('main').inert];",
        json!([false, tide_id, false]),
    )
    .await?;
    eprintln!("phone: a long touch opened the sheet, its 👍 reached the peer; Escape closed it");
    Ok(())
}

async fn keyboard_and_menu_step(c: &Client) -> Result<()> {
    // 5. The keyboard: typing, the window shrinks as `interactive-widget=resizes-content`
    // makes it; the tab bar gives way and the composer and the newest message stay in view.
    click(c, "chat-input").await?;
    bounded("shrinking as a keyboard", c.set_window_size(390, 560)).await??;
    until_js(
        c,
        "the keyboard seen",
        5,
        "return document.body.classList.contains('keyboard-open');",
        json!(true),
    )
    .await?;
    let kb = js(
        c,
        "const f = document.getElementById('chat-form').getBoundingClientRect();
         const i = document.getElementById('chat-input').getBoundingClientRect();
         const l = document.getElementById('messages');
         return [innerHeight, f.bottom, i.top, getComputedStyle(document.querySelector('.tabs')).display,
           document.activeElement.id, l.scrollHeight - l.scrollTop - l.clientHeight];",
        vec![],
    )
    .await?;
    let num = |i: usize| kb[i].as_f64().unwrap_or(f64::NAN);
    if !(num(1) <= num(0) + 0.5
        && num(2) >= 0.0
        && kb[3] == json!("none")
        && kb[4] == json!("chat-input")
        && num(5) < 80.0)
    {
        bail!("with the keyboard up [height, composer bottom, input top, tab bar, focus, below the list's view]: {kb}");
    }
    shoot(c, "phone-keyboard").await?;
    bounded("the keyboard gone", c.set_window_size(390, 844)).await??;
    js(c, "document.activeElement.blur(); return 1;", vec![]).await?;
    until_js(
        c,
        "the tab bar back",
        5,
        "return [document.body.classList.contains('keyboard-open'), getComputedStyle(document.querySelector('.tabs')).display];",
        json!([false, "grid"]),
    )
    .await?;
    eprintln!("phone: with the window shrunk by a keyboard the composer stayed in view ({kb}), the tab bar came back after");

    // 6. The ⋮ menu of the space's actions: Invite from it shows the ticket.
    click(c, "space-more").await?;
    until_js(
        c,
        "the ⋮ menu",
        5,
        "return [document.body.classList.contains('more-open'), document.activeElement.id];",
        json!([true, "mute"]),
    )
    .await?;
    targets_ok(c, "the ⋮ menu").await?;
    js(c, "document.getElementById('share').click(); return 1;", vec![]).await?;
    until_js(
        c,
        "the invite panel, the menu closed",
        5,
        "return [document.body.classList.contains('more-open'), document.getElementById('share-panel').hidden];",
        json!([false, false]),
    )
    .await?;
    js(
        c,
        "document.getElementById('share-panel').hidden = true; return 1;",
        vec![],
    )
    .await?;
    targets_ok(c, "the Chat tab").await?;
    quiet_shot(c, "phone-chat").await?;
    Ok(())
}

async fn tabs_and_desktop_step(c: &Client) -> Result<()> {
    // 8. The newsletter, then the Peers tab (no list of spaces there: no menu button).
    click(c, "tab-news").await?;
    title_is(c, "Harbour News").await?;
    find_text(c, "news-issue", "Spring regatta", 20).await?;
    js(
        c,
        "document.querySelector('[data-testid=\"news-issue\"]').click(); return 1;",
        vec![],
    )
    .await?;
    find_text(c, "news-reader-body", "north quay", 10).await?;
    targets_ok(c, "the Newsletter tab").await?;
    quiet_shot(c, "phone-news").await?;
    click(c, "tab-peers").await?;
    title_is(c, "Peers").await?;
    until_js(
        c,
        "no menu button on the Peers tab",
        5,
        "return getComputedStyle(document.getElementById('drawer-open')).display;",
        json!("none"),
    )
    .await?;
    targets_ok(c, "the Peers tab").await?;
    quiet_shot(c, "phone-peers").await?;

    // 9. Back at desktop size: the list beside the content, the tabs in the top bar.
    click(c, "tab-chat").await?;
    bounded("resizing to desktop size", c.set_window_size(1280, 800)).await??;
    until_js(
        c,
        "the desktop layout",
        5,
        "const s = document.getElementById('spaces'), r = s.getBoundingClientRect();
         const tabs = document.querySelector('.tabs');
         return [getComputedStyle(s).position, getComputedStyle(s).visibility, Math.round(r.left), Math.round(r.width),
           getComputedStyle(tabs).position, tabs.closest('header').contains(tabs),
           getComputedStyle(document.getElementById('drawer-open')).display,
           getComputedStyle(document.getElementById('space-name')).display,
           getComputedStyle(document.getElementById('space-actions')).display];",
        json!(["static", "visible", 0, 270, "static", true, "none", "block", "flex"]),
    )
    .await?;
    eprintln!("phone: back at 1280×800 the desktop layout is as before");
    Ok(())
}
