//! Footprint of the app next to a bare Tauri window, measured the same way: start-up time to
//! an interactive window, and idle memory (PSS of the app and every WebKit process it started).
//!
//! Run with `scripts/footprint.sh` (it builds the bare window example first). Each program is
//! started RUNS times by WebKitWebDriver under tauri-driver on Xvfb, exactly as in the
//! end-to-end test. Start-up is from asking for the WebDriver session (which launches the
//! program) until `body[data-ready="true"]` exists — for Confab that is after its UI loaded
//! the space lists from the node; for the bare window, after its one-line page ran its script.
//! Memory is read IDLE seconds later from /proc/<pid>/smaps_rollup.

#[path = "common/proc.rs"]
mod proc;
#[path = "../tests/support/mod.rs"]
mod support;

use proc::{family, pid_of, pss_kib};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use support::{free_port, wait_until, Desktop};

const RUNS: usize = 5;
const IDLE: Duration = Duration::from_secs(10);
const INNER: &str = "CONFAB_FOOTPRINT_INNER";

fn main() -> Result<()> {
    if std::env::var_os(INNER).is_none() {
        return support::rerun_in_pid_namespace(INNER, &[]);
    }
    let release = Path::new(env!("CARGO_BIN_EXE_confab-app"))
        .parent()
        .expect("binary dir")
        .to_path_buf();
    let bare = release.join("examples").join("bare_window");
    if !bare.exists() {
        bail!(
            "{} is missing: run scripts/footprint.sh (it builds the example first)",
            bare.display()
        );
    }
    let app = PathBuf::from(env!("CARGO_BIN_EXE_confab-app"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let desk = Desktop::start()?;
    let mut rows = Vec::new();
    for (name, bin) in [("bare Tauri window", &bare), ("Confab", &app)] {
        let mut starts = Vec::new();
        let mut pss = Vec::new();
        for run in 0..RUNS {
            let (s, m) = rt
                .block_on(async {
                    tokio::time::timeout(Duration::from_secs(60), measure(&desk, bin, run)).await
                })
                .map_err(|_| anyhow!("{name}: a run took over 60 s"))??;
            eprintln!(
                "footprint: {name} run {run}: start-up {s} ms, idle PSS {:.1} MiB",
                m as f64 / 1024.0
            );
            starts.push(s);
            pss.push(m);
        }
        rows.push((name, median(&mut starts), median(&mut pss)));
    }
    let (_, bare_start, bare_pss) = rows[0];
    println!(
        "\nfootprint (median of {RUNS} runs, idle PSS read {} s after ready)",
        IDLE.as_secs()
    );
    println!("{:<20} {:>14} {:>16}", "", "start-up (ms)", "idle PSS (MiB)");
    for (name, s, m) in &rows {
        println!(
            "{:<20} {:>14} {:>16.1}   ×{:.2} start-up, ×{:.2} memory",
            name,
            s,
            *m as f64 / 1024.0,
            *s as f64 / bare_start as f64,
            *m as f64 / bare_pss as f64
        );
    }
    Ok(())
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// One launch: returns (ms to interactive, idle PSS in KiB).
async fn measure(desk: &Desktop, bin: &Path, run: usize) -> Result<(u64, u64)> {
    let port = free_port();
    let data = desk.tmp.path().join(format!(
        "data-{}-{run}",
        bin.file_name().unwrap().to_string_lossy()
    ));
    if bin.file_name().is_some_and(|n| n == "confab-app") {
        // Measured as it starts every day: with its identity made (on an empty data dir it
        // would wait on the first-run screen for its person to choose how to begin).
        confab_node::Client::open(&data).await?.shutdown().await;
    }
    let mut driver = desk.driver(port, &data);
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
        "tauri:options": { "application": bin },
    });
    let t0 = Instant::now();
    let c = ClientBuilder::native()
        .capabilities(caps.as_object().expect("object").clone())
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .map_err(|e| anyhow!("WebDriver session: {e}"))?;
    c.wait()
        .at_most(Duration::from_secs(60))
        .every(Duration::from_millis(5))
        .for_element(Locator::Css("body[data-ready=\"true\"]"))
        .await
        .context("the window never became ready")?;
    let start_ms = t0.elapsed().as_millis() as u64;
    tokio::time::sleep(IDLE).await;
    let pid = pid_of(bin).ok_or_else(|| anyhow!("no process runs {}", bin.display()))?;
    let kib: u64 = family(pid).iter().map(|p| pss_kib(*p)).sum();
    let _ = tokio::time::timeout(Duration::from_secs(10), c.close()).await;
    drop(procs);
    Ok((start_ms, kib))
}
