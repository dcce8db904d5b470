//! The commands about a person's account: its devices, backups and recovery.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum DeviceCmd {
    /// Your devices: the account's own key, and each device it certified.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make a one-time link ticket for a new device (on the account's device, with its node
    /// running); the new device runs `confab device link TICKET`, then you approve it here
    /// with `confab device approve CODE`.
    LinkTicket {
        /// How long the ticket lasts, in seconds (default 600).
        #[arg(long, value_name = "SECS")]
        ttl: Option<u64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Link this (empty) data dir to your account with a ticket from your other device;
    /// waits until you approve it there.
    Link {
        /// The link ticket.
        ticket: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve the new device that asked with the ticket of this code.
    Approve {
        /// The ticket's six-digit code.
        code: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a lost or stolen device (on a device that holds the account secret): what it
    /// writes afterwards is refused, and the spaces you own rotate their keys without it.
    Revoke {
        /// The device's peer id.
        device: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum BackupCmd {
    /// Write an encrypted backup: the account secret, every space with its keys, the profile,
    /// settings and mutes (and the records with --with-records).
    Create {
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Also the records held here (otherwise they come back from peers).
        #[arg(long)]
        with_records: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Restore a backup into an empty data dir, as a new device of the same account.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum IdentityCmd {
    /// Recover your account from its 24 words (read from standard input) into an empty data
    /// dir, as a new device. Spaces come back by rejoining them, or whole from a backup.
    Recover {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show your account's recovery phrase (24 words). Anyone with them is you: asks first,
    /// on a terminal, unless --yes.
    Phrase {
        /// Show it without asking.
        #[arg(long)]
        yes: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
