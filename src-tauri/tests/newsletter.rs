//! The newsletter in the real window (as the e2e test: Xvfb, WebDriver, a headless `confab run`
//! subscriber on 127.0.0.1): the window's owner publishes an issue, which the subscriber gets;
//! edits it (a correction: the subscriber lists versions 2 and the new title, the window says
//! "Updated on …" and shows the earlier version); saves a draft, which never reaches the
//! subscriber (its list unchanged, no record of kind 18 in its database), and previews it;
//! schedules an issue a few seconds ahead, which reaches the subscriber after its time and not
//! before; sets replies to Everyone, and the subscriber's reply shows in the window, where the
//! owner removes it (gone at the subscriber); exports the feed through the GTK save dialog and
//! `confab verify` checks it with the owner as publisher; as a reader of the peer's newsletter
//! (replies for the owner only), the window's reply is sealed and the peer reads it. Screenshots
//! at desktop and phone size.

mod support;
#[path = "support/web.rs"]
mod web;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use support::Desktop;
use web::{
    bin_dir, bounded, click, eventually, find_text, js, open_app, quiet_shot, run_peer, run_steps, type_into,
    Peer,
};

#[test]
fn the_newsletter_owner_and_a_subscriber_in_the_window() -> Result<()> {
    support::in_pid_namespace(
        INNER,
        "the_newsletter_owner_and_a_subscriber_in_the_window",
        scenario,
    )
}

const INNER: &str = "CONFAB_NEWSLETTER_INNER";

async fn scenario() -> Result<()> {
    let confab = bin_dir().join("confab");
    if !confab.exists() {
        bail!("{} is missing: build the workspace first", confab.display());
    }
    let mut desk = Desktop::start()?;
    let tmp = desk.tmp.path().to_path_buf();
    let mut peer = Peer::new(confab.clone(), tmp.join("peer"));
    peer.cmd(&["profile", "set", "--name", "Pat"])?;
    run_peer(&mut desk, &mut peer, &[])?;
    let app_dir = tmp.join("app");
    let dial = peer.addr.clone();
    let c = open_app(
        &mut desk,
        &app_dir,
        &[("CONFAB_DIAL", &dial), ("CONFAB_RESYNC_SECS", "3")],
    )
    .await?;
    let feed = tmp.join("out").join("harbour-letter.xml");
    let all = steps(&c, &desk, &peer, &feed);
    run_steps(&c, &desk, &peer, "newsletter", 300, all).await
}

/// The subscriber's issues, newest first, by the CLI (through its running node).
fn issues_at_peer(peer: &Peer, space: &str) -> Result<Vec<Value>> {
    let out = peer.cmd(&["news", "list", space, "--json"])?;
    let v: Value = serde_json::from_str(&out).with_context(|| format!("news list printed {out}"))?;
    Ok(v.as_array().cloned().unwrap_or_default())
}

fn titled<'a>(list: &'a [Value], title: &str) -> Option<&'a Value> {
    list.iter().find(|i| i["title"] == json!(title))
}

/// Records of kind 18 (drafts) in a data dir's database.
fn drafts_in(dir: &Path) -> Result<i64> {
    let db = rusqlite::Connection::open_with_flags(
        dir.join("confab.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    Ok(db.query_row("SELECT count(*) FROM records WHERE kind = 18", [], |r| r.get(0))?)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Waits until the element `selector` shows (not hidden).
async fn shows(c: &Client, selector: &str, secs: u64) -> Result<()> {
    c.wait()
        .at_most(Duration::from_secs(secs))
        .for_element(Locator::Css(selector))
        .await
        .with_context(|| format!("{selector} never showed"))?;
    Ok(())
}

/// Clicks `selector` in the page twice (a button that asks first), in one script.
async fn click_twice(c: &Client, selector: &str) -> Result<()> {
    let done = js(
        c,
        "const b = document.querySelector(arguments[0]);
         if (!b) return false;
         b.click(); b.click();
         return true;",
        vec![json!(selector)],
    )
    .await?;
    if done != json!(true) {
        bail!("nothing to click at {selector}");
    }
    Ok(())
}

async fn steps(c: &Client, desk: &Desktop, peer: &Peer, feed: &Path) -> Result<()> {
    c.set_window_size(1280, 800).await.ok();
    shows(c, "body[data-ready=\"true\"]", 30).await?;
    find_text(c, "name-prompt", "call you", 20).await?;
    type_into(c, "name-prompt-input", "Alex").await?;
    click(c, "name-prompt-save").await?;

    // The window makes a newsletter; the peer subscribes by its ticket.
    click(c, "tab-news").await?;
    type_into(c, "space-create-name", "Harbour Letter").await?;
    click(c, "space-create").await?;
    find_text(c, "space-item", "Harbour Letter", 10).await?;
    shows(c, "#news-form:not([hidden])", 10).await?;
    let mut ticket = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !confab_core::Ticket::parse(&ticket).is_ok_and(|t| t.space.name == "Harbour Letter") {
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

    // Publish: the subscriber gets it.
    type_into(c, "news-title", "Tide tables").await?;
    type_into(c, "news-body", "High water at **six**.").await?;
    click(c, "news-publish").await?;
    find_text(c, "news-issue", "Tide tables", 15).await?;
    let mut issue = String::new();
    let mut owner = String::new();
    eventually("the issue at the subscriber", 45, || {
        let list = issues_at_peer(peer, &space)?;
        if let Some(i) = titled(&list, "Tide tables") {
            issue = i["id"].as_str().unwrap_or_default().to_string();
            owner = i["account"].as_str().unwrap_or_default().to_string();
        }
        Ok(!issue.is_empty())
    })
    .await?;
    eprintln!("newsletter: published, at the subscriber");

    // Edit: the composer opens with the issue; saving writes a correction.
    click(c, "news-edit").await?;
    find_text(c, "news-editing", "Editing", 5).await?;
    let prefilled = js(
        c,
        "return [document.querySelector('#news-title').value, document.querySelector('#news-body').value];",
        vec![],
    )
    .await?;
    if prefilled != json!(["Tide tables", "High water at **six**."]) {
        bail!("the composer opened the issue as {prefilled}");
    }
    type_into(c, "news-title", "Tide tables (corrected)").await?;
    type_into(c, "news-body", "High water at **seven**, not six.").await?;
    click(c, "news-publish").await?;
    find_text(c, "news-updated", "Updated on", 15).await?;
    find_text(c, "news-reader-body", "seven", 5).await?;
    find_text(c, "news-versions", "Versions (2)", 5).await?;
    eventually("the correction at the subscriber", 45, || {
        let list = issues_at_peer(peer, &space)?;
        Ok(list.len() == 1
            && list[0]["versions"] == json!(2)
            && list[0]["title"] == json!("Tide tables (corrected)"))
    })
    .await?;
    eprintln!("newsletter: corrected, versions 2 at the subscriber");
    // Earlier versions: the list, the first as published, back to the newest.
    click(c, "news-versions").await?;
    eventually_js(
        c,
        "document.querySelectorAll('[data-testid=\"news-version\"]').length === 2",
        10,
    )
    .await?;
    quiet_shot(c, "news-edit-desktop").await?;
    js(
        c,
        "document.querySelector('[data-testid=\"news-version\"]').click();",
        vec![],
    )
    .await?;
    find_text(c, "news-reader-title", "Tide tables", 5).await?;
    find_text(c, "news-reader-note", "Version 1 of 2", 5).await?;
    find_text(c, "news-reader-body", "six", 5).await?;
    click(c, "news-reader-note-close").await?;
    find_text(c, "news-reader-title", "(corrected)", 5).await?;

    // A draft: kept on the owner's devices, never at the subscriber; previewed.
    type_into(c, "news-title", "Harbour works").await?;
    type_into(c, "news-body", "The *new* pier opens in May.").await?;
    click(c, "news-save-draft").await?;
    find_text(c, "news-draft", "Harbour works", 10).await?;
    click(c, "news-draft-preview").await?;
    find_text(c, "news-reader-note", "Preview of your draft", 5).await?;
    let html = js(
        c,
        "return document.querySelector('[data-testid=\"news-reader-body\"]').innerHTML;",
        vec![],
    )
    .await?;
    if !html.as_str().unwrap_or_default().contains("<em>new</em>") {
        bail!("the preview is not the rendered issue: {html}");
    }
    click(c, "news-reader-note-close").await?;

    // Schedule an issue a few seconds ahead: not at the subscriber before its time, there after.
    type_into(c, "news-title", "Evening tide").await?;
    type_into(c, "news-body", "Published by the schedule.").await?;
    click(c, "news-schedule-open").await?;
    let at = js(
        c,
        "const d = new Date(Date.now() + 7000);
         const two = (n) => String(n).padStart(2, '0');
         const i = document.querySelector('[data-testid=\"news-at\"]');
         i.value = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
         i.dispatchEvent(new Event('input', { bubbles: true }));
         return new Date(i.value).getTime();",
        vec![],
    )
    .await?
    .as_u64()
    .ok_or_else(|| anyhow!("the time input took no value"))?;
    click(c, "news-schedule-confirm").await?;
    find_text(c, "news-draft-when", "Scheduled for", 10).await?;
    eprintln!(
        "newsletter: scheduled for {} ms from now",
        at.saturating_sub(now_ms())
    );
    while now_ms() + 300 < at {
        if titled(&issues_at_peer(peer, &space)?, "Evening tide").is_some() {
            bail!(
                "the scheduled issue reached the subscriber {} ms early",
                at - now_ms()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eventually(
        "the scheduled issue at the subscriber by its time + 30 s",
        30,
        || Ok(titled(&issues_at_peer(peer, &space)?, "Evening tide").is_some()),
    )
    .await?;
    eprintln!(
        "newsletter: the scheduled issue arrived {} ms after its time",
        now_ms() - at
    );
    find_text(c, "news-issue", "Evening tide", 15).await?;
    // The draft never left the window: the subscriber has two issues and no draft record.
    let list = issues_at_peer(peer, &space)?;
    if list.len() != 2 || titled(&list, "Harbour works").is_some() {
        bail!("the subscriber lists {list:?}");
    }
    let n = drafts_in(&peer.dir)?;
    if n != 0 {
        bail!("the subscriber's database holds {n} draft records");
    }
    find_text(c, "news-draft", "Harbour works", 5).await?;

    // At phone size: the drafts list with a draft and an issue scheduled for tomorrow.
    type_into(c, "news-title", "Spring regatta").await?;
    type_into(c, "news-body", "Boats at noon.").await?;
    click(c, "news-schedule-open").await?;
    js(
        c,
        "const d = new Date(Date.now() + 86400e3);
         d.setHours(9, 30, 0, 0);
         const two = (n) => String(n).padStart(2, '0');
         const i = document.querySelector('[data-testid=\"news-at\"]');
         i.value = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T09:30:00`;",
        vec![],
    )
    .await?;
    click(c, "news-schedule-confirm").await?;
    find_text(c, "news-draft", "Spring regatta", 10).await?;
    bounded("resizing to phone size", c.set_window_size(360, 740)).await??;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The list of newsletters folded away (☰), as a person on a phone would.
    js(c, "document.querySelector('#spaces-toggle').click(); document.querySelector('#panel-news').scrollTop = 0;", vec![]).await?;
    quiet_shot(c, "news-drafts-phone").await?;
    js(
        c,
        "document.querySelector('#reader').scrollIntoView({ block: 'start' });",
        vec![],
    )
    .await?;
    quiet_shot(c, "news-reader-phone").await?;
    js(c, "document.querySelector('#spaces-toggle').click();", vec![]).await?;
    // Cancelled: it goes from the list (two clicks, the first asks).
    click_twice(
        c,
        "[data-testid=\"news-draft\"][data-scheduled=\"true\"] [data-testid=\"news-draft-discard\"]",
    )
    .await?;
    eventually_js(
        c,
        "![...document.querySelectorAll('[data-testid=\"news-draft\"]')].some((e) => e.innerText.includes('Spring regatta'))",
        10,
    )
    .await?;
    bounded("resizing to desktop size", c.set_window_size(1280, 800)).await??;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Replies for everyone: the subscriber replies, the window shows it, the owner removes it.
    js(
        c,
        "const s = document.querySelector('[data-testid=\"news-replies-mode\"]');
         s.value = 'all';
         s.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![],
    )
    .await?;
    js(
        c,
        "document.querySelector(`[data-testid=\"news-issue\"][data-id=\"${arguments[0]}\"]`).click();",
        vec![json!(issue)],
    )
    .await?;
    find_text(c, "news-reader-title", "Tide tables (corrected)", 5).await?;
    let text = "Thanks, the seven o'clock tide suits us.";
    // The settings reach the subscriber as a record: until then its node refuses by name.
    let mut refused = String::new();
    eventually("the subscriber allowed to reply", 30, || {
        match peer.cmd(&["news", "reply", &space, &issue, text]) {
            Ok(_) => Ok(true),
            Err(e) => {
                refused = e.to_string();
                Ok(false)
            }
        }
    })
    .await
    .with_context(|| format!("the last refusal: {refused}"))?;
    find_text(c, "news-reply", text, 30).await?;
    find_text(c, "news-reply", "Pat", 5).await?;
    js(
        c,
        "document.querySelector('[data-testid=\"news-replies\"]').scrollIntoView({ block: 'center' });",
        vec![],
    )
    .await?;
    quiet_shot(c, "news-replies-desktop").await?;
    click_twice(
        c,
        "[data-testid=\"news-reply\"] [data-testid=\"news-reply-remove\"]",
    )
    .await?;
    eventually_js(
        c,
        "document.querySelectorAll('[data-testid=\"news-reply\"]').length === 0",
        10,
    )
    .await?;
    eventually("the reply gone at the subscriber", 45, || {
        let out = peer.cmd(&["news", "replies", &space, &issue, "--json"])?;
        let v: Value = serde_json::from_str(&out)?;
        Ok(v.as_array().is_some_and(|a| a.is_empty()))
    })
    .await?;
    eprintln!("newsletter: a reply shown and removed");

    // Export feed: the GTK save dialog, the file where it was put, verified.
    std::fs::create_dir_all(feed.parent().expect("a parent"))?;
    click(c, "news-feed").await?;
    let target = feed.display().to_string();
    desk.answer_dialog("Export feed", &["ctrl+a"], &target, 20)?;
    find_text(c, "news-feed-note", &target, 20).await?;
    if !feed.is_file() {
        bail!("no feed at {target}");
    }
    let verified = peer.cmd(&["verify", &target, "--publisher", &owner])?;
    if !verified.contains("2 issues and 1 corrections") {
        bail!("confab verify said {verified}");
    }
    eprintln!("newsletter: feed exported and verified: {}", verified.trim());

    // A reader in the window: the peer's newsletter takes replies for its owner only; the
    // window's reply is sealed, the peer (the owner) reads it, the window says it is sealed.
    let (theirs, their_ticket) = peer.create("news", "Pat's Post")?;
    peer.cmd(&["news", "settings", &theirs, "--replies", "owner"])?;
    peer.cmd(&[
        "news",
        "publish",
        &theirs,
        "--title",
        "Pat writes",
        "--body",
        "Tell me what you think.",
    ])?;
    let their_issue = issues_at_peer(peer, &theirs)?
        .first()
        .and_then(|i| i["id"].as_str().map(str::to_string))
        .ok_or_else(|| anyhow!("the peer lists no issue of its own"))?;
    web::join(c, "tab-news", &their_ticket, "Pat's Post").await?;
    find_text(c, "news-issue", "Pat writes", 30).await?;
    shows(c, "#news-reply-form:not([hidden])", 30).await?;
    type_into(c, "news-reply-text", "Lovely, Pat.").await?;
    click(c, "news-reply-send").await?;
    find_text(c, "news-reply", "sealed, only they can read it", 10).await?;
    eventually("the sealed reply read by the peer", 45, || {
        let out = peer.cmd(&["news", "replies", &theirs, &their_issue, "--json"])?;
        let v: Value = serde_json::from_str(&out)?;
        Ok(v.as_array().is_some_and(|a| {
            a.iter()
                .any(|r| r["text"] == json!("Lovely, Pat.") && r["sealed"] == json!(true))
        }))
    })
    .await?;
    quiet_shot(c, "news-reader-reply-desktop").await?;
    eprintln!("newsletter: a reader's sealed reply from the window read by the owner");
    Ok(())
}

/// Waits until a script's expression is true in the page.
async fn eventually_js(c: &Client, expr: &str, secs: u64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if js(c, &format!("return !!({expr});"), vec![]).await? == json!(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("after {secs} s the page still says no to {expr}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
