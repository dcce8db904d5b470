//! Command-line grammar and parsing of argument values.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Confab: serverless peer-to-peer chat, whiteboard and newsletters.
mod account;
mod board;
mod news;
mod parse;
pub use account::{BackupCmd, DeviceCmd, IdentityCmd};
pub use board::BoardCmd;
pub use news::NewsCmd;
pub use parse::{parse_numbers, parse_points, parse_time};

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
