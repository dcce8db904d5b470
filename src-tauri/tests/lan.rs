//! Two app instances on one LAN find each other with no settings: each runs in its own network
//! namespace plugged into one virtual switch, with mDNS on as it is by default and nothing
//! told to either. The test asks each app's node for its peers with `confab peers`, which
//! reaches the node over the local socket in its data dir. Runs in a fresh PID namespace like
//! the end-to-end test; needs root.

#[path = "../../crates/cli/tests/support/net.rs"]
mod net;
mod support;

use std::process::{Command, Stdio};

use anyhow::{bail, Result};
use net::Net;
use support::{wait_until, Desktop};

const INNER: &str = "CONFAB_LAN_INNER";

#[test]
fn two_apps_on_a_lan_find_each_other_with_no_settings() -> Result<()> {
    if std::env::var_os(INNER).is_none() {
        return support::rerun_in_pid_namespace(
            INNER,
            &[
                "two_apps_on_a_lan_find_each_other_with_no_settings",
                "--exact",
                "--nocapture",
            ],
        );
    }
    let app = env!("CARGO_BIN_EXE_confab-app");
    let mut desk = Desktop::start()?;
    let mut net = Net::new("app");
    let sw = net.switch("sw");
    let hosts = [net.ns("h0"), net.ns("h1")];
    net.plug(&hosts[0], &sw, "10.214.1.1/24");
    net.plug(&hosts[1], &sw, "10.214.1.2/24");

    let confab_bin = env!("CARGO_BIN_EXE_confab-app").replace("confab-app", "confab");
    let mut dirs = Vec::new();
    for (i, host) in hosts.iter().enumerate() {
        let dir = desk.tmp.path().join(format!("app{i}"));
        // Each app has begun already (an identity made by `confab id`): on an empty data dir the
        // app would wait for its person to choose how to begin, with no node running.
        let made = Command::new(&confab_bin)
            .arg("--data")
            .arg(&dir)
            .arg("id")
            .output()?;
        if !made.status.success() {
            bail!("confab id: {}", String::from_utf8_lossy(&made.stderr));
        }
        // No CONFAB_* network settings at all: default listen addresses, mDNS on. Only the data
        // dir and HOME are private to the test. The X display is reached through its socket
        // file, which a network namespace does not hide.
        let mut cmd = desk.command("ip");
        cmd.args(["netns", "exec", host, app])
            .env("CONFAB_DATA_DIR", &dir)
            .env_remove("CONFAB_MDNS")
            .env("CONFAB_DHT", "0")
            .env("CONFAB_UPNP", "0")
            .env_remove("CONFAB_LISTEN")
            .env_remove("CONFAB_DIAL")
            .env_remove("CONFAB_RELAY")
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(dir.with_extension("log"))?));
        desk.procs.spawn(&format!("app {i}"), &mut cmd)?;
        dirs.push(dir);
    }
    let confab = |dir: &std::path::Path, what: &str| -> Result<serde_json::Value> {
        let out = Command::new(&confab_bin)
            .arg("--data")
            .arg(dir)
            .args([what, "--json"])
            .output()?;
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    // Each app's node serves its data dir's socket once it runs.
    wait_until("both apps' nodes to run", 60, || {
        Ok(dirs.iter().all(|d| confab_node::socket_path(d).exists()))
    })?;
    let id = |dir: &std::path::Path| -> Result<String> {
        Ok(confab(dir, "id")?["peer_id"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    };
    let ids = [id(&dirs[0])?, id(&dirs[1])?];
    let sees = |i: usize| -> Result<bool> {
        let peers = confab(&dirs[i], "peers")?;
        Ok(peers.as_array().is_some_and(|l| {
            l.iter()
                .any(|p| p["peer_id"] == ids[1 - i].as_str() && p["how"] == "lan")
        }))
    };
    let result = wait_until("each app to see the other on the LAN", 60, || {
        Ok(sees(0)? && sees(1)?)
    });
    if let Err(e) = result {
        for d in &dirs {
            eprintln!(
                "--- {} peers: {:?}\n{}",
                d.display(),
                confab(d, "peers").ok(),
                std::fs::read_to_string(d.with_extension("log")).unwrap_or_default()
            );
        }
        bail!("{e}");
    }
    eprintln!("lan: {} and {} found each other by mDNS", ids[0], ids[1]);
    drop(desk);
    drop(net);
    Ok(())
}
