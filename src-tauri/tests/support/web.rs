//! What the end-to-end tests share beyond the desktop: the headless `confab` peer, a WebDriver
//! session on the app, and bounded WebDriver steps by `data-testid`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{free_port, wait_until, Desktop};

pub fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_confab-app"))
        .parent()
        .expect("binary dir")
        .to_path_buf()
}

/// The headless peer's `confab` command on its data dir.
pub struct Peer {
    pub confab: PathBuf,
    pub dir: PathBuf,
    /// Where `confab run` listens.
    pub addr: String,
    /// Lines `confab run` printed after its first.
    pub printed: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Peer {
    /// The peer on data dir `dir`, not running yet.
    pub fn new(confab: PathBuf, dir: PathBuf) -> Peer {
        Peer {
            confab,
            dir,
            addr: String::new(),
            printed: Default::default(),
        }
    }

    pub fn cmd(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(&self.confab)
            .arg("--data")
            .arg(&self.dir)
            .args(args)
            .output()
            .with_context(|| format!("running {}", self.confab.display()))?;
        if !out.status.success() {
            bail!("confab {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Creates a space and returns (id, ticket).
    pub fn create(&self, kind: &str, name: &str) -> Result<(String, String)> {
        let out = self.cmd(&["space", "create", kind, name])?;
        let field = |k: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(k).map(|v| v.trim().to_string()))
                .ok_or_else(|| anyhow!("no {k} in {out}"))
        };
        let id = field("space:")?;
        Ok((
            id.clone(),
            self.cmd(&["space", "ticket", &id])?.trim().to_string(),
        ))
    }
}

impl Peer {
    /// Whether `confab run` printed that the peer holds `blob` whole.
    pub fn holds(&self, blob: &str) -> bool {
        let want = format!("file held {blob}");
        self.printed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|l| l.trim() == want)
    }
}

/// Like [`wait_until`], for the async steps: sleeps without holding the runtime thread, so the
/// overall timeout can fire.
pub async fn eventually(what: &str, secs: u64, mut f: impl FnMut() -> Result<bool>) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if f()? {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out after {secs} s waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One WebDriver call, given at most 20 s.
pub async fn bounded<T>(what: &str, f: impl std::future::Future<Output = T>) -> Result<T> {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .map_err(|_| anyhow!("{what} took over 20 s"))
}

/// Waits until an element with `data-testid` `testid` shows `text`. Asked in the page in one
/// script, so a list the UI re-renders meanwhile cannot hand back elements gone stale.
pub async fn find_text(c: &Client, testid: &str, text: &str, secs: u64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        // A script run while the page is still loading fails: that is "not yet".
        let found = c
            .execute(
                "return [...document.querySelectorAll(`[data-testid=\"${arguments[0]}\"]`)]\
                 .some(e => e.innerText.includes(arguments[1]));",
                vec![json!(testid), json!(text)],
            )
            .await;
        if matches!(found, Ok(v) if v.as_bool() == Some(true)) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("no {testid} with text {text:?} after {secs} s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs a script in the page, given at most 20 s (one call: nothing it touches can go stale
/// in between).
pub async fn js(c: &Client, script: &str, args: Vec<serde_json::Value>) -> Result<serde_json::Value> {
    bounded("a script", c.execute(script, args))
        .await?
        .map_err(|e| anyhow!("script failed: {e}"))
}

/// Clicks an element, found afresh if the page replaced it in between (see [`type_into`]).
pub async fn click(c: &Client, testid: &str) -> Result<()> {
    for attempt in 0..3 {
        let e = c
            .find(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
            .await
            .with_context(|| format!("finding {testid}"))?;
        match e.click().await {
            Ok(()) => return Ok(()),
            Err(err)
                if attempt < 2
                    && (err.to_string().contains("was not found") || err.to_string().contains("stale")) =>
            {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(err) => return Err(err).with_context(|| format!("clicking {testid}")),
        }
    }
    unreachable!("the last attempt returns")
}

/// Types into a field, found afresh if the page replaced it in between (a re-render under
/// load leaves WebDriver holding a node that is gone: "Node with identifier … was not found").
pub async fn type_into(c: &Client, testid: &str, text: &str) -> Result<()> {
    let mut last = None;
    for _ in 0..3 {
        let typed = async {
            let e = c
                .find(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
                .await?;
            e.clear().await?;
            e.send_keys(text).await
        };
        match typed.await {
            Ok(()) => return Ok(()),
            Err(e) if e.to_string().contains("was not found") || e.to_string().contains("stale") => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e).with_context(|| format!("typing into {testid}")),
        }
    }
    Err(anyhow::Error::from(last.expect("tried"))
        .context(format!("typing into {testid}: the field kept being replaced")))
}

pub async fn join(c: &Client, tab: &str, ticket: &str, name: &str) -> Result<()> {
    click(c, tab).await?;
    type_into(c, "space-join-ticket", ticket).await?;
    click(c, "space-join").await?;
    find_text(c, "space-item", name, 10).await?;
    // The list is drawn again as the joined space's first records arrive, so an item found a
    // moment ago may be gone by the time it is read or clicked: look again then.
    for attempt in 0..10 {
        match click_space_item(c, name).await {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(err)
                if attempt < 9
                    && (err.to_string().contains("was not found") || err.to_string().contains("stale")) => {}
            Err(err) => return Err(err).with_context(|| format!("opening the space {name}")),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("no space item named {name} could be clicked")
}

async fn click_space_item(c: &Client, name: &str) -> Result<bool> {
    for e in c.find_all(Locator::Css("[data-testid=\"space-item\"]")).await? {
        if e.text().await?.contains(name) {
            e.click().await?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// Waits until the picture `selector` in the page has loaded at `width` pixels wide (its
/// `naturalWidth`): a preview, or the whole picture.
pub async fn picture_width(c: &Client, selector: &str, width: u64, secs: u64) -> Result<()> {
    let mut last = serde_json::Value::Null;
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        last = js(
            c,
            "const i = document.querySelector(arguments[0]);
             return i ? [i.complete, i.naturalWidth, i.getAttribute('src')] : null;",
            vec![json!(selector)],
        )
        .await?;
        if last[1].as_u64() == Some(width) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    bail!("{selector} never showed {width} pixels wide; last [complete, naturalWidth, src]: {last}")
}

/// A screenshot once no passing message (a toast) covers the page.
pub async fn quiet_shot(c: &Client, name: &str) -> Result<()> {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#toast[hidden]"))
        .await
        .context("a toast that does not go")?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    shoot(c, name).await
}

pub async fn shoot(c: &Client, name: &str) -> Result<()> {
    let png = c.screenshot().await?;
    let dir = match std::env::var_os("CONFAB_SCREENSHOTS") {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join("confab-e2e-screenshots"),
    };
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("{name}.png")), png)?;
    Ok(())
}

/// A WebDriver session on the app (`CONFAB_APP_BIN`, or the one built beside the test),
/// started by WebKitWebDriver under tauri-driver with its data in `app_dir` and `env` added.
/// On a data dir with no identity yet the app asks how to begin: this chooses Start new, as a
/// person would on their first run (see [`open_session`] to stay on that screen).
pub async fn open_app(desk: &mut Desktop, app_dir: &Path, env: &[(&str, &str)]) -> Result<Client> {
    let fresh = !app_dir.join("identity.key").exists();
    let c = open_session(desk, app_dir, env).await?;
    if fresh {
        start_new(&c).await?;
    }
    Ok(c)
}

/// Waits for the first-run screen (the app's data dir has no identity) and returns once it
/// shows, nothing chosen.
pub async fn first_run_screen(c: &Client) -> Result<()> {
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(
            "#welcome:not([hidden]) [data-testid=\"welcome-new\"]",
        ))
        .await
        .context("the first-run screen never showed")?;
    Ok(())
}

/// On the first-run screen, Start new: a new account, then the app as usual.
pub async fn start_new(c: &Client) -> Result<()> {
    first_run_screen(c).await?;
    click(c, "welcome-new").await
}

/// A WebDriver session on the app as [`open_app`], but left wherever the app starts (the
/// first-run screen on a data dir with no identity).
pub async fn open_session(desk: &mut Desktop, app_dir: &Path, env: &[(&str, &str)]) -> Result<Client> {
    let app_bin = std::env::var("CONFAB_APP_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_confab-app").into());
    let port = free_port();
    let mut driver = desk.driver(port, app_dir);
    driver
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(desk.tmp.path().join("tauri-driver.log"))?);
    desk.procs.spawn("tauri-driver", &mut driver)?;
    wait_until("tauri-driver", 20, || {
        Ok(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok())
    })?;
    eprintln!("e2e: tauri-driver on {port}; the app is {app_bin}");
    let caps = json!({
        "wdio:enforceWebDriverClassic": true,
        "tauri:options": { "application": app_bin },
    });
    let connect = async {
        ClientBuilder::native()
            .capabilities(caps.as_object().expect("object").clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .map_err(|e| anyhow!("{e}"))
    };
    let session = tokio::time::timeout(Duration::from_secs(60), connect)
        .await
        .unwrap_or_else(|_| Err(anyhow!("no session after 60 s")));
    match session {
        Ok(c) => Ok(c),
        Err(e) => {
            let log = driver_log(desk);
            bail!("WebDriver session: {e}\ntauri-driver said:\n{log}");
        }
    }
}

/// What a peer's `confab run` logged.
pub fn peer_log(peer: &Peer) -> String {
    std::fs::read_to_string(peer.dir.with_extension("log")).unwrap_or_default()
}

/// What tauri-driver, WebKitWebDriver and the app wrote to stderr.
pub fn driver_log(desk: &Desktop) -> String {
    std::fs::read_to_string(desk.tmp.path().join("tauri-driver.log")).unwrap_or_default()
}

/// Starts `confab run` for a peer (127.0.0.1, mDNS off, `extra` flags) and collects what it
/// prints after its first listen address.
pub fn run_peer(desk: &mut Desktop, peer: &mut Peer, extra: &[&str]) -> Result<()> {
    use std::io::{BufRead, BufReader};
    let run = desk.procs.spawn(
        "confab run",
        Command::new(&peer.confab)
            .arg("--data")
            .arg(&peer.dir)
            .args([
                "run",
                "--no-mdns",
                "--no-dht",
                "--no-upnp",
                "--listen",
                "/ip4/127.0.0.1/tcp/0",
            ])
            .args(extra)
            .env("RUST_LOG", "info,confab_node=debug,confab_sync=debug")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(peer.dir.with_extension("log"))?),
    )?;
    let mut line = String::new();
    let mut out = BufReader::new(run.stdout.take().expect("piped"));
    out.read_line(&mut line)?;
    let printed = peer.printed.clone();
    std::thread::spawn(move || {
        for l in out.lines().map_while(Result::ok) {
            printed.lock().unwrap_or_else(|e| e.into_inner()).push(l);
        }
    });
    peer.addr = line
        .strip_prefix("listening ")
        .map(|a| a.trim().to_string())
        .ok_or_else(|| anyhow!("confab run printed {line:?}"))?;
    Ok(())
}

/// Runs a window test's steps within `secs`; on failure, a screenshot (`<name>-failure`) and
/// what tauri-driver, the app and the peer said; then closes the session either way.
pub async fn run_steps(
    c: &Client,
    desk: &Desktop,
    peer: &Peer,
    name: &str,
    secs: u64,
    steps: impl std::future::Future<Output = Result<()>>,
) -> Result<()> {
    let result = match tokio::time::timeout(Duration::from_secs(secs), steps).await {
        Ok(r) => r,
        Err(_) => Err(anyhow!("the {name} steps took over {secs} s")),
    };
    if let Err(e) = &result {
        eprintln!("{name}: failed: {e:#}");
        let _ = tokio::time::timeout(Duration::from_secs(10), shoot(c, &format!("{name}-failure"))).await;
        eprintln!("{name}: tauri-driver and app said:\n{}", driver_log(desk));
        eprintln!("{name}: the peer said:\n{}", peer_log(peer));
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), c.clone().close()).await;
    result
}

/// A picture with something to see: a gradient, a disc and stripes in `tint`.
pub fn picture(w: u32, h: u32, tint: [u8; 3]) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let (dx, dy) = (fx - 0.62, (fy - 0.45) * h as f32 / w as f32);
        if dx * dx + dy * dy < 0.03 {
            return image::Rgb([250, 220, 90]);
        }
        let wave = ((fx * 18.0 + fy * 4.0).sin() * 0.5 + 0.5) * (fy > 0.7) as u8 as f32;
        let mix = |c: u8, k: f32| ((c as f32) * (0.45 + 0.55 * k) + 30.0 * wave) as u8;
        image::Rgb([mix(tint[0], fy), mix(tint[1], 1.0 - fx), mix(tint[2], 1.0 - fy)])
    })
}
