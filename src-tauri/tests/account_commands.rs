//! The first run and the account's commands on Tauri's mock runtime (no display): no node and no
//! identity before the person chooses; Start new; recovery from the phrase; a restore from a
//! backup made elsewhere (a wrong passphrase refused by name first); a link to another device,
//! approved there, and cancelled once before; a device linked from the app, approved by the
//! code of the event and revoked; what a linked device may not do, refused by name.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use confab_node::{Client, NodeConfig};
use serde_json::{json, Value};
use tauri::Listener;

#[path = "support/mock.rs"]
mod mock;
use mock::{app, call, err, first_run_app, ok, App};

/// A node of the same person (or of someone else) on 127.0.0.1, mDNS off, in `dir`.
async fn node(dir: &std::path::Path) -> Client {
    let cfg = NodeConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        mdns: false,
        dht: false,
        upnp: false,
        ..Default::default()
    };
    Client::start(dir, cfg).await.unwrap()
}

fn identity_file(a: &App) -> std::path::PathBuf {
    a._dir.path().join("app").join("identity.key")
}

/// What an app listener collected, as JSON values.
fn collect(a: &App, event: &str) -> Arc<Mutex<Vec<Value>>> {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = got.clone();
    a.app.listen(event, move |e| {
        sink.lock()
            .unwrap()
            .push(serde_json::from_str(e.payload()).unwrap());
    });
    got
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_first_run_makes_nothing_until_the_person_chooses_then_starts_new() {
    let a = first_run_app();
    let w = &a.window;
    let fr = ok(w, "first_run", json!({}));
    assert_eq!(fr["needed"], true, "{fr}");
    assert!(fr["data_dir"].as_str().unwrap().ends_with("app"), "{fr}");
    // No node, no identity: the rest of the app waits.
    assert!(call(w, "me", json!({})).is_err());
    assert!(
        !identity_file(&a).exists(),
        "an identity was made before the person chose"
    );

    let me = ok(w, "first_run_new", json!({}));
    assert_eq!(me["account"], me["peer_id"], "{me}");
    assert_eq!(me["holds_account"], true, "{me}");
    assert!(identity_file(&a).exists());
    assert_eq!(ok(w, "first_run", json!({}))["needed"], false);
    assert_eq!(ok(w, "me", json!({}))["peer_id"], me["peer_id"]);
    // Once begun, every other way to begin is refused by name.
    let e = err(w, "first_run_new", json!({}));
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("already runs with an identity"),
        "{e}"
    );
    let e = err(w, "first_run_recover", json!({"words": "abandon"}));
    assert_eq!(e["code"], "refused", "{e}");

    // The devices: this one, which is the account's own key.
    let list = ok(w, "devices", json!({}));
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["me"], true);
    assert_eq!(list[0]["account"], true);

    // A backup's passphrase is checked before any dialog, by name.
    let e = err(
        w,
        "backup_create",
        json!({"passphrase": "harbour lights", "again": "harbour light", "withRecords": false}),
    );
    assert!(e["message"].as_str().unwrap().contains("differ"), "{e}");
    let e = err(
        w,
        "backup_create",
        json!({"passphrase": "short", "again": "short", "withRecords": false}),
    );
    assert_eq!(
        e["message"], "the passphrase is 5 characters; use at least 8",
        "{e}"
    );

    // A link ticket with its QR code; approving a code nobody asked with is refused by name.
    let t = ok(w, "link_ticket", json!({}));
    assert!(t["ticket"].as_str().unwrap().starts_with("CONFABLINK1"), "{t}");
    let code = t["code"].as_str().unwrap();
    assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()), "{t}");
    assert!(t["qr_svg"].as_str().unwrap().contains("<svg"), "{t}");
    let soon = t["expires_ms"].as_u64().unwrap() - confab_core::now_ms();
    assert!((590_000..=600_000).contains(&soon), "{t}");
    let e = err(w, "device_approve", json!({"code": code}));
    assert!(
        e["message"].as_str().unwrap().contains("no device has asked"),
        "{e}"
    );
    let e = err(w, "device_revoke", json!({"device": me["peer_id"]}));
    assert!(
        e["message"].as_str().unwrap().contains("cannot revoke itself"),
        "{e}"
    );
}

#[test]
fn a_backup_made_elsewhere_is_restored_on_the_first_run() {
    let a = first_run_app();
    let w = &a.window;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let elsewhere = a._dir.path().join("elsewhere");
    let file = a._dir.path().join("family.confab");
    let (account, old_device, space) = rt.block_on(async {
        let c = Client::open(&elsewhere).await.unwrap();
        let s = c.create_space("chat", "Family").await.unwrap().space.space;
        c.chat_send(&s, "hello from the old phone").await.unwrap();
        c.backup_create(&file, "correct horse battery", true)
            .await
            .unwrap();
        let me = c.id().await.unwrap();
        c.shutdown().await;
        (me.account, me.peer_id, s)
    });

    let path = file.display().to_string();
    let e = err(
        w,
        "first_run_restore",
        json!({"path": path, "passphrase": "wrong horse battery"}),
    );
    assert_eq!(e["code"], "invalid", "{e}");
    assert!(e["message"].as_str().unwrap().contains("wrong passphrase"), "{e}");
    // Nothing was made: the choice is still open.
    assert!(!identity_file(&a).exists());
    assert_eq!(ok(w, "first_run", json!({}))["needed"], true);
    let not_backup = a._dir.path().join("notes.txt");
    std::fs::write(&not_backup, "shopping list").unwrap();
    let e = err(
        w,
        "first_run_restore",
        json!({"path": not_backup.display().to_string(), "passphrase": "correct horse battery"}),
    );
    assert!(
        e["message"].as_str().unwrap().contains("is not a Confab backup"),
        "{e}"
    );

    let r = ok(
        w,
        "first_run_restore",
        json!({"path": path, "passphrase": "correct horse battery"}),
    );
    assert_eq!(r["account"], account.as_str(), "{r}");
    assert_ne!(r["device"], old_device.as_str(), "{r}");
    assert_eq!(r["previous_device"], old_device.as_str(), "{r}");
    // Family, and whatever else the engine keeps for the person.
    assert!(r["spaces"].as_u64().unwrap() >= 1, "{r}");
    assert!(r["records"].as_u64().unwrap() >= 2, "{r}");
    // The node runs on the restored account, a new device of it.
    let me = ok(w, "me", json!({}));
    assert_eq!(me["account"], account.as_str());
    assert_eq!(me["peer_id"], r["device"]);
    assert_eq!(me["holds_account"], true);
    let spaces = ok(w, "spaces", json!({}));
    assert!(
        spaces.as_array().unwrap().iter().any(|s| s["name"] == "Family"),
        "{spaces}"
    );
    let msgs = ok(w, "chat_list", json!({"space": space}));
    assert!(
        msgs.as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"] == "hello from the old phone"),
        "{msgs}"
    );
    let list = ok(w, "devices", json!({}));
    let list = list.as_array().unwrap();
    assert!(list
        .iter()
        .any(|d| d["account"] == true && d["device"] == old_device.as_str() && d["me"] == false));
    assert!(list.iter().any(|d| d["me"] == true && d["device"] == r["device"]));
}

#[test]
fn linking_on_the_first_run_waits_for_approval_and_can_be_cancelled() {
    let a = first_run_app();
    let w = a.window.clone();
    let waiting = collect(&a, confab_app_lib::LINK_WAITING);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let other = rt.block_on(node(&a._dir.path().join("laptop")));
    let shared = rt
        .block_on(other.create_space("chat", "Shared"))
        .unwrap()
        .space
        .space;

    // Asked, then cancelled while it waits: nothing kept, the choice open again.
    let t = rt.block_on(other.link_ticket(Some(120))).unwrap();
    let canceller = {
        let (w, waiting) = (w.clone(), waiting.clone());
        std::thread::spawn(move || {
            wait_for("the page to be told the code", 30, || {
                !waiting.lock().unwrap().is_empty()
            });
            ok(&w, "first_run_cancel", json!({}));
        })
    };
    let e = err(&w, "first_run_link", json!({"ticket": t.ticket}));
    canceller.join().unwrap();
    assert!(e["message"].as_str().unwrap().contains("cancelled"), "{e}");
    assert_eq!(waiting.lock().unwrap()[0]["code"], t.code.as_str());
    assert!(!identity_file(&a).exists());
    assert_eq!(ok(&w, "first_run", json!({}))["needed"], true);

    // A fresh ticket, approved on the other device once this one has asked.
    let t = rt.block_on(other.link_ticket(None)).unwrap();
    let approver = {
        let (other, code) = (other.clone(), t.code.clone());
        rt.spawn(async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            loop {
                match other.approve_device(&code).await {
                    Ok(d) => return d,
                    Err(e) if e.to_string().contains("no device has asked") => {}
                    Err(e) => panic!("approving: {e}"),
                }
                assert!(tokio::time::Instant::now() < deadline, "nobody asked");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let linked = ok(&w, "first_run_link", json!({"ticket": t.ticket}));
    let approved = rt.block_on(approver).unwrap();
    let account = rt.block_on(other.id()).unwrap().account;
    assert_eq!(linked["account"], account.as_str(), "{linked}");
    assert_eq!(linked["device"], approved.device.as_str(), "{linked}");
    assert!(linked["spaces"].as_u64().unwrap() >= 1, "{linked}");
    let me = ok(&w, "me", json!({}));
    assert_eq!(me["account"], account.as_str());
    assert_eq!(me["holds_account"], false, "{me}");
    let spaces = ok(&w, "spaces", json!({}));
    assert!(
        spaces
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["space"] == shared.as_str()),
        "{spaces}"
    );

    // What only the device holding the account secret does is refused here, by name.
    let e = err(
        &w,
        "backup_create",
        json!({"passphrase": "correct horse battery", "again": "correct horse battery", "withRecords": false}),
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("does not hold the secret of the account"),
        "{e}"
    );
    let e = err(&w, "link_ticket", json!({}));
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("does not hold the secret of the account"),
        "{e}"
    );
    let e = err(&w, "identity_phrase", json!({"confirmed": true}));
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("does not hold the secret of the account"),
        "{e}"
    );
    let e = err(&w, "device_revoke", json!({"device": account}));
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("does not hold the secret of the account"),
        "{e}"
    );
    rt.block_on(other.shutdown());
}

#[test]
fn a_device_asks_the_app_is_told_its_code_approves_and_revokes_it() {
    let a = app();
    let w = &a.window;
    let events = collect(&a, confab_app_lib::EVENT);
    let me = ok(w, "me", json!({}));
    let t = ok(w, "link_ticket", json!({}));
    let (ticket, code) = (
        t["ticket"].as_str().unwrap().to_string(),
        t["code"].as_str().unwrap().to_string(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let phone = a._dir.path().join("phone");
    let linking = rt.spawn(async move { confab_node::link(&phone, &ticket, |_: &str, _: &str| {}).await });

    // The node tells the page which device asks, with the ticket's code.
    let mut asked = Value::Null;
    wait_for("the link_asked event", 30, || {
        let evs = events.lock().unwrap();
        if let Some(e) = evs.iter().find(|e| e["type"] == "link_asked") {
            asked = e.clone();
        }
        !asked.is_null()
    });
    assert_eq!(asked["code"], code.as_str(), "{asked}");
    let device = asked["device"].as_str().unwrap().to_string();
    let d = ok(w, "device_approve", json!({"code": code}));
    assert_eq!(d["device"], device.as_str(), "{d}");
    let linked = rt.block_on(linking).unwrap().unwrap();
    assert_eq!(linked.account, me["account"].as_str().unwrap());
    assert_eq!(linked.device, device);
    let e = err(w, "device_approve", json!({"code": code}));
    assert!(e["message"].as_str().unwrap().contains("already approved"), "{e}");

    let list = ok(w, "devices", json!({}));
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device"] == device.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("the linked device is not listed: {list}"));
    assert_eq!(row["me"], false);
    assert!(row["linked_ms"].is_u64() && row["revoked"].is_null(), "{row}");

    let r = ok(w, "device_revoke", json!({"device": device}));
    assert_eq!(r["device"], device.as_str(), "{r}");
    let list = ok(w, "devices", json!({}));
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device"] == device.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["revoked"], r["at_ms"], "{row}");
}

#[test]
fn the_recovery_phrase_brings_the_account_back_on_the_first_run() {
    let a = first_run_app();
    let w = &a.window;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (account, old_device, words) = rt.block_on(async {
        let c = Client::open(&a._dir.path().join("lost phone")).await.unwrap();
        let p = c.identity_phrase(true).await.unwrap();
        let me = c.id().await.unwrap();
        c.shutdown().await;
        (me.account, me.peer_id, p.words)
    });
    // A word that is not in the list: refused by name, nothing made.
    let mut wrong: Vec<&str> = words.split(' ').collect();
    wrong[3] = "confabulate";
    let e = err(w, "first_run_recover", json!({"words": wrong.join(" ")}));
    assert_eq!(e["code"], "invalid", "{e}");
    assert!(e["message"].as_str().unwrap().contains("confabulate"), "{e}");
    assert!(!identity_file(&a).exists());

    let r = ok(w, "first_run_recover", json!({"words": words}));
    assert_eq!(r["account"], account.as_str(), "{r}");
    assert_ne!(r["device"], old_device.as_str(), "{r}");
    let me = ok(w, "me", json!({}));
    assert_eq!(me["account"], account.as_str());
    assert_eq!(me["holds_account"], true, "{me}");
    // The phrase is this device's to show again: the same words.
    assert_eq!(
        ok(w, "identity_phrase", json!({"confirmed": true}))["words"],
        words.as_str()
    );
}
