//! Pictures on a whiteboard in the real window (as the e2e test: Xvfb, WebDriver, a headless
//! `confab run` peer on 127.0.0.1): a picture the peer places shows in the window, whole once
//! fetched, where the peer put it (read back from the canvas's own pixels); a picture added
//! with the Image button in the GTK open dialog, and one dropped on the board from another
//! program (an HTML drop of the picture's bytes), reach the peer, which fetches them; moved
//! and resized with the select tool (pointer actions) they move at the peer, and the peer's
//! move moves them in the window; the SVG export carries every picture in `data:` URLs (the
//! window's own picture byte for byte), the PNG export of the whole board draws them (the
//! canvas stays exportable); at phone size, fitted to the board's content, a picture is moved
//! by touch. Screenshots at desktop and phone size.

mod support;
#[path = "support/web.rs"]
mod web;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MouseActions, PointerAction, TouchActions, MOUSE_BUTTON_LEFT,
};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use support::Desktop;
use web::{
    bin_dir, bounded, click, eventually, find_text, join, js, open_app, picture, run_peer, run_steps, shoot,
    type_into, Peer,
};

#[test]
fn pictures_on_the_whiteboard_in_the_window() -> Result<()> {
    support::in_pid_namespace(INNER, "pictures_on_the_whiteboard_in_the_window", scenario)
}

const INNER: &str = "CONFAB_BOARD_PICTURES_INNER";

/// The pictures of the scenario, made before the window opens.
struct Made {
    /// Placed by the peer.
    boats: PathBuf,
    /// Added in the window with the Image button.
    quay: PathBuf,
    /// Dropped on the window's board.
    kite: PathBuf,
    /// On the X clipboard, pasted on the board.
    gull: PathBuf,
    /// The app's $HOME, where the exports are saved (named in the save dialog).
    home: PathBuf,
}

async fn scenario() -> Result<()> {
    let confab = bin_dir().join("confab");
    if !confab.exists() {
        bail!("{} is missing: build the workspace first", confab.display());
    }
    let mut desk = Desktop::start()?;
    let tmp = desk.tmp.path().to_path_buf();
    let mut peer = Peer::new(confab.clone(), tmp.join("peer"));
    peer.cmd(&["profile", "set", "--name", "Pat"])?;
    let (board, ticket) = peer.create("board", "Harbour board")?;
    run_peer(&mut desk, &mut peer, &[])?;
    let made = Made {
        boats: tmp.join("boats.png"),
        quay: tmp.join("quay.png"),
        kite: tmp.join("kite.png"),
        gull: tmp.join("gull.png"),
        home: tmp.join("home"),
    };
    picture(640, 400, [40, 90, 160]).save(&made.boats)?;
    picture(600, 360, [30, 140, 90]).save(&made.quay)?;
    picture(240, 160, [200, 110, 40]).save(&made.kite)?;
    picture(300, 200, [150, 150, 170]).save(&made.gull)?;
    // A picture on the clipboard, as if copied in another program.
    desk.put_on_clipboard("image/png", &made.gull)?;
    std::fs::create_dir_all(&made.home)?;

    let app_dir = tmp.join("app");
    let dial = peer.addr.clone();
    let home = made.home.display().to_string();
    let c = open_app(
        &mut desk,
        &app_dir,
        &[
            ("CONFAB_DIAL", &dial),
            ("CONFAB_RESYNC_SECS", "3"),
            ("HOME", &home),
        ],
    )
    .await?;
    let all = steps(&c, &desk, &peer, &made, &board, &ticket);
    run_steps(&c, &desk, &peer, "board-pictures", 240, all).await
}

/// The colour of `file` at (`fx`, `fy`), fractions of its width and height.
fn colour_at(file: &Path, fx: f64, fy: f64) -> Result<[u8; 3]> {
    let img = image::open(file)?.to_rgb8();
    let x = ((img.width() as f64 * fx) as u32).min(img.width() - 1);
    let y = ((img.height() as f64 * fy) as u32).min(img.height() - 1);
    Ok(img.get_pixel(x, y).0)
}

fn near(a: [u8; 3], b: [u8; 3], tolerance: i32) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (*x as i32 - y as i32).abs() <= tolerance)
}

/// The peer's pictures on the board, by the CLI (through its running node).
fn peer_pictures(peer: &Peer, board: &str) -> Result<Vec<Value>> {
    let out = peer.cmd(&["board", "pictures", board, "--json"])?;
    let v: Value = serde_json::from_str(&out).with_context(|| format!("board pictures printed {out}"))?;
    Ok(v.as_array().cloned().unwrap_or_default())
}

fn by_name(list: &[Value], name: &str) -> Option<Value> {
    list.iter().find(|p| p["name"] == json!(name)).cloned()
}

/// Where the window's board shows things: its view (board units to CSS pixels) and the
/// canvas's place in the window, and each picture it draws (what, where, whole or preview).
#[derive(Debug)]
struct Shown {
    s: f64,
    ox: f64,
    oy: f64,
    left: f64,
    top: f64,
    pictures: Vec<Value>,
}

impl Shown {
    /// A board point in the window's CSS pixels.
    fn screen(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.left + (x - self.ox) * self.s,
            self.top + (y - self.oy) * self.s,
        )
    }

    /// A point of the window on the board.
    fn board(&self, x: f64, y: f64) -> (f64, f64) {
        (
            (x - self.left) / self.s + self.ox,
            (y - self.top) / self.s + self.oy,
        )
    }

    fn picture(&self, id: &str) -> Option<&Value> {
        self.pictures.iter().find(|p| p["id"] == json!(id))
    }
}

async fn shown(c: &Client) -> Result<Shown> {
    let v = js(
        c,
        "const c = document.querySelector('[data-testid=\"board-canvas\"]');
         const r = c.getBoundingClientRect();
         return [JSON.parse(c.dataset.view || '{}'), r.left, r.top, JSON.parse(c.dataset.pictures || '[]')];",
        vec![],
    )
    .await?;
    let f = |x: &Value| x.as_f64().ok_or_else(|| anyhow!("the board's view is {v}"));
    Ok(Shown {
        s: f(&v[0]["s"])?,
        ox: f(&v[0]["ox"])?,
        oy: f(&v[0]["oy"])?,
        left: f(&v[1])?,
        top: f(&v[2])?,
        pictures: v[3].as_array().cloned().unwrap_or_default(),
    })
}

/// Waits until the window draws picture `id` whole at `rect` (x, y, w, h in board units).
async fn shows(c: &Client, id: &str, rect: Option<[f64; 4]>, secs: u64) -> Result<Shown> {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let s = shown(c).await?;
        if let Some(p) = s.picture(id) {
            let at = ["x", "y", "w", "h"].map(|k| p[k].as_f64().unwrap_or(f64::NAN));
            let placed = rect.is_none_or(|r| r.iter().zip(at).all(|(a, b)| (a - b).abs() < 0.05));
            if p["shown"] == json!("whole") && placed {
                return Ok(s);
            }
        }
        if std::time::Instant::now() > deadline {
            bail!(
                "after {secs} s the window does not draw picture {id} whole at {rect:?}; it draws {:?}",
                s.pictures
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The colour the window's canvas shows at a point of the window (CSS pixels). Read with
/// `getImageData`, which a canvas with a picture it may not export refuses.
async fn pixel(c: &Client, x: f64, y: f64) -> Result<[u8; 3]> {
    let v = js(
        c,
        "const c = document.querySelector('[data-testid=\"board-canvas\"]');
         const r = c.getBoundingClientRect();
         const k = c.width / r.width;
         try {
           const d = c.getContext('2d').getImageData(Math.round((arguments[0] - r.left) * k),
             Math.round((arguments[1] - r.top) * k), 1, 1).data;
           return [d[0], d[1], d[2]];
         } catch (e) { return String(e); }",
        vec![json!(x), json!(y)],
    )
    .await?;
    let a = v
        .as_array()
        .ok_or_else(|| anyhow!("the canvas's pixels cannot be read: {v}"))?;
    let n = |i: usize| a[i].as_u64().unwrap_or(0) as u8;
    Ok([n(0), n(1), n(2)])
}

/// The colour of `file` drawn at `rect` on the board, checked at (`fx`, `fy`) of it.
async fn looks_like(c: &Client, s: &Shown, rect: [f64; 4], file: &Path, fx: f64, fy: f64) -> Result<()> {
    let (x, y) = s.screen(rect[0] + rect[2] * fx, rect[1] + rect[3] * fy);
    let got = pixel(c, x, y).await?;
    let want = colour_at(file, fx, fy)?;
    if !near(got, want, 24) {
        bail!(
            "at ({x:.0}, {y:.0}) the board shows {got:?} where {} has {want:?}",
            file.display()
        );
    }
    Ok(())
}

fn rect_of(p: &Value) -> Result<[f64; 4]> {
    let r = &p["rect"];
    let f = |k: &str| r[k].as_f64().ok_or_else(|| anyhow!("no rect in {p}"));
    Ok([f("x")?, f("y")?, f("w")?, f("h")?])
}

fn close(a: [f64; 4], b: [f64; 4], tolerance: f64) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance)
}

/// Drags with the mouse from one point of the window to another (CSS pixels).
async fn drag(c: &Client, from: (f64, f64), to: (f64, f64)) -> Result<()> {
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: from.0.round(),
            y: from.1.round(),
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(150)),
            x: ((from.0 + to.0) / 2.0).round(),
            y: ((from.1 + to.1) / 2.0).round(),
        })
        .then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(150)),
            x: to.0.round(),
            y: to.1.round(),
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    bounded("a mouse drag", c.perform_actions(mouse)).await??;
    Ok(())
}

/// Waits until the peer lists picture `name` held whole; returns it.
async fn at_peer(peer: &Peer, board: &str, name: &str, secs: u64) -> Result<Value> {
    let mut found = None;
    eventually(&format!("the peer holding {name} on the board"), secs, || {
        found = by_name(&peer_pictures(peer, board)?, name);
        Ok(found.as_ref().is_some_and(|p| p["held"] == json!(true)))
    })
    .await?;
    found.ok_or_else(|| anyhow!("{name} vanished"))
}

/// Waits until the peer lists picture `id` at `rect` (to a tenth of a unit).
async fn peer_sees_at(peer: &Peer, board: &str, id: &str, rect: [f64; 4], secs: u64) -> Result<Value> {
    let mut last = Value::Null;
    let found = eventually(&format!("the peer seeing {id} at {rect:?}"), secs, || {
        last = peer_pictures(peer, board)?
            .into_iter()
            .find(|p| p["id"] == json!(id))
            .unwrap_or(Value::Null);
        Ok(!last.is_null() && close(rect_of(&last)?, rect, 0.11))
    })
    .await;
    found.with_context(|| format!("the peer lists it as {last}"))?;
    Ok(last)
}

/// Clicks a button by its id, names the file in the GTK save dialog ("Export board") and waits
/// for the board's note to name the file saved.
async fn export(c: &Client, desk: &Desktop, made: &Made, button: &str, ext: &str) -> Result<PathBuf> {
    js(
        c,
        "document.getElementById('board-note').textContent = '';
         document.getElementById(arguments[0]).click(); return 1;",
        vec![json!(button)],
    )
    .await?;
    let target = made.home.join(format!("harbour export.{ext}"));
    desk.answer_dialog("Export board", &["ctrl+a"], &target.display().to_string(), 20)?;
    let mut note = String::new();
    for _ in 0..100 {
        note = js(
            c,
            "return document.getElementById('board-note').textContent;",
            vec![],
        )
        .await?
        .as_str()
        .unwrap_or_default()
        .to_string();
        if note.starts_with("Saved ") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let path = note
        .strip_prefix("Saved ")
        .map(PathBuf::from)
        .ok_or_else(|| anyhow!("the board's note says {note:?}, not where the {ext} export went"))?;
    if path != target {
        bail!(
            "the {ext} export went to {}, not {}",
            path.display(),
            target.display()
        );
    }
    Ok(path)
}

async fn steps(
    c: &Client,
    desk: &Desktop,
    peer: &Peer,
    made: &Made,
    board: &str,
    ticket: &str,
) -> Result<()> {
    c.set_window_size(1280, 800).await.ok();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("body[data-ready=\"true\"]"))
        .await?;
    find_text(c, "name-prompt", "call you", 20).await?;
    type_into(c, "name-prompt-input", "Alex").await?;
    click(c, "name-prompt-save").await?;
    let me = js(
        c,
        "return window.__TAURI__.core.invoke('me').then((m) => m.peer_id);",
        vec![],
    )
    .await?;
    if !me.as_str().is_some_and(|m| m.starts_with("12D3KooW")) {
        bail!("the window's peer id is {me}");
    }
    join(c, "tab-board", ticket, "Harbour board").await?;

    // 1. The peer places a picture: the window draws it whole where the peer put it.
    let boats = peer
        .cmd(&[
            "board",
            "picture",
            board,
            &made.boats.display().to_string(),
            "--at",
            "40,60",
        ])?
        .trim()
        .to_string();
    let s = shows(c, &boats, Some([40.0, 60.0, 480.0, 300.0]), 40).await?;
    for (fx, fy) in [(0.2, 0.3), (0.8, 0.15), (0.62, 0.45)] {
        looks_like(c, &s, [40.0, 60.0, 480.0, 300.0], &made.boats, fx, fy).await?;
    }
    eprintln!("board pictures: the peer's picture shows in the window");

    // 2. The Image button and the GTK open dialog: the picture reaches the peer, whole.
    click(c, "board-image").await?;
    desk.answer_dialog("Add pictures", &["ctrl+l"], &made.quay.display().to_string(), 20)?;
    let quay = at_peer(peer, board, "quay.png", 40).await?;
    let quay_id = quay["id"].as_str().unwrap_or_default().to_string();
    if quay["author"] != me || quay["dims"] != json!([600, 360]) {
        bail!("the peer's quay.png is not the window's 600×360 picture: {quay}");
    }
    let blob = quay["blob"].as_str().unwrap_or_default().to_string();
    let got = desk.tmp.path().join("quay-at-peer.png");
    peer.cmd(&["blob", "get", &blob, "--out", &got.display().to_string()])?;
    if std::fs::read(&got)? != std::fs::read(&made.quay)? {
        bail!("the picture the peer saved differs from the one added in the window");
    }
    let quay_rect = rect_of(&quay)?;
    shows(c, &quay_id, Some(quay_rect), 10).await?;
    eprintln!("board pictures: the dialog's picture reached the peer at {quay_rect:?}");

    // 3. A picture dropped on the board from another program (its bytes, as a page or a picture
    // viewer drops them): placed where it fell.
    let s = shown(c).await?;
    let (dx, dy) = s.screen(700.0, 80.0);
    let kite = data_encoding::BASE64.encode(&std::fs::read(&made.kite)?);
    let dropped = js(
        c,
        "const bytes = Uint8Array.from(atob(arguments[0]), (ch) => ch.charCodeAt(0));
         const dt = new DataTransfer();
         dt.items.add(new File([bytes], 'kite.png', { type: 'image/png' }));
         const canvas = document.querySelector('[data-testid=\"board-canvas\"]');
         const at = { bubbles: true, cancelable: true, clientX: arguments[1], clientY: arguments[2], dataTransfer: dt };
         canvas.dispatchEvent(new DragEvent('dragenter', at));
         const over = canvas.dispatchEvent(new DragEvent('dragover', at));
         const taken = !canvas.dispatchEvent(new DragEvent('drop', at));
         return [over, taken, dt.files.length];",
        vec![json!(kite), json!(dx), json!(dy)],
    )
    .await?;
    if dropped[1] != json!(true) || dropped[2] != json!(1) {
        bail!("the board did not take the dropped picture: [dragover passed, drop taken, files] = {dropped}");
    }
    let kite = at_peer(peer, board, "kite.png", 40).await?;
    let kite_id = kite["id"].as_str().unwrap_or_default().to_string();
    let (bx, by) = s.board(dx.round(), dy.round());
    let kite_rect = rect_of(&kite)?;
    if !close(kite_rect, [bx.round(), by.round(), 240.0, 160.0], 1.0) {
        bail!("the dropped picture sits at {kite_rect:?}, not where it fell ({bx:.1}, {by:.1})");
    }
    shows(c, &kite_id, Some(kite_rect), 10).await?;
    eprintln!("board pictures: the dropped picture reached the peer at {kite_rect:?}");

    // 4. The select tool: the window's picture dragged by its middle moves at the peer; dragged
    // by its bottom-right corner it grows with its proportions kept.
    click(c, "tool-select").await?;
    let s = shown(c).await?;
    let [qx, qy, qw, qh] = quay_rect;
    let from = s.screen(qx + qw / 2.0, qy + qh / 2.0);
    drag(c, from, (from.0 + 120.0, from.1 + 80.0)).await?;
    let moved = [qx + 120.0 / s.s, qy + 80.0 / s.s, qw, qh];
    let at = peer_sees_at(peer, board, &quay_id, moved, 20).await?;
    if at["moved_by"] != me {
        bail!("the peer does not say the window moved it: {at}");
    }
    let moved = rect_of(&at)?;
    let s = shows(c, &quay_id, Some(moved), 10).await?;
    let corner = s.screen(moved[0] + moved[2], moved[1] + moved[3]);
    drag(c, corner, (corner.0 + 90.0, corner.1 + 10.0)).await?;
    let grown_w = moved[2] + 90.0 / s.s;
    let grown = [moved[0], moved[1], grown_w, grown_w * moved[3] / moved[2]];
    let at = peer_sees_at(peer, board, &quay_id, grown, 20).await?;
    let grown = rect_of(&at)?;
    eprintln!("board pictures: moved and resized in the window, at the peer {grown:?}");

    // 5. The peer moves its own picture: the window redraws it there.
    peer.cmd(&["board", "move", board, &boats[..12], "--to", "60,420,320,200"])?;
    let s = shows(c, &boats, Some([60.0, 420.0, 320.0, 200.0]), 20).await?;
    looks_like(c, &s, [60.0, 420.0, 320.0, 200.0], &made.boats, 0.2, 0.3).await?;
    // A stroke over the pictures, drawn with the pen.
    click_id(c, "tool-pen").await?;
    let a = s.screen(120.0, 470.0);
    drag(c, a, (a.0 + 260.0, a.1 + 40.0)).await?;
    eventually("the stroke at the peer", 15, || {
        Ok(!peer.cmd(&["board", "list", board, "--json"])?.contains("[]"))
    })
    .await?;

    // 5b. Ctrl+V on the board pastes the picture on the X clipboard (read by Rust: WebKitGTK
    // gives the page none): it reaches the peer byte for byte.
    let ctrl_v = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: Key::Control.into(),
        })
        .then(KeyAction::Down { value: 'v' })
        .then(KeyAction::Up { value: 'v' })
        .then(KeyAction::Up {
            value: Key::Control.into(),
        });
    bounded("Ctrl+V", c.perform_actions(ctrl_v)).await??;
    let mut pasted = Value::Null;
    eventually("the peer holding the pasted picture", 40, || {
        pasted = peer_pictures(peer, board)?
            .into_iter()
            .find(|p| p["name"].as_str().is_some_and(|n| n.starts_with("pasted-")))
            .unwrap_or(Value::Null);
        Ok(pasted["held"] == json!(true))
    })
    .await?;
    let got = desk.tmp.path().join("gull-at-peer.png");
    let blob = pasted["blob"].as_str().unwrap_or_default();
    peer.cmd(&["blob", "get", blob, "--out", &got.display().to_string()])?;
    if std::fs::read(&got)? != std::fs::read(&made.gull)? || pasted["dims"] != json!([300, 200]) {
        bail!("the picture pasted on the board is not the one on the clipboard: {pasted}");
    }
    eprintln!(
        "board pictures: the pasted picture reached the peer at {:?}",
        rect_of(&pasted)?
    );

    // The desktop screenshot, the window's picture selected.
    click(c, "tool-select").await?;
    let s = shown(c).await?;
    let mid = s.screen(grown[0] + grown[2] / 2.0, grown[1] + grown[3] / 2.0);
    drag(c, mid, mid).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    shoot(c, "board-pictures-desktop").await?;

    // 6. Phone size: Fit zooms the board out to show every picture; the kite moved by touch.
    bounded("resizing to phone size", c.set_window_size(390, 844)).await??;
    tokio::time::sleep(Duration::from_millis(300)).await;
    click_id(c, "zoom-fit").await?;
    let mut s = shown(c).await?;
    for _ in 0..50 {
        if s.s < 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        s = shown(c).await?;
    }
    if s.s >= 1.0 {
        bail!("at phone size Fit does not zoom the board out to show the pictures: {s:?}");
    }
    let from = s.screen(
        kite_rect[0] + kite_rect[2] / 2.0,
        kite_rect[1] + kite_rect[3] / 2.0,
    );
    let to = (from.0 - 40.0, from.1 + 60.0);
    let touch = TouchActions::new("finger".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: from.0.round(),
            y: from.1.round(),
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(200)),
            x: to.0.round(),
            y: to.1.round(),
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    bounded("a touch drag", c.perform_actions(touch)).await??;
    let (ddx, ddy) = (
        (to.0.round() - from.0.round()) / s.s,
        (to.1.round() - from.1.round()) / s.s,
    );
    let want = [kite_rect[0] + ddx, kite_rect[1] + ddy, kite_rect[2], kite_rect[3]];
    peer_sees_at(peer, board, &kite_id, want, 20).await?;
    let kind = js(
        c,
        "return document.querySelector('[data-testid=\"board-canvas\"]').dataset.pointer;",
        vec![],
    )
    .await?;
    // WebKitWebDriver hands a touch source's actions to the page as a mouse's (WebKitGTK
    // synthesises mouse events for it): said here, so a change is seen.
    eprintln!("board pictures: at phone size the kite moved by a touch drag (the page saw pointer type {kind}) to {want:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    shoot(c, "board-pictures-phone").await?;

    // 7. Exports (at phone size, of the whole board): the SVG carries every picture (the
    // window's own byte for byte), the PNG draws them where they are on the board (the canvas
    // says which part of the board the PNG shows, and at what scale).
    let svg_path = export(c, desk, made, "export-svg", "svg").await?;
    let svg = std::fs::read_to_string(&svg_path)?;
    let images = svg.matches("<image ").count();
    if images != 4 || svg.matches("href=\"data:image/png;base64,").count() != 4 {
        bail!("the SVG export has {images} pictures in data URLs, not 4");
    }
    let quay_b64 = data_encoding::BASE64.encode(&std::fs::read(&made.quay)?);
    if !svg.contains(&format!("href=\"data:image/png;base64,{quay_b64}\"")) {
        bail!("the SVG export does not carry the whole quay.png");
    }
    let w = |v: f64| format!("{v}");
    let expect = format!(
        "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
        w(grown[0]),
        w(grown[1]),
        w(grown[2]),
        w(grown[3])
    );
    if !svg.contains(&expect) {
        bail!("the SVG export does not place quay.png where it is ({expect}…)");
    }
    let png_path = export(c, desk, made, "export-png", "png").await?;
    let png = image::open(&png_path)?.to_rgb8();
    let area = js(
        c,
        "return JSON.parse(document.querySelector('[data-testid=\"board-canvas\"]').dataset.export);",
        vec![],
    )
    .await?;
    let f = |k: &str| {
        area[k]
            .as_f64()
            .ok_or_else(|| anyhow!("the PNG's place on the board is {area}"))
    };
    let (ax, ay, k) = (f("x")?, f("y")?, f("s")?);
    for (fx, fy) in [(0.8, 0.15), (0.62, 0.45)] {
        let (bx, by) = (60.0 + 320.0 * fx, 420.0 + 200.0 * fy);
        let at = png.get_pixel(((bx - ax) * k) as u32, ((by - ay) * k) as u32).0;
        let want = colour_at(&made.boats, fx, fy)?;
        if !near(at, want, 24) {
            bail!("the PNG export shows {at:?} where boats.png has {want:?}");
        }
    }
    eprintln!(
        "board pictures: exported {} ({} bytes) and {}",
        svg_path.display(),
        svg.len(),
        png_path.display()
    );
    Ok(())
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
