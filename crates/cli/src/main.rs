//! `confab`: the headless Confab node and scripting tool.
//!
//! Every command takes `--data DIR` (or `CONFAB_DATA_DIR`); `--json` prints exactly one JSON
//! value on stdout. Errors go to stderr with a non-zero exit.

mod args;
mod output;
mod run;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Parser;
use confab_core::{Body, ChatBody, EraseBody, NewsBody, RecordId, SpaceKind, StrokeBody};
use confab_node::Local;
use serde_json::json;

use args::{BoardCmd, ChatCmd, Cli, Cmd, NewsCmd, SpaceCmd};

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(e) = dispatch(cli).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn data_dir(cli: &Cli) -> Result<PathBuf> {
    match &cli.data {
        Some(d) => Ok(d.clone()),
        None => Ok(confab_node::default_data_dir()?),
    }
}

async fn dispatch(cli: Cli) -> Result<()> {
    let dir = data_dir(&cli)?;
    let local = Local::open(&dir)
        .await
        .with_context(|| format!("opening data dir {}", dir.display()))?;
    match cli.cmd {
        Cmd::Id { json } => {
            let peer = local.identity().peer_id();
            output::emit(json, &json!({ "peer_id": peer }), || peer.clone());
        }
        Cmd::Space { cmd } => space(&local, cmd).await?,
        Cmd::Chat { cmd } => chat(&local, cmd).await?,
        Cmd::Board { cmd } => board(&local, cmd).await?,
        Cmd::News { cmd } => news(&local, cmd).await?,
        Cmd::Run(args) => run::run(local, args).await?,
        Cmd::Peers { json } => {
            let peers = confab_node::read_peers(&dir);
            if !confab_node::node_running(&dir) {
                eprintln!("note: no node is running on {}", dir.display());
            }
            output::emit(json, &serde_json::to_value(&peers)?, || {
                peers
                    .iter()
                    .map(|p| format!("{}  {:<6} {}", p.peer_id, p.how, p.addr))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

fn print_written(json: bool, id: RecordId) {
    output::emit(json, &json!({ "id": id.to_string() }), || id.to_string());
}

async fn space(local: &Local, cmd: SpaceCmd) -> Result<()> {
    match cmd {
        SpaceCmd::Create { kind, name, json } => {
            let kind: SpaceKind = kind.parse().map_err(anyhow::Error::msg)?;
            let (space, ticket) = local.create_space(kind, &name).await?;
            output::emit(
                json,
                &json!({ "space": space.id.to_string(), "ticket": ticket }),
                || {
                    format!(
                        "created {} space {:?}\nspace:  {}\nticket: {}",
                        kind, name, space.id, ticket
                    )
                },
            );
        }
        SpaceCmd::Join { ticket, json } => {
            let t = local.join(&ticket).await?;
            output::emit(json, &json!({ "space": t.space.id.to_string() }), || {
                format!(
                    "joined {} space {:?}\nspace: {}",
                    t.space.kind, t.space.name, t.space.id
                )
            });
        }
        SpaceCmd::List { json } => {
            let spaces = local.store().spaces().await?;
            let v: Vec<_> = spaces
                .iter()
                .map(|s| json!({ "space": s.id.to_string(), "kind": s.kind.as_str(), "name": s.name }))
                .collect();
            output::emit(json, &json!(v), || {
                spaces
                    .iter()
                    .map(|s| format!("{}  {:<5}  {}", &s.id.to_string()[..16], s.kind.as_str(), s.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        SpaceCmd::Ticket { space, json } => {
            let s = local.space(&space).await?;
            let t = local.ticket(&s).await?;
            output::emit(json, &json!({ "space": s.id.to_string(), "ticket": t }), || {
                t.clone()
            });
        }
        SpaceCmd::Members { space, json } => {
            let s = local.space(&space).await?;
            let members = local.members(&s).await?;
            let me = local.identity().peer_id();
            let v: Vec<_> = members
                .iter()
                .map(|m| {
                    json!({
                        "peer": m.peer, "role": m.role, "me": m.peer == me,
                        "records": m.records, "last_ms": m.last_ms,
                    })
                })
                .collect();
            output::emit(json, &json!(v), || {
                members
                    .iter()
                    .map(|m| {
                        let you = if m.peer == me { "  (you)" } else { "" };
                        format!("{:<7}  {}  {} records{you}", m.role, m.peer, m.records)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        SpaceCmd::Remove { space, peer_id, json } => {
            let s = local.space(&space).await?;
            let (rec, s) = local.remove_member(&s, &peer_id).await?;
            output::emit(
                json,
                &json!({ "space": s.id.to_string(), "removed": peer_id.trim(), "epoch": s.epoch(), "record": rec.id.to_string() }),
                || {
                    format!(
                        "removed {} from {:?}; the key was rotated (epoch {}) and sealed to the other members",
                        peer_id.trim(),
                        s.name,
                        s.epoch()
                    )
                },
            );
        }
    }
    Ok(())
}

async fn chat(local: &Local, cmd: ChatCmd) -> Result<()> {
    match cmd {
        ChatCmd::Send {
            space,
            text,
            count: None,
            json,
        } => {
            let s = local.space(&space).await?;
            let id = local
                .write(&s, Body::Chat(ChatBody { text }), vec![], None)
                .await?;
            print_written(json, id);
        }
        ChatCmd::Send {
            space,
            text,
            count: Some(n),
            json,
        } => {
            let s = local.space(&space).await?;
            let bodies = (1..=n)
                .map(|i| {
                    Body::Chat(ChatBody {
                        text: format!("{text} #{i}"),
                    })
                })
                .collect();
            let ids = local.write_many(&s, bodies).await?;
            output::emit(json, &json!({ "written": ids.len() }), || {
                format!("wrote {} messages", ids.len())
            });
        }
        ChatCmd::List { space, json } => {
            let s = local.space(&space).await?;
            let msgs = local.store().chat_messages(s.id).await?;
            output::emit(json, &output::chat_json(&msgs), || output::chat_text(&msgs));
        }
    }
    Ok(())
}

async fn board(local: &Local, cmd: BoardCmd) -> Result<()> {
    match cmd {
        BoardCmd::Stroke {
            space,
            points,
            color,
            width,
            json,
        } => {
            let s = local.space(&space).await?;
            let body = StrokeBody {
                points: args::parse_points(&points)?,
                color: args::parse_color(&color)?,
                width,
            };
            let id = local.write(&s, Body::Stroke(body), vec![], None).await?;
            print_written(json, id);
        }
        BoardCmd::Erase { space, stroke, json } => {
            let s = local.space(&space).await?;
            let strokes = local.store().board_strokes(s.id).await?;
            let want = stroke.trim().to_ascii_lowercase();
            let found: Vec<_> = strokes
                .iter()
                .filter(|st| st.id.to_string().starts_with(&want))
                .collect();
            let target = match found.as_slice() {
                [one] => one.id,
                [] => bail!(
                    "no stroke on this board has an id starting with {stroke:?} (see `confab board list`)"
                ),
                _ => bail!("{stroke:?} matches {} strokes; give more of the id", found.len()),
            };
            let id = local
                .write(&s, Body::Erase(EraseBody {}), vec![target], None)
                .await?;
            print_written(json, id);
        }
        BoardCmd::List { space, json } => {
            let s = local.space(&space).await?;
            let strokes = local.store().board_strokes(s.id).await?;
            output::emit(json, &output::strokes_json(&strokes), || {
                output::strokes_text(&strokes)
            });
        }
    }
    Ok(())
}

async fn news(local: &Local, cmd: NewsCmd) -> Result<()> {
    match cmd {
        NewsCmd::Publish {
            space,
            title,
            body,
            json,
        } => {
            let s = local.space(&space).await?;
            let id = local
                .write(&s, Body::News(NewsBody { title, body }), vec![], None)
                .await?;
            print_written(json, id);
        }
        NewsCmd::List { space, json } => {
            let s = local.space(&space).await?;
            let issues = local.store().news_issues(s.id).await?;
            output::emit(json, &output::news_json(&issues), || output::news_text(&issues));
        }
    }
    Ok(())
}
