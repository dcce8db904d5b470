//! `confab run`: a node in the foreground; other `confab` commands on its data dir go to it.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use confab_node::view::EventView;
use confab_node::{Client, NodeConfig, NodeEvent};

use crate::args::RunArgs;

fn parse_all(what: &str, v: &[String]) -> Result<Vec<confab_net::Multiaddr>> {
    v.iter()
        .flat_map(|s| s.split(','))
        .filter(|s| !s.trim().is_empty())
        .map(|s| confab_node::config::parse_addr(what, s).map_err(anyhow::Error::from))
        .collect()
}

fn short(s: &str) -> String {
    confab_core::ids::short_peer(s)
}

fn out(line: String) -> Result<()> {
    let mut o = std::io::stdout().lock();
    writeln!(o, "{line}")?;
    o.flush()?;
    Ok(())
}

/// The settings `confab run` starts with: saved ones (the app's Settings view), then the
/// environment, then the flags.
fn config(dir: &Path, args: &RunArgs) -> Result<NodeConfig> {
    let mut cfg = NodeConfig::load(dir)?.with_env()?;
    if !args.listen.is_empty() {
        cfg.listen = parse_all("--listen", &args.listen)?;
    }
    cfg.dial.extend(parse_all("--dial", &args.dial)?);
    cfg.relays.extend(parse_all("--relay", &args.relay)?);
    if args.no_mdns {
        cfg.mdns = false;
    }
    cfg.relay_server |= args.relay_server;
    if !args.bootstrap.is_empty() {
        cfg.bootstrap = parse_all("--bootstrap", &args.bootstrap)?;
    }
    if args.no_dht {
        cfg.dht = false;
    }
    cfg.dht_server |= args.dht_server;
    if args.no_upnp {
        cfg.upnp = false;
    }
    cfg.private_network |= args.private_network;
    if let Some(s) = args.circuit_secs {
        cfg.circuit_limits.0 = s;
    }
    if let Some(b) = args.circuit_bytes {
        cfg.circuit_limits.1 = b;
    }
    Ok(cfg)
}

pub async fn run(dir: &Path, args: RunArgs) -> Result<()> {
    confab_node::init_logging();
    let cfg = config(dir, &args)?;
    let node = Client::start(dir, cfg).await.context("starting the node")?;
    let mut events = node.events()?;
    // Addresses that came up before we subscribed are printed here, later ones as they arrive.
    let mut printed: std::collections::HashSet<String> = std::collections::HashSet::new();
    for addr in node.status().await?.listening {
        out(format!("listening {addr}"))?;
        printed.insert(addr);
    }
    eprintln!(
        "confab node {} (mdns {})",
        node.peer_id(),
        if args.no_mdns { "off" } else { "per settings" }
    );

    let me = confab_core::AuthorKey::from_peer_id(node.peer_id()).context("this node's peer id")?;
    let mut names = node.names().await?;
    let mut stop = Stop::listen().context("listening for the signals that stop the node")?;
    loop {
        let ev = tokio::select! {
            _ = stop.recv() => break,
            ev = events.recv() => ev,
        };
        let ev = match ev {
            Ok(ev) => ev,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                eprintln!("(skipped {n} events)");
                continue;
            }
            Err(_) => break,
        };
        match &ev {
            NodeEvent::PeerConnected(p) => eprintln!("peer {} connected ({})", short(&p.peer_id), p.how),
            NodeEvent::PeerDisconnected(p) => eprintln!("peer {} disconnected", short(p)),
            NodeEvent::BlobHeld { blob, sources, .. } if !sources.is_empty() => {
                let from: Vec<String> = sources.iter().map(|(p, b)| format!("{}={b}", short(p))).collect();
                eprintln!("file {} from {}", blob.short(), from.join(" "));
            }
            _ => {}
        }
        if ev.changes_names() {
            names = node.names().await.unwrap_or(names);
        }
        // Everything else is printed from the views the app receives.
        for v in ev.views(&me, &names, Vec::new) {
            match v {
                EventView::Listening { addr } if printed.insert(addr.clone()) => {
                    out(format!("listening {addr}"))?
                }
                EventView::Sync {
                    peer,
                    space,
                    phase,
                    done,
                    total,
                } if phase != "reconciling" && total > 0 => eprintln!(
                    "sync {} {} {phase} {done}/{total}",
                    short(&peer),
                    crate::output::short(&space)
                ),
                EventView::Dropped { peer, reason } => eprintln!("dropped {peer}: {reason}"),
                EventView::FileProgress {
                    blob,
                    have,
                    size,
                    resumed,
                    fetched,
                    ..
                } => eprintln!(
                    "file {} {have}/{size} resumed {resumed} fetched {fetched}",
                    crate::output::short(&blob)
                ),
                EventView::FileHeld { blob, .. } => out(format!("file held {blob}"))?,
                EventView::Live {
                    space, author, live, ..
                } => {
                    // One line per live frame, for scripts: space, author, pointer, stroke size.
                    let cursor = live.cursor.map_or("-".to_string(), |(x, y)| format!("{x},{y}"));
                    let stroke = live.stroke.as_ref().map_or(0, |s| s.points.len());
                    out(format!(
                        "live {} {author} cursor {cursor} stroke {stroke}",
                        crate::output::short(&space)
                    ))?;
                }
                _ => {}
            }
        }
    }
    eprintln!("shutting down");
    node.shutdown().await;
    Ok(())
}

/// What stops `confab run` cleanly: Ctrl-C everywhere; SIGTERM on Unix; on Windows the console
/// closing, and the system shutting down (which reaches services only). Each is listened to
/// from the start, so none that comes while an event is printed is lost.
struct Stop {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
    #[cfg(windows)]
    close: tokio::signal::windows::CtrlClose,
    #[cfg(windows)]
    shutdown: tokio::signal::windows::CtrlShutdown,
}

impl Stop {
    fn listen() -> std::io::Result<Stop> {
        Ok(Stop {
            #[cfg(unix)]
            interrupt: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?,
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?,
            #[cfg(windows)]
            ctrl_c: tokio::signal::windows::ctrl_c()?,
            #[cfg(windows)]
            close: tokio::signal::windows::ctrl_close()?,
            #[cfg(windows)]
            shutdown: tokio::signal::windows::ctrl_shutdown()?,
        })
    }

    /// Waits for one of them.
    async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.term.recv() => {}
        }
        // Windows gives a closing console a few seconds; tokio holds the process until it
        // exits by itself, so the node still stops cleanly.
        #[cfg(windows)]
        tokio::select! {
            _ = self.ctrl_c.recv() => {}
            _ = self.close.recv() => {}
            _ = self.shutdown.recv() => {}
        }
        #[cfg(not(any(unix, windows)))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
