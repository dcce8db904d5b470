//! `confab run` inside a network namespace, and the CLI calls tests make around it. Shared by
//! the namespace tests (`netns.rs`, `nat.rs`); include after `support/cli.rs` as
//! `support_cli`.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::support_cli::{self, wait};

pub const BIN: &str = env!("CARGO_BIN_EXE_confab");

/// A `confab run` process inside a namespace. Stopped with SIGTERM when dropped.
pub struct Peer {
    pub name: String,
    pub child: Child,
    pub out: Arc<Mutex<Vec<String>>>,
    pub err: Arc<Mutex<Vec<String>>>,
}

impl Peer {
    pub fn start(name: &str, ns: &str, dir: &Path, args: &[&str]) -> Peer {
        Peer::start_env(name, ns, dir, args, &[])
    }

    /// [`Peer::start`] with more environment (`None` removes a variable). An empty `ns` runs
    /// the node in this process's own namespace.
    pub fn start_env(name: &str, ns: &str, dir: &Path, args: &[&str], env: &[(&str, Option<&str>)]) -> Peer {
        let mut cmd = if ns.is_empty() {
            Command::new(BIN)
        } else {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, BIN]);
            c
        };
        cmd.arg("--data")
            .arg(dir)
            .arg("run")
            .args(args)
            .env(
                "RUST_LOG",
                std::env::var("CONFAB_TEST_RUST_LOG").unwrap_or_else(|_| {
                    "info,libp2p_gossipsub=warn,libp2p_mdns=debug,libp2p_swarm=warn".into()
                }),
            )
            .env_remove("CONFAB_LISTEN")
            .env_remove("CONFAB_DIAL")
            .env_remove("CONFAB_RELAY")
            .env_remove("CONFAB_MDNS")
            .env("CONFAB_DHT", "0")
            .env("CONFAB_UPNP", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let mut child = cmd.spawn().expect("confab run starts");
        let (out, err) = support_cli::collect(&mut child);
        Peer {
            name: name.into(),
            child,
            out,
            err,
        }
    }

    /// A node with mDNS off listening on `listen` and dialling each of `dials`.
    pub fn start_at(name: &str, ns: &str, dir: &Path, listen: &str, dials: &[String]) -> Peer {
        let mut args = vec!["--no-mdns", "--no-dht", "--no-upnp", "--listen", listen];
        for d in dials {
            args.extend(["--dial", d.as_str()]);
        }
        Peer::start(name, ns, dir, &args)
    }

    /// Waits for a `listening` line whose address satisfies `f`.
    pub fn listen_addr(&self, f: impl Fn(&str) -> bool, what: &str) -> String {
        wait(20, &format!("{} listening on {what}", self.name), || {
            self.out
                .lock()
                .unwrap()
                .iter()
                .filter_map(|l| l.strip_prefix("listening "))
                .find(|a| f(a))
                .map(str::to_string)
        })
    }

    pub fn log(&self) -> String {
        self.err.lock().unwrap().join("\n")
    }

    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop();
        if std::env::var_os("CONFAB_TEST_LOGS").is_some() {
            eprintln!(
                "--- log of {} ---\n{}\n--- stdout ---\n{}",
                self.name,
                self.log(),
                self.out.lock().unwrap().join("\n")
            );
        } else if std::thread::panicking() {
            // The last lines of every peer: CI shows the head and the tail of a long failure
            // output, and whole logs of four peers pushed the last two out of sight.
            eprintln!(
                "--- last lines of {}'s log ---\n{}",
                self.name,
                tail(&self.err.lock().unwrap(), 30)
            );
        }
    }
}

/// The last `n` lines, and how many came before.
fn tail(lines: &[String], n: usize) -> String {
    let skip = lines.len().saturating_sub(n);
    let mut out = if skip > 0 {
        format!("({skip} earlier lines; CONFAB_TEST_LOGS=1 prints them all)\n")
    } else {
        String::new()
    };
    out.push_str(&lines[skip..].join("\n"));
    out
}

pub fn cli(dir: &Path, args: &[&str]) -> Value {
    support_cli::cli(BIN, dir, args)
}

pub fn texts(dir: &Path, space: &str) -> Vec<String> {
    support_cli::texts(BIN, dir, space)
}

pub fn peer_id(dir: &Path) -> String {
    cli(dir, &["id"])["peer_id"].as_str().unwrap().to_string()
}

pub fn create(dir: &Path, kind: &str, name: &str) -> (String, String) {
    let v = cli(dir, &["space", "create", kind, name]);
    (
        v["space"].as_str().unwrap().into(),
        v["ticket"].as_str().unwrap().into(),
    )
}
