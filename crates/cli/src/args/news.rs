//! The newsletter's commands.

use clap::Subcommand;

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
