//! What the end-to-end test and the footprint benchmark share: a display (Xvfb), a private
//! session bus with a notification daemon (dunst), the X clipboard (xclip) and native dialogs
//! answered from the keyboard (xdotool), processes that are stopped with their whole process
//! group, and running in a fresh PID namespace so that nothing outlives the run.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;

/// Processes started for the test, stopped (whole process groups) when it ends, pass or fail.
pub struct Procs(pub Vec<(String, Child)>);

impl Procs {
    pub fn spawn(&mut self, name: &str, cmd: &mut Command) -> Result<&mut Child> {
        let child = cmd
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {name} (installed by scripts/setup.sh?)"))?;
        self.0.push((name.to_string(), child));
        Ok(&mut self.0.last_mut().expect("just pushed").1)
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for (_, c) in self.0.iter_mut().rev() {
            // Each was started as the leader of its own process group: signal the whole group.
            let group = -(c.id() as libc::pid_t);
            // SAFETY: kill(2) with a process-group id and a signal number has no memory effects.
            unsafe { libc::kill(group, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            // SAFETY: as above.
            unsafe { libc::kill(group, libc::SIGKILL) };
            let _ = c.wait();
        }
    }
}

pub fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> Result<bool>) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if f()? {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out after {secs} s waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub struct Desktop {
    pub tmp: tempfile::TempDir,
    pub procs: Procs,
    pub env: Vec<(String, String)>,
}

impl Desktop {
    /// Xvfb, a private session bus with dunst on it.
    pub fn start() -> Result<Self> {
        let tmp = tempfile::tempdir()?;
        let mut procs = Procs(Vec::new());
        let display = (100..200)
            .find(|n| !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists())
            .ok_or_else(|| anyhow!("no free X display number"))?;
        procs.spawn(
            "Xvfb",
            Command::new("Xvfb")
                .arg(format!(":{display}"))
                .args(["-screen", "0", "1280x1000x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )?;
        wait_until("Xvfb", 20, || {
            Ok(Path::new(&format!("/tmp/.X11-unix/X{display}")).exists())
        })?;

        let bus = procs.spawn(
            "dbus-daemon",
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )?;
        let mut line = String::new();
        BufReader::new(bus.stdout.take().expect("piped")).read_line(&mut line)?;
        let bus_addr = line.trim().to_string();
        if bus_addr.is_empty() {
            bail!("dbus-daemon printed no address");
        }
        let env = vec![
            ("DISPLAY".to_string(), format!(":{display}")),
            ("DBUS_SESSION_BUS_ADDRESS".to_string(), bus_addr),
            ("HOME".to_string(), tmp.path().display().to_string()),
            ("XDG_RUNTIME_DIR".to_string(), tmp.path().display().to_string()),
            ("NO_AT_BRIDGE".to_string(), "1".to_string()),
        ];
        // Notifications leave the screen after a second, into dunst's history, where the test
        // reads them.
        let dunstrc = tmp.path().join("dunstrc");
        std::fs::write(
            &dunstrc,
            "[global]\n    monitor = 0\n[urgency_low]\n    timeout = 1\n[urgency_normal]\n    timeout = 1\n\
             [urgency_critical]\n    timeout = 1\n",
        )?;
        procs.spawn(
            "dunst",
            Command::new("dunst")
                .arg("-config")
                .arg(&dunstrc)
                .envs(env.iter().cloned())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )?;
        let d = Desktop { tmp, procs, env };
        wait_until("dunst to own org.freedesktop.Notifications", 20, || {
            let out = d
                .command("dbus-send")
                .args([
                    "--session",
                    "--dest=org.freedesktop.DBus",
                    "--type=method_call",
                    "--print-reply",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.Notifications",
                ])
                .output()?;
            Ok(String::from_utf8_lossy(&out.stdout).contains("boolean true"))
        })?;
        Ok(d)
    }

    /// tauri-driver on `port`, for an app with its data in `data`, listening on 127.0.0.1
    /// with mDNS off.
    pub fn driver(&self, port: u16, data: &Path) -> Command {
        let mut c = self.command("tauri-driver");
        c.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &free_port().to_string(),
        ])
        .env("CONFAB_DATA_DIR", data)
        .env("CONFAB_MDNS", "0")
        .env("CONFAB_DHT", "0")
        .env("CONFAB_UPNP", "0")
        .env("CONFAB_LISTEN", "/ip4/127.0.0.1/tcp/0")
        // The app's own renderer choice on a machine without a GPU hangs WebDriver's
        // screenshots (see src-tauri/src/main.rs); the frame bench removes this.
        .env("CONFAB_KEEP_RENDERER", "1");
        c
    }

    /// Puts a file on the X clipboard as `mime`, as copying it in another program would:
    /// `xclip` owns the selection (in the foreground, stopped with the test) until the end.
    pub fn put_on_clipboard(&mut self, mime: &str, file: &Path) -> Result<()> {
        let mut xclip = self.command("xclip");
        xclip
            .args(["-quiet", "-selection", "clipboard", "-t", mime, "-i"])
            .arg(file)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.procs.spawn("xclip", &mut xclip)?;
        wait_until("xclip to own the clipboard", 10, || {
            let out = self
                .command("xclip")
                .args(["-o", "-selection", "clipboard", "-t", "TARGETS"])
                .output()?;
            Ok(String::from_utf8_lossy(&out.stdout).contains(mime))
        })
    }

    /// Answers a native (GTK) dialog titled `title` the way a person at the keyboard would:
    /// waits for its window, gives it the focus, presses `keys` (xdotool names, e.g.
    /// `ctrl+a`), types `text` and presses Return. Returns the dialog's window id.
    pub fn answer_dialog(&self, title: &str, keys: &[&str], text: &str, secs: u64) -> Result<String> {
        let win = self.focus_dialog(title, secs)?;
        for k in keys {
            self.xdotool(&["key", "--clearmodifiers", k])?;
        }
        self.xdotool(&["type", "--delay", "15", text])?;
        std::thread::sleep(Duration::from_millis(200));
        self.xdotool(&["key", "--clearmodifiers", "Return"])?;
        Ok(win)
    }

    /// Closes a native dialog titled `title` with Escape, as a person changing their mind.
    pub fn dismiss_dialog(&self, title: &str, secs: u64) -> Result<()> {
        self.focus_dialog(title, secs)?;
        self.xdotool(&["key", "--clearmodifiers", "Escape"])
    }

    fn xdotool(&self, args: &[&str]) -> Result<()> {
        let out = self.command("xdotool").args(args).output()?;
        if !out.status.success() {
            bail!("xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }

    /// Waits for a window titled `title` and gives it the keyboard; returns its id.
    fn focus_dialog(&self, title: &str, secs: u64) -> Result<String> {
        let mut win = String::new();
        wait_until(&format!("a window titled {title:?}"), secs, || {
            let out = self
                .command("xdotool")
                .args(["search", "--onlyvisible", "--name", &format!("^{title}$")])
                .output()?;
            win = String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_string();
            Ok(!win.is_empty())
        })?;
        // No window manager on Xvfb: the focus is set directly, and the pointer put on the
        // dialog (X's default focus follows the pointer).
        self.xdotool(&["mousemove", "--window", &win, "40", "40"])?;
        self.xdotool(&["windowfocus", &win])?;
        // GTK maps the dialog's widgets and gives its entry the focus a moment after the
        // window shows: a key pressed earlier goes nowhere.
        std::thread::sleep(Duration::from_millis(700));
        Ok(win)
    }

    /// Whether a window titled `title` is showing.
    pub fn window_shows(&self, title: &str) -> Result<bool> {
        let out = self
            .command("xdotool")
            .args(["search", "--onlyvisible", "--name", &format!("^{title}$")])
            .output()?;
        Ok(!String::from_utf8_lossy(&out.stdout).trim().is_empty())
    }

    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.envs(self.env.iter().cloned());
        c
    }

    /// Notification bodies and summaries dunst has shown, newest first.
    pub fn notifications(&self) -> Result<Vec<(String, String)>> {
        let out = self.command("dunstctl").arg("history").output()?;
        let v: Value = serde_json::from_slice(&out.stdout).context("dunstctl history")?;
        let mut found = Vec::new();
        for n in v["data"][0].as_array().into_iter().flatten() {
            let text = |k: &str| n[k]["data"].as_str().unwrap_or_default().to_string();
            found.push((text("summary"), text("body")));
        }
        Ok(found)
    }
}

/// A window test: the test named `test` runs again in a PID namespace of its own (see
/// [`rerun_in_pid_namespace`]), where `marker` is set and `scenario` is driven on a two-thread
/// runtime.
pub fn in_pid_namespace<F, Fut>(marker: &str, test: &str, scenario: F) -> Result<()>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    if std::env::var_os(marker).is_some() {
        return tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?
            .block_on(scenario());
    }
    rerun_in_pid_namespace(marker, &[test, "--exact", "--nocapture", "--include-ignored"])
}

/// Runs the current test or bench binary again with `args` inside a fresh PID namespace
/// (`unshare --pid --kill-child`), with `marker` set in its environment: every process it
/// starts dies with it, even when a runner kills it on a timeout, and no signal sent by one of
/// them can reach anything outside.
pub fn rerun_in_pid_namespace(marker: &str, args: &[&str]) -> Result<()> {
    let status = Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
        .arg(std::env::current_exe()?)
        .args(args)
        .env(marker, "1")
        .status()
        .context("running unshare (util-linux; needs root or user namespaces)")?;
    if !status.success() {
        bail!("the run in a PID namespace failed ({status}); its output is above");
    }
    Ok(())
}
