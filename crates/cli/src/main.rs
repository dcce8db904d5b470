//! `confab`: the headless Confab node and scripting tool.
//!
//! Every command takes `--data DIR` (or `CONFAB_DATA_DIR`); `--json` prints exactly one JSON
//! value on stdout. Errors go to stderr with a non-zero exit. When a node runs on the data dir
//! (`confab run`, or the app), commands are sent to it over its local socket; otherwise they
//! open the data dir themselves.

mod args;
mod board;
mod news;
mod output;
mod run;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use confab_node::Client;

use args::{BackupCmd, BlobCmd, ChatCmd, Cli, Cmd, DeviceCmd, IdentityCmd, ProfileCmd, SpaceCmd};

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
    // Offline: no data dir, identity or node.
    if let Cmd::Verify {
        dir,
        ticket,
        publisher,
        json,
    } = &cli.cmd
    {
        if dir.is_file() {
            let r = confab_node::verify_feed_file(dir, publisher.as_deref())?;
            output::emit(*json, &r, |r| {
                format!(
                    "feed of newsletter {} by {}: {} issues and {} corrections, every signature good",
                    r.space, r.publisher, r.issues, r.corrections
                )
            });
            return Ok(());
        }
        let report = confab_node::verify_archive(dir, ticket.as_deref())?;
        output::emit(*json, &report, output::verified);
        return Ok(());
    }
    let dir = data_dir(&cli)?;
    if let Cmd::Run(args) = cli.cmd {
        return run::run(&dir, args).await;
    }
    // Into an empty data dir: before anything opens it (which would make an identity).
    match &cli.cmd {
        Cmd::Backup {
            cmd: BackupCmd::Restore { file, json },
        } => {
            let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let pass = passphrase(false)?;
            let r = confab_node::backup::restore(&dir, &bytes, &pass).await?;
            output::emit(*json, &r, output::restored);
            return Ok(());
        }
        Cmd::Device {
            cmd: DeviceCmd::Link { ticket, json },
        } => {
            let v = confab_node::link(&dir, ticket, |code, device| {
                eprintln!(
                    "waiting for approval: on your other device run `confab device approve {code}` (this device is {device})"
                )
            })
            .await?;
            output::emit(*json, &v, output::linked);
            return Ok(());
        }
        Cmd::Identity {
            cmd: IdentityCmd::Recover { json },
        } => {
            let mut words = String::new();
            std::io::Read::read_to_string(&mut std::io::Read::take(std::io::stdin(), 4096), &mut words)
                .context("reading the recovery phrase from standard input")?;
            let r = confab_node::backup::recover(&dir, &words).await?;
            output::emit(*json, &r, output::restored);
            return Ok(());
        }
        _ => {}
    }
    let c = Client::open(&dir)
        .await
        .with_context(|| format!("opening data dir {}", dir.display()))?;
    match cli.cmd {
        Cmd::Id { json } => {
            let me = c.id().await?;
            output::emit(json, &me, |m| m.peer_id.clone());
        }
        Cmd::Space { cmd } => space(&c, cmd).await?,
        Cmd::Chat { cmd } => chat(&c, cmd).await?,
        Cmd::Board { cmd } => board::board(&c, cmd).await?,
        Cmd::News { cmd } => news::news(&c, cmd).await?,
        Cmd::Profile { cmd } => profile(&c, cmd).await?,
        Cmd::Identity { cmd } => identity(&c, cmd).await?,
        Cmd::Backup { cmd } => backup(&c, cmd).await?,
        Cmd::Device { cmd } => match cmd {
            DeviceCmd::List { json } => output::emit(json, &c.devices().await?, |v| output::devices(v)),
            DeviceCmd::LinkTicket { ttl, json } => {
                let t = c.link_ticket(ttl).await?;
                output::emit(json, &t, |t| {
                    format!(
                        "{}\n\non the new device run: confab device link <ticket above>\nthen approve it here: confab device approve {}",
                        t.ticket, t.code
                    )
                })
            }
            DeviceCmd::Approve { code, json } => output::emit(json, &c.approve_device(&code).await?, |d| {
                format!("linked {}", d.device)
            }),
            DeviceCmd::Link { .. } => unreachable!("linked before the data dir is opened"),
            DeviceCmd::Revoke { device, json } => {
                output::emit(json, &c.revoke_device(&device).await?, output::device_revoked)
            }
        },
        Cmd::Blob { cmd } => blob(&c, cmd).await?,
        Cmd::Search {
            query,
            space,
            author,
            limit,
            json,
        } => {
            let hits = c
                .search(&query, space.as_deref(), author.as_deref(), limit)
                .await?;
            output::emit(json, &hits, |h| output::hits(h));
        }
        Cmd::Peers { json } => {
            if !c.is_running() {
                eprintln!("note: no node is running on {}", dir.display());
            }
            output::emit(json, &c.peers().await?, |p| output::peers(p));
        }
        Cmd::Status { json } => output::emit(json, &c.status().await?, output::status),
        Cmd::Lifecycle { event } => {
            let ev: confab_node::Lifecycle = event.parse().map_err(anyhow::Error::msg)?;
            c.lifecycle(ev).await?;
        }
        Cmd::Run(_) | Cmd::Verify { .. } => unreachable!("handled above"),
    }
    Ok(())
}

async fn space(c: &Client, cmd: SpaceCmd) -> Result<()> {
    match cmd {
        SpaceCmd::Create { kind, name, json } => {
            let v = c.create_space(&kind, &name).await?;
            output::emit(json, &v, |v| {
                format!(
                    "created {} space {:?}\nspace:  {}\nticket: {}",
                    v.space.kind, v.space.name, v.space.space, v.ticket
                )
            });
        }
        SpaceCmd::Join { ticket, json } => {
            let v = c.join(&ticket).await?;
            output::emit(json, &v, |v| {
                format!("joined {} space {:?}\nspace: {}", v.kind, v.name, v.space)
            });
        }
        SpaceCmd::List { json } => output::emit(json, &c.spaces(None).await?, |v| output::spaces(v)),
        SpaceCmd::Mute { space, off, json } => {
            let v = c.set_muted(&space, !off).await?;
            output::emit(json, &v, |v| {
                format!("{} {}", if v.muted { "muted" } else { "unmuted" }, v.name)
            })
        }
        SpaceCmd::Ticket { space, json } => {
            output::emit(json, &c.ticket(&space).await?, |t| t.ticket.clone())
        }
        SpaceCmd::Members { space, json } => {
            output::emit(json, &c.members(&space).await?, |m| output::members(m))
        }
        SpaceCmd::Export { space, out, json } => {
            let v = c.space_export(&space, &out).await?;
            output::emit(json, &v, |v| {
                format!(
                    "exported {} space {:?}: {} records, {} files in {}\ncheck it with: confab verify {}",
                    v.kind,
                    v.name,
                    v.records,
                    v.files.len(),
                    v.dir,
                    v.dir
                )
            });
        }
        SpaceCmd::Remove { space, peer_id, json } => {
            let v = c.remove_member(&space, &peer_id).await?;
            output::emit(json, &v, |v| {
                format!(
                    "removed {} from {}; the key was rotated (epoch {}) and sealed to the other members",
                    v.removed, v.space, v.epoch
                )
            });
        }
    }
    Ok(())
}

async fn chat(c: &Client, cmd: ChatCmd) -> Result<()> {
    match cmd {
        ChatCmd::Send {
            space,
            text,
            count: None,
            mention,
            file,
            json,
        } => output::emit(
            json,
            &c.chat_write_files(&space, &text, None, mention, file).await?,
            |w| w.id.clone(),
        ),
        ChatCmd::Send {
            space,
            text,
            count: Some(n),
            json,
            ..
        } => output::emit(json, &c.chat_send_many(&space, &text, n).await?, |w| {
            format!("wrote {} messages", w.written)
        }),
        ChatCmd::List {
            space,
            limit,
            before,
            json,
        } => output::emit(json, &c.chat_page(&space, limit, before.as_deref()).await?, |m| {
            output::chat(m)
        }),
        ChatCmd::Reply {
            space,
            msg,
            text,
            mention,
            json,
        } => output::emit(
            json,
            &c.chat_write(&space, &text, Some(&msg), mention).await?,
            |w| w.id.clone(),
        ),
        ChatCmd::React {
            space,
            msg,
            emoji,
            json,
        } => output::emit(json, &c.chat_react(&space, &msg, &emoji).await?, |r| {
            format!("{} {}", if r.on { "reacted" } else { "took back" }, emoji)
        }),
        ChatCmd::Edit {
            space,
            msg,
            text,
            json,
        } => output::emit(json, &c.chat_edit(&space, &msg, &text, Vec::new()).await?, |w| {
            w.id.clone()
        }),
        ChatCmd::Delete { space, msg, json } => {
            output::emit(json, &c.chat_delete(&space, &msg).await?, |w| w.id.clone())
        }
        ChatCmd::Read { space, upto, json } => {
            output::emit(json, &c.mark_read(&space, upto.as_deref()).await?, |r| {
                format!("{} unread, {} mentioning you", r.unread, r.mentions)
            })
        }
    }
    Ok(())
}

async fn blob(c: &Client, cmd: BlobCmd) -> Result<()> {
    match cmd {
        BlobCmd::List { space, json } => {
            output::emit(json, &c.blob_list(&space).await?, |v| output::blobs(v))
        }
        BlobCmd::Get {
            blob,
            out,
            timeout,
            json,
        } => output::emit(json, &c.blob_get(&blob, &out, timeout).await?, |s| {
            format!("saved {} ({} bytes) at {}", s.name, s.size, s.path)
        }),
    }
    Ok(())
}

async fn profile(c: &Client, cmd: ProfileCmd) -> Result<()> {
    match cmd {
        ProfileCmd::Set { name, color, json } => output::emit(
            json,
            &c.profile_set(&name, color.as_deref()).await?,
            output::profile,
        ),
        ProfileCmd::Picture { path, remove, json } => {
            let path = match (&path, remove) {
                (Some(p), false) => Some(
                    std::path::absolute(p)
                        .with_context(|| format!("reading {}", p.display()))?
                        .to_string_lossy()
                        .into_owned(),
                ),
                _ => None,
            };
            output::emit(json, &c.profile_picture(path.as_deref()).await?, output::profile)
        }
        ProfileCmd::Show { peer_id, json } => {
            output::emit(json, &c.profile(peer_id.as_deref()).await?, output::profile)
        }
        ProfileCmd::List { json } => output::emit(json, &c.profiles().await?, |v| {
            v.iter().map(output::profile).collect::<Vec<_>>().join("\n")
        }),
    }
    Ok(())
}

async fn backup(c: &Client, cmd: BackupCmd) -> Result<()> {
    match cmd {
        BackupCmd::Create {
            out,
            with_records,
            json,
        } => {
            // The node may run elsewhere: name the file from here.
            let out = std::path::absolute(&out).with_context(|| format!("the path {}", out.display()))?;
            let pass = passphrase(true)?;
            let v = c.backup_create(&out, &pass, with_records).await?;
            output::emit(json, &v, output::backed_up);
        }
        BackupCmd::Restore { .. } => unreachable!("restored before the data dir is opened"),
    }
    Ok(())
}

/// The backup passphrase: `CONFAB_PASSPHRASE`, or asked on the terminal (twice for a new one).
fn passphrase(new: bool) -> Result<String> {
    if let Ok(p) = std::env::var("CONFAB_PASSPHRASE") {
        return Ok(p);
    }
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("no passphrase: set CONFAB_PASSPHRASE or run on a terminal");
    }
    let p = rpassword::prompt_password("Backup passphrase: ")?;
    if new && rpassword::prompt_password("Again: ")? != p {
        anyhow::bail!("the two passphrases differ; nothing was written");
    }
    Ok(p)
}

async fn identity(c: &Client, cmd: IdentityCmd) -> Result<()> {
    match cmd {
        IdentityCmd::Recover { .. } => unreachable!("recovered before the data dir is opened"),
        IdentityCmd::Phrase { yes, json } => {
            let confirmed =
                yes || confirm("Anyone with these 24 words is you, in every space. Show them? [y/N] ")?;
            if !confirmed {
                anyhow::bail!(
                    "not shown: the recovery phrase is shown only when you say yes (or pass --yes)"
                );
            }
            let p = c.identity_phrase(true).await?;
            output::emit(json, &p, |p| p.words.clone());
        }
    }
    Ok(())
}

/// Asks a yes/no question on the terminal; no terminal means no.
fn confirm(question: &str) -> Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}
