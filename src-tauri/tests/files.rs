//! Files in the real window (as the e2e test: Xvfb, WebDriver, dunst, a headless `confab run`
//! peer on 127.0.0.1): a picture put on the X clipboard (xclip) and pasted into the composer
//! with Ctrl+V reaches the peer with its preview, and the peer gets it whole; a 30 MiB file from
//! the peer (over the size fetched without asking) shows its name, size and Save; Save
//! cancelled in the GTK save dialog fetches nothing, and answered there from the keyboard
//! (xdotool) fetches it to the chosen path while its bar moves;
//! a Markdown issue with a picture renders in the Newsletter tab, its link goes to the system's
//! browser and not the window; the window's own issue with a picture added in the GTK open
//! dialog reaches a subscriber whole. Screenshots at desktop and phone size; the time from the
//! paste key to the peer holding the message with its preview is printed.

#[path = "files/news.rs"]
mod news;
mod support;
#[path = "support/web.rs"]
mod web;

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use support::Desktop;
use web::{
    bin_dir, bounded, click, eventually, find_text, join, js, open_app, picture, picture_width, quiet_shot,
    run_peer, run_steps, shoot, type_into, Peer,
};

#[test]
fn pasted_pictures_saved_files_and_newsletter_pictures_in_the_window() -> Result<()> {
    support::in_pid_namespace(
        INNER,
        "pasted_pictures_saved_files_and_newsletter_pictures_in_the_window",
        scenario,
    )
}

const INNER: &str = "CONFAB_FILES_INNER";

/// The big file: over the 25 MiB every member fetches without asking.
const BIG: usize = 30 * 1024 * 1024;

/// What the test made on disk before the window opened.
struct Made {
    pasted: Vec<u8>,
    big: std::path::PathBuf,
    issue: std::path::PathBuf,
    quay: std::path::PathBuf,
    opened: std::path::PathBuf,
}

async fn scenario() -> Result<()> {
    let confab = bin_dir().join("confab");
    if !confab.exists() {
        bail!("{} is missing: build the workspace first", confab.display());
    }
    let mut desk = Desktop::start()?;
    let tmp = desk.tmp.path().to_path_buf();
    let mut peer = Peer::new(confab.clone(), tmp.join("peer"));
    peer.cmd(&["profile", "set", "--name", "Pat"])?;
    let (room, room_ticket) = peer.create("chat", "Lobby")?;
    let (letter, letter_ticket) = peer.create("news", "Harbour News")?;
    run_peer(&mut desk, &mut peer, &[])?;

    // A picture on the clipboard, as if copied in another program.
    let pasted = tmp.join("copied.png");
    picture(640, 400, [40, 90, 160]).save(&pasted)?;
    desk.put_on_clipboard("image/png", &pasted)?;
    let big = tmp.join("big.bin");
    std::fs::write(&big, noise(BIG))?;
    let issue_dir = tmp.join("issue");
    std::fs::create_dir_all(&issue_dir)?;
    picture(800, 500, [200, 120, 40]).save(issue_dir.join("harbour.png"))?;
    let issue = issue_dir.join("issue.md");
    std::fs::write(
        &issue,
        "# Harbour\n\nThe boats **came in** early today. More on [the harbour's page](https://example.org/harbour).\n\n\
         ![the harbour at dawn](harbour.png)\n\nTides:\n\n| day | high |\n|---|---|\n| Mon | 06:10 |\n| Tue | 06:55 |\n",
    )?;
    let quay = tmp.join("quay.png");
    picture(600, 360, [30, 140, 90]).save(&quay)?;
    // The system's browser, as xdg-open finds it through $BROWSER: notes what it was asked
    // to open.
    let opened = tmp.join("opened.txt");
    let browser = tmp.join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\necho \"$1\" >> '{}'\n", opened.display()),
    )?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755))?;
    }
    let made = Made {
        pasted: std::fs::read(&pasted)?,
        big,
        issue,
        quay,
        opened,
    };

    let app_dir = tmp.join("app");
    let dial = peer.addr.clone();
    let browser = browser.display().to_string();
    let c = open_app(
        &mut desk,
        &app_dir,
        &[
            ("CONFAB_DIAL", &dial),
            ("CONFAB_RESYNC_SECS", "3"),
            ("BROWSER", &browser),
        ],
    )
    .await?;
    let all = steps(
        &c,
        &desk,
        &peer,
        &made,
        (&room, &room_ticket),
        (&letter, &letter_ticket),
    );
    run_steps(&c, &desk, &peer, "files", 280, all).await
}

/// Bytes no compressor shrinks (xorshift), the same every run.
fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(n);
    out
}

/// The peer's view of a room, by the CLI.
fn listing(peer: &Peer, room: &str) -> Result<Vec<Value>> {
    let out = peer.cmd(&["chat", "list", room, "--json"])?;
    let v: Value = serde_json::from_str(&out).with_context(|| format!("chat list printed {out}"))?;
    Ok(v.as_array().cloned().unwrap_or_default())
}

/// The first file of the peer's message whose first file's name starts with `prefix`.
fn file_at_peer(peer: &Peer, room: &str, prefix: &str) -> Result<Option<Value>> {
    Ok(listing(peer, room)?.into_iter().find_map(|m| {
        let f = m["files"].get(0)?.clone();
        f["name"].as_str()?.starts_with(prefix).then_some(f)
    }))
}

async fn steps(
    c: &Client,
    desk: &Desktop,
    peer: &Peer,
    made: &Made,
    (room, room_ticket): (&str, &str),
    (letter, letter_ticket): (&str, &str),
) -> Result<()> {
    c.set_window_size(1280, 800).await.ok();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("body[data-ready=\"true\"]"))
        .await?;
    find_text(c, "name-prompt", "call you", 20).await?;
    type_into(c, "name-prompt-input", "Alex").await?;
    click(c, "name-prompt-save").await?;
    join(c, "tab-chat", room_ticket, "Lobby").await?;
    peer.cmd(&["chat", "send", room, "send me the photo?"])?;
    find_text(c, "chat-message", "send me the photo?", 20).await?;

    paste_step(c, peer, made, room).await?;
    save_step(c, desk, peer, made, room).await?;
    quiet_shot(c, "files-chat-desktop").await?;
    news::newsletter_step(c, peer, made, letter, letter_ticket).await?;
    quiet_shot(c, "files-news-desktop").await?;
    news::own_issue_step(c, desk, peer, made).await?;

    bounded("resizing to phone size", c.set_window_size(390, 844)).await??;
    js(
        c,
        "[...document.querySelectorAll('[data-testid=\"space-item\"]')]
           .find((e) => e.innerText.includes('Harbour News')).click(); return 1;",
        vec![],
    )
    .await?;
    find_text(c, "news-issue", "Harbour notes", 10).await?;
    picture_width(c, "#reader-body img[data-testid=\"news-picture\"]", 800, 10).await?;
    js(
        c,
        "document.getElementById('reader').scrollIntoView(); return 1;",
        vec![],
    )
    .await?;
    quiet_shot(c, "files-news-phone").await?;
    click(c, "tab-chat").await?;
    find_text(c, "file-name", "big.bin", 10).await?;
    js(
        c,
        "const l = document.getElementById('messages'); l.scrollTop = l.scrollHeight; return 1;",
        vec![],
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let label = js(
        c,
        "return document.querySelector('[data-testid=\"chat-attach\"]').innerText;",
        vec![],
    )
    .await?;
    if label.as_str().map(str::trim) != Some("+") {
        bail!("the attach button reads {label} at phone size, not +");
    }
    quiet_shot(c, "files-chat-phone").await?;
    Ok(())
}

/// Ctrl+V in the composer pastes the picture on the X clipboard into the tray; Enter sends it.
/// The peer gets the message with the sender's preview, then the whole picture.
async fn paste_step(c: &Client, peer: &Peer, made: &Made, room: &str) -> Result<()> {
    click(c, "chat-input").await?;
    type_into(c, "chat-input", "the harbour from the hill").await?;
    let ctrl_v = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: Key::Control.into(),
        })
        .then(KeyAction::Down { value: 'v' })
        .then(KeyAction::Up { value: 'v' })
        .then(KeyAction::Up {
            value: Key::Control.into(),
        });
    // What the paste event carried, said if the tray stays empty.
    js(
        c,
        "window.__pastes = [];
         document.addEventListener('paste', (e) => window.__pastes.push(
           [...e.clipboardData.items].map((i) => `${i.kind}:${i.type}`)), true);
         return 1;",
        vec![],
    )
    .await?;
    let t0 = Instant::now();
    bounded("Ctrl+V", c.perform_actions(ctrl_v)).await??;
    if let Err(e) = find_text(c, "attached", "pasted-", 10).await {
        let pastes = js(c, "return window.__pastes;", vec![]).await?;
        bail!("{e}; paste events seen: {pastes}");
    }
    let in_tray = t0.elapsed();
    let input = c.find(Locator::Css("[data-testid=\"chat-input\"]")).await?;
    bounded("Enter", input.send_keys(&char::from(Key::Enter).to_string())).await??;
    let enter = t0.elapsed();
    let mut file = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(f) = file_at_peer(peer, room, "pasted-")? {
            file = f;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let at_peer = t0.elapsed();
    if file.is_null() {
        bail!("the pasted picture never reached the peer");
    }
    if file["dims"] != json!([640, 400]) || file["mime"] != json!("image/png") {
        bail!("the peer's file is not the pasted 640×400 PNG with a preview: {file}");
    }
    if file["size"].as_u64() != Some(made.pasted.len() as u64) {
        bail!(
            "the peer's file has {} bytes, the picture {}",
            file["size"],
            made.pasted.len()
        );
    }
    let blob = file["blob"].as_str().unwrap_or_default().to_string();
    eventually("the peer holding the whole pasted picture", 30, || {
        Ok(peer.holds(&blob))
    })
    .await?;
    let whole = t0.elapsed();
    eprintln!(
        "files: paste timing: Ctrl+V → in the tray {} ms; Enter pressed at {} ms; the peer has the \
         message with its preview at {} ms; the whole picture held at {} ms (the peer's listing \
         polled every 25 ms, through the CLI)",
        in_tray.as_millis(),
        enter.as_millis(),
        at_peer.as_millis(),
        whole.as_millis()
    );
    // The bytes the peer holds are the ones that were on the clipboard.
    let got = peer.dir.with_extension("pasted.png");
    peer.cmd(&["blob", "get", &blob, "--out", &got.display().to_string()])?;
    if std::fs::read(&got)? != made.pasted {
        bail!("the picture the peer saved differs from the one pasted");
    }
    let text = listing(peer, room)?
        .iter()
        .find(|m| m["files"][0]["blob"] == json!(blob))
        .map(|m| m["text"].clone());
    if text != Some(json!("the harbour from the hill")) {
        bail!("the pasted picture went without the composer's text: {text:?}");
    }
    // The window shows its preview at once and, clicked, the whole picture.
    let sel = format!(".msg.mine .pic[data-blob=\"{blob}\"] img");
    picture_width(c, &sel, 320, 10).await?;
    js(
        c,
        "document.querySelector(arguments[0]).closest('.pic').click(); return 1;",
        vec![json!(sel)],
    )
    .await?;
    picture_width(c, "[data-testid=\"viewer-img\"]", 640, 10).await?;
    shoot(c, "files-viewer-desktop").await?;
    click(c, "viewer-close").await?;
    eprintln!("files: pasted picture sent, previewed and shown whole");
    Ok(())
}

/// A 30 MiB file from the peer: name, size and Save; Save asks where (the GTK dialog,
/// answered from the keyboard) and fetches it there while its bar moves.
async fn save_step(c: &Client, desk: &Desktop, peer: &Peer, made: &Made, room: &str) -> Result<()> {
    let big = made.big.display().to_string();
    peer.cmd(&["chat", "send", room, "the whole survey", "--file", &big])?;
    find_text(c, "file-name", "big.bin", 30).await?;
    let blob = file_at_peer(peer, room, "big.bin")?
        .and_then(|f| f["blob"].as_str().map(str::to_string))
        .ok_or_else(|| anyhow!("the peer lists no big.bin"))?;
    let row = format!(".file[data-blob=\"{blob}\"]");
    let shown = js(
        c,
        "const r = document.querySelector(arguments[0]);
         return r ? [r.querySelector('.file-size').innerText, r.querySelector('.file-state').innerText,
                     r.querySelector('.file-save').innerText] : null;",
        vec![json!(row)],
    )
    .await?;
    if shown != json!(["30 MB", "fetched when saved", "Save"]) {
        bail!("the big file shows {shown}, not its size, that it waits and Save");
    }
    // Over the automatic size: nothing fetched until asked.
    tokio::time::sleep(Duration::from_secs(2)).await;
    if js(
        c,
        "return !document.querySelector(arguments[0] + ' progress').hidden;",
        vec![json!(row)],
    )
    .await?
        == json!(true)
    {
        bail!("the big file is being fetched without being asked for");
    }

    let save = || {
        js(
            c,
            "document.querySelector(arguments[0] + ' .file-save').click(); return 1;",
            vec![json!(row)],
        )
    };
    // A change of mind: the dialog cancelled, nothing fetched, Save offered again.
    save().await?;
    desk.dismiss_dialog("Save file", 20)?;
    let mut back = Value::Null;
    for _ in 0..50 {
        back = js(
            c,
            "const r = document.querySelector(arguments[0]);
             return [r.querySelector('.file-state').innerText, r.querySelector('.file-save').disabled,
                     r.querySelector('progress').hidden];",
            vec![json!(row)],
        )
        .await?;
        if back == json!(["fetched when saved", false, true]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if back != json!(["fetched when saved", false, true]) {
        bail!("after a cancelled save the big file shows {back}");
    }

    let saved = desk.tmp.path().join("saved").join("survey copy.bin");
    std::fs::create_dir_all(saved.parent().expect("a parent"))?;
    save().await?;
    let target = saved.display().to_string();
    desk.answer_dialog("Save file", &["ctrl+a"], &target, 20)?;
    // The bar moves as the file arrives, then the row says it is saved.
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = js(
            c,
            "const r = document.querySelector(arguments[0]);
             const p = r.querySelector('progress');
             return [r.querySelector('.file-state').innerText, p.hidden, Number(p.value), Number(p.max)];",
            vec![json!(row)],
        )
        .await?;
        if v[1] == json!(false) {
            let at = (
                v[2].as_f64().unwrap_or(0.0) as u64,
                v[3].as_f64().unwrap_or(0.0) as u64,
            );
            if seen.last() != Some(&at) {
                seen.push(at);
            }
        }
        if v[0] == json!("saved") {
            break;
        }
        if Instant::now() > deadline {
            bail!("the big file was not saved within 60 s; the row shows {v}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("files: progress bar seen at {seen:?} (bytes of {BIG})");
    if desk.window_shows("Save file")? {
        bail!("the save dialog is still open");
    }
    let bytes = std::fs::read(&saved).with_context(|| format!("reading {}", saved.display()))?;
    if bytes.len() != BIG || bytes != std::fs::read(&made.big)? {
        bail!("the saved file differs from the one sent ({} bytes)", bytes.len());
    }
    eprintln!("files: 30 MiB file saved where the dialog said, byte for byte");
    Ok(())
}
