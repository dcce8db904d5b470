//! Accessibility in the real window (issue 18), as the other window tests (Xvfb, WebDriver, a
//! headless `confab run` peer on 127.0.0.1): with a chat room holding messages from the window
//! and the peer (a reply, reactions, a mention), a board with shapes and a stroke, and two
//! newsletters with an issue each (the window's own and the peer's), axe-core runs in the page
//! on every tab, the message actions, the members and invite panels, search and the Back up and
//! Link dialogs, at desktop size (1280×800) and phone size (390×844), in the light theme and
//! the dark one. Any violation fails the test, whatever axe rates its impact (minor ones too:
//! the last moderate ones, no h1 on wide windows, a heading-order jump at phone size and
//! role=dialog on a form, were fixed), listed with its rule, targets and summary. A message from the peer is announced in the chat's live region
//! as "NAME: text".
//!
//! axe-core is the pinned [`AXE_VERSION`], installed by scripts/setup.sh outside the repo;
//! `CONFAB_AXE_JS` names another copy of `axe.min.js`. Without it the test fails.

mod support;
#[path = "support/web.rs"]
mod web;

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::Client;
use serde_json::{json, Value};
use support::Desktop;
use web::{bin_dir, click, eventually, find_text, js, open_app, run_peer, run_steps, shoot, type_into, Peer};

/// The axe-core release scripts/setup.sh installs.
const AXE_VERSION: &str = "4.14.1";
/// Where scripts/setup.sh installs it.
const AXE_DEFAULT: &str = "/var/tmp/confab-axe/node_modules/axe-core/axe.min.js";

#[test]
fn axe_finds_no_violation_on_any_tab_at_desktop_and_phone_size() -> Result<()> {
    support::in_pid_namespace(
        INNER,
        "axe_finds_no_violation_on_any_tab_at_desktop_and_phone_size",
        scenario,
    )
}

const INNER: &str = "CONFAB_ACCESSIBILITY_INNER";

/// The pinned axe-core's `axe.min.js`, or an error saying how to get it.
fn axe_source() -> Result<String> {
    let path = std::env::var("CONFAB_AXE_JS").unwrap_or_else(|_| AXE_DEFAULT.to_string());
    let src = std::fs::read_to_string(&path).with_context(|| {
        format!("reading axe-core from {path} (scripts/setup.sh installs axe-core {AXE_VERSION} at {AXE_DEFAULT} with npm; CONFAB_AXE_JS names another copy)")
    })?;
    let head: String = src.chars().take(40).collect();
    if !head.contains(&format!("axe v{AXE_VERSION}")) {
        bail!("{path} is not axe-core {AXE_VERSION} (it begins {head:?}): run scripts/setup.sh");
    }
    Ok(src)
}

async fn scenario() -> Result<()> {
    let axe = axe_source()?;
    let confab = bin_dir().join("confab");
    if !confab.exists() {
        bail!("{} is missing: build the workspace first", confab.display());
    }
    let mut desk = Desktop::start()?;
    let tmp = desk.tmp.path().to_path_buf();
    let mut peer = Peer::new(confab.clone(), tmp.join("peer"));
    peer.cmd(&["profile", "set", "--name", "Pat"])?;
    let spaces = Spaces::made_by(&peer)?;
    run_peer(&mut desk, &mut peer, &[])?;
    let app_dir = tmp.join("app");
    let dial = peer.addr.clone();
    let c = open_app(
        &mut desk,
        &app_dir,
        &[("CONFAB_DIAL", &dial), ("CONFAB_RESYNC_SECS", "3")],
    )
    .await?;
    let all = steps(&c, &peer, &app_dir, &spaces, &axe);
    run_steps(&c, &desk, &peer, "accessibility", 330, all).await
}

/// The peer's spaces: (id, ticket) of a chat room, a board and a newsletter.
struct Spaces {
    room: (String, String),
    board: (String, String),
    letter: (String, String),
}

impl Spaces {
    /// The peer makes them and fills the board and the newsletter (the room is filled with the
    /// window, which writes in it too).
    fn made_by(peer: &Peer) -> Result<Self> {
        let room = peer.create("chat", "Lobby")?;
        let board = peer.create("board", "Plans")?;
        let letter = peer.create("news", "Weekly")?;
        let b = board.0.as_str();
        peer.cmd(&[
            "board", "add", b, "--kind", "rect", "--at", "80,80", "--size", "220,140", "--fill", "#bde0fe",
        ])?;
        peer.cmd(&[
            "board", "add", b, "--kind", "ellipse", "--at", "360,100", "--size", "160,100",
        ])?;
        peer.cmd(&[
            "board",
            "add",
            b,
            "--kind",
            "note",
            "--at",
            "120,280",
            "--text",
            "Bring the maps",
        ])?;
        peer.cmd(&[
            "board", "add", b, "--kind", "arrow", "--at", "300,150", "--size", "60,0",
        ])?;
        peer.cmd(&[
            "board",
            "stroke",
            b,
            "--points",
            "100,420 160,380 220,440 300,400",
            "--color",
            "#c62828",
            "--width",
            "4",
        ])?;
        peer.cmd(&[
            "news",
            "publish",
            &letter.0,
            "--title",
            "Issue one",
            "--body",
            "# Harbour news\n\nThe *ferry* runs again. See [the timetable](https://example.org/t).\n\n- Monday: 8:00\n- Friday: 17:30\n\n> Quoted from the harbour master.\n\n`code` too.",
        ])?;
        Ok(Spaces { room, board, letter })
    }
}

/// What axe reported on one view: (view, rule, impact, help, [(target, summary)]).
struct Finding {
    view: String,
    rule: String,
    impact: String,
    help: String,
    nodes: Vec<(String, String)>,
}

impl Finding {
    fn serious(&self) -> bool {
        self.impact == "serious" || self.impact == "critical"
    }
}

/// Puts axe-core into the page (once: the app never navigates) through WebDriver, whose
/// scripts the page's CSP (`script-src 'self'`) does not govern.
async fn inject(c: &Client, axe: &str) -> Result<()> {
    let there = js(c, "return typeof window.axe;", vec![]).await?;
    if there == json!("object") {
        return Ok(());
    }
    // The page itself may not run inline script (an inline <script> it adds does nothing) …
    let inline = js(
        c,
        "const s = document.createElement('script');
         s.textContent = 'window.__inlineRan = true;';
         document.head.append(s);
         s.remove();
         return window.__inlineRan === true;",
        vec![],
    )
    .await?;
    eprintln!("accessibility: an inline script added by the page ran: {inline} (the CSP forbids it)");
    // … but WebDriver's scripts run all the same.
    let script = format!("{axe}\n;return [typeof window.axe, window.axe && window.axe.version];");
    let got = js(c, &script, vec![]).await.context("injecting axe-core")?;
    if got != json!(["object", AXE_VERSION]) {
        bail!("axe-core did not load in the page: {got}");
    }
    Ok(())
}

/// Runs axe on the whole document as it is now and returns its violations.
async fn audit(c: &Client, axe: &str, view: &str) -> Result<Vec<Finding>> {
    inject(c, axe).await?;
    let started = Instant::now();
    js(
        c,
        "window.__axeResult = null;
         axe.run(document, { resultTypes: ['violations'] }).then(
           (r) => { window.__axeResult = { ok: r.violations.map((v) => ({
             id: v.id, impact: v.impact || '', help: v.help,
             nodes: v.nodes.map((n) => [n.target.join(' '), (n.failureSummary || '').replace(/\\s+/g, ' ')]),
           })) }; },
           (e) => { window.__axeResult = { error: String(e) }; });
         return true;",
        vec![],
    )
    .await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let result = loop {
        let r = js(c, "return window.__axeResult;", vec![]).await?;
        if !r.is_null() {
            break r;
        }
        if Instant::now() > deadline {
            bail!("axe did not finish on {view} within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    if let Some(e) = result.get("error") {
        bail!("axe failed on {view}: {e}");
    }
    let list = result["ok"]
        .as_array()
        .ok_or_else(|| anyhow!("axe returned {result}"))?;
    let mut found = Vec::new();
    for v in list {
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let nodes = v["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|n| {
                (
                    n[0].as_str().unwrap_or_default().to_string(),
                    n[1].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        found.push(Finding {
            view: view.to_string(),
            rule: s("id"),
            impact: s("impact"),
            help: s("help"),
            nodes,
        });
    }
    eprintln!(
        "accessibility: {view}: axe in {} ms, {} violations ({} serious or critical)",
        started.elapsed().as_millis(),
        found.len(),
        found.iter().filter(|f| f.serious()).count()
    );
    Ok(found)
}

/// Clicks the element `selector` in the page (a script: at phone size a space's item may sit in
/// a folded list; this test is about what axe finds, keyboard.rs about reaching things).
async fn press(c: &Client, selector: &str) -> Result<()> {
    let done = js(
        c,
        "const e = document.querySelector(arguments[0]); if (!e) return false; e.click(); return true;",
        vec![json!(selector)],
    )
    .await?;
    if done != json!(true) {
        bail!("nothing to click at {selector}");
    }
    Ok(())
}

/// Waits until a script in the page returns true.
async fn until(c: &Client, what: &str, secs: u64, script: &str, args: Vec<Value>) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if js(c, script, args.clone()).await? == json!(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out after {secs} s waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Shows the tab `tab` with the space `space` open (or none for Peers).
async fn open(c: &Client, tab: &str, space: Option<&str>) -> Result<()> {
    press(c, &format!("[data-testid=\"tab-{tab}\"]")).await?;
    until(
        c,
        &format!("the {tab} tab"),
        10,
        "return document.querySelector(`[data-testid=\"tab-${arguments[0]}\"]`).getAttribute('aria-selected') === 'true';",
        vec![json!(tab)],
    )
    .await?;
    if let Some(id) = space {
        press(c, &format!("[data-testid=\"space-item\"][data-space=\"{id}\"]")).await?;
        until(
            c,
            &format!("the space {id} open"),
            10,
            "return !document.getElementById(`panel-${arguments[0]}`).hidden
               && document.querySelector(`[data-space=\"${arguments[1]}\"]`)?.getAttribute('aria-current') === 'true';",
            vec![json!(tab), json!(id)],
        )
        .await?;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(())
}

/// The peer's id of a message (by its text), once the peer has it.
async fn message_at_peer(peer: &Peer, room: &str, text: &str) -> Result<String> {
    let mut id = String::new();
    eventually(&format!("{text:?} at the peer"), 20, || {
        let list: Value = serde_json::from_str(&peer.cmd(&["chat", "list", room, "--json"])?)?;
        if let Some(m) = list
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["text"] == json!(text))
        {
            id = m["id"].as_str().unwrap_or_default().to_string();
        }
        Ok(!id.is_empty())
    })
    .await?;
    Ok(id)
}

async fn steps(c: &Client, peer: &Peer, app_dir: &std::path::Path, spaces: &Spaces, axe: &str) -> Result<()> {
    c.set_window_size(1280, 800).await.ok();
    until(
        c,
        "the app",
        30,
        "return document.body.dataset.ready === 'true';",
        vec![],
    )
    .await?;
    find_text(c, "name-prompt", "call you", 20).await?;
    type_into(c, "name-prompt-input", "Alex").await?;
    click(c, "name-prompt-save").await?;
    let me = {
        let out = std::process::Command::new(bin_dir().join("confab"))
            .arg("--data")
            .arg(app_dir)
            .args(["id", "--json"])
            .output()?;
        let v: Value = serde_json::from_slice(&out.stdout).context("confab id")?;
        v["peer_id"].as_str().unwrap_or_default().to_string()
    };

    // The room: Pat writes, the window answers, Pat replies to that and reacts to it, the window
    // reacts to Pat's message; then Pat mentions the window, which the live region announces.
    let room = spaces.room.0.as_str();
    peer.cmd(&["chat", "send", room, "hello from Pat"])?;
    web::join(c, "tab-chat", &spaces.room.1, "Lobby").await?;
    find_text(c, "chat-message", "hello from Pat", 20).await?;
    type_into(c, "chat-input", "hi Pat, good to see you").await?;
    click(c, "chat-send").await?;
    let mine = message_at_peer(peer, room, "hi Pat, good to see you").await?;
    let theirs = message_at_peer(peer, room, "hello from Pat").await?;
    peer.cmd(&["chat", "reply", room, &mine, "and you, Alex"])?;
    peer.cmd(&["chat", "react", room, &mine, "🎉"])?;
    find_text(c, "quote", "good to see you", 20).await?;
    find_text(c, "reaction", "🎉", 20).await?;
    js(
        c,
        "const m = document.querySelector(`.msg[data-id=\"${arguments[0]}\"]`);
         m.querySelector('.text').click();
         m.querySelector('.act-react').click();
         m.querySelector('.react-palette button[data-emoji=\"👍\"]').click();
         return 1;",
        vec![json!(theirs)],
    )
    .await?;
    until(
        c,
        "the window's own reaction",
        20,
        "return !!document.querySelector('.reaction.mine');",
        vec![],
    )
    .await?;
    peer.cmd(&[
        "chat",
        "send",
        room,
        "@Alex the boat leaves at noon",
        "--mention",
        &me,
    ])?;
    find_text(c, "chat-message", "the boat leaves at noon", 20).await?;
    let announced = js(
        c,
        "const r = document.querySelector('[data-testid=\"chat-announce\"]');
         return r ? [r.getAttribute('aria-live') || r.getAttribute('role'), r.textContent] : null;",
        vec![],
    )
    .await?;
    eprintln!("accessibility: the live region after Pat wrote: {announced}");
    until(
        c,
        "Pat's message in the live region",
        10,
        "const r = document.querySelector('[data-testid=\"chat-announce\"]');
         return !!r && r.getAttribute('aria-live') === 'polite' && r.textContent.includes('Pat: @Alex the boat leaves at noon');",
        vec![],
    )
    .await?;

    // The board and the peer's newsletter, and a newsletter of the window's own with an issue.
    web::join(c, "tab-board", &spaces.board.1, "Plans").await?;
    until(
        c,
        "the board's five objects",
        20,
        "return !!window.__board && window.__board.objects().length >= 5;",
        vec![],
    )
    .await?;
    web::join(c, "tab-news", &spaces.letter.1, "Weekly").await?;
    find_text(c, "news-issue", "Issue one", 20).await?;
    type_into(c, "space-create-name", "Alex's notes").await?;
    click(c, "space-create").await?;
    find_text(c, "space-item", "Alex's notes", 10).await?;
    until(
        c,
        "the editor",
        10,
        "return !document.getElementById('news-form').hidden;",
        vec![],
    )
    .await?;
    type_into(c, "news-title", "First notes").await?;
    type_into(
        c,
        "news-body",
        "Some **bold** words and a [link](https://example.org).",
    )
    .await?;
    click(c, "news-publish").await?;
    find_text(c, "news-issue", "First notes", 15).await?;
    let own = js(
        c,
        "return document.querySelector('[data-testid=\"space-item\"][aria-current=\"true\"]').dataset.space;",
        vec![],
    )
    .await?
    .as_str()
    .unwrap_or_default()
    .to_string();

    // Every view at both sizes in the light theme, then again in the dark one.
    let mut found = Vec::new();
    for theme in ["light", "dark"] {
        let now = js(c, "return document.documentElement.dataset.theme;", vec![]).await?;
        if now != json!(theme) {
            press(c, "#theme-toggle").await?;
        }
        for (size, (w, h)) in [("desktop", (1280, 800)), ("phone", (390, 844))] {
            web::bounded("resizing", c.set_window_size(w, h)).await??;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let name = if theme == "light" {
                size.to_string()
            } else {
                format!("{size}-{theme}")
            };
            found.extend(every_view(c, axe, &name, spaces, &own).await?);
        }
    }

    let mut report = String::new();
    for f in &found {
        report.push_str(&format!(
            "  {} [{}] {} ({} nodes): {}\n",
            f.view,
            f.impact,
            f.rule,
            f.nodes.len(),
            f.help
        ));
        for (target, summary) in &f.nodes {
            report.push_str(&format!("      {target}: {summary}\n"));
        }
    }
    if !found.is_empty() {
        let serious = found.iter().filter(|f| f.serious()).count();
        bail!(
            "axe found {} violations ({serious} serious or critical):\n{report}",
            found.len()
        );
    }
    Ok(())
}

/// Every view axe checks at one window size.
async fn every_view(c: &Client, axe: &str, size: &str, spaces: &Spaces, own: &str) -> Result<Vec<Finding>> {
    let mut found = Vec::new();
    let view = |v: &str| format!("{size}/{v}");

    open(c, "chat", Some(&spaces.room.0)).await?;
    find_text(c, "chat-message", "the boat leaves at noon", 10).await?;
    shoot(c, &format!("a11y-chat-{size}")).await?;
    found.extend(audit(c, axe, &view("chat")).await?);
    // A message's actions and its emoji palette, shown as a tap shows them.
    js(
        c,
        "const m = [...document.querySelectorAll('.msg')].find((m) => m.innerText.includes('hello from Pat'));
         m.querySelector('.text').click();
         m.querySelector('.act-react').click();
         return 1;",
        vec![],
    )
    .await?;
    found.extend(audit(c, axe, &view("chat-actions")).await?);
    press(c, ".react-palette button[data-emoji=\"👀\"]").await.ok();
    press(c, "#members").await?;
    press(c, "#share").await?;
    until(
        c,
        "the members and invite panels",
        10,
        "return !document.getElementById('members-panel').hidden && !document.getElementById('share-panel').hidden
           && document.querySelectorAll('[data-testid=\"member\"]').length > 0;",
        vec![],
    )
    .await?;
    found.extend(audit(c, axe, &view("chat-members-invite")).await?);
    press(c, "#members").await?;
    press(c, "#share").await?;

    open(c, "board", Some(&spaces.board.0)).await?;
    shoot(c, &format!("a11y-board-{size}")).await?;
    found.extend(audit(c, axe, &view("board")).await?);

    open(c, "news", Some(&spaces.letter.0)).await?;
    press(c, "[data-testid=\"news-issue\"]").await?;
    find_text(c, "news-reader-title", "Issue one", 10).await?;
    shoot(c, &format!("a11y-news-reader-{size}")).await?;
    found.extend(audit(c, axe, &view("news-reader")).await?);
    open(c, "news", Some(own)).await?;
    press(c, "[data-testid=\"news-issue\"]").await?;
    find_text(c, "news-reader-title", "First notes", 10).await?;
    found.extend(audit(c, axe, &view("news-owner")).await?);

    open(c, "peers", None).await?;
    shoot(c, &format!("a11y-peers-{size}")).await?;
    found.extend(audit(c, axe, &view("peers")).await?);

    press(c, "[data-testid=\"search-open\"]").await?;
    type_into(c, "search-input", "Pat").await?;
    find_text(c, "search-hit", "Pat", 10).await?;
    shoot(c, &format!("a11y-search-{size}")).await?;
    found.extend(audit(c, axe, &view("search")).await?);
    press(c, "[data-testid=\"search-close\"]").await?;

    press(c, "[data-testid=\"backup-open\"]").await?;
    until(
        c,
        "the backup dialog",
        10,
        "return !document.getElementById('backup-dialog').hidden;",
        vec![],
    )
    .await?;
    found.extend(audit(c, axe, &view("backup-dialog")).await?);
    press(c, "#backup-close").await?;

    press(c, "[data-testid=\"link-open\"]").await?;
    until(
        c,
        "the link dialog with its ticket",
        20,
        "return !document.getElementById('link-dialog').hidden && !document.getElementById('link-made').hidden;",
        vec![],
    )
    .await?;
    found.extend(audit(c, axe, &view("link-dialog")).await?);
    press(c, "[data-testid=\"link-close\"]").await?;
    until(
        c,
        "the link dialog closed",
        10,
        "return document.getElementById('link-dialog').hidden;",
        vec![],
    )
    .await?;
    Ok(found)
}
