//! Pictures on a whiteboard by command: placed, listed, moved, saved and erased, with the
//! JSON fields the README names, and refusals on stderr.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

#[path = "support/cli.rs"]
mod support_cli;

const BIN: &str = env!("CARGO_BIN_EXE_confab");

fn confab(dir: &Path, args: &[&str]) -> Output {
    support_cli::run(BIN, dir, args)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = confab(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let text = ok(dir, &all);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?} printed non-JSON ({e}): {text}"))
}

fn fails(dir: &Path, args: &[&str], needle: &str) {
    let out = confab(dir, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout on failure");
    assert!(err.contains(needle), "{args:?}: stderr {err:?} lacks {needle:?}");
}

fn png(path: &Path, w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 3) as u8, (y * 5) as u8, 200]));
    img.save(path).unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn pictures_are_placed_listed_moved_saved_and_erased() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let board = ok_json(&a, &["space", "create", "board", "sketches"])["space"]
        .as_str()
        .unwrap()
        .to_string();
    let file = d.path().join("harbour.png");
    let bytes = png(&file, 1200, 800);
    let path = file.to_str().unwrap();

    // Placed at its own size, scaled to 480 on its longer side; a stroke beside it.
    let id = ok_json(&a, &["board", "picture", &board, path, "--at", "-20,35.5"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 64);
    ok(&a, &["board", "stroke", &board, "--points", "0,0 10,10"]);
    let list = ok_json(&a, &["board", "pictures", &board]);
    let p = &list.as_array().unwrap()[0];
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    for (k, v) in [
        ("id", id.as_str()),
        ("name", "harbour.png"),
        ("mime", "image/png"),
    ] {
        assert_eq!(p[k], v, "{p}");
    }
    assert_eq!(p["size"], bytes.len() as u64, "{p}");
    assert_eq!(p["held"], true);
    assert_eq!(p["dims"], serde_json::json!([1200, 800]));
    assert_eq!(
        p["rect"],
        serde_json::json!({"x": -20.0, "y": 35.5, "w": 480.0, "h": 320.0})
    );
    assert_eq!(p["blob"].as_str().unwrap().len(), 64);
    assert!(p["author"].as_str().unwrap().starts_with("12D3KooW"), "{p}");
    assert!(p["ts"].as_u64().unwrap() > 0);
    assert!(p.get("moved_by").is_none(), "{p}");
    // The stroke listing keeps its shape: strokes only.
    let strokes = ok_json(&a, &["board", "list", &board]);
    assert_eq!(strokes.as_array().unwrap().len(), 1);
    assert!(strokes[0]["points"].is_array());
    // Read by a person, the board lists both.
    let text = ok(&a, &["board", "list", &board]);
    assert!(text.contains("2 points"), "{text}");
    assert!(
        text.contains("picture harbour.png at -20,35.5 size 480x320"),
        "{text}"
    );

    // Its file is a file of the board: listed and saved byte for byte.
    let blob = p["blob"].as_str().unwrap();
    let blobs = ok_json(&a, &["blob", "list", &board]);
    assert_eq!(blobs[0]["blob"], blob);
    let out = d.path().join("saved.png");
    ok(&a, &["blob", "get", &blob[..10], "--out", out.to_str().unwrap()]);
    assert_eq!(std::fs::read(&out).unwrap(), bytes);

    // Moved and resized by a prefix of its id; a size given when placed is kept as given.
    let moved = ok_json(&a, &["board", "move", &board, &id[..10], "--to", "5,-6,240,160"]);
    assert_eq!(moved["id"].as_str().unwrap().len(), 64);
    let p = &ok_json(&a, &["board", "pictures", &board])[0];
    assert_eq!(
        p["rect"],
        serde_json::json!({"x": 5.0, "y": -6.0, "w": 240.0, "h": 160.0})
    );
    assert!(p["moved_by"].as_str().unwrap().starts_with("12D3KooW"));
    let second = ok(&a, &["board", "picture", &board, path, "--at", "0,0,100,50"]);
    let pics = ok_json(&a, &["board", "pictures", &board]);
    assert_eq!(pics.as_array().unwrap().len(), 2);
    assert_eq!(pics[1]["id"], second.trim());
    assert_eq!(
        pics[1]["rect"],
        serde_json::json!({"x": 0.0, "y": 0.0, "w": 100.0, "h": 50.0})
    );

    // Refusals, named.
    let notes = d.path().join("notes.txt");
    std::fs::write(&notes, "hello").unwrap();
    let room = ok_json(&a, &["space", "create", "chat", "room"])["space"]
        .as_str()
        .unwrap()
        .to_string();
    fails(
        &a,
        &["board", "picture", &board, path, "--at", "1,2,3"],
        "X,Y or X,Y,W,H",
    );
    fails(
        &a,
        &["board", "picture", &board, path, "--at", "1,nan"],
        "is not a number",
    );
    fails(
        &a,
        &["board", "picture", &board, notes.to_str().unwrap(), "--at", "0,0"],
        "not a picture the board shows",
    );
    fails(
        &a,
        &["board", "picture", &room, path, "--at", "0,0"],
        "whiteboards",
    );
    fails(&a, &["board", "move", &board, &id, "--to", "0,0,10"], "X,Y,W,H");
    fails(
        &a,
        &["board", "move", &board, &id, "--to", "0,0,-10,10"],
        "not above 0",
    );
    fails(
        &a,
        &["board", "move", &board, "fedcba", "--to", "0,0,1,1"],
        "no object",
    );

    // Erased like a stroke: only the second stays.
    ok(&a, &["board", "erase", &board, &id[..12]]);
    let pics = ok_json(&a, &["board", "pictures", &board]);
    assert_eq!(pics.as_array().unwrap().len(), 1);
    assert_eq!(pics[0]["id"], second.trim());
    fails(
        &a,
        &["board", "move", &board, &id, "--to", "0,0,1,1"],
        "is deleted; restore it first",
    );
}
