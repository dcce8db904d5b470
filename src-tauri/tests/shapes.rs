//! Shapes on a whiteboard in the real window (as the other window tests: Xvfb, WebDriver, a
//! headless `confab run` peer on 127.0.0.1): a rectangle, a sticky note with text and an
//! arrow drawn with pointer actions reach the peer (`confab board objects --json`: kinds,
//! places, text); the rectangle moved and resized by pointer, the resize undone and redone
//! (Ctrl+Z, Ctrl+Y) while the peer's own ellipse, which the peer placed and moved and the
//! window shows, stays where the peer put it; a third member's viewport followed from its chip
//! until the window pans itself; the arrow deleted, seen again with the history slider, and
//! restored from there; at phone size, panned (Space held, a drag) and pinched with two
//! fingers. Screenshots at desktop and phone size, and of history mode.

mod support;
#[path = "support/web.rs"]
mod web;

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::actions::{
    Actions, InputSource, KeyAction, KeyActions, MouseActions, PointerAction, TouchActions, MOUSE_BUTTON_LEFT,
};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use support::Desktop;
use web::{
    bin_dir, bounded, click, eventually, join, js, open_app, quiet_shot, run_peer, run_steps, shoot, Peer,
};

#[test]
fn shapes_on_the_whiteboard_in_the_window() -> Result<()> {
    support::in_pid_namespace(INNER, "shapes_on_the_whiteboard_in_the_window", scenario)
}

const INNER: &str = "CONFAB_SHAPES_INNER";

async fn scenario() -> Result<()> {
    let confab = bin_dir().join("confab");
    if !confab.exists() {
        bail!("{} is missing: build the workspace first", confab.display());
    }
    let mut desk = Desktop::start()?;
    let tmp = desk.tmp.path().to_path_buf();
    let mut peer = Peer::new(confab.clone(), tmp.join("peer"));
    peer.cmd(&["profile", "set", "--name", "Pat"])?;
    let (board, ticket) = peer.create("board", "Plans")?;
    run_peer(&mut desk, &mut peer, &[])?;
    let home = tmp.join("home");
    std::fs::create_dir_all(&home)?;
    let dial = peer.addr.clone();
    let home = home.display().to_string();
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
    let all = steps(&c, &desk, &peer, &board, &ticket);
    run_steps(&c, &desk, &peer, "shapes", 300, all).await
}

/// The board's view in the window and the canvas's place: board units to window CSS pixels.
#[derive(Clone, Copy, Debug)]
struct View {
    s: f64,
    ox: f64,
    oy: f64,
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

impl View {
    fn screen(&self, x: f64, y: f64) -> (f64, f64) {
        (
            (self.left + (x - self.ox) * self.s).round(),
            (self.top + (y - self.oy) * self.s).round(),
        )
    }

    /// The board point in the middle of the canvas.
    fn centre(&self) -> (f64, f64) {
        (
            self.ox + self.width / 2.0 / self.s,
            self.oy + self.height / 2.0 / self.s,
        )
    }
}

async fn view(c: &Client) -> Result<View> {
    let v = js(
        c,
        "const c = document.querySelector('[data-testid=\"board-canvas\"]');
         const r = c.getBoundingClientRect();
         const v = window.__board.view;
         return [v.s, v.ox, v.oy, r.left, r.top, r.width, r.height];",
        vec![],
    )
    .await?;
    let f = |i: usize| v[i].as_f64().ok_or_else(|| anyhow!("the board's view is {v}"));
    Ok(View {
        s: f(0)?,
        ox: f(1)?,
        oy: f(2)?,
        left: f(3)?,
        top: f(4)?,
        width: f(5)?,
        height: f(6)?,
    })
}

/// Drags with the left button through `path` (window CSS pixels) while Space is held: a pan.
/// (Not the middle button: WebKitWebDriver releases a middle button as the left one, and the
/// page then sees the middle button held for ever.)
async fn pan_with_space(c: &Client, path: &[(f64, f64)]) -> Result<()> {
    let mut mouse = MouseActions::new("mouse".into())
        .then(PointerAction::Pause {
            duration: Duration::from_millis(50),
        })
        .then(PointerAction::MoveTo {
            duration: None,
            x: path[0].0,
            y: path[0].1,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        });
    for p in &path[1..] {
        mouse = mouse.then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(120)),
            x: p.0,
            y: p.1,
        });
    }
    mouse = mouse.then(PointerAction::Up {
        button: MOUSE_BUTTON_LEFT,
    });
    let mut keys = KeyActions::new("keyboard".into()).then(KeyAction::Down { value: ' ' });
    for _ in 0..path.len() + 1 {
        keys = keys.then(KeyAction::Pause {
            duration: Duration::from_millis(0),
        });
    }
    keys = keys.then(KeyAction::Up { value: ' ' });
    let mouse = mouse.then(PointerAction::Pause {
        duration: Duration::from_millis(0),
    });
    bounded(
        "a pan with Space held",
        c.perform_actions(Actions::from(keys).and(mouse)),
    )
    .await??;
    bounded("releasing", c.release_actions()).await??;
    Ok(())
}

/// Drags with the mouse (left button unless `button`) through `path` (window CSS pixels).
async fn drag_with(c: &Client, button: u64, path: &[(f64, f64)]) -> Result<()> {
    let mut mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
        duration: None,
        x: path[0].0,
        y: path[0].1,
    });
    mouse = mouse.then(PointerAction::Down { button });
    for p in &path[1..] {
        mouse = mouse.then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(120)),
            x: p.0,
            y: p.1,
        });
    }
    mouse = mouse.then(PointerAction::Up { button });
    bounded("a mouse drag", c.perform_actions(mouse)).await??;
    bounded("releasing the mouse", c.release_actions()).await??;
    Ok(())
}

async fn drag(c: &Client, from: (f64, f64), to: (f64, f64)) -> Result<()> {
    let mid = (((from.0 + to.0) / 2.0).round(), ((from.1 + to.1) / 2.0).round());
    drag_with(c, MOUSE_BUTTON_LEFT, &[from, mid, to]).await
}

async fn tap(c: &Client, at: (f64, f64)) -> Result<()> {
    drag_with(c, MOUSE_BUTTON_LEFT, &[at]).await
}

/// Presses a key with Control held (`ctrl`), or alone.
async fn key(c: &Client, ctrl: bool, k: char) -> Result<()> {
    let mut keys = KeyActions::new("keyboard".into());
    if ctrl {
        keys = keys.then(KeyAction::Down {
            value: Key::Control.into(),
        });
    }
    keys = keys
        .then(KeyAction::Down { value: k })
        .then(KeyAction::Up { value: k });
    if ctrl {
        keys = keys.then(KeyAction::Up {
            value: Key::Control.into(),
        });
    }
    bounded("keys", c.perform_actions(keys)).await??;
    Ok(())
}

fn ctrl_enter() -> KeyActions {
    KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: Key::Control.into(),
        })
        .then(KeyAction::Down {
            value: Key::Enter.into(),
        })
        .then(KeyAction::Up {
            value: Key::Enter.into(),
        })
        .then(KeyAction::Up {
            value: Key::Control.into(),
        })
}

/// The peer's objects on the board, by the CLI (through its running node).
fn peer_objects(peer: &Peer, board: &str) -> Result<Vec<Value>> {
    let out = peer.cmd(&["board", "objects", board, "--json"])?;
    let v: Value = serde_json::from_str(&out).with_context(|| format!("board objects printed {out}"))?;
    Ok(v.as_array().cloned().unwrap_or_default())
}

fn rect_of(o: &Value) -> [f64; 4] {
    ["x", "y", "w", "h"].map(|k| o[k].as_f64().unwrap_or(f64::NAN))
}

fn close(a: [f64; 4], b: [f64; 4], tolerance: f64) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance)
}

/// Waits until the peer lists an object that `want` accepts; returns it.
async fn at_peer(
    peer: &Peer,
    board: &str,
    what: &str,
    secs: u64,
    want: impl Fn(&Value) -> bool,
) -> Result<Value> {
    let mut last = Vec::new();
    let mut found = None;
    let waited = eventually(&format!("the peer seeing {what}"), secs, || {
        last = peer_objects(peer, board)?;
        found = last.iter().find(|o| want(o)).cloned();
        Ok(found.is_some())
    })
    .await;
    waited.with_context(|| format!("the peer lists {}", json!(last)))?;
    found.ok_or_else(|| anyhow!("{what} vanished"))
}

/// Waits until the window's board shows object `id` and `want` accepts it.
async fn in_window(
    c: &Client,
    id: &str,
    what: &str,
    secs: u64,
    want: impl Fn(&Value) -> bool,
) -> Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let o = js(c, "return window.__board.object(arguments[0]);", vec![json!(id)]).await?;
        if !o.is_null() && want(&o) {
            return Ok(o);
        }
        if Instant::now() > deadline {
            bail!("after {secs} s the window does not show {what}: it shows {o}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click_id(c: &Client, id: &str) -> Result<()> {
    js(
        c,
        "document.getElementById(arguments[0]).click(); return 1;",
        vec![json!(id)],
    )
    .await?;
    Ok(())
}

/// A node in this process that joined the board by ticket and dials the peer.
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

/// The third member shows the part of the board it looks at until the window lists it.
async fn announce(
    c: &Client,
    node: &confab_node::Client,
    board: &str,
    rect: (f32, f32, f32, f32),
) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let live = confab_node::view::LiveView {
            cursor: Some((rect.0 + 40.0, rect.1 + 40.0)),
            stroke: None,
            view: Some(rect),
            selection: vec![],
        };
        node.board_presence(board, live).await?;
        let chip = js(
            c,
            "const b = document.querySelector('[data-testid=\"board-member\"]'); return b ? b.dataset.peer : null;",
            vec![],
        )
        .await?;
        if let Some(p) = chip.as_str() {
            return Ok(p.to_string());
        }
        if Instant::now() > deadline {
            bail!("the window never listed the third member over the board");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A point on a rectangle's left edge, on screen.
fn edge_of(v: &View, r: [f64; 4]) -> (f64, f64) {
    v.screen(r[0], r[1] + r[3] / 2.0)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

async fn steps(c: &Client, desk: &Desktop, peer: &Peer, board: &str, ticket: &str) -> Result<()> {
    c.set_window_size(1280, 800).await.ok();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("body[data-ready=\"true\"]"))
        .await?;
    js(
        c,
        "document.getElementById('name-prompt-skip')?.click(); return 1;",
        vec![],
    )
    .await?;
    join(c, "tab-board", ticket, "Plans").await?;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("[data-testid=\"board-canvas\"][data-loaded]"))
        .await
        .context("the board never loaded")?;

    // 1. A rectangle dragged out with the rectangle tool.
    click(c, "tool-rect").await?;
    let v = view(c).await?;
    drag(c, v.screen(100.0, 100.0), v.screen(300.0, 220.0)).await?;
    let want = |a: (f64, f64), b: (f64, f64)| {
        let (a, b) = (
            ((a.0 - v.left) / v.s + v.ox, (a.1 - v.top) / v.s + v.oy),
            ((b.0 - v.left) / v.s + v.ox, (b.1 - v.top) / v.s + v.oy),
        );
        [a.0, a.1, b.0 - a.0, b.1 - a.1]
    };
    let r0 = want(v.screen(100.0, 100.0), v.screen(300.0, 220.0));
    let rect = at_peer(peer, board, "the rectangle", 20, |o| {
        o["kind"] == json!("rect") && close(rect_of(o), r0, 0.6)
    })
    .await?;
    let rect_id = rect["id"].as_str().unwrap_or_default().to_string();
    eprintln!("shapes: the rectangle reached the peer at {:?}", rect_of(&rect));

    // 2. A sticky note placed with a click, its text typed in place, Ctrl+Enter.
    click(c, "tool-note").await?;
    tap(c, v.screen(560.0, 180.0)).await?;
    let editor = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=\"board-text-editor\"]:not([hidden])"))
        .await
        .context("no text editor over the new note")?;
    editor.send_keys("Buy milk").await?;
    bounded("Ctrl+Enter", c.perform_actions(ctrl_enter())).await??;
    let note = at_peer(peer, board, "the note with its text", 20, |o| {
        o["kind"] == json!("note") && o["text"] == json!("Buy milk")
    })
    .await?;
    if !close(rect_of(&note), [460.0, 80.0, 200.0, 200.0], 1.0) || note["fill"].is_null() {
        bail!("the note is not where it was put, or not filled: {note}");
    }
    eprintln!("shapes: the note and its text reached the peer");

    // 3. An arrow dragged out with the arrow tool.
    click(c, "tool-arrow").await?;
    let (a, b) = (v.screen(150.0, 380.0), v.screen(450.0, 320.0));
    drag(c, a, b).await?;
    let a0 = want(a, b);
    let arrow = at_peer(peer, board, "the arrow", 20, |o| {
        o["kind"] == json!("arrow") && close(rect_of(o), a0, 0.6)
    })
    .await?;
    let arrow_id = arrow["id"].as_str().unwrap_or_default().to_string();
    let arrow_made = now_ms();
    eprintln!("shapes: the arrow reached the peer: {:?}", rect_of(&arrow));

    // Text placed with the text tool, typed in place.
    click(c, "tool-text").await?;
    tap(c, v.screen(720.0, 120.0)).await?;
    let editor = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=\"board-text-editor\"]:not([hidden])"))
        .await
        .context("no text editor where the text goes")?;
    editor.send_keys("Monday plan").await?;
    bounded("Ctrl+Enter", c.perform_actions(ctrl_enter())).await??;
    let text = at_peer(peer, board, "the text", 20, |o| {
        o["kind"] == json!("text") && o["text"] == json!("Monday plan")
    })
    .await?;
    let [tx, ty, _, _] = rect_of(&text);
    if (tx - 720.0).abs() > 0.6 || (ty - 120.0).abs() > 0.6 {
        bail!("the text is not where it was put: {text}");
    }
    eprintln!("shapes: text typed in place reached the peer");

    // 4. The rectangle moved (dragged by its edge), then resized by its bottom-right handle.
    click(c, "tool-select").await?;
    let [rx, ry, rw, rh] = rect_of(&rect);
    let edge = v.screen(rx, ry + rh / 2.0);
    drag(c, edge, (edge.0 + 60.0, edge.1 + 40.0)).await?;
    let moved = [rx + 60.0 / v.s, ry + 40.0 / v.s, rw, rh];
    at_peer(peer, board, "the rectangle moved", 20, |o| {
        o["id"] == json!(rect_id) && close(rect_of(o), moved, 0.6)
    })
    .await?;
    let corner = v.screen(moved[0] + rw, moved[1] + rh);
    drag(c, corner, (corner.0 + 40.0, corner.1 + 30.0)).await?;
    let grown = [moved[0], moved[1], rw + 40.0 / v.s, rh + 30.0 / v.s];
    at_peer(peer, board, "the rectangle resized", 20, |o| {
        o["id"] == json!(rect_id) && close(rect_of(o), grown, 0.6)
    })
    .await?;
    eprintln!("shapes: moved to {moved:?} and resized to {grown:?} by pointer");
    // A box dragged over empty space selects what lies wholly inside it; Shift and a click adds.
    drag(c, v.screen(80.0, 60.0), v.screen(680.0, 300.0)).await?;
    let boxed = js(c, "return window.__board.selection;", vec![]).await?;
    let note_id = note["id"].as_str().unwrap_or_default();
    let mut got: Vec<String> = serde_json::from_value(boxed.clone())?;
    got.sort();
    let mut want_ids = vec![rect_id.clone(), note_id.to_string()];
    want_ids.sort();
    if got != want_ids {
        bail!("the box selected {boxed}, not the rectangle and the note");
    }
    let shift_click = Actions::from(
        KeyActions::new("keyboard".into())
            .then(KeyAction::Down {
                value: Key::Shift.into(),
            })
            .then(KeyAction::Pause {
                duration: Duration::ZERO,
            })
            .then(KeyAction::Pause {
                duration: Duration::ZERO,
            })
            .then(KeyAction::Up {
                value: Key::Shift.into(),
            }),
    )
    .and(
        MouseActions::new("mouse".into())
            .then(PointerAction::MoveTo {
                duration: None,
                x: v.screen(300.0, 350.0).0,
                y: v.screen(300.0, 350.0).1,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            }),
    );
    bounded("Shift and a click", c.perform_actions(shift_click)).await??;
    bounded("releasing", c.release_actions()).await??;
    let three = js(c, "return window.__board.selection.length;", vec![]).await?;
    if three != json!(3) {
        bail!("Shift and a click on the arrow left {three} objects selected, not 3");
    }
    // Back to the rectangle alone.
    tap(c, edge_of(&v, grown)).await?;
    eprintln!("shapes: a box selected the rectangle and the note, Shift added the arrow");

    // 5. The peer places an ellipse and moves it: the window shows both.
    let out = peer.cmd(&[
        "board", "add", board, "--kind", "ellipse", "--at", "700,420", "--size", "160,90", "--json",
    ])?;
    let ellipse: Value = serde_json::from_str(&out)?;
    let ellipse_id = ellipse["id"].as_str().unwrap_or_default().to_string();
    in_window(c, &ellipse_id, "the peer's ellipse", 20, |o| {
        o["kind"] == json!("ellipse") && close(rect_of(o), [700.0, 420.0, 160.0, 90.0], 0.01)
    })
    .await?;
    peer.cmd(&["board", "move", board, &ellipse_id[..12], "--to", "760,440"])?;
    in_window(c, &ellipse_id, "the peer's ellipse moved", 20, |o| {
        close(rect_of(o), [760.0, 440.0, 160.0, 90.0], 0.01)
    })
    .await?;
    eprintln!("shapes: the peer's ellipse shows in the window, placed and moved");

    // 6. Undo and redo of the window's own last action (the resize); the peer's move stays.
    key(c, true, 'z').await?;
    at_peer(peer, board, "the resize undone", 20, |o| {
        o["id"] == json!(rect_id) && close(rect_of(o), moved, 0.6)
    })
    .await?;
    key(c, true, 'y').await?;
    at_peer(peer, board, "the resize redone", 20, |o| {
        o["id"] == json!(rect_id) && close(rect_of(o), grown, 0.6)
    })
    .await?;
    let ell = peer_objects(peer, board)?
        .into_iter()
        .find(|o| o["id"] == json!(ellipse_id))
        .ok_or_else(|| anyhow!("the ellipse is gone"))?;
    if !close(rect_of(&ell), [760.0, 440.0, 160.0, 90.0], 0.01) {
        bail!("undo touched the peer's ellipse: {ell}");
    }
    eprintln!("shapes: undo and redo of the resize reached the peer; the peer's move stayed");
    tokio::time::sleep(Duration::from_millis(300)).await;
    shoot(c, "board-shapes-desktop").await?;

    // 7. Follow: a third member looks at another part of the board; a click on its chip brings
    // the window there; the window's own pan stops following.
    let third = third_member(desk, &peer.addr, ticket).await?;
    let followed = follow_step(c, &third.0, &third.1).await;
    third.0.shutdown().await;
    followed?;

    // 8. The arrow deleted (selected, Delete); the history slider shows it again, from where it
    // is restored. (Fit brings the board back in view after following.)
    click_id(c, "zoom-fit").await?;
    let v = view(c).await?;
    let arrow_mid = v.screen(300.0, 350.0);
    tap(c, arrow_mid)
        .await
        .with_context(|| format!("clicking the arrow at {arrow_mid:?} in {v:?}"))?;
    let selected = js(c, "return window.__board.selection;", vec![]).await?;
    if selected != json!([arrow_id]) {
        let objects = js(c, "return window.__board.objects();", vec![]).await?;
        bail!("a click on the arrow ({arrow_id}) at {arrow_mid:?} in {v:?} selected {selected}; the window has {objects}");
    }
    key(c, false, '\u{E017}').await?; // Delete
    eventually("the arrow gone at the peer", 20, || {
        Ok(!peer_objects(peer, board)?
            .iter()
            .any(|o| o["id"] == json!(arrow_id)))
    })
    .await?;
    click(c, "board-history").await?;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=\"history-slider\"][data-first]"))
        .await?;
    let count = js(
        c,
        "const s = document.getElementById('history-slider');
         const [first, last] = [Number(s.dataset.first), Number(s.dataset.last)];
         s.value = String(Math.round((arguments[0] - first) / (last - first) * 1000));
         s.dispatchEvent(new Event('input', { bubbles: true }));
         return [first, last, s.value];",
        vec![json!(arrow_made + 1500)],
    )
    .await?;
    eprintln!("shapes: history slider [first, last, value] = {count}");
    let past = in_window(c, &arrow_id, "the arrow in the board's past", 20, |_| true).await?;
    let history = js(c, "return window.__board.history;", vec![]).await?;
    eprintln!("shapes: the board as it was shows the arrow ({past}); history {history}");
    let v = view(c).await?;
    tap(c, v.screen(300.0, 350.0)).await?;
    let selected = js(c, "return window.__board.selection;", vec![]).await?;
    if selected != json!([arrow_id]) {
        bail!("in history, a click on the arrow selected {selected}");
    }
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=\"history-restore\"]:not([hidden])"))
        .await
        .context("no Restore this object for the arrow selected in the past")?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    shoot(c, "board-history").await?;
    click(c, "history-restore").await?;
    at_peer(peer, board, "the arrow restored", 20, |o| {
        o["id"] == json!(arrow_id) && close(rect_of(o), a0, 0.6)
    })
    .await?;
    eprintln!("shapes: restored from history, the peer has the arrow again");

    // 9. Phone size: panned with the middle button, pinched with two fingers.
    bounded("resizing to phone size", c.set_window_size(360, 740)).await??;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The list of boards folds away, as a person on a phone would have it, for a bigger board.
    click_id(c, "spaces-toggle").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    click_id(c, "zoom-fit").await?;
    quiet_shot(c, "board-shapes-phone").await?;
    phone_gestures(c).await?;
    Ok(())
}

async fn follow_step(c: &Client, node: &confab_node::Client, board: &str) -> Result<()> {
    let theirs = (2000.0f32, 1500.0f32, 640.0f32, 400.0f32);
    let who = announce(c, node, board, theirs).await?;
    js(
        c,
        "document.querySelector(`[data-testid=\"board-member\"][data-peer=\"${arguments[0]}\"]`).click(); return 1;",
        vec![json!(who)],
    )
    .await?;
    // Their next frames keep the window on their view.
    let want = (2320.0, 1700.0);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut v = view(c).await?;
    while Instant::now() < deadline {
        let live = confab_node::view::LiveView {
            cursor: Some((2100.0, 1600.0)),
            stroke: None,
            view: Some(theirs),
            selection: vec![],
        };
        node.board_presence(board, live).await?;
        v = view(c).await?;
        let (cx, cy) = v.centre();
        if (cx - want.0).abs() < 1.0 && (cy - want.1).abs() < 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let (cx, cy) = v.centre();
    if (cx - want.0).abs() >= 1.0 || (cy - want.1).abs() >= 1.0 {
        bail!("following, the window shows the board around ({cx:.0}, {cy:.0}), not the third member's view around {want:?}");
    }
    // Their whole view fits in the window.
    if v.width / v.s < 639.0 || v.height / v.s < 399.0 {
        bail!("following, the window shows less than the third member's view: {v:?}");
    }
    eprintln!(
        "shapes: following the third member's view, centred on ({cx:.0}, {cy:.0}) at {:.2}",
        v.s
    );
    // The window pans itself (Space held, a drag): following stops, and the board stays where
    // the pan left it while the third member's frames keep coming.
    let mid = ((v.left + v.width / 2.0).round(), (v.top + v.height / 2.0).round());
    pan_with_space(
        c,
        &[mid, (mid.0 - 100.0, mid.1 - 60.0), (mid.0 - 200.0, mid.1 - 120.0)],
    )
    .await?;
    let following = js(
        c,
        "return document.querySelector('[data-testid=\"board-canvas\"]').dataset.following;",
        vec![],
    )
    .await?;
    if following != json!("") {
        bail!("after panning, the window still follows {following}");
    }
    for _ in 0..5 {
        let live = confab_node::view::LiveView {
            cursor: Some((2110.0, 1600.0)),
            stroke: None,
            view: Some(theirs),
            selection: vec![],
        };
        node.board_presence(board, live).await?;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let after = view(c).await?;
    let (ax, ay) = after.centre();
    if (ax - (cx + 200.0 / v.s)).abs() > 2.0 || (ay - (cy + 120.0 / v.s)).abs() > 2.0 {
        bail!("after the pan the window shows ({ax:.0}, {ay:.0}); the pan should have left it at ({:.0}, {:.0})", cx + 200.0 / v.s, cy + 120.0 / v.s);
    }
    eprintln!("shapes: a pan (Space held, a drag) stopped following at ({ax:.0}, {ay:.0})");
    Ok(())
}

/// At phone size: a pan (Space and a drag) by WebDriver; a pinch with two touch sources
/// by WebDriver, and, where WebKitGTK hands those to the page as one mouse, with pointer
/// events of type touch from two pointer ids dispatched by a script.
async fn phone_gestures(c: &Client) -> Result<()> {
    let v = view(c).await?;
    let mid = ((v.left + v.width / 2.0).round(), (v.top + v.height / 2.0).round());
    pan_with_space(
        c,
        &[mid, (mid.0 + 30.0, mid.1 + 20.0), (mid.0 + 60.0, mid.1 + 40.0)],
    )
    .await?;
    let p = view(c).await?;
    if (p.ox - (v.ox - 60.0 / v.s)).abs() > 0.5 || (p.oy - (v.oy - 40.0 / v.s)).abs() > 0.5 {
        bail!("at phone size a pan of (60, 40) moved the view from {v:?} to {p:?}");
    }
    eprintln!("shapes: at phone size Space and a drag panned the board by (60, 40) px");

    // What pointers the page sees during the gesture.
    js(
        c,
        "window.__seen = [];
         document.querySelector('[data-testid=\"board-canvas\"]').addEventListener('pointerdown',
           (e) => window.__seen.push([e.pointerType, e.pointerId]));
         return 1;",
        vec![],
    )
    .await?;
    let finger = |id: &str, from: (f64, f64), to: (f64, f64)| {
        TouchActions::new(id.into())
            .then(PointerAction::MoveTo {
                duration: None,
                x: from.0,
                y: from.1,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::MoveTo {
                duration: Some(Duration::from_millis(300)),
                x: to.0,
                y: to.1,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            })
    };
    let before = view(c).await?;
    let pinch = Actions::from(finger("finger1", (mid.0 - 30.0, mid.1), (mid.0 - 80.0, mid.1))).and(finger(
        "finger2",
        (mid.0 + 30.0, mid.1),
        (mid.0 + 80.0, mid.1),
    ));
    let by_driver = bounded("a two-finger pinch", c.perform_actions(pinch)).await?;
    let after = view(c).await?;
    let seen = js(c, "return window.__seen;", vec![]).await?;
    eprintln!(
        "shapes: WebDriver's two touch sources: {by_driver:?}; the page saw pointerdowns {seen}; the scale went {:.3} -> {:.3}",
        before.s, after.s
    );
    let pinched_by_driver = by_driver.is_ok() && after.s > before.s * 1.5;
    if !pinched_by_driver {
        // Two fingers as the page would get them from a touch screen: pointer events of type
        // touch with two pointer ids, moved apart (the zoom) and together to the right (a pan).
        let r = js(
            c,
            "const c = document.querySelector('[data-testid=\"board-canvas\"]');
             const [mx, my] = arguments;
             const ev = (type, id, x, y) => c.dispatchEvent(new PointerEvent(type, {
               pointerId: id, pointerType: 'touch', isPrimary: id === 11, clientX: x, clientY: y,
               button: type === 'pointermove' ? -1 : 0, buttons: type === 'pointerup' ? 0 : 1,
               bubbles: true, cancelable: true }));
             const before = window.__board.view;
             ev('pointerdown', 11, mx - 30, my);
             ev('pointerdown', 12, mx + 30, my);
             for (let i = 1; i <= 10; i++) {
               ev('pointermove', 11, mx - 30 - 5 * i + 2 * i, my);
               ev('pointermove', 12, mx + 30 + 5 * i + 2 * i, my);
             }
             ev('pointerup', 11, mx - 30 - 30, my);
             ev('pointerup', 12, mx + 30 + 70, my);
             return [before, window.__board.view];",
            vec![json!(mid.0), json!(mid.1)],
        )
        .await?;
        let (s0, s1) = (
            r[0]["s"].as_f64().unwrap_or(0.0),
            r[1]["s"].as_f64().unwrap_or(0.0),
        );
        // The fingers went from 60 to 160 px apart: the board zooms by 8/3, and the point
        // between them (moved 20 px right) stays between them.
        if (s1 / s0 - 160.0 / 60.0).abs() > 0.01 {
            bail!("a two-finger pinch (touch pointer events) took the scale from {s0} to {s1}");
        }
        let under = |v: &Value, x: f64| {
            v["ox"].as_f64().unwrap_or(0.0) + (x - before.left) / v["s"].as_f64().unwrap_or(1.0)
        };
        let (b0, b1) = (under(&r[0], mid.0), under(&r[1], mid.0 + 20.0));
        if (b0 - b1).abs() > 0.5 {
            bail!("the board point between the fingers moved from {b0:.1} to {b1:.1}");
        }
        eprintln!("shapes: pinched with two touch pointers from a script: scale {s0:.3} -> {s1:.3}, the point between the fingers kept");
    }
    Ok(())
}
