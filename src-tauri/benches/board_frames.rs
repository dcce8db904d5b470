//! Whiteboards of 1,000 and 10,000 objects in the real window: how long a board takes to open
//! (from the click on it, and from the board view's start, to the end of the first frame that
//! shows it) and how fast it pans and zooms (the intervals between `requestAnimationFrame`
//! callbacks while the view moves one step per frame, and the time each frame's drawing
//! took).
//!
//! Run with `scripts/board-bench.sh` (release build; it runs this twice, with WebKitGTK's
//! default renderer and with `WEBKIT_DISABLE_DMABUF_RENDERER=1`, which the app inherits). The
//! boards are written straight into the app's store before the app starts (sealed records of
//! another member, as a sync would bring them): rectangles, ellipses, sticky notes with text,
//! text, lines, arrows and strokes on a 100-wide grid, 150 units apart. The app runs under tauri-driver and WebKitWebDriver on Xvfb
//! as in the window tests; the times are taken inside the page, so WebDriver's latency is not
//! in them.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use confab_core::{now_ms, Body, Color, Hlc, Identity, ShapeBody, ShapeKind, Space, StrokeBody};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use support::{free_port, wait_until, Desktop};

const INNER: &str = "CONFAB_BOARD_BENCH_INNER";
const RUNS: usize = 5;
const FRAMES: usize = 180;

fn main() -> Result<()> {
    if std::env::var_os(INNER).is_none() {
        return support::rerun_in_pid_namespace(INNER, &[]);
    }
    let app = std::path::PathBuf::from(env!("CARGO_BIN_EXE_confab-app"));
    let desk = Desktop::start()?;
    let data = desk.tmp.path().join("app");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(fill(&data))?;
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(900), measure(&desk, &app, &data))
            .await
            .map_err(|_| anyhow!("the measurements took over 15 minutes"))?
    })
}

/// The `i`th object of a board: kinds in turn, on a 100-wide grid.
fn object(i: u64) -> Body {
    let (col, row) = ((i % 100) as f32, (i / 100) as f32);
    let (x, y) = (col * 150.0, row * 150.0);
    let hue = [
        Color([0x1f, 0x6f, 0xeb]),
        Color([0xc6, 0x28, 0x28]),
        Color([0x2e, 0x7d, 0x32]),
        Color([0x1e, 0x1e, 0x1e]),
    ][(i % 4) as usize];
    let shape = |kind, size: (f32, f32), text: &str, fill| {
        Body::Shape(ShapeBody {
            kind,
            pos: (x, y),
            size,
            text: text.into(),
            color: hue,
            fill,
            width: 2.0,
            font: 16.0,
        })
    };
    match i % 7 {
        0 => shape(ShapeKind::Rect, (120.0, 80.0), "", None),
        1 => shape(
            ShapeKind::Ellipse,
            (120.0, 80.0),
            "",
            Some(Color([0xe8, 0xf0, 0xfe])),
        ),
        2 => shape(
            ShapeKind::Note,
            (120.0, 120.0),
            &format!("Note {i}: things to do this week"),
            Some(Color([0xff, 0xf1, 0x76])),
        ),
        3 => shape(ShapeKind::Text, (120.0, 20.0), &format!("Label {i}"), None),
        4 => shape(ShapeKind::Arrow, (110.0, 60.0), "", None),
        5 => shape(ShapeKind::Line, (110.0, -40.0), "", None),
        _ => Body::Stroke(StrokeBody {
            points: (0..40)
                .map(|k| {
                    let t = k as f32 / 39.0;
                    (x + t * 120.0, y + 40.0 + (t * 12.0).sin() * 25.0)
                })
                .collect(),
            color: hue,
            width: 3.0,
        }),
    }
}

/// Two boards in the app's data dir, written by another member: "1k" and "10k".
async fn fill(data: &Path) -> Result<()> {
    let client = confab_node::Client::open(data).await?;
    let small = client.create_space("board", "1k").await?;
    let big = client.create_space("board", "10k").await?;
    client.shutdown().await;
    drop(client);
    let store = confab_store::Store::open_dir(data)?;
    let who = Identity::generate();
    let mut ids = Vec::new();
    for (made, count) in [(small, 1_000u64), (big, 10_000u64)] {
        let space = store.resolve_space(&made.space.space).await?;
        ids.push((space.name.clone(), space.id));
        let t0 = now_ms() - count - 60_000;
        let recs = seal(&space, &who, count, t0);
        for c in recs.chunks(5000) {
            let r = store.insert(c.to_vec(), confab_store::Origin::Sync).await?;
            if !r.refused.is_empty() {
                bail!("refused: {:?}", r.refused[0]);
            }
        }
        eprintln!("board bench: {count} objects on {}", space.name);
    }
    // Where the engine's time goes: merging the records into the board, then describing
    // each object.
    let me = confab_core::Identity::generate().author();
    for (name, id) in &ids {
        let t = std::time::Instant::now();
        let board = store.board(*id, None).await?;
        let merged = t.elapsed();
        let objects = board.objects();
        let sorted = t.elapsed();
        let views: Vec<_> = objects
            .iter()
            .map(|o| confab_node::view::ObjectView::of(o, &me))
            .collect();
        println!(
            "engine: {name}: records merged into the board {:.0} ms, objects sorted {:.0} ms, {} described {:.0} ms",
            merged.as_secs_f64() * 1000.0,
            (sorted - merged).as_secs_f64() * 1000.0,
            views.len(),
            (t.elapsed() - sorted).as_secs_f64() * 1000.0
        );
    }
    drop(store);
    // What the engine alone takes to list them, and their JSON, in this process.
    let client = confab_node::Client::open(data).await?;
    for name in ["1k", "10k"] {
        let space = client
            .spaces(Some("board"))
            .await?
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| anyhow!("no board {name}"))?;
        for _ in 0..3 {
            let t = std::time::Instant::now();
            let list = client.board_objects(&space.space, None, false).await?;
            let listed = t.elapsed();
            let json = serde_json::to_string(&list)?;
            println!(
                "engine: {name}: board_objects {:.0} ms, JSON {:.0} ms, {:.1} MB",
                listed.as_secs_f64() * 1000.0,
                (t.elapsed() - listed).as_secs_f64() * 1000.0,
                json.len() as f64 / 1e6
            );
        }
    }
    client.shutdown().await;
    Ok(())
}

fn seal(space: &Space, who: &Identity, count: u64, t0: u64) -> Vec<confab_core::Verified> {
    (0..count)
        .map(|i| {
            space
                .seal_verified(who.signing_key(), &object(i), Hlc::new(t0 + i, 0), None, vec![])
                .expect("seal")
        })
        .collect()
}

/// Clicks the board named `name` and waits until it has drawn `count` objects' board: the ms
/// from the click to the end of that first frame, and the board view's own figure (from its
/// start to the same frame: `lastLoad`).
async fn open(c: &Client, name: &str, count: u64) -> Result<(f64, Value)> {
    let v = c
        .execute_async(
            "const [name, count, done] = arguments;
             const item = [...document.querySelectorAll('[data-testid=\"space-item\"]')]
               .find((e) => e.innerText.trim().startsWith(name));
             if (!item) { done(-1); return; }
             const t0 = performance.now();
             const wall = Date.now();
             item.click();
             const check = () => {
               const l = window.__board.lastLoad;
               if (l && l.objects === count && l.at >= wall) {
                 requestAnimationFrame(() => done([performance.now() - t0, l]));
               } else if (performance.now() - t0 > 20000) done(-2);
               else requestAnimationFrame(check);
             };
             requestAnimationFrame(check);",
            vec![json!(name), json!(count)],
        )
        .await?;
    let ms = v[0]
        .as_f64()
        .ok_or_else(|| anyhow!("opening {name} failed ({v})"))?;
    Ok((ms, v[1].clone()))
}

struct Frames {
    mean: f64,
    p95: f64,
    fps: f64,
    draw_mean: f64,
    draw_p95: f64,
    visible: f64,
}

fn frames(v: &Value) -> Result<Frames> {
    let list = v.as_array().ok_or_else(|| anyhow!("no frames: {v}"))?;
    if list.len() < 10 {
        bail!("only {} frames: {v}", list.len());
    }
    let mut iv: Vec<f64> = list.iter().filter_map(|f| f["interval"].as_f64()).collect();
    let mut dr: Vec<f64> = list.iter().filter_map(|f| f["draw"].as_f64()).collect();
    let visible = list.iter().filter_map(|f| f["visible"].as_f64()).sum::<f64>() / list.len() as f64;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let p95 = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[(v.len() * 95 / 100).min(v.len() - 1)]
    };
    let m = mean(&iv);
    Ok(Frames {
        mean: m,
        p95: p95(&mut iv),
        fps: 1000.0 / m,
        draw_mean: mean(&dr),
        draw_p95: p95(&mut dr),
        visible,
    })
}

/// Pans or zooms the open board from `view` for FRAMES frames and returns the timings.
async fn animate(c: &Client, view: Value, kind: &str) -> Result<Frames> {
    c.execute("window.__board.setView(arguments[0]); return 1;", vec![view])
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.execute(
        "window.__anim = null;
         window.__board.animate(arguments[0], arguments[1]).then((r) => { window.__anim = r; }, (e) => { window.__anim = String(e); });
         return 1;",
        vec![json!(kind), json!(FRAMES)],
    )
    .await?;
    let mut v = Value::Null;
    for _ in 0..300 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        v = c.execute("return window.__anim;", vec![]).await?;
        if !v.is_null() {
            break;
        }
    }
    if v.is_null() {
        let state = c
            .execute(
                "return [window.__board.frames().length, window.__board.view];",
                vec![],
            )
            .await?;
        bail!("the {kind} never finished: {state}");
    }
    frames(&v)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn measure(desk: &Desktop, app: &Path, data: &Path) -> Result<()> {
    let port = free_port();
    let mut driver = desk.driver(port, data);
    // The app's own choice of renderer is what is measured.
    driver
        .env_remove("CONFAB_KEEP_RENDERER")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut procs = support::Procs(Vec::new());
    procs.spawn("tauri-driver", &mut driver)?;
    wait_until("tauri-driver", 20, || {
        Ok(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok())
    })?;
    let caps = json!({
        "wdio:enforceWebDriverClassic": true,
        "tauri:options": { "application": app },
    });
    let c = ClientBuilder::native()
        .capabilities(caps.as_object().expect("object").clone())
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .map_err(|e| anyhow!("WebDriver session: {e}"))?;
    c.set_window_size(1280, 800).await.ok();
    c.wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("body[data-ready=\"true\"]"))
        .await
        .context("the window never became ready")?;
    c.execute(
        "document.getElementById('name-prompt-skip')?.click();
         document.querySelector('[data-testid=\"tab-board\"]').click(); return 0;",
        vec![],
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rate = c
        .execute_async(
            "const [done] = arguments; let n = 0; const t0 = performance.now();
             const f = () => { n++; if (performance.now() - t0 < 1000) requestAnimationFrame(f); else done([n, document.visibilityState, document.hasFocus()]); };
             requestAnimationFrame(f);",
            vec![],
        )
        .await?;
    eprintln!("board bench: animation frames in 1 s, visibility, focus: {rate}");

    // With CONFAB_BOARD_PROBE set: only how many frames a second the window makes while idle,
    // clearing the canvas, changing a text, changing an attribute, moving the board's view.
    if std::env::var_os("CONFAB_BOARD_PROBE").is_some() {
        open(&c, "10k", 10_000).await?;
        let v = c
            .execute_async(
                "const [done] = arguments;
                 const out = {};
                 const rate = (label, work, then) => {
                   let n = 0; const t0 = performance.now();
                   const f = () => { work(n); n++; if (performance.now() - t0 < 1500) requestAnimationFrame(f); else { out[label] = n / 1.5; then(); } };
                   requestAnimationFrame(f);
                 };
                 const c = document.querySelector('[data-testid=\"board-canvas\"]');
                 const ctx = c.getContext('2d');
                 const z = document.getElementById('zoom-level');
                 rate('idle', () => {}, () =>
                 rate('canvas fill', (n) => { ctx.fillStyle = n % 2 ? '#fff' : '#eee'; ctx.fillRect(0, 0, c.width, c.height); }, () =>
                 rate('text', (n) => { z.textContent = String(n); }, () =>
                 rate('dataset', (n) => { c.dataset.view = String(n); }, () =>
                 rate('view', (n) => { const v = window.__board.view; window.__board.setView({ s: v.s, ox: v.ox + (n % 2 ? 1 : -1), oy: v.oy }); }, () => done(out))))));",
                vec![],
            )
            .await?;
        println!("probe: {v}");
        return Ok(());
    }

    let mut report = Vec::new();
    for (name, count) in [("1k", 1_000u64), ("10k", 10_000u64)] {
        let other = if name == "1k" {
            ("10k", 10_000)
        } else {
            ("1k", 1_000)
        };
        let mut clicks = Vec::new();
        let mut shows = Vec::new();
        let mut fetches = Vec::new();
        for run in 0..RUNS {
            open(&c, other.0, other.1).await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let (ms, load) = open(&c, name, count).await?;
            let show = load["ms"].as_f64().unwrap_or(f64::NAN);
            eprintln!("board bench: {name} run {run}: click -> drawn {ms:.0} ms, view start -> drawn {show:.0} ms ({load})");
            clicks.push(ms);
            shows.push(show);
            fetches.push(load["fetch"].as_f64().unwrap_or(f64::NAN));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        // At 100 %, over the dense part of the board; zoomed out to a quarter; the whole board.
        let at = |s: f64| json!({"s": s, "ox": 300.0, "oy": 300.0});
        let pan1 = animate(&c, at(1.0), "pan").await?;
        let zoom1 = animate(&c, at(1.0), "zoom").await?;
        let pan4 = animate(&c, at(0.25), "pan").await?;
        let whole = c
            .execute(
                "document.getElementById('zoom-fit').click(); return window.__board.view;",
                vec![],
            )
            .await?;
        let panw = animate(&c, whole, "pan").await?;
        report.push((name, count, clicks, shows, fetches, [pan1, zoom1, pan4, panw]));
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), c.close()).await;
    drop(procs);

    let renderer = match std::env::var("WEBKIT_DISABLE_DMABUF_RENDERER") {
        Ok(v) if v != "0" => "WebKitGTK's shared-memory renderer (WEBKIT_DISABLE_DMABUF_RENDERER=1)",
        _ => "WebKitGTK's default renderer",
    };
    println!("\nwhiteboard objects, {RUNS} opens each, {FRAMES} frames per motion (real window, 1280x800, {renderer})");
    for (name, count, mut clicks, mut shows, mut fetches, motions) in report {
        println!(
            "{name} ({count} objects): open: click -> first frame median {:.0} ms (max {:.0}); board view start -> first frame median {:.0} ms (max {:.0}); of which board_objects {:.0} ms",
            median(&mut clicks.clone()),
            clicks.iter().copied().fold(0.0, f64::max),
            median(&mut shows.clone()),
            shows.iter().copied().fold(0.0, f64::max),
            median(&mut fetches),
        );
        clicks.clear();
        shows.clear();
        for (label, f) in [
            "pan at 100%",
            "zoom 100% <-> 40%/250%",
            "pan at 25%",
            "pan, whole board in view",
        ]
        .iter()
        .zip(motions)
        {
            println!(
                "  {label}: frame interval mean {:.1} ms, p95 {:.1} ms, {:.0} frames/s; drawing mean {:.1} ms, p95 {:.1} ms; {:.0} objects in view",
                f.mean, f.p95, f.fps, f.draw_mean, f.draw_p95, f.visible
            );
        }
    }
    Ok(())
}
