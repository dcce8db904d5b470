//! The newsletter's part of the files test: a Markdown issue from the peer with a picture and
//! a link, and the window's own issue with a picture added in the GTK open dialog.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::support::Desktop;
use crate::web::{click, eventually, find_text, join, js, picture_width, quiet_shot, type_into, Peer};
use crate::Made;

/// The peer's Markdown issue with a picture: formatting, the picture whole once fetched, and a
/// link that goes to the system's browser while the window stays.
pub async fn newsletter_step(c: &Client, peer: &Peer, made: &Made, letter: &str, ticket: &str) -> Result<()> {
    peer.cmd(&[
        "news",
        "publish",
        letter,
        "--title",
        "Harbour notes",
        "--markdown",
        &made.issue.display().to_string(),
    ])?;
    join(c, "tab-news", ticket, "Harbour News").await?;
    find_text(c, "news-issue", "Harbour notes", 30).await?;
    let sel = "#reader-body img[data-testid=\"news-picture\"]";
    picture_width(c, sel, 800, 40).await?;
    let formatted = js(
        c,
        "const b = document.getElementById('reader-body');
         return [b.querySelector('h1')?.innerText, b.querySelector('strong')?.innerText,
                 b.querySelectorAll('td').length, !!b.querySelector('script, [onerror], [style]')];",
        vec![],
    )
    .await?;
    if formatted != json!(["Harbour", "came in", 4, false]) {
        bail!("the issue's Markdown did not render as expected: {formatted}");
    }
    let before = js(c, "return location.href;", vec![]).await?;
    js(
        c,
        "document.querySelector('#reader-body a[href]').click(); return 1;",
        vec![],
    )
    .await?;
    eventually("the link handed to the system's browser", 15, || {
        Ok(std::fs::read_to_string(&made.opened)
            .unwrap_or_default()
            .contains("https://example.org/harbour"))
    })
    .await?;
    let after = js(c, "return location.href;", vec![]).await?;
    if before != after {
        bail!("clicking the link moved the window from {before} to {after}");
    }
    eprintln!("files: newsletter issue rendered with its picture; its link opened outside");
    Ok(())
}

/// The window's own newsletter: a picture added in the GTK open dialog is linked by name in
/// the Markdown, shows in the issue, and reaches a subscriber whole.
pub async fn own_issue_step(c: &Client, desk: &Desktop, peer: &Peer, made: &Made) -> Result<()> {
    type_into(c, "space-create-name", "Quay Post").await?;
    click(c, "space-create").await?;
    find_text(c, "space-item", "Quay Post", 10).await?;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#news-form:not([hidden])"))
        .await?;
    type_into(c, "news-title", "From the quay").await?;
    type_into(c, "news-body", "Fresh *from* the quay this morning.").await?;
    click(c, "news-attach").await?;
    desk.answer_dialog("Add pictures", &["ctrl+l"], &made.quay.display().to_string(), 20)?;
    find_text(c, "attached", "quay.png", 15).await?;
    let body = js(
        c,
        "return document.querySelector('[data-testid=\"news-body\"]').value;",
        vec![],
    )
    .await?;
    if !body.as_str().unwrap_or_default().contains("![quay](quay.png)") {
        bail!("the composer did not link the picture by its name: {body}");
    }
    quiet_shot(c, "files-news-compose-desktop").await?;
    click(c, "news-publish").await?;
    find_text(c, "news-issue", "From the quay", 15).await?;
    picture_width(c, "#reader-body img[data-testid=\"news-picture\"]", 600, 15).await?;

    // A subscriber gets the issue and its picture.
    let mut ticket = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !confab_core::Ticket::parse(&ticket).is_ok_and(|t| t.space.name == "Quay Post") {
        ticket = c
            .find(Locator::Css("[data-testid=\"space-ticket\"]"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        if Instant::now() > deadline {
            bail!("no ticket for the new newsletter");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let joined: Value = serde_json::from_str(&peer.cmd(&["space", "join", &ticket, "--json"])?)?;
    let space = joined["space"]
        .as_str()
        .ok_or_else(|| anyhow!("space join printed {joined}"))?
        .to_string();
    let mut blob = String::new();
    eventually("the window's issue at the subscriber", 45, || {
        let v: Value = serde_json::from_str(&peer.cmd(&["news", "list", &space, "--json"])?)?;
        blob = v[0]["files"][0]["blob"].as_str().unwrap_or_default().to_string();
        Ok(!blob.is_empty())
    })
    .await?;
    eventually("the issue's picture held by the subscriber", 30, || {
        Ok(peer.holds(&blob))
    })
    .await?;
    let got = Path::new(&peer.dir).with_extension("quay.png");
    peer.cmd(&["blob", "get", &blob, "--out", &got.display().to_string()])?;
    if std::fs::read(&got)? != std::fs::read(&made.quay)? {
        bail!("the subscriber's copy of the picture differs");
    }
    eprintln!("files: the window's own issue with a picture reached a subscriber whole");
    Ok(())
}
