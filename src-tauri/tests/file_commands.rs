//! The file commands on Tauri's mock runtime with the real node: files attached by path, a
//! pasted picture attached from its bytes (its temporary file gone afterwards), an issue whose
//! Markdown links an attached picture by name, refusals by name, and links the app will not
//! hand to the system. (The native dialogs and the pictures' protocol need the real window:
//! `tests/files.rs`.)

use serde_json::{json, Value};

#[path = "support/mock.rs"]
mod mock;
use mock::{app, err, ok, App};

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn newest(w: &tauri::WebviewWindow<tauri::test::MockRuntime>, space: &str) -> Value {
    let list = ok(w, "chat_list", json!({"space": space}));
    list.as_array().unwrap().last().cloned().unwrap()
}

#[test]
fn files_attached_by_path_pasted_and_linked_by_name() {
    let App {
        app: _app,
        window: w,
        _dir,
    } = app();
    let room = ok(&w, "create_space", json!({"kind": "chat", "name": "Room"}));
    let space = room["space"].as_str().unwrap().to_string();
    let files = _dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let pic = files.join("harbour.png");
    std::fs::write(&pic, png(400, 300)).unwrap();
    let notes = files.join("notes.txt");
    std::fs::write(&notes, "tides at six").unwrap();

    // By path (the open dialog, a drop), with no text.
    ok(
        &w,
        "chat_attach",
        json!({"space": space, "text": "", "replyTo": null, "mentions": [],
               "paths": [pic.display().to_string(), notes.display().to_string()]}),
    );
    let m = newest(&w, &space);
    assert_eq!(m["text"], "");
    assert_eq!(m["files"][0]["name"], "harbour.png");
    assert_eq!(m["files"][0]["mime"], "image/png");
    assert_eq!(m["files"][0]["dims"], json!([400, 300]));
    assert_eq!(m["files"][0]["held"], true);
    assert_eq!(m["files"][1]["name"], "notes.txt");
    assert!(m["files"][1].get("dims").is_none());

    // Pasted: bytes in base64, under the name the page gave, with a reply and a file by path.
    let data = data_encoding::BASE64.encode(&png(64, 48));
    ok(
        &w,
        "chat_attach_bytes",
        json!({"space": space, "text": "pasted", "replyTo": m["id"], "mentions": [],
               "paths": [notes.display().to_string()],
               "pasted": [{"name": "pasted-1.png", "data": data}, {"name": "pasted-1.png", "data": data}]}),
    );
    let p = newest(&w, &space);
    assert_eq!(p["text"], "pasted");
    assert_eq!(p["reply_to"], m["id"]);
    let names: Vec<&str> = p["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["notes.txt", "pasted-1.png", "pasted-1.png"]);
    assert_eq!(p["files"][1]["dims"], json!([64, 48]));
    // Its temporary file is gone (its directory, private to the app, stays empty).
    let pasted_dir = _dir.path().join("app").join("pasted");
    assert_eq!(std::fs::read_dir(&pasted_dir).unwrap().count(), 0);

    // Refused by name: a name with a path, bytes that are not base64, a file that is not there.
    let e = err(
        &w,
        "chat_attach_bytes",
        json!({"space": space, "text": "", "replyTo": null, "mentions": [], "paths": [],
               "pasted": [{"name": "../evil.png", "data": data}]}),
    );
    assert_eq!(e["code"], "invalid", "{e}");
    assert!(e["message"].as_str().unwrap().contains("evil.png"), "{e}");
    let e = err(
        &w,
        "chat_attach_bytes",
        json!({"space": space, "text": "", "replyTo": null, "mentions": [], "paths": [],
               "pasted": [{"name": "a.png", "data": "%%%"}]}),
    );
    assert_eq!(e["code"], "invalid", "{e}");
    let gone = files.join("gone.pdf").display().to_string();
    let e = err(
        &w,
        "chat_attach",
        json!({"space": space, "text": "x", "replyTo": null, "mentions": [], "paths": [gone]}),
    );
    assert!(e["message"].as_str().unwrap().contains("gone.pdf"), "{e}");
    assert_eq!(std::fs::read_dir(&pasted_dir).unwrap().count(), 0);

    // An issue links its picture by the file's name; the HTML shows it through the protocol.
    let news = ok(&w, "create_space", json!({"kind": "news", "name": "Letters"}));
    let letter = news["space"].as_str().unwrap().to_string();
    ok(
        &w,
        "news_publish_files",
        json!({"space": letter, "title": "Dawn", "paths": [pic.display().to_string()],
               "body": "# Dawn\n\n![the harbour](harbour.png) and [more](https://example.org)"}),
    );
    let issue = ok(&w, "news_list", json!({"space": letter}))[0].clone();
    let blob = issue["files"][0]["blob"].as_str().unwrap().to_string();
    assert!(issue["body"].as_str().unwrap().contains(&blob), "{issue}");
    let html = issue["html"].as_str().unwrap();
    assert!(
        html.contains(&format!(
            "src=\"{}://localhost/{blob}\"",
            confab_app_lib::BLOB_SCHEME
        )),
        "{html}"
    );
    assert!(html.contains("<h1>Dawn</h1>"), "{html}");
    let e = err(
        &w,
        "news_publish_files",
        json!({"space": letter, "title": "x", "paths": [], "body": "![x](missing.png)"}),
    );
    assert!(e["message"].as_str().unwrap().contains("missing.png"), "{e}");

    // Links the app will not hand to the system (nothing is opened for these).
    for url in ["javascript:alert(1)", "file:///etc/passwd", "tauri://localhost/x"] {
        let e = err(&w, "open_link", json!({ "url": url }));
        assert_eq!(e["code"], "invalid", "{url}: {e}");
    }
}
