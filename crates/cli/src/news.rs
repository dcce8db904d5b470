//! `confab news …`: issues, corrections, drafts, schedules, replies and the feed.

use anyhow::Result;
use confab_node::Client;

use crate::args::{self, NewsCmd};
use crate::output;

pub(crate) async fn news(c: &Client, cmd: NewsCmd) -> Result<()> {
    match cmd {
        NewsCmd::Publish {
            space,
            title,
            body,
            markdown,
            draft,
            at,
            json,
        } => {
            let at = at.map(|t| args::parse_time("--at", &t)).transpose()?;
            let issue = confab_node::NewIssue {
                title,
                body: body.unwrap_or_default(),
                markdown,
                draft,
                at,
                files: Vec::new(),
            };
            let written = c.news_compose(&space, issue).await?;
            output::emit(json, &written, |w| w.id.clone())
        }
        NewsCmd::Drafts { space, json } => {
            output::emit(json, &c.news_drafts(&space).await?, |d| output::drafts(d))
        }
        NewsCmd::PublishDraft { space, draft, json } => {
            let w = c.news_publish_draft(&space, &draft).await?;
            output::emit(json, &w, |w| w.id.clone())
        }
        NewsCmd::Discard { space, draft } => c.news_discard(&space, &draft).await?,
        NewsCmd::Settings { space, replies, json } => {
            let v = c.news_settings(&space, replies.as_deref()).await?;
            output::emit(json, &v, |v| format!("replies: {}", v.replies))
        }
        NewsCmd::Reply {
            space,
            issue,
            text,
            json,
        } => {
            let w = c.news_reply(&space, &issue, &text).await?;
            output::emit(json, &w, |w| w.id.clone())
        }
        NewsCmd::Replies { space, issue, json } => {
            output::emit(json, &c.news_replies(&space, &issue).await?, |r| {
                output::replies(r)
            })
        }
        NewsCmd::RemoveReply { space, issue, reply } => {
            c.news_remove_reply(&space, &issue, &reply).await?;
        }
        NewsCmd::Edit {
            space,
            issue,
            title,
            body,
            markdown,
            json,
        } => {
            let correction = confab_node::Correction {
                title,
                body,
                markdown,
                files: Vec::new(),
            };
            let w = c.news_edit(&space, &issue, correction).await?;
            output::emit(json, &w, |w| w.id.clone())
        }
        NewsCmd::Versions { space, issue, json } => {
            output::emit(json, &c.news_versions(&space, &issue).await?, |n| {
                output::versions(n)
            })
        }
        NewsCmd::Feed { space, out, json } => {
            let f = c.news_feed(&space, &out).await?;
            output::emit(json, &f, |f| {
                format!(
                    "{} issues, {} corrections, {} bytes: {}",
                    f.issues, f.corrections, f.bytes, f.file
                )
            })
        }
        NewsCmd::List {
            space,
            limit,
            before,
            json,
        } => output::emit(json, &c.news_page(&space, limit, before.as_deref()).await?, |n| {
            output::news(n)
        }),
    }
    Ok(())
}
