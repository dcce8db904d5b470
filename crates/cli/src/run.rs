//! `confab run`: a node in the foreground.

use std::io::Write;

use anyhow::{Context, Result};
use confab_node::{Local, Node, NodeConfig, NodeEvent};
use confab_sync::Phase;

use crate::args::RunArgs;

fn parse_all(what: &str, v: &[String]) -> Result<Vec<confab_net::Multiaddr>> {
    v.iter()
        .flat_map(|s| s.split(','))
        .filter(|s| !s.trim().is_empty())
        .map(|s| confab_node::config::parse_addr(what, s).map_err(anyhow::Error::from))
        .collect()
}

fn short(s: &str) -> &str {
    &s[s.len().saturating_sub(8)..]
}

pub async fn run(local: Local, args: RunArgs) -> Result<()> {
    confab_node::init_logging();

    // Saved settings (the app's Settings view), then the environment, then the flags.
    let mut cfg = NodeConfig::load(local.dir())?.with_env()?;
    if !args.listen.is_empty() {
        cfg.listen = parse_all("--listen", &args.listen)?;
    }
    cfg.dial.extend(parse_all("--dial", &args.dial)?);
    cfg.relays.extend(parse_all("--relay", &args.relay)?);
    if args.no_mdns {
        cfg.mdns = false;
    }
    cfg.relay_server |= args.relay_server;
    if let Some(s) = args.circuit_secs {
        cfg.circuit_limits.0 = s;
    }
    if let Some(b) = args.circuit_bytes {
        cfg.circuit_limits.1 = b;
    }

    let node = Node::start(local, cfg).await.context("starting the node")?;
    let mut events = node.events();
    // Addresses that came up before we subscribed are printed here, later ones as they arrive.
    let mut printed: std::collections::HashSet<String> = std::collections::HashSet::new();
    for addr in node.listening() {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening {addr}")?;
        out.flush()?;
        printed.insert(addr);
    }
    eprintln!(
        "confab node {} (mdns {})",
        node.peer_id(),
        if args.no_mdns { "off" } else { "per settings" }
    );

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            ev = events.recv() => match ev {
                Ok(NodeEvent::Listening(addr)) if printed.insert(addr.clone()) => {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "listening {addr}")?;
                    out.flush()?;
                }
                Ok(NodeEvent::SyncProgress { peer, progress }) if progress.phase != Phase::Reconciling && progress.total > 0 => {
                    let phase = match progress.phase {
                        Phase::Sending => "sending",
                        Phase::Receiving => "receiving",
                        Phase::Done => "done",
                        Phase::Reconciling => "reconciling",
                    };
                    eprintln!(
                        "sync {} {} {phase} {}/{}",
                        short(&peer),
                        &progress.space.to_string()[..12],
                        progress.done,
                        progress.total
                    );
                }
                Ok(NodeEvent::PeerDropped { peer, reason }) => eprintln!("dropped {peer}: {reason}"),
                Ok(NodeEvent::PeerConnected(p)) => eprintln!("peer {} connected ({})", short(&p.peer_id), p.how),
                Ok(NodeEvent::PeerDisconnected(p)) => eprintln!("peer {} disconnected", short(&p)),
                Ok(NodeEvent::Live { space, author, live }) => {
                    // One line per live frame, for scripts: space, author, pointer, stroke size.
                    let cursor = live.cursor.map_or("-".to_string(), |(x, y)| format!("{x},{y}"));
                    let stroke = live.stroke.as_ref().map_or(0, |s| s.points.len());
                    let mut out = std::io::stdout().lock();
                    writeln!(
                        out,
                        "live {} {} cursor {cursor} stroke {stroke}",
                        &space.to_string()[..12],
                        author.peer_id()
                    )?;
                    out.flush()?;
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => eprintln!("(skipped {n} events)"),
                Err(_) => break,
            }
        }
    }
    eprintln!("shutting down");
    node.shutdown();
    // Give the network task a moment to close connections politely.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    Ok(())
}
