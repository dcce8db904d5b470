//! Command-line grammar and parsing of argument values.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};

/// Confab: serverless peer-to-peer chat, whiteboard and newsletters.
mod account;
mod board;
pub use account::{BackupCmd, DeviceCmd, IdentityCmd};
pub use board::BoardCmd;

#[derive(Parser, Debug)]
#[command(name = "confab", version, about)]
pub struct Cli {
    /// Data directory (identity key and database).
    #[arg(long, global = true, env = "CONFAB_DATA_DIR", value_name = "DIR")]
    pub data: Option<PathBuf>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Print this node's peer id.
    Id {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create, join and list spaces.
    Space {
        #[command(subcommand)]
        cmd: SpaceCmd,
    },
    /// Chat rooms.
    Chat {
        #[command(subcommand)]
        cmd: ChatCmd,
    },
    /// Your display name and colour, and others'.
    Profile {
        #[command(subcommand)]
        cmd: ProfileCmd,
    },
    /// Search chat messages and newsletter issues of every space you can read.
    Search {
        /// Words to look for (each matches a word or the start of one).
        query: String,
        /// Only in this space (id or unique prefix).
        #[arg(long)]
        space: Option<String>,
        /// Only by this author (peer id).
        #[arg(long)]
        author: Option<String>,
        /// At most N hits (default 50).
        #[arg(long, value_name = "N")]
        limit: Option<u32>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Your account: its recovery phrase, and recovery from it.
    Identity {
        #[command(subcommand)]
        cmd: IdentityCmd,
    },
    /// Your devices: list them, revoke a lost one.
    Device {
        #[command(subcommand)]
        cmd: DeviceCmd,
    },
    /// Encrypted backups of your account and spaces (passphrase from CONFAB_PASSPHRASE or the
    /// terminal).
    Backup {
        #[command(subcommand)]
        cmd: BackupCmd,
    },
    /// Files shared in spaces (attachments, newsletter images).
    Blob {
        #[command(subcommand)]
        cmd: BlobCmd,
    },
    /// Whiteboards.
    Board {
        #[command(subcommand)]
        cmd: BoardCmd,
    },
    /// Newsletters.
    News {
        #[command(subcommand)]
        cmd: NewsCmd,
    },
    /// Check an exported space offline: every record's signature, the space's rules, the
    /// readable entries against the signed ones, every file against the signed manifest.
    /// Needs no data dir. Every problem is named; the exit status is 1 if there is any.
    Verify {
        /// The folder `confab space export` wrote, or a newsletter's feed file (`confab news
        /// feed`): its signed entries are checked.
        dir: PathBuf,
        /// The space's ticket (a member's): with its key the bodies are checked too.
        #[arg(long, value_name = "TICKET")]
        ticket: Option<String>,
        /// For a feed: the publisher's peer id; every entry must be theirs.
        #[arg(long, value_name = "PEER")]
        publisher: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run a node in the foreground until SIGINT/SIGTERM. Settings also come from
    /// CONFAB_LISTEN, CONFAB_DIAL, CONFAB_RELAY (comma-separated), CONFAB_MDNS=0 and
    /// CONFAB_RESYNC_SECS. Other `confab` commands on the same data dir go to it.
    Run(RunArgs),
    /// List the peers a node running on this data dir is connected to.
    Peers {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Tell the node running on this data dir what the mobile app tells it: `suspended` (in
    /// the background: listeners and connections closed, no dials), `resumed` or
    /// `network-changed` (listen again, dial every known peer at once, catch up).
    Lifecycle {
        /// suspended, resumed or network-changed.
        event: String,
    },
    /// Report the node running on this data dir: addresses, peers, catch-up progress.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Address to listen on (repeatable); default: all interfaces, random TCP and QUIC ports.
    #[arg(long, value_name = "MULTIADDR")]
    pub listen: Vec<String>,
    /// Peer to dial (repeatable).
    #[arg(long, value_name = "MULTIADDR")]
    pub dial: Vec<String>,
    /// Relay to reserve a circuit on, ending in /p2p/<relay id> (repeatable).
    #[arg(long, value_name = "MULTIADDR")]
    pub relay: Vec<String>,
    /// Do not discover peers on the LAN with mDNS.
    #[arg(long)]
    pub no_mdns: bool,
    /// Serve as a circuit relay for other peers.
    #[arg(long)]
    pub relay_server: bool,
    /// DHT bootstrap peer, ending in /p2p/<id> (repeatable): replaces the public DHT's list
    /// and turns the DHT on even with --no-dht.
    #[arg(long, value_name = "MULTIADDR")]
    pub bootstrap: Vec<String>,
    /// Do not join a DHT (no rendezvous beyond the LAN and the peers given).
    #[arg(long)]
    pub no_dht: bool,
    /// Serve the DHT from the start (a host known to be publicly reachable).
    #[arg(long)]
    pub dht_server: bool,
    /// Do not map a port on the home router with UPnP.
    #[arg(long)]
    pub no_upnp: bool,
    /// Count private address ranges as reachable (a group whose own network uses them).
    #[arg(long)]
    pub private_network: bool,
    /// As a relay: most seconds one relayed connection may last (default 1800).
    #[arg(long, value_name = "SECS", requires = "relay_server", value_parser = clap::value_parser!(u64).range(1..))]
    pub circuit_secs: Option<u64>,
    /// As a relay: most bytes one relayed connection may carry (default 268435456).
    #[arg(long, value_name = "BYTES", requires = "relay_server", value_parser = clap::value_parser!(u64).range(1024..))]
    pub circuit_bytes: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum SpaceCmd {
    /// Create a space and print its ticket.
    Create {
        /// chat, board or news.
        kind: String,
        /// Display name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Join a space with a ticket.
    Join {
        /// The ticket (CONFAB1…).
        ticket: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List joined spaces.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Mute a space's notifications (on all your devices), or unmute it with --off.
    Mute {
        /// Space id or unique prefix.
        space: String,
        /// Unmute.
        #[arg(long)]
        off: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a joined space's ticket.
    Ticket {
        /// Space id or unique prefix.
        space: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List a space's members: the owner, who joined or wrote, and who was removed.
    Members {
        /// Space id or unique prefix.
        space: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export a space to a new or empty folder: readable pages (index.html; board.svg; issue
    /// pages and feed.xml), content.json, every record's signed bytes and a manifest you sign.
    /// It holds no key; check it with `confab verify DIR`.
    Export {
        /// Space id or unique prefix.
        space: String,
        /// The folder to write (new or empty).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a member (owner only): the space key is rotated and the new key goes to the
    /// other members only.
    Remove {
        /// Space id or unique prefix.
        space: String,
        /// The member's peer id (see `space members`).
        peer_id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ChatCmd {
    /// Send a message.
    Send {
        /// Space id or unique prefix.
        space: String,
        /// Message text (may be left out when files are attached).
        #[arg(required_unless_present = "file", default_value = "")]
        text: String,
        /// Send this many messages ("TEXT #1" …) in one transaction, for load tests.
        #[arg(long, value_name = "N", conflicts_with_all = ["mention", "file"])]
        count: Option<u32>,
        /// Mention this member (peer id); repeatable.
        #[arg(long, value_name = "PEER_ID")]
        mention: Vec<String>,
        /// Attach this file; repeatable (at most 10).
        #[arg(long, value_name = "PATH")]
        file: Vec<std::path::PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reply to a message.
    Reply {
        /// Space id or unique prefix.
        space: String,
        /// The message replied to (id or unique prefix).
        msg: String,
        /// Reply text.
        text: String,
        /// Mention this member (peer id); repeatable.
        #[arg(long, value_name = "PEER_ID")]
        mention: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// React to a message with an emoji; again to take it back.
    React {
        /// Space id or unique prefix.
        space: String,
        /// The message (id or unique prefix).
        msg: String,
        /// One emoji.
        emoji: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change the text of one of your messages.
    Edit {
        /// Space id or unique prefix.
        space: String,
        /// The message (id or unique prefix).
        msg: String,
        /// The new text.
        text: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a message for everyone: yours, or any in a room you own.
    Delete {
        /// Space id or unique prefix.
        space: String,
        /// The message (id or unique prefix).
        msg: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Mark a room read (up to a message, or all of it) and show unread counts.
    Read {
        /// Space id or unique prefix.
        space: String,
        /// Up to this message (id or unique prefix).
        #[arg(long, value_name = "MSG")]
        upto: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List messages, oldest first: every one, or a page of the newest.
    List {
        /// Space id or unique prefix.
        space: String,
        /// Only the newest N (before --before).
        #[arg(long, value_name = "N")]
        limit: Option<u32>,
        /// Only messages before this one (a message id or unique prefix; it is not listed).
        #[arg(long, value_name = "MSG")]
        before: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum BlobCmd {
    /// The files of a space: each blob, whether it is here, and who holds it.
    List {
        /// Space id or unique prefix.
        space: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Save a file (decrypted). A running node fetches it first if it is not here.
    Get {
        /// Blob id (64 hex digits) or a unique prefix.
        blob: String,
        /// Where to write it (a directory: inside it, under the file's own name).
        #[arg(long, value_name = "PATH")]
        out: std::path::PathBuf,
        /// Wait at most this long for the file to be fetched (default 300).
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProfileCmd {
    /// Set your display name (1–64 characters) and colour in every space you are in.
    Set {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Colour, #rrggbb.
        #[arg(long)]
        color: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set your picture from a picture file (its middle square, made small), or remove it.
    Picture {
        /// A picture file (PNG, JPEG, GIF or WebP).
        #[arg(required_unless_present = "remove", conflicts_with = "remove")]
        path: Option<std::path::PathBuf>,
        /// Remove your picture.
        #[arg(long)]
        remove: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show your profile, or a peer's.
    Show {
        /// A peer id (yours if left out).
        peer_id: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List every profile known here.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum NewsCmd {
    /// Publish an issue (owner only).
    Publish {
        /// Space id or unique prefix.
        space: String,
        /// Title.
        #[arg(long)]
        title: String,
        /// Body text (Markdown).
        #[arg(long, required_unless_present = "markdown", conflicts_with = "markdown")]
        body: Option<String>,
        /// Read the body from this Markdown file; pictures it links by relative path are
        /// attached.
        #[arg(long, value_name = "FILE")]
        markdown: Option<std::path::PathBuf>,
        /// Save it as a draft (kept on your devices only) instead of publishing it; prints
        /// the draft's id.
        #[arg(long, conflicts_with = "at")]
        draft: bool,
        /// Publish it at TIME (RFC 3339 or ms since the epoch): a running node of yours (this
        /// one, or another device of yours) publishes it then; prints the draft's id.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Your drafts and scheduled issues of a newsletter.
    Drafts {
        /// Space id or unique prefix.
        space: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Publish a draft now.
    PublishDraft {
        /// Space id or unique prefix.
        space: String,
        /// Draft id or unique prefix.
        draft: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the newsletter's settings; with --replies, set who may reply (owner only).
    Settings {
        /// Space id or unique prefix.
        space: String,
        /// off, owner (replies sealed to you) or all (every reader sees them).
        #[arg(long, value_name = "off|owner|all")]
        replies: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reply to an issue, as the newsletter allows.
    Reply {
        /// Space id or unique prefix.
        space: String,
        /// Issue id or unique prefix.
        issue: String,
        /// The reply.
        text: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The replies to an issue.
    Replies {
        /// Space id or unique prefix.
        space: String,
        /// Issue id or unique prefix.
        issue: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a reply (yours, or any as the owner).
    RemoveReply {
        /// Space id or unique prefix.
        space: String,
        /// Issue id or unique prefix.
        issue: String,
        /// Reply id or unique prefix.
        reply: String,
    },
    /// Throw a draft away, or cancel a scheduled issue.
    Discard {
        /// Space id or unique prefix.
        space: String,
        /// Draft id or unique prefix.
        draft: String,
    },
    /// Correct a published issue (owner only): a new title, a new body, or both.
    Edit {
        /// Space id or unique prefix.
        space: String,
        /// Issue id or unique prefix.
        issue: String,
        /// New title.
        #[arg(long)]
        title: Option<String>,
        /// New body text (Markdown).
        #[arg(long, conflicts_with = "markdown")]
        body: Option<String>,
        /// New body from this Markdown file (pictures beside it are attached).
        #[arg(long, value_name = "FILE")]
        markdown: Option<std::path::PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Every version of an issue, oldest first: as published, then each correction.
    Versions {
        /// Space id or unique prefix.
        space: String,
        /// Issue id or unique prefix.
        issue: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the newsletter's Atom feed (each entry carries its signed records, so a reader
    /// with the publisher's key can check them); any subscriber can, the publisher offline.
    Feed {
        /// Space id or unique prefix.
        space: String,
        /// The feed file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List issues, oldest first: every one, or a page of the newest.
    List {
        /// Space id or unique prefix.
        space: String,
        /// Only the newest N (before --before).
        #[arg(long, value_name = "N")]
        limit: Option<u32>,
        /// Only issues before this one (an issue id or unique prefix; it is not listed).
        #[arg(long, value_name = "ISSUE")]
        before: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Parses `count` comma-separated finite numbers given to `flag` ("X,Y,W,H").
pub fn parse_numbers(flag: &str, s: &str, counts: &[usize]) -> Result<Vec<f32>> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let form = match counts {
        [2, 4] => "X,Y or X,Y,W,H",
        [2] if flag == "--size" => "W,H",
        [2] => "X,Y",
        _ => "X,Y,W,H",
    };
    if !counts.contains(&parts.len()) {
        bail!("{flag} {s:?} is not of the form {form}");
    }
    parts
        .iter()
        .map(|v| match v.parse::<f32>() {
            Ok(f) if f.is_finite() => Ok(f),
            _ => bail!("{flag} {s:?}: {v:?} is not a number"),
        })
        .collect()
}

/// Parses a moment given as RFC 3339 (`2026-12-05T10:00:00Z`, any offset) or as
/// milliseconds since the Unix epoch, into milliseconds.
pub fn parse_time(flag: &str, s: &str) -> Result<u64> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<u64>()
            .map_err(|_| anyhow::anyhow!("{flag} {s:?}: too many milliseconds"));
    }
    let when = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .map_err(|e| {
            anyhow::anyhow!(
                "{flag} {s:?} is neither RFC 3339 (like 2026-12-05T10:00:00Z) nor milliseconds since the epoch: {e}"
            )
        })?;
    let ms = when.unix_timestamp_nanos() / 1_000_000;
    u64::try_from(ms).map_err(|_| anyhow::anyhow!("{flag} {s:?} is before 1970"))
}

/// Parses "x,y x,y …".
pub fn parse_points(s: &str) -> Result<Vec<(f32, f32)>> {
    let mut out = Vec::new();
    for (i, pair) in s.split_whitespace().enumerate() {
        let Some((x, y)) = pair.split_once(',') else {
            bail!("point {} ({pair:?}) is not of the form x,y", i + 1);
        };
        let parse = |v: &str| -> Result<f32> {
            match v.trim().parse::<f32>() {
                Ok(f) if f.is_finite() => Ok(f),
                _ => bail!("point {} ({pair:?}): {v:?} is not a number", i + 1),
            }
        };
        out.push((parse(x)?, parse(y)?));
    }
    if out.is_empty() {
        bail!("--points is empty: give at least one point as \"x,y\"");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("--at", "1764900000000").unwrap(), 1_764_900_000_000);
        assert_eq!(parse_time("--at", "1970-01-01T00:00:01Z").unwrap(), 1000);
        assert_eq!(parse_time("--at", "1970-01-01T01:00:01.5+01:00").unwrap(), 1500);
        let e = parse_time("--as-of", "yesterday").unwrap_err().to_string();
        assert!(e.contains("--as-of \"yesterday\" is neither RFC 3339"), "{e}");
        assert!(parse_time("--at", "1969-12-31T23:59:59Z").is_err());
    }

    #[test]
    fn points() {
        assert_eq!(
            parse_points("1,2  3.5,-4").unwrap(),
            vec![(1.0, 2.0), (3.5, -4.0)]
        );
        assert!(parse_points("1;2").is_err());
        assert!(parse_points("1,nan").is_err());
        assert!(parse_points("").is_err());
    }

    #[test]
    fn rectangles() {
        assert_eq!(
            parse_numbers("--at", "1, -2.5", &[2, 4]).unwrap(),
            vec![1.0, -2.5]
        );
        assert_eq!(
            parse_numbers("--to", "0,0,640,480", &[4]).unwrap(),
            vec![0.0, 0.0, 640.0, 480.0]
        );
        let e = parse_numbers("--at", "1,2,3", &[2, 4]).unwrap_err().to_string();
        assert!(e.contains("X,Y or X,Y,W,H"), "{e}");
        let e = parse_numbers("--to", "1,2", &[4]).unwrap_err().to_string();
        assert!(e.contains("X,Y,W,H"), "{e}");
        let e = parse_numbers("--to", "1,2,inf,4", &[4]).unwrap_err().to_string();
        assert!(e.contains("\"inf\" is not a number"), "{e}");
    }
}
