//! The reader's place in a long chat, end to end in the real window: someone reading older
//! messages of a 500-message room stays where they are when a sync stores older messages
//! (100 at once, then 600 at once, which the UI takes as a reload), when idle re-syncs come
//! and go (every 3 s here), and when a new message arrives (a "new messages" pill shows
//! instead). Then the window is closed and the app stops its node cleanly: its socket is
//! removed and its data dir's lock released.
//!
//! Runs in a fresh PID namespace like the other end-to-end test; needs what `scripts/setup.sh`
//! installs and the `confab` binary built beside the app.

mod support;
#[path = "support/web.rs"]
mod web;

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use fantoccini::Client;
use serde_json::Value;
use support::Desktop;
use web::{bin_dir, click, driver_log, eventually, join, open_app, run_peer, shoot, Peer};

const INNER: &str = "CONFAB_READING_INNER";

#[test]
fn a_reader_scrolled_up_stays_put_and_the_app_closes_its_node_on_exit() -> Result<()> {
    support::in_pid_namespace(
        INNER,
        "a_reader_scrolled_up_stays_put_and_the_app_closes_its_node_on_exit",
        scenario,
    )
}

fn peer(desk: &Desktop, name: &str) -> Peer {
    Peer::new(bin_dir().join("confab"), desk.tmp.path().join(name))
}

async fn scenario() -> Result<()> {
    let mut desk = Desktop::start()?;
    // The room's owner, and two members who wrote while nobody else was online, earlier than
    // everything the owner wrote: what they bring later sorts above what the reader sees.
    let mut owner = peer(&desk, "owner");
    let (room, ticket) = owner.create("chat", "Long room")?;
    let mut early = Vec::new();
    for (name, n) in [("early1", "100"), ("early2", "600")] {
        let p = peer(&desk, name);
        p.cmd(&["space", "join", &ticket])?;
        p.cmd(&[
            "chat",
            "send",
            &room,
            &format!("written early by {name}"),
            "--count",
            n,
        ])?;
        early.push(p);
    }
    std::thread::sleep(Duration::from_millis(20));
    owner.cmd(&["chat", "send", &room, "message", "--count", "500"])?;
    run_peer(&mut desk, &mut owner, &[])?;

    let app_dir = desk.tmp.path().join("app");
    let dial = owner.addr.clone();
    let c = open_app(
        &mut desk,
        &app_dir,
        &[("CONFAB_DIAL", &dial), ("CONFAB_RESYNC_SECS", "3")],
    )
    .await?;
    let result = match tokio::time::timeout(
        Duration::from_secs(180),
        steps(&c, &mut desk, &app_dir, &room, &ticket, &mut early),
    )
    .await
    {
        Ok(r) => r,
        Err(_) => Err(anyhow!("the steps took over 180 s")),
    };
    if let Err(e) = &result {
        eprintln!("reading: failed: {e:#}");
        let _ = tokio::time::timeout(Duration::from_secs(10), shoot(&c, "reading-failure")).await;
        eprintln!("reading: tauri-driver and app said:\n{}", driver_log(&desk));
        let _ = tokio::time::timeout(Duration::from_secs(10), c.close()).await;
        return result;
    }
    closing(c, &desk, &app_dir).await
}

/// Runs a script in the window and returns its value.
async fn js(c: &Client, script: &str) -> Result<Value> {
    Ok(c.execute(script, vec![]).await?)
}

async fn shown(c: &Client) -> Result<u64> {
    Ok(js(
        c,
        "return document.querySelectorAll('[data-testid=\"chat-message\"]').length",
    )
    .await?
    .as_u64()
    .unwrap_or(0))
}

/// The first message visible at the top of the list and how far below the list's top it is
/// (day dividers and other rows without a message id are passed over).
async fn place(c: &Client) -> Result<(String, f64)> {
    let v = js(
        c,
        "const l = document.getElementById('messages'); const top = l.getBoundingClientRect().top;
         for (const li of l.children) { const r = li.getBoundingClientRect();
           if (li.dataset.id && r.bottom > top) return [li.dataset.id, r.top - top]; }
         return null;",
    )
    .await?;
    let id = v[0].as_str().ok_or_else(|| anyhow!("no message in view: {v}"))?;
    Ok((id.to_string(), v[1].as_f64().unwrap_or(f64::NAN)))
}

async fn pill(c: &Client) -> Result<Option<String>> {
    let v = js(
        c,
        "const p = document.querySelector('[data-testid=\"new-messages\"]'); return p.hidden ? null : p.textContent;",
    )
    .await?;
    Ok(v.as_str().map(str::to_string))
}

/// How far below the list's top message `id` is, if the page shows it.
async fn offset_of(c: &Client, id: &str) -> Result<Option<f64>> {
    let v = js(
        c,
        &format!(
            "const l = document.getElementById('messages');
             const li = [...l.children].find((x) => x.dataset.id === {id:?});
             return li ? li.getBoundingClientRect().top - l.getBoundingClientRect().top : null;"
        ),
    )
    .await?;
    Ok(v.as_f64())
}

/// The message that was first in view is where it was (within 2 px). Judged by that message,
/// not by which one is first in view now: a message showing a sliver of a pixel at the top
/// can drop out of view when the scroll offset is rounded, with nothing moved.
async fn same_place(c: &Client, before: &(String, f64), what: &str) -> Result<()> {
    let offset = offset_of(c, &before.0).await?;
    let after = match offset {
        Some(o) => (before.0.clone(), o),
        None => place(c).await?,
    };
    if before.0 != after.0 || (before.1 - after.1).abs() > 2.0 {
        // Where the list is and where both messages are in it, to tell a jump from a shift.
        let geometry = js(
            c,
            &format!(
                "const l = document.getElementById('messages'); const ids = [...l.children].map((x) => x.dataset.id);
                 return [l.scrollTop, l.scrollHeight, l.clientHeight, window.innerWidth, window.innerHeight,
                         ids.length, ids.indexOf({:?}), ids.indexOf({:?}),
                         [...l.children].slice(-2).map((x) => x.textContent)];",
                before.0, after.0
            ),
        )
        .await?;
        bail!(
            "the reader was moved by {what}: from {before:?} to {after:?} \
             (scrollTop, scrollHeight, clientHeight, window, messages, index before, index after, last two: {geometry})"
        );
    }
    eprintln!("reading: {what}: still at {after:?}");
    Ok(())
}

/// How many messages of the room the app's node has stored (asked of it by `confab`).
fn stored(app_dir: &std::path::Path, room: &str) -> Result<u64> {
    let out = std::process::Command::new(bin_dir().join("confab"))
        .arg("--data")
        .arg(app_dir)
        .args(["chat", "list", room, "--json"])
        .output()?;
    let v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| anyhow!("confab chat list: {e}: {}", String::from_utf8_lossy(&out.stderr)))?;
    Ok(v.as_array().map_or(0, |a| a.len() as u64))
}

async fn wait_stored(app_dir: &std::path::Path, room: &str, n: u64, secs: u64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let now = stored(app_dir, room)?;
        if now == n {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the app holds {now} messages after {secs} s, expected {n}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The page holds a window of the room, never all of it.
async fn windowed(c: &Client) -> Result<()> {
    let n = shown(c).await?;
    if n == 0 || n > 150 {
        bail!("{n} message elements in the page; a window holds 1 to 150");
    }
    Ok(())
}

async fn steps(
    c: &Client,
    desk: &mut Desktop,
    app_dir: &std::path::Path,
    room: &str,
    ticket: &str,
    early: &mut [Peer],
) -> Result<()> {
    c.set_window_size(1280, 800).await.ok();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(fantoccini::Locator::Css("body[data-ready=\"true\"]"))
        .await?;
    join(c, "tab-chat", ticket, "Long room").await?;
    wait_stored(app_dir, room, 500, 30).await?;
    // The room opens at its newest messages, or at the first unread one when it is all new
    // (depending on whether the sync came before the room was shown): a window either way.
    web::find_text(c, "chat-message", "message #", 30).await?;
    windowed(c).await?;
    // The reader scrolls up into the history.
    js(
        c,
        "const l = document.getElementById('messages'); l.scrollTop = l.scrollHeight / 2; return 0;",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at = place(c).await?;
    eprintln!("reading: scrolled up to {at:?}");

    // Older messages arrive by sync: 100, then 600 at once.
    let app_addr = app_address(desk)?;
    for (p, total) in early.iter_mut().zip([600u64, 1200]) {
        run_peer(desk, p, &["--dial", &app_addr])?;
        wait_stored(app_dir, room, total, 60).await?;
        windowed(c).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        same_place(
            c,
            &at,
            &format!("a sync that stored older messages ({total} shown)"),
        )
        .await?;
        if let Some(p) = pill(c).await? {
            bail!("older messages raised the new-messages pill: {p:?}");
        }
    }

    // Idle re-syncs (every 3 s) with three peers, for 8 s.
    tokio::time::sleep(Duration::from_secs(8)).await;
    same_place(c, &at, "idle re-syncs").await?;

    // A new message below: the reader stays, a pill says so; the pill takes them down.
    early[0].cmd(&["chat", "send", room, "something new"])?;
    wait_stored(app_dir, room, 1201, 20).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    same_place(c, &at, "a new message").await?;
    match pill(c).await? {
        Some(t) if t.contains("1 new message") => {}
        other => bail!("no new-messages pill after a new message: {other:?}"),
    }
    shoot(c, "chat-new-messages-desktop").await?;
    click(c, "new-messages").await?;
    // The newest page may have to be loaded first (the window held older ones).
    let mut at_bottom = f64::NAN;
    for _ in 0..50 {
        at_bottom = js(
            c,
            "const l = document.getElementById('messages'); return l.scrollHeight - l.scrollTop - l.clientHeight;",
        )
        .await?
        .as_f64()
        .unwrap_or(f64::NAN);
        if at_bottom <= 80.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if at_bottom.is_nan() || at_bottom > 80.0 {
        bail!("the pill did not take the reader to the newest message ({at_bottom} px above)");
    }
    if pill(c).await?.is_some() {
        bail!("the pill stayed after it was used");
    }
    Ok(())
}

/// The app's listen address, asked of its node over its local socket.
fn app_address(desk: &Desktop) -> Result<String> {
    let app = peer(desk, "app");
    let status: Value = serde_json::from_str(&app.cmd(&["status", "--json"])?)?;
    status["listening"]
        .as_array()
        .and_then(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .find(|a| a.contains("127.0.0.1"))
        })
        .map(str::to_string)
        .ok_or_else(|| anyhow!("the app's node listens nowhere: {status}"))
}

/// Closes the window: the app exits and stops its node first.
async fn closing(c: Client, desk: &Desktop, app_dir: &std::path::Path) -> Result<()> {
    let socket = confab_node::socket_path(app_dir);
    if !socket.exists() {
        bail!("the app's node serves no socket");
    }
    // WebKitWebDriver kills the app when its window closes, which no person's close does: end
    // it the way a session's logout does, with SIGTERM.
    let term = std::process::Command::new("pkill")
        .args(["-TERM", "-x", "confab-app"])
        .status()?;
    if !term.success() {
        bail!("no confab-app process to stop");
    }
    let r = eventually("the app to stop its node (socket removed)", 20, || {
        Ok(!socket.exists())
    })
    .await;
    if r.is_err() {
        let ps = std::process::Command::new("ps")
            .args(["-eo", "pid,args"])
            .output()?;
        eprintln!(
            "ps:\n{}\nlog:\n{}",
            String::from_utf8_lossy(&ps.stdout),
            driver_log(desk)
        );
    }
    r?;
    // The lock is free: a command opens the data dir itself at once.
    let t = Instant::now();
    let status: Value = serde_json::from_str(&peer(desk, "app").cmd(&["status", "--json"])?)?;
    if status["running"] != false || t.elapsed() > Duration::from_secs(5) {
        bail!(
            "after the app closed, its data dir says {status} ({:?})",
            t.elapsed()
        );
    }
    let log = driver_log(desk);
    if !log.contains("the app closed its node") {
        bail!("the app's log does not say it closed its node:\n{log}");
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), c.close()).await;
    Ok(())
}
