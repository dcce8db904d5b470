//! Conversations in the real window (as the e2e test: Xvfb, WebDriver, dunst, a headless
//! `confab run` peer on 127.0.0.1): a name set on first run, a reply, a reaction, an edit and a
//! delete that the peer sees, a mention that notifies in a muted room, profile pictures both
//! ways (the peer's beside its messages, the window's chosen in the native dialog and fetched
//! by the peer), and search that jumps to a message deep in the history. Screenshots at
//! desktop and phone size.

mod support;
#[path = "support/web.rs"]
mod web;

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::Client;
use serde_json::{json, Value};
use support::Desktop;
use web::{
    bin_dir, bounded, click, eventually, find_text, join, open_app, run_peer, run_steps, shoot, type_into,
    Peer,
};

#[test]
fn names_replies_reactions_edits_deletes_mentions_and_search_in_the_window() -> Result<()> {
    support::in_pid_namespace(
        INNER,
        "names_replies_reactions_edits_deletes_mentions_and_search_in_the_window",
        scenario,
    )
}

const INNER: &str = "CONFAB_CONVERSATION_INNER";

async fn scenario() -> Result<()> {
    let confab = bin_dir().join("confab");
    if !confab.exists() {
        bail!("{} is missing: build the workspace first", confab.display());
    }
    let mut desk = Desktop::start()?;
    let mut peer = Peer::new(confab.clone(), desk.tmp.path().join("peer"));
    peer.cmd(&["profile", "set", "--name", "Pat"])?;
    // Pat has a picture (a gradient, cut square and made small by Pat's node).
    let pat_png = desk.tmp.path().join("pat.png");
    image::RgbImage::from_fn(480, 360, |x, y| image::Rgb([(x / 2) as u8, (y / 2) as u8, 160]))
        .save(&pat_png)?;
    peer.cmd(&["profile", "picture", &pat_png.display().to_string()])?;
    let (room, ticket) = peer.create("chat", "Lobby")?;
    run_peer(&mut desk, &mut peer, &[])?;
    let app_dir = desk.tmp.path().join("app");
    let dial = peer.addr.clone();
    let c = open_app(
        &mut desk,
        &app_dir,
        &[("CONFAB_DIAL", &dial), ("CONFAB_RESYNC_SECS", "3")],
    )
    .await?;
    let all = steps(&c, &desk, &peer, &app_dir, &room, &ticket);
    run_steps(&c, &desk, &peer, "conversation", 240, all).await
}

/// Runs a script in the page (one call: nothing it touches can go stale in between).
async fn js(c: &Client, script: &str, args: Vec<Value>) -> Result<Value> {
    bounded("a script", c.execute(script, args))
        .await?
        .map_err(|e| anyhow!("script failed: {e}"))
}

/// Waits (20 s at most) until a script in the page returns `want`.
async fn until_js(c: &Client, what: &str, script: &str, want: Value) -> Result<()> {
    let mut last = Value::Null;
    for _ in 0..200 {
        last = js(c, script, vec![]).await?;
        if last == want {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("timed out waiting for {what} (last {last})")
}

/// Opens a message's actions (they are made when a message is first touched) and clicks one.
async fn act(c: &Client, msg: &str, action: &str) -> Result<()> {
    let done = js(
        c,
        "const m = document.querySelector(`.msg[data-id=\"${arguments[0]}\"]`);
         if (!m) return 'no message';
         m.scrollIntoView({block: 'center'});
         m.querySelector('.text')?.click();
         const b = m.querySelector('.' + arguments[1]);
         if (!b) return 'no ' + arguments[1];
         b.click();
         return 'ok';",
        vec![json!(msg), json!(action)],
    )
    .await?;
    match done.as_str() {
        Some("ok") => Ok(()),
        other => bail!("acting on {msg}: {other:?}"),
    }
}

/// The peer's view of the room, by the CLI.
fn listing(peer: &Peer, room: &str) -> Result<Vec<Value>> {
    let out = peer.cmd(&["chat", "list", room, "--json"])?;
    let v: Value = serde_json::from_str(&out).with_context(|| format!("chat list printed {out}"))?;
    Ok(v.as_array().cloned().unwrap_or_default())
}

fn by_text(list: &[Value], text: &str) -> Option<Value> {
    list.iter().find(|m| m["text"].as_str() == Some(text)).cloned()
}

fn by_id(list: &[Value], id: &str) -> Option<Value> {
    list.iter().find(|m| m["id"].as_str() == Some(id)).cloned()
}

async fn send(c: &Client, text: &str) -> Result<()> {
    type_into(c, "chat-input", text).await?;
    click(c, "chat-send").await
}

/// The id of a message the peer has, once it has it.
async fn id_at_peer(peer: &Peer, room: &str, text: &str) -> Result<String> {
    let mut id = String::new();
    eventually(&format!("{text:?} at the peer"), 20, || {
        Ok(match by_text(&listing(peer, room)?, text) {
            Some(m) => {
                id = m["id"].as_str().unwrap_or_default().to_string();
                true
            }
            None => false,
        })
    })
    .await?;
    Ok(id)
}

async fn steps(
    c: &Client,
    desk: &Desktop,
    peer: &Peer,
    app_dir: &std::path::Path,
    room: &str,
    ticket: &str,
) -> Result<()> {
    c.set_window_size(1280, 800).await.ok();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(fantoccini::Locator::Css("body[data-ready=\"true\"]"))
        .await?;
    // First run asks for a name.
    find_text(c, "name-prompt", "call you", 20).await?;
    type_into(c, "name-prompt-input", "Alex").await?;
    click(c, "name-prompt-save").await?;
    join(c, "tab-chat", ticket, "Lobby").await?;
    let me = {
        let out = std::process::Command::new(bin_dir().join("confab"))
            .arg("--data")
            .arg(app_dir)
            .args(["id", "--json"])
            .output()?;
        let v: Value = serde_json::from_slice(&out.stdout).context("confab id")?;
        v["peer_id"].as_str().unwrap_or_default().to_string()
    };
    eventually("the app's name at the peer", 30, || {
        Ok(peer
            .cmd(&["profile", "show", &me, "--json"])?
            .contains("\"Alex\""))
    })
    .await?;
    eprintln!("conversation: name set and seen by the peer");

    // Names instead of ids.
    peer.cmd(&["chat", "send", room, "hello from Pat"])?;
    find_text(c, "chat-message", "hello from Pat", 20).await?;
    let who = js(
        c,
        "const m = [...document.querySelectorAll('.msg')].find(m => m.innerText.includes('hello from Pat'));
         return m ? m.querySelector('.who').innerText : '';",
        vec![],
    )
    .await?;
    if !who.as_str().unwrap_or_default().contains("Pat") {
        bail!("the peer's message is shown by {who}, not by its name");
    }
    let pat = id_at_peer(peer, room, "hello from Pat").await?;
    // Pat's picture beside the message (the preview Pat's node made, loaded through the blob
    // protocol).
    until_js(
        c,
        "Pat's picture by the message",
        "const m = [...document.querySelectorAll('.msg')].find(m => m.innerText.includes('hello from Pat'));
         const a = m && m.querySelector('[data-testid=\"avatar\"]');
         return a && a.complete ? a.naturalWidth : 0;",
        json!(64),
    )
    .await?;
    eprintln!("conversation: the peer's picture shows by its message");

    // Reply: the peer sees what it answers; the app quotes it.
    act(c, &pat, "act-reply").await?;
    send(c, "agreed, Pat").await?;
    let reply = id_at_peer(peer, room, "agreed, Pat").await?;
    let r = by_id(&listing(peer, room)?, &reply).ok_or_else(|| anyhow!("reply gone"))?;
    if r["reply_to"].as_str() != Some(pat.as_str()) {
        bail!("the reply does not point at Pat's message: {r}");
    }
    find_text(c, "quote", "hello from Pat", 10).await?;
    eprintln!("conversation: reply ok");

    // Reaction.
    act(c, &pat, "act-react").await?;
    js(
        c,
        "document.querySelector('.react-palette button[data-emoji=\"👍\"]').click(); return 1;",
        vec![],
    )
    .await?;
    eventually("the reaction at the peer", 20, || {
        let m = by_id(&listing(peer, room)?, &pat).unwrap_or_default();
        Ok(m["reactions"]["👍"]
            .as_array()
            .is_some_and(|w| w.iter().any(|p| p == &json!(me))))
    })
    .await?;
    find_text(c, "reaction", "1", 10).await?;
    eprintln!("conversation: reaction ok");

    // Edit: only one's own messages offer it.
    send(c, "teh typo").await?;
    let typo = id_at_peer(peer, room, "teh typo").await?;
    act(c, &typo, "act-edit").await?;
    send(c, "the fix").await?;
    eventually("the edit at the peer", 20, || {
        let m = by_id(&listing(peer, room)?, &typo).unwrap_or_default();
        Ok(m["text"] == json!("the fix") && m["edited"] == json!(true))
    })
    .await?;
    find_text(c, "edited", "edited", 10).await?;
    let foreign = js(
        c,
        "const m = document.querySelector(`.msg[data-id=\"${arguments[0]}\"]`);
         m.querySelector('.text')?.click();
         return !!m.querySelector('.act-edit');",
        vec![json!(pat)],
    )
    .await?;
    if foreign.as_bool() != Some(false) {
        bail!("the app offers to edit someone else's message");
    }
    eprintln!("conversation: edit ok");

    // Delete for everyone (asks to confirm: two clicks).
    send(c, "regrettable").await?;
    let gone = id_at_peer(peer, room, "regrettable").await?;
    act(c, &gone, "act-delete").await?;
    act(c, &gone, "act-delete").await?;
    eventually("the delete at the peer", 20, || {
        let m = by_id(&listing(peer, room)?, &gone).unwrap_or_default();
        Ok(m["deleted"] == json!(true) && m["text"].is_null())
    })
    .await?;
    find_text(c, "deleted", "deleted", 10).await?;
    eprintln!("conversation: delete ok");

    // Muted, a mention still notifies; a plain message does not.
    js(c, "document.getElementById('mute').click(); return 1;", vec![]).await?;
    find_text(c, "space-item", "muted", 10).await?;
    peer.cmd(&["chat", "send", room, "quiet chatter"])?;
    find_text(c, "chat-message", "quiet chatter", 20).await?;
    peer.cmd(&["chat", "send", room, "@Alex look at this", "--mention", &me])?;
    find_text(c, "chat-message", "look at this", 20).await?;
    eventually("a notification for the mention", 20, || {
        Ok(desk
            .notifications()?
            .iter()
            .any(|(_, body)| body.contains("mentioned you") && body.contains("look at this")))
    })
    .await?;
    if desk
        .notifications()?
        .iter()
        .any(|(_, b)| b.contains("quiet chatter"))
    {
        bail!("a plain message in a muted room raised a notification");
    }
    let highlighted = js(c, "return !!document.querySelector('.msg.mentions-me');", vec![]).await?;
    if highlighted.as_bool() != Some(true) {
        bail!("the mention is not highlighted");
    }
    eprintln!("conversation: mention notified in a muted room");

    // A picture of one's own, chosen in the native dialog: shown in Settings, and at the peer.
    let mine_png = desk.tmp.path().join("alex.png");
    image::RgbImage::from_fn(300, 500, |x, y| image::Rgb([200, (x / 2) as u8, (y / 2) as u8]))
        .save(&mine_png)?;
    click(c, "tab-peers").await?;
    click(c, "profile-picture-choose").await?;
    desk.answer_dialog("Add pictures", &["ctrl+l"], &mine_png.display().to_string(), 20)?;
    until_js(
        c,
        "the window's own picture in Settings",
        "const a = document.querySelector('[data-testid=\"profile-picture\"]');
         return a && !a.hidden && a.complete ? a.naturalWidth : 0;",
        json!(256),
    )
    .await?;
    let mut blob = String::new();
    eventually("the app's picture at the peer, fetched", 30, || {
        let p: Value = serde_json::from_str(&peer.cmd(&["profile", "show", &me, "--json"])?)?;
        blob = p["picture"].as_str().unwrap_or_default().to_string();
        if blob.is_empty() {
            return Ok(false);
        }
        let files: Value = serde_json::from_str(&peer.cmd(&["blob", "list", room, "--json"])?)?;
        Ok(files.as_array().is_some_and(|f| {
            f.iter()
                .any(|f| f["blob"] == json!(blob) && f["held"] == json!(true))
        }))
    })
    .await?;
    eprintln!(
        "conversation: the window's picture reached the peer ({})",
        &blob[..12]
    );

    // The recovery phrase: asked for, confirmed, the same words the CLI gives, hidden again.
    click(c, "phrase-show").await?;
    click(c, "phrase-yes").await?;
    let script = "return [...document.querySelectorAll('[data-testid=\"phrase-words\"] li')].map(l => l.textContent).join(' ');";
    let mut shown = String::new();
    for _ in 0..100 {
        shown = js(c, script, vec![])
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !shown.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let by_cli = {
        let out = std::process::Command::new(bin_dir().join("confab"))
            .arg("--data")
            .arg(app_dir)
            .args(["identity", "phrase", "--yes", "--json"])
            .output()?;
        let v: Value = serde_json::from_slice(&out.stdout).context("confab identity phrase")?;
        v["words"].as_str().unwrap_or_default().to_string()
    };
    if shown != by_cli || by_cli.split(' ').count() != 24 {
        bail!("the window shows {shown:?} as the phrase, the CLI {by_cli:?}");
    }
    shoot(c, "phrase-desktop").await?;
    click(c, "phrase-hide").await?;
    let left = js(
        c,
        "return document.querySelectorAll('[data-testid=\"phrase-words\"] li').length;",
        vec![],
    )
    .await?;
    if left.as_u64() != Some(0) {
        bail!("the phrase stays in the page after Hide");
    }
    eprintln!("conversation: the recovery phrase shown after confirming, hidden again");
    click(c, "tab-chat").await?;
    send(c, "with my picture").await?;
    find_text(c, "chat-message", "with my picture", 10).await?;
    shoot(c, "conversation-desktop").await?;

    // Search jumps to a message far back in the history.
    peer.cmd(&["chat", "send", room, "a needle in the haystack"])?;
    let needle = id_at_peer(peer, room, "a needle in the haystack").await?;
    peer.cmd(&["chat", "send", room, "hay", "--count", "300"])?;
    find_text(c, "chat-message", "hay #300", 30).await?;
    let far = js(
        c,
        "return !!document.querySelector(`.msg[data-id=\"${arguments[0]}\"]`);",
        vec![json!(needle)],
    )
    .await?;
    if far.as_bool() != Some(false) {
        bail!("the window still holds the first messages after 300 more (not windowed?)");
    }
    let count = js(c, "return document.querySelectorAll('.msg').length;", vec![]).await?;
    if count.as_u64().unwrap_or(0) > 150 {
        bail!("{count} message elements in the page; the window holds at most 150");
    }
    click(c, "search-open").await?;
    type_into(c, "search-input", "needle").await?;
    find_text(c, "search-hit", "needle", 10).await?;
    shoot(c, "search-desktop").await?;
    js(
        c,
        "document.querySelector('[data-testid=\"search-hit\"]').click(); return 1;",
        vec![],
    )
    .await?;
    let mut shown = false;
    for _ in 0..100 {
        let v = js(
            c,
            "const m = document.querySelector(`.msg[data-id=\"${arguments[0]}\"]`);
             if (!m) return false;
             const r = m.getBoundingClientRect();
             return r.bottom > 0 && r.top < window.innerHeight;",
            vec![json!(needle)],
        )
        .await?;
        if v.as_bool() == Some(true) {
            shown = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !shown {
        bail!("search did not bring the needle into view");
    }
    eprintln!("conversation: search jumped to the message");
    shoot(c, "search-jump-desktop").await?;
    bounded("resizing to phone size", c.set_window_size(390, 844)).await??;
    tokio::time::sleep(Duration::from_millis(500)).await;
    shoot(c, "conversation-phone").await?;
    Ok(())
}
