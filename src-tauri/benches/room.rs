//! A room of a million messages in the real window: how long from the click on the room until
//! its newest message is on screen, how long a page further back takes to appear when the
//! reader scrolls to the top, and how much memory the app holds with that room open against
//! the same app with an empty room open.
//!
//! Run with `scripts/room-bench.sh` (release build). `CONFAB_ROOM_MESSAGES` sets the size
//! (1,000,000 unless set). The app runs under tauri-driver and WebKitWebDriver on Xvfb as in
//! the end-to-end test; times are taken inside the page (from the click to the frame in which
//! the message has a layout box), so WebDriver's own latency is not in them. Memory is the PSS
//! of the app and every WebKit process it started, 5 s after the room opened.

#[path = "common/proc.rs"]
mod proc;
#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use confab_core::{now_ms, Body, ChatBody, Hlc, Identity, Space};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use support::{free_port, wait_until, Desktop};

const INNER: &str = "CONFAB_ROOM_INNER";
const RUNS: usize = 7;

fn main() -> Result<()> {
    if std::env::var_os(INNER).is_none() {
        return support::rerun_in_pid_namespace(INNER, &[]);
    }
    let count: u64 = std::env::var("CONFAB_ROOM_MESSAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let app = PathBuf::from(env!("CARGO_BIN_EXE_confab-app"));
    let desk = Desktop::start()?;
    let data = desk.tmp.path().join("app");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (big, newest) = rt.block_on(fill(&data, count))?;
    eprintln!("room: {count} messages in {}", big.name);
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(900), measure(&desk, &app, &data, &newest))
            .await
            .map_err(|_| anyhow!("the measurements took over 15 minutes"))?
    })
}

/// A data dir with an empty room and a room of `count` messages; the id of the newest.
async fn fill(data: &Path, count: u64) -> Result<(Space, String)> {
    let client = confab_node::Client::open(data).await?;
    client.create_space("chat", "Empty").await?;
    let made = client.create_space("chat", "Big").await?;
    client.shutdown().await;
    drop(client);
    let store = confab_store::Store::open_dir(data)?;
    let big = store.resolve_space(&made.space.space).await?;
    let who = Identity::generate();
    let t0 = now_ms() - 10 * count - 60_000;
    let started = Instant::now();
    let mut newest = String::new();
    let mut from = 0;
    while from < count {
        let to = (from + 20_000).min(count);
        let recs = seal(&big, &who, from..to, t0);
        newest = recs.last().map(|v| v.id.to_string()).unwrap_or_default();
        for c in recs.chunks(5000) {
            let r = store.insert(c.to_vec(), confab_store::Origin::Sync).await?;
            if !r.refused.is_empty() {
                bail!("refused: {:?}", r.refused[0]);
            }
        }
        from = to;
    }
    eprintln!("room: stored in {:.0} s", started.elapsed().as_secs_f64());
    // Read up to its end, as a room one comes back to (an unread room opens at the first
    // unread message instead).
    store.mark_read(big.id, Hlc::new(t0 + count * 10, 0).0).await?;
    Ok((big, newest))
}

fn seal(space: &Space, who: &Identity, range: std::ops::Range<u64>, t0: u64) -> Vec<confab_core::Verified> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(1);
    let chunk = (range.end - range.start).div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let a = range.start + t * chunk;
                let b = (a + chunk).min(range.end);
                s.spawn(move || {
                    (a..b)
                        .map(|i| {
                            let body = Body::Chat(ChatBody {
                                files: Vec::new(),
                                text: format!("message {i} of a long history"),
                                mentions: vec![],
                            });
                            space
                                .seal_verified(
                                    who.signing_key(),
                                    &body,
                                    Hlc::new(t0 + i * 10, 0),
                                    None,
                                    vec![],
                                )
                                .expect("seal")
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().expect("sealer")).collect()
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::MIN, f64::max)
}

/// Clicks the room named `name` and returns the ms until `.msg[data-id=newest]` has a box
/// (any message if `newest` is empty; for the empty room, the room's title).
async fn open(c: &Client, name: &str, newest: &str) -> Result<f64> {
    let v = c
        .execute_async(
            "const [name, newest, done] = arguments;
             const item = [...document.querySelectorAll('[data-testid=\"space-item\"]')]
               .find((e) => e.innerText.includes(name));
             if (!item) { done(-1); return; }
             const t0 = performance.now();
             item.click();
             const seen = () => {
               if (newest) {
                 const m = document.querySelector(`.msg[data-id=\"${newest}\"]`);
                 return m && m.getBoundingClientRect().height > 0;
               }
               return document.getElementById('space-name').textContent.includes(name);
             };
             const check = () => {
               if (seen()) done(performance.now() - t0);
               else if (performance.now() - t0 > 20000) done(-2);
               else requestAnimationFrame(check);
             };
             requestAnimationFrame(check);",
            vec![json!(name), json!(newest)],
        )
        .await?;
    let ms = v.as_f64().unwrap_or(-3.0);
    if ms < 0.0 {
        bail!("opening {name} failed ({v})");
    }
    Ok(ms)
}

/// Scrolls the open room to its top and returns the ms until an older page is in it.
async fn page_back(c: &Client) -> Result<f64> {
    let v = c
        .execute_async(
            "const [done] = arguments;
             const l = document.getElementById('messages');
             const first = l.querySelector('.msg')?.dataset.id;
             const t0 = performance.now();
             l.scrollTop = 0;
             const check = () => {
               const f = l.querySelector('.msg')?.dataset.id;
               if (f && f !== first) {
                 const m = l.querySelector('.msg');
                 if (m.getBoundingClientRect().height > 0) { done(performance.now() - t0); return; }
               }
               if (performance.now() - t0 > 20000) {
                 done(JSON.stringify([l.scrollTop, l.scrollHeight, l.clientHeight,
                   l.querySelectorAll('.msg').length, l.querySelector('.msg')?.innerText.slice(0, 40)]));
               } else requestAnimationFrame(check);
             };
             requestAnimationFrame(check);",
            vec![],
        )
        .await?;
    let ms = v.as_f64().unwrap_or(-3.0);
    if ms < 0.0 {
        bail!("no older page appeared ({v})");
    }
    Ok(ms)
}

async fn settle_and_weigh(app: &Path) -> Result<f64> {
    tokio::time::sleep(Duration::from_secs(5)).await;
    let pid = proc::pid_of(app).ok_or_else(|| anyhow!("no process runs {}", app.display()))?;
    Ok(proc::family(pid).iter().map(|p| proc::pss_kib(*p)).sum::<u64>() as f64 / 1024.0)
}

async fn measure(desk: &Desktop, app: &Path, data: &Path, newest: &str) -> Result<()> {
    let port = free_port();
    let mut driver = desk.driver(port, data);
    driver
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
    // Skip the first-run name prompt.
    let _: Value = c
        .execute(
            "document.getElementById('name-prompt-skip')?.click(); return 0;",
            vec![],
        )
        .await?;

    let mut empty_mib = Vec::new();
    let mut big_mib = Vec::new();
    let mut opens = Vec::new();
    let mut backs = Vec::new();
    for run in 0..RUNS {
        open(&c, "Empty", "").await?;
        empty_mib.push(settle_and_weigh(app).await?);
        let ms = open(&c, "Big", newest).await?;
        opens.push(ms);
        big_mib.push(settle_and_weigh(app).await?);
        for _ in 0..3 {
            backs.push(page_back(&c).await?);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        eprintln!(
            "room: run {run}: newest on screen {ms:.0} ms; memory {:.1} MiB (empty room {:.1} MiB)",
            big_mib[run], empty_mib[run]
        );
    }
    let shown = c
        .execute("return document.querySelectorAll('.msg').length;", vec![])
        .await?;
    let _ = tokio::time::timeout(Duration::from_secs(10), c.close()).await;
    drop(procs);
    println!("\nroom of a long history, {RUNS} runs (release build, real window)");
    println!(
        "click -> newest message on screen: median {:.0} ms, max {:.0} ms (target <= 100 ms)",
        median(&mut opens.clone()),
        max(&opens)
    );
    println!(
        "scroll to top -> older page on screen: median {:.0} ms, max {:.0} ms (target <= 50 ms)",
        median(&mut backs.clone()),
        max(&backs)
    );
    let (e, b) = (median(&mut empty_mib), median(&mut big_mib));
    println!(
        "memory (PSS, app + WebKit): big room open {b:.1} MiB, empty room open {e:.1} MiB: {:+.1} MiB (target within 50 MiB)",
        b - e
    );
    println!("message elements in the page at the end: {shown}");
    Ok(())
}
