//! Accounts in the real window (as the e2e test: Xvfb, WebDriver, dunst). App A starts on an
//! empty data dir: the first-run screen shows and nothing is made until Start new. A makes a
//! room with a message, backs up (Peers → Back up…: a short passphrase refused by name, then a
//! good one, messages included, saved through the GTK save dialog); its devices list shows it
//! alone; Link a device shows a ticket, its QR code, code and expiry; a headless
//! `confab device link` asks with the ticket, A's prompt shows the same code, A approves, the
//! linked device is listed, then revoked after a confirmation. App B then starts on another
//! empty data dir: Restore from a backup, the file chosen in the GTK open dialog, a wrong
//! passphrase refused by name, then the right one; the room and its message are there, and
//! `confab id` names A's account with a device of B's own. Last, app C starts on an empty data
//! dir and links to a headless node's account: the code to approve shows while it waits, the
//! node approves it, and C runs as a device without the account secret (Back up… and Link a
//! device say so by name). Screenshots at desktop and phone size.

mod support;
#[path = "support/web.rs"]
mod web;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use support::{Desktop, Procs};
use web::{
    bin_dir, bounded, click, eventually, find_text, first_run_screen, js, open_session, quiet_shot, run_peer,
    run_steps, shoot, type_into, Peer,
};

#[test]
fn backup_restore_and_devices_in_the_window() -> Result<()> {
    support::in_pid_namespace(INNER, "backup_restore_and_devices_in_the_window", scenario)
}

const INNER: &str = "CONFAB_IDENTITY_INNER";
const PASSPHRASE: &str = "correct horse battery staple";

/// `confab id --json` on a data dir (through the app's node when it runs).
fn id_of(dir: &Path) -> Result<Value> {
    let out = Command::new(bin_dir().join("confab"))
        .arg("--data")
        .arg(dir)
        .args(["id", "--json"])
        .output()?;
    if !out.status.success() {
        bail!("confab id: {}", String::from_utf8_lossy(&out.stderr));
    }
    serde_json::from_slice(&out.stdout).context("confab id --json")
}

async fn scenario() -> Result<()> {
    let confab = bin_dir().join("confab");
    if !confab.exists() {
        bail!("{} is missing: build the workspace first", confab.display());
    }
    let mut desk = Desktop::start()?;
    // The new device a link ticket is used on: the headless `confab` on a data dir of its own.
    let phone = Peer::new(confab, desk.tmp.path().join("phone"));
    let backup = desk.tmp.path().join("saved").join("family.confab");
    std::fs::create_dir_all(backup.parent().expect("a parent"))?;

    let a_dir = desk.tmp.path().join("a");
    let c = open_session(&mut desk, &a_dir, &[]).await?;
    let mut a_id = Value::Null;
    let first = app_a(&c, &desk, &phone, &a_dir, &backup, &mut a_id);
    run_steps(&c, &desk, &phone, "identity-a", 200, first).await?;

    let b_dir = desk.tmp.path().join("b");
    let c = open_session(&mut desk, &b_dir, &[]).await?;
    let second = app_b(&c, &desk, &b_dir, &backup, &a_id);
    run_steps(&c, &desk, &phone, "identity-b", 150, second).await?;

    // The other way round: the app is the new device, a headless node the account's.
    let mut laptop = Peer::new(phone.confab.clone(), desk.tmp.path().join("laptop"));
    run_peer(&mut desk, &mut laptop, &[])?;
    let c_dir = desk.tmp.path().join("c");
    let c = open_session(&mut desk, &c_dir, &[]).await?;
    let third = app_c(&c, &laptop, &c_dir);
    run_steps(&c, &desk, &laptop, "identity-c", 120, third).await
}

/// Waits until the page's `body` says the app runs (after the first-run choice).
async fn ready(c: &Client) -> Result<()> {
    c.wait()
        .at_most(Duration::from_secs(40))
        .for_element(Locator::Css("body[data-ready=\"true\"]"))
        .await
        .context("the app never became ready after the first-run choice")?;
    Ok(())
}

/// A screenshot at phone size, then back to the desktop size.
async fn phone_shot(c: &Client, name: &str) -> Result<()> {
    bounded("resizing to phone size", c.set_window_size(390, 844)).await??;
    tokio::time::sleep(Duration::from_millis(100)).await;
    quiet_shot(c, name).await?;
    bounded("resizing back", c.set_window_size(1280, 800)).await??;
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(())
}

/// Scrolls an element into the middle of its scroller (for a screenshot of it).
async fn into_view(c: &Client, testid: &str) -> Result<()> {
    js(
        c,
        "document.querySelector(`[data-testid=\"${arguments[0]}\"]`).scrollIntoView({block: 'center'}); return 1;",
        vec![json!(testid)],
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

/// Clicks from a script: a button whose click opens a native (modal) dialog returns at once.
async fn press(c: &Client, testid: &str) -> Result<()> {
    js(
        c,
        "document.querySelector(`[data-testid=\"${arguments[0]}\"]`).click(); return 1;",
        vec![json!(testid)],
    )
    .await?;
    Ok(())
}

/// The `data-device` and `data-state` of each row of the devices list.
async fn device_rows(c: &Client) -> Result<Vec<(String, String)>> {
    let v = js(
        c,
        "return [...document.querySelectorAll('[data-testid=\"device\"]')].map(d => [d.dataset.device, d.dataset.state]);",
        vec![],
    )
    .await?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_string(),
                r[1].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

async fn app_a(
    c: &Client,
    desk: &Desktop,
    phone: &Peer,
    dir: &Path,
    backup: &Path,
    a_id: &mut Value,
) -> Result<()> {
    c.set_window_size(1280, 800).await.ok();
    // The first run asks how to begin, and nothing is made until the person chooses.
    first_run_screen(c).await?;
    if dir.join("identity.key").exists() {
        bail!("an identity was made before the person chose how to begin");
    }
    find_text(c, "welcome", "Restore from a backup", 10).await?;
    shoot(c, "first-run-desktop").await?;
    phone_shot(c, "first-run-phone").await?;
    click(c, "welcome-new").await?;
    ready(c).await?;
    *a_id = id_of(dir)?;
    eprintln!("identity: A began as {}", a_id["peer_id"]);
    click(c, "name-prompt-skip").await?;

    // A room with a message, to find again after the restore.
    type_into(c, "space-create-name", "Family").await?;
    click(c, "space-create").await?;
    find_text(c, "space-item", "Family", 10).await?;
    type_into(c, "chat-input", "dinner at eight").await?;
    click(c, "chat-send").await?;
    find_text(c, "chat-message", "dinner at eight", 10).await?;

    // Back up: a short passphrase is refused by name before any dialog; then the file.
    click(c, "tab-peers").await?;
    find_text(c, "device", "This device", 15).await?;
    click(c, "backup-open").await?;
    type_into(c, "backup-pass", "short").await?;
    type_into(c, "backup-again", "short").await?;
    click(c, "backup-save").await?;
    find_text(
        c,
        "backup-error",
        "the passphrase is 5 characters; use at least 8",
        10,
    )
    .await?;
    type_into(c, "backup-pass", PASSPHRASE).await?;
    type_into(c, "backup-again", PASSPHRASE).await?;
    click(c, "backup-records").await?;
    quiet_shot(c, "backup-desktop").await?;
    phone_shot(c, "backup-phone").await?;
    press(c, "backup-save").await?;
    desk.answer_dialog("Save backup", &["ctrl+a"], &backup.display().to_string(), 20)?;
    find_text(c, "backup-result", "family.confab", 30).await?;
    let bytes = std::fs::read(backup).with_context(|| format!("reading {}", backup.display()))?;
    if !bytes.starts_with(b"confab backup\n") {
        bail!("{} is not a backup", backup.display());
    }
    eprintln!("identity: backup saved, {} bytes", bytes.len());
    click(c, "backup-cancel").await?;

    link_and_revoke(c, phone).await
}

/// Link a device: the ticket and QR code, a new device asking with it, approved in the prompt,
/// listed, then revoked after a confirmation.
async fn link_and_revoke(c: &Client, phone: &Peer) -> Result<()> {
    click(c, "link-open").await?;
    let mut shown = Value::Null;
    for _ in 0..100 {
        shown = js(
            c,
            "const q = document.querySelector('[data-testid=\"link-qr\"]');
             return [document.querySelector('[data-testid=\"link-ticket\"]').value,
                     document.querySelector('[data-testid=\"link-code\"]').textContent,
                     q.complete ? q.naturalWidth : 0,
                     document.querySelector('[data-testid=\"link-expiry\"]').textContent];",
            vec![],
        )
        .await?;
        if shown[0].as_str().is_some_and(|t| t.starts_with("CONFABLINK1")) && shown[2].as_u64() > Some(0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ticket = shown[0].as_str().unwrap_or_default().to_string();
    let code = shown[1].as_str().unwrap_or_default().to_string();
    if !ticket.starts_with("CONFABLINK1") || code.len() != 6 || shown[2].as_u64() == Some(0) {
        bail!("the link dialog shows [ticket, code, QR width, expiry] {shown}");
    }
    if !shown[3].as_str().unwrap_or_default().contains("Valid until") {
        bail!("no expiry in the link dialog: {shown}");
    }
    quiet_shot(c, "link-desktop").await?;
    phone_shot(c, "link-phone").await?;

    // The new device asks with the ticket; it waits until the person approves here.
    let mut procs = Procs(Vec::new());
    let out = phone.dir.with_extension("json");
    procs.spawn(
        "confab device link",
        Command::new(&phone.confab)
            .arg("--data")
            .arg(&phone.dir)
            .args(["device", "link", &ticket, "--json"])
            .stdout(std::fs::File::create(&out)?)
            .stderr(std::fs::File::create(phone.dir.with_extension("log"))?)
            .stdin(Stdio::null()),
    )?;
    c.wait()
        .at_most(Duration::from_secs(40))
        .for_element(Locator::Css("#link-ask:not([hidden])"))
        .await
        .context("no prompt to approve the new device")?;
    find_text(c, "link-ask-code", &code, 5).await?;
    find_text(c, "link-status", &code, 5).await?;
    quiet_shot(c, "link-ask-desktop").await?;
    click(c, "link-approve").await?;
    let mut linked = Value::Null;
    eventually("the new device to be linked", 30, || {
        linked = serde_json::from_slice(&std::fs::read(&out)?).unwrap_or(Value::Null);
        Ok(!linked.is_null())
    })
    .await?;
    let device = linked["device"].as_str().unwrap_or_default().to_string();
    find_text(c, "link-status", "Linked", 10).await?;
    eprintln!("identity: linked {device}");
    click(c, "link-close").await?;

    // Listed, then revoked once confirmed.
    let mut rows = Vec::new();
    for _ in 0..50 {
        rows = device_rows(c).await?;
        if rows.iter().any(|(d, s)| *d == device && s == "linked") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !rows.iter().any(|(d, s)| *d == device && s == "linked") || !rows.iter().any(|(_, s)| s == "me") {
        bail!("the devices list shows {rows:?}, not this device and {device} linked");
    }
    click(c, "device-revoke").await?;
    find_text(c, "device", "cannot be undone", 5).await?;
    into_view(c, "devices").await?;
    quiet_shot(c, "devices-desktop").await?;
    click(c, "device-revoke-confirm").await?;
    for _ in 0..50 {
        rows = device_rows(c).await?;
        if rows.iter().any(|(d, s)| *d == device && s == "revoked") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !rows.iter().any(|(d, s)| *d == device && s == "revoked") {
        bail!("the revoked device is not marked: {rows:?}");
    }
    find_text(c, "device-revoked", "revoked", 5).await?;
    into_view(c, "devices").await?;
    quiet_shot(c, "devices-revoked-desktop").await?;
    bounded("resizing to phone size", c.set_window_size(390, 844)).await??;
    into_view(c, "devices").await?;
    quiet_shot(c, "devices-phone").await?;
    eprintln!("identity: {device} revoked");
    Ok(())
}

async fn app_b(c: &Client, desk: &Desktop, dir: &Path, backup: &Path, a_id: &Value) -> Result<()> {
    c.set_window_size(1280, 800).await.ok();
    first_run_screen(c).await?;
    click(c, "welcome-restore").await?;
    click(c, "restore-pick").await?;
    desk.answer_dialog("Choose a backup", &["ctrl+l"], &backup.display().to_string(), 20)?;
    find_text(c, "restore-file", "family.confab", 20).await?;
    // A wrong passphrase: refused by name, nothing made, the form still there.
    type_into(c, "restore-pass", "correct horse battery stable").await?;
    click(c, "restore-go").await?;
    find_text(c, "restore-error", "wrong passphrase", 30).await?;
    if dir.join("identity.key").exists() {
        bail!("a wrong passphrase left an identity behind");
    }
    shoot(c, "restore-desktop").await?;
    phone_shot(c, "restore-phone").await?;
    type_into(c, "restore-pass", PASSPHRASE).await?;
    click(c, "restore-go").await?;
    ready(c).await?;
    find_text(c, "space-item", "Family", 20).await?;
    find_text(c, "chat-message", "dinner at eight", 20).await?;
    let b_id = id_of(dir)?;
    if b_id["account"] != a_id["account"] {
        bail!(
            "restored as account {} instead of {}",
            b_id["account"],
            a_id["account"]
        );
    }
    if b_id["peer_id"] == a_id["peer_id"] || b_id["holds_account"] != true {
        bail!("the restored device is {b_id}, A was {a_id}");
    }
    eprintln!(
        "identity: restored account {} on a new device {}",
        b_id["account"], b_id["peer_id"]
    );
    quiet_shot(c, "restored-desktop").await?;
    Ok(())
}

/// The app on an empty data dir links to the account of a headless node: the code to approve
/// shows while it waits, the node approves it, and the app runs as a device of that account
/// that holds no account secret (Back up… says so by name).
async fn app_c(c: &Client, laptop: &Peer, dir: &Path) -> Result<()> {
    c.set_window_size(1280, 800).await.ok();
    let t: Value = serde_json::from_str(&laptop.cmd(&["device", "link-ticket", "--json"])?)?;
    let (ticket, code) = (
        t["ticket"].as_str().unwrap_or_default(),
        t["code"].as_str().unwrap_or_default(),
    );
    first_run_screen(c).await?;
    click(c, "welcome-link").await?;
    type_into(c, "link-input", ticket).await?;
    click(c, "link-go").await?;
    find_text(c, "link-waiting-code", code, 30).await?;
    quiet_shot(c, "link-waiting-desktop").await?;
    phone_shot(c, "link-waiting-phone").await?;
    if dir.join("identity.key").exists() {
        bail!("the new device kept an identity before it was approved");
    }
    laptop.cmd(&["device", "approve", code])?;
    ready(c).await?;
    let me = id_of(dir)?;
    let account = id_of(&laptop.dir)?["account"].clone();
    if me["account"] != account || me["holds_account"] != false {
        bail!("linked as {me}, to the account {account}");
    }
    click(c, "name-prompt-skip").await.ok();
    click(c, "tab-peers").await?;
    find_text(c, "devices-note", "does not hold its secret", 15).await?;
    click(c, "backup-open").await?;
    type_into(c, "backup-pass", PASSPHRASE).await?;
    type_into(c, "backup-again", PASSPHRASE).await?;
    click(c, "backup-save").await?;
    find_text(c, "backup-error", "does not hold the secret of the account", 10).await?;
    click(c, "backup-cancel").await?;
    click(c, "link-open").await?;
    find_text(
        c,
        "link-made-error",
        "does not hold the secret of the account",
        10,
    )
    .await?;
    quiet_shot(c, "linked-device-desktop").await?;
    click(c, "link-close").await?;
    eprintln!("identity: the app linked as {} of {account}", me["peer_id"]);
    Ok(())
}
